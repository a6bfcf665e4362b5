"""Issue 15, case 5: rows the pseudonymiser rejects at the partner must not vanish.

The scenario: a contacts extract of 7 rows of which 5 are wrong; the drop holds the 2 good
ones. The manifest records rows read, written and rejected with their codes, and the hub's
receipt and `interchange status` say "5 rows rejected at source" for that drop.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from conftest import write_csv
from drop_kit import PERSON_HEADER, SPC, drop, ingest, person_rows, receipts
from typer.testing import CliRunner

from interchange.cli import app
from interchange.contract.records import Kind
from interchange.ingest.receipts import render_batch_line
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonymise import pseudonymise_file

runner = CliRunner()
TODAY = date(2026, 10, 15)
CODES = {"value.date": 2, "value.unknown_service": 2, "value.required": 1}


def contacts_extract(folder: Path, key: PseudonymKey, persons: list[str]) -> Path:
    """7 contacts, 5 of them wrong, pseudonymised into `folder` as kontaktai.contact.csv."""
    raw = write_csv(folder.parent / "kontaktai-raw.csv", [
        ["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"],
        ["K1", persons[0], "legal_consultation", "2026-09-10", "45"],
        ["K2", persons[1], "legal_consultation", "2026-09-11", "45"],
        ["K3", persons[0], "legal_consultation", "2026-09-31", "45"],
        ["K4", persons[1], "legal_consultation", "2026-13-01", "45"],
        ["K5", persons[0], "no_such_service", "2026-09-12", "45"],
        ["K6", persons[1], "no_such_service", "2026-09-12", "45"],
        ["", persons[0], "legal_consultation", "2026-09-12", "45"],
    ])
    folder.mkdir(parents=True, exist_ok=True)
    report = pseudonymise_file(raw, folder / "kontaktai.contact.csv", org=SPC, kind=Kind.CONTACT, key=key,
                               today=TODAY)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (7, 2, 5)
    assert report.manifest is not None
    return report.manifest


def test_manifest_records_rows_read_written_and_rejected_with_their_codes(tmp_path: Path,
                                                                         key: PseudonymKey) -> None:
    manifest = json.loads(contacts_extract(tmp_path / "out", key, ["P1", "P2"]).read_text(encoding="utf-8"))
    assert manifest["row_count"] == 2
    assert manifest["extract"] == {"rows_read": 7, "rows_written": 2, "rows_rejected": 5, "rejected_codes": CODES}


def test_receipt_and_status_say_how_many_rows_were_rejected_at_source(hub_root: Path, key: PseudonymKey) -> None:
    persons = person_rows(2)
    drop(hub_root, "asmenys.person.csv", [[*PERSON_HEADER, "consent_reporting"], *([*p, "yes"] for p in persons)])
    ingest(hub_root, today=TODAY)
    contacts_extract(hub_root / "inbox" / SPC, key, [p[0] for p in persons])
    [line] = [render_batch_line(r, "en") for r in ingest(hub_root, today=TODAY).receipts]
    assert line.endswith("batch 2 kontaktai.contact.csv: loaded, read 2, loaded 2, unchanged 0, quarantined 0; "
                         "5 rows rejected at source")  # as `interchange ingest` lists it

    person_receipt, contact_receipt = receipts(hub_root, SPC)
    assert person_receipt["extract"] is None
    assert contact_receipt["status"] == "loaded" and contact_receipt["counts"]["rows_read"] == 2
    assert contact_receipt["extract"] == {"rows_read": 7, "rows_written": 2, "rows_rejected": 5,
                                          "rejected_codes": CODES}
    text = sorted((hub_root / "receipts" / SPC).glob("*.txt"))[-1].read_text(encoding="utf-8")
    assert ("  5 rows rejected at source, of 7 read (the partner's kit left them out of the file; they never "
            "reached the hub; send them again corrected): value.date ×2, value.unknown_service ×2, "
            "value.required ×1") in text
    assert "  Šaltinyje atmesta eilučių: 5 iš 7" in text

    status = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])
    assert "Rows rejected at source (they never reached the hub" in status.output
    assert (f"  {SPC} inbox, batch 2 (kontaktai.contact.csv, contact): 5 rows rejected at source, of 7 read "
            "(value.date ×2, value.unknown_service ×2, value.required ×1)") in status.output
    # nothing for the steward to do, but not "All clear" either: the partner owes the rows
    assert status.exit_code == 0 and status.output.rstrip().endswith(
        "Nothing waits at the hub; partners must correct and resend the rows rejected at source (see above).")
