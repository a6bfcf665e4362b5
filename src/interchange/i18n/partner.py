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
    # --columns and `interchange columns suggest`
    "columns_hub": ("Perskaityta su jūsų stulpelių pavadinimais iš {path}: centras failą taip pat perskaitys tik tada, "
                    "kai tokie pat atitikmenys bus jūsų organizacijos „columns:“ rakte jo interchange.yaml faile "
                    "(vieną kartą nusiųskite šį failą centro duomenų prižiūrėtojui).",
                    "Read with your column names from {path}: the hub reads the file the same way only when the "
                    "same mapping is under your organisation's 'columns:' in its interchange.yaml (send this file "
                    "to the hub's data steward once)."),
    "columns_exists": ("{path} jau yra: jame gali būti jūsų pataisymų; kad jį pakeistumėte, nurodykite --force.",
                       "{path} already exists and may hold your edits: give --force to replace it."),
    "columns_comment": ("{extract} stulpeliai, susieti su sutarties {kind} stulpeliais (interchange columns "
                        "suggest). Peržiūrėkite kiekvieną eilutę.",
                        "Columns of {extract} mapped to the contract's {kind} columns (interchange columns "
                        "suggest). Read every line through."),
    "columns_placed": ("Atpažinta antraščių: {placed} iš {headers} (sutarties {kind} stulpeliai).",
                       "Headers recognised: {placed} of {headers} (the contract's {kind} columns)."),
    "columns_unplaced": ("Nepriskirtos antraštės (priskirkite jas faile ranka arba šių stulpelių neeksportuokite; "
                         "#N – N-asis stulpelis, kurio pavadinimas galėtų būti asmens duomenys): {headers}",
                         "Headers not placed (map them in the file by hand, or leave those columns out of the "
                         "export; #N is the Nth column, whose name could be personal data): {headers}"),
    "columns_repeat": ("„{header}“ taip pat atrodo kaip {column}, bet jį jau pildo „{other}“: nepriskirta.",
                       "'{header}' also looks like {column}, which '{other}' already feeds: not mapped."),
    "columns_missing": ("Privalomi {kind} stulpeliai, kurių dar nepildo jokia antraštė: {columns}",
                        "Required {kind} columns no header feeds yet: {columns}"),
    "columns_unfed": ("Nepildomi neprivalomi stulpeliai: {columns}", "Optional columns not fed: {columns}"),
    "columns_onto_extract": ("Atitikmenų failas negali perrašyti išrašo: pasirinkite kitą --out.",
                             "The mapping must not overwrite the extract: choose another --out."),
    "columns_unwritable": ("{path}: atitikmenų čia įrašyti nepavyko (ar aplankas yra ir ar galite į jį rašyti?)",
                           "{path}: the mapping could not be written there (does the folder exist, may you "
                           "write to it?)"),
    # the counts line of a person file: persons whose records do not say consent_reporting = yes
    "without_consent": ("be sutikimo ataskaitoms", "without consent to reporting"),
    "key_unwritable": ("{path}: rakto čia įrašyti nepavyko (ar aplankas yra ir ar galite į jį rašyti?)",
                       "{path}: the key could not be written there (does the folder exist, may you write to it?)"),
    "output_folder": ("Aplanko {folder} nėra: sukurkite jį arba pasirinkite kitą --output.",
                      "The folder {folder} does not exist: make it, or choose another --output."),
    # issue 16: how a drop reaches the hub whole
    "send_order": ("  Siųskite pirma šį failą, o manifestą paskutinį (arba abu laikinu pavadinimu, pervadindami "
                   "baigus): centras failą ima tik tada, kai jis baigtas.",
                   "  Send this file first and the manifest last (or both under a temporary name, renamed when "
                   "done): the hub takes a drop only when it is complete."),
    # --- e-mail notifications to a partner (interchange.operations.notify): counts and codes, never a value ---
    "notice_subject": ("Interchange: {org} – laukia jūsų dėmesio: {count}", "Interchange: {org} – {count} need your "
                       "attention"),
    "notice_greeting": ("Sveiki,\n\nduomenų mainų centras (Interchange) praneša, kad organizacijos {org} duomenims "
                        "reikia jūsų dėmesio:",
                        "Hello,\n\nthe data exchange hub (Interchange) reports that data of {org} need your "
                        "attention:"),
    "notice_held": ("- Paketas {batch} ({kind}, gautas {received}) sulaikytas: neįkelta eilučių – {rows}, nes "
                    "paketas neatitiko patikrų: {codes}. Pataisykite ir atsiųskite failą iš naujo.",
                    "- Batch {batch} ({kind}, received {received}) is held: {rows} rows were not loaded because the "
                    "batch failed its checks: {codes}. Fix the file and send it again."),
    "notice_quarantined": ("- Paketas {batch} ({kind}, gautas {received}): karantine eilučių – {rows}; klaidų kodai: "
                           "{codes}. Pataisytos eilutės su tais pačiais įrašų numeriais pakeis senąsias.",
                           "- Batch {batch} ({kind}, received {received}): {rows} rows in quarantine; problem codes: "
                           "{codes}. Corrected rows with the same record ids replace them."),
    "notice_overdue": ("- Šaltinio {source} pateikimas turėjo ateiti iki {due}; nuo {start} nieko negauta.",
                       "- The drop from {source} was due by {due}; nothing has arrived since {start}."),
    "notice_receipts": ("Kiekvienos eilutės problemą (eilutė, stulpelis, kodas) nurodo paketo kvitas.",
                        "Each row's problem (row, column, code) is in the batch's receipt."),
    "notice_portal": ("Kvitus rasite čia: {url}", "Your receipts are here: {url}"),
    "notice_no_data": ("Šiame laiške nėra jokių asmens duomenų: tik skaičiai ir kodai. Į jį atsakyti nereikia.",
                       "This message holds no personal data: counts and codes only. There is no need to reply."),
}
