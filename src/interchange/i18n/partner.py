"""`partner.*`: what the partner kit (keygen, pseudonymise, check, codes, templates) tells a partner.

The kit prints both languages unless `--lang` says one. The counts line and the line about
problems not listed are always printed in both, the words side by side (`partner/report.py`).
"""

TEXT: dict[str, tuple[str, str]] = {
    "overwrite": ("Pateikimo failas negali perrašyti pradinio išrašo: pasirinkite kitą --output.",
                  "The drop must not overwrite the raw extract: choose another --output."),
    "suffix": ("Pateikimo failo pavadinimas turi baigtis .csv arba .jsonl.",
               "The drop file must end in .csv or .jsonl."),
    "wrote": ("→ {path} (eilučių: {rows}), manifestas {manifest}",
              "→ {path} ({rows} rows), manifest {manifest}"),
    "nothing": ("→ pateikimo failas neįrašytas: nė viena eilutė netiko.",
                "→ no drop written: no row could be accepted."),
    "problem": ("klaida [{code}]: {message}", "error [{code}]: {message}"),
    # the counts line of a file's report, "eilučių / rows read 12, ..."
    "rows_read": ("eilučių", "rows read"),
    "accepted": ("priimta", "accepted"),
    "rejected": ("atmesta", "rejected"),
    "warnings": ("įspėjimų", "warnings"),
    "more": ("… dar / and {count} more: {codes}", "… dar / and {count} more: {codes}"),
    # keygen
    "key_exists": ("{path} jau yra: raktas niekada neperrašomas.",
                   "{path} already exists: a key is never overwritten."),
    "key_written": ("Įrašyta {path} (256 bitų raktas, kontrolinis atspaudas {fingerprint}, skaityti galite tik jūs).",
                    "Wrote {path} (256-bit key, fingerprint {fingerprint}, readable only by you)."),
    "key_share": ("Perduokite jį vieną kartą, ne tuo pačiu kanalu, kiekvienam partneriui, kuris turi kurti susiejamus "
                  "pseudonimus:\n"
                  "  - perduokite šifruotoje laikmenoje arba slaptažodžiu apsaugotame archyve, kurio slaptažodis\n"
                  "    siunčiamas kitu kanalu (telefonu);\n"
                  "  - niekada paprastu el. paštu, niekada į bendrą aplanką, niekada centrui;\n"
                  "  - partneriai lygina kontrolinius atspaudus, ne raktus, kad įsitikintų turintys tą patį.",
                  "Share it once, out of band, with every partner that must produce linkable pseudonyms:\n"
                  "  - hand it over on encrypted media, or in a password-protected archive whose password\n"
                  "    goes by another channel (phone);\n"
                  "  - never by plain e-mail, never into a shared folder, never to the hub;\n"
                  "  - partners compare fingerprints, not keys, to confirm they hold the same one."),
    # codes, schemas export, templates export
    "service_catalogue": ("# paslaugų katalogas {version}", "# service catalogue {version}"),
    "choose_code_list": ("Pasirinkite services, municipalities arba case-types.",
                         "Choose services, municipalities or case-types."),
    "out_of_date": ("pasenęs: {path}", "out of date: {path}"),
    "file_written": ("įrašyta {path}", "wrote {path}"),
    # the counts line of a person file: persons whose records do not say consent_reporting = yes
    "without_consent": ("be sutikimo ataskaitoms", "without consent to reporting"),
}
