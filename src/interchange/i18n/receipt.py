"""`receipt.*`: the labels of a receipt's text form (see `interchange.ingest.receipts.render_receipt`).

`status.<status>` names a batch status, `count.<name>` a count of the receipt, `severity.<severity>` a
batch check's severity; the renderer builds those keys from the receipt's own codes.
"""

TEXT: dict[str, tuple[str, str]] = {
    "receipt": ("KVITAS", "RECEIPT"),
    "batch": ("paketas", "batch"),
    "file": ("Failas", "File"),
    "received": ("Gauta", "Received"),
    "processed": ("apdorota", "processed"),
    "status": ("Būsena", "Status"),
    "same_as": ("Toks pat kaip paketas", "Same as batch"),
    "checks": ("Paketo patikros:", "Batch checks:"),
    "rows": ("eilutės", "rows"),
    "problems": ("Problemos:", "Problems:"),
    "row": ("eilutė", "row"),
    "column": ("stulpelis", "column"),
    "whole_file": ("failas", "file"),
    "more": ("daugiau (JSON kvite – iki {max}; visos – centro karantino lentelėje)",
             "more (up to {max} in the JSON receipt; all in the hub's quarantine table)"),
    "summary": ("Problemos pagal kodą:", "Problems by code:"),
    "first": ("pirmoji eilutė", "first row"),
    "severity.critical": ("KRITINĖ", "CRITICAL"),
    "severity.warning": ("įspėjimas", "warning"),
    "status.loaded": ("įkelta", "loaded"),
    "status.held": ("SULAIKYTA: niekas neįkelta", "HELD: nothing was loaded"),
    "status.rejected": ("ATMESTA: niekas neįkelta", "REJECTED: nothing was loaded"),
    "status.duplicate": ("pakartotinis failas: niekas nepakeista", "duplicate file: nothing changed"),
    "status.received": ("gauta, dar neapdorota", "received, not processed yet"),
    "count.rows_read": ("Perskaityta eilučių", "Rows read"),
    "count.inserted": ("Nauji įrašai", "New records"),
    "count.updated": ("Atnaujinti įrašai", "Updated records"),
    "count.deleted": ("Ištrinti įrašai", "Deleted records"),
    "count.unchanged": ("Nepakitę įrašai", "Unchanged records"),
    "count.quarantined": ("Atmestos eilutės", "Rejected rows"),
    "count.held": ("Sulaikytos eilutės", "Held rows"),
    "without_consent": ("Asmenys be sutikimo ataskaitoms: {count} (pagal numatytąją centro taisyklę į skelbiamus "
                        "rodiklius neįtraukiami; stulpelis „sutikimas_ataskaitoms“)",
                        "Persons without consent to reporting: {count} (left out of the published figures under "
                        "the hub's default rule; column 'sutikimas_ataskaitoms')"),
    "rejected_at_source": (
        "Šaltinyje atmesta eilučių: {rejected} iš {read} (partnerio įrankis jų neįrašė į failą, centro jos "
        "nepasiekė; pataisytas siųskite iš naujo): {codes}",
        "{rejected} rows rejected at source, of {read} read (the partner's kit left them out of the file; "
        "they never reached the hub; send them again corrected): {codes}",
    ),
    # issue 16 (nothing stuck)
    "status.failed": ("CENTRO KLAIDA: niekas neįkelta, failas bus apdorotas iš naujo",
                      "HUB ERROR: nothing was loaded; the file will be processed again"),
}
