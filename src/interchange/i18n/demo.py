"""`demo.*`: what `interchange demo` says, step by step: counts, codes and paths only.

`step<n>` is the heading of step n; `where.<place>` and `where.<place>_note` are the lines of
step 8's list of where everything is.
"""

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Interchange demonstracija, tarsi šiandien būtų {as_of}: Kretingos partnerių metai {start} – "
              "{end}, sintetiniai duomenys (sėkla {seed}), aplanke {directory}",
              "Interchange demo as on {as_of}: the Kretinga partners' year {start} – {end}, synthetic data "
              "(seed {seed}), in {directory}"),
    "step1": ("1. Partneriai: pradinių išrašų {files}, sintetinių asmenų {persons} (kodai, vardai, adresai) "
              "→ pseudonimizuoti pateikimai",
              "1. Partners: {files} raw extracts of {persons} synthetic persons (codes, names, addresses) "
              "→ pseudonymised drops"),
    "org_files": ("   {org}: {names} (eilučių: {rows})", "   {org}: {names} ({rows} rows)"),
    "unidentified": ("   {org}/{name} neturi asmens identifikatorių ir siunčiamas toks, koks eksportuotas; "
                     "„interchange check“ randa jame įdėtas klaidingas eilutes {rows}",
                     "   {org}/{name} has no identifiers and is sent as exported; `interchange check` finds "
                     "its planted bad rows {rows}"),
    "partner_mismatch": ("   NESUTAMPA {org}/{name}: klaidingos eilutės {bad}, įdėtos {planted}",
                         "   MISMATCH {org}/{name}: bad rows {bad}, planted {planted}"),
    "step2": ("2. Centras: {engine} vykdo gavimą → susiejimą",
              "2. Hub: {engine} runs ingest → link"),
    "engine_default": ("konvejeris", "the pipeline"),
    "engine_prefect": ("Prefect srautas „pipeline“", "the Prefect flow `pipeline`"),
    "and": (" ir ", " and "),
    "held_note": ("   (vienas paketas bus sulaikytas – per klaidą dar kartą atsiųstas senas failas: "
                  "publikuojama be jo)",
                  "   (one batch will be held, an old file sent again by mistake: publishing goes ahead "
                  "without it)"),
    "ingest_detail": ("paketų {batches}: įkelta eilučių {loaded}, karantine {quarantined}, sulaikyta paketų "
                      "{held}",
                      "batches {batches}: rows loaded {loaded}, quarantined {quarantined}, batches held {held}"),
    "link_detail": ("asmenų {persons}: naujų {new}, sujungimų {merges}, išskaidymų {splits}; porų peržiūrai "
                    "{pairs}",
                    "{persons} persons; {new} new, {merges} merges, {splits} splits; {pairs} pairs awaiting "
                    "review"),
    "publish_detail": ("{period} v{version}: langelių {cells}, paslėpta {suppressed}",
                       "{period} v{version}: {cells} cells, {suppressed} suppressed"),
    "step3": ("3. Kvitai: paketų {count}, kiekvienam – kvitas partneriui",
              "3. Receipts: {count} batches, one receipt each for the partners"),
    "held_by": ("      sulaikė patikrinimas {check}: niekas neįkelta (dar kartą atsiųstas senas failas)",
                "      held by {check}: nothing loaded (an old file sent again)"),
    "quarantined_rows": ("      karantine eilutės {rows}", "      rows {rows} quarantined"),
    "receipts_ok": ("   kiekvienas kvitas toks, kokio tikimasi pagal tikruosius duomenis (perskaityta, įkelta, "
                    "karantine pagal eilutes, sulaikyta)",
                    "   every receipt as the ground truth expects (rows read, loaded, quarantined by row, "
                    "held)"),
    "receipt_mismatch": ("   NESUTAMPA {org}/{name}: tikėtasi perskaityta {read}, įkelta {loaded}, karantine "
                         "eilutės {rows}, sulaikyta {held}",
                         "   MISMATCH {org}/{name}: expected read {read}, loaded {loaded}, quarantined rows "
                         "{rows}, held {held}"),
    "receipts_mismatch": ("   kvitai: NESUTAMPA, žr. aukščiau", "   receipts: MISMATCH, see above"),
    "step4": ("4. Duomenų prižiūrėtojas peržiūri abejotinas poras („interchange review list“); prižiūrėtoją, "
              "pažįstantį šeimas, čia vaidina generatoriaus tikrieji duomenys",
              "4. A steward reviews the uncertain pairs (`interchange review list`); the generator's ground "
              "truth plays the steward who knows the families"),
    "review_decided": ("   pora {pair}: {decision} (tikrieji duomenys: {truth}) → interchange review decide "
                       "{pair} {decision}",
                       "   pair {pair}: {decision} (the truth: {truth}) → interchange review decide {pair} "
                       "{decision}"),
    "truth_same": ("vienas asmuo", "one person"),
    "truth_different": ("du asmenys", "two persons"),
    "review_workload": ("   peržiūros darbas: modelis pats susiejo asmenų {linked} (įrašų {records}); žmogaus "
                        "sprendimo reikėjo porų {pairs}, prižiūrėtojas nusprendė: tas pats {same}, skirtingi "
                        "{different}",
                        "   review workload: the model linked {linked} persons ({records} records) on its own; "
                        "{pairs} pairs needed a person, the steward decided {same} same and {different} "
                        "different"),
    "relink": ("   tada {engine} vykdomas dar kartą: gavimas (nieko naujo) → susiejimas su sprendimais → "
               "publikavimas: {periods}",
               "   then {engine} runs again: ingest (nothing new) → link with the decisions → publish "
               "{periods}"),
    "yes": ("taip", "yes"),
    "no": ("ne", "no"),
    "step5": ("5. Duomenų prižiūrėtojas patvirtina publikacijas („interchange approve“): eksportai ministerijai",
              "5. A steward approves the publications (`interchange approve`): exports for the ministry"),
    "exports": ("     → failų: {count}, aplanke {folder}", "     → {count} files in {folder}"),
    "no_exports": ("(eksportų nėra)", "(no exports)"),
    "step6": ("6. Publikuotos sumos, palygintos su generatoriaus tikraisiais duomenimis:",
              "6. Published totals against the generator's ground truth:"),
    "totals_ok": ("   {period}: sumų, lygių tikrosioms reikšmėms: {equal}; paslėpta ministerijai (maži "
                  "skaičiai): {suppressed}, jų reikšmės centre lygios tikrosioms",
                  "   {period}: {equal} totals equal the true figures; {suppressed} suppressed for the ministry "
                  "(small counts), their hub values equal the true figures"),
    "totals_mismatch": ("   NESUTAMPA {period}: {items}", "   MISMATCH {period}: {items}"),
    "total_wrong": ("{code} tikroji {want}, rasta {got}", "{code} true {want}, found {got}"),
    "step7": ("7. Programos pažanga, palyginti su tikslais (prižiūrėtojų vaizdas: be atskleidimo apsaugos):",
              "7. Programme progress against its targets (the stewards' view: not disclosure-protected):"),
    "progress_cols": ("paslauga|matas|reikšmė|tikslas|pasiekta", "service|figure|value|target|achieved"),
    "whole_programme": ("(programa)", "(programme)"),
    "progress_hint": ("   su rodiklių pavadinimais: interchange progress --programme {programme} -w {root}",
                      "   with the indicators' names: interchange progress --programme {programme} -w {root}"),
    "step8": ("8. Kur kas yra:", "8. Where everything is:"),
    "where.key": ("partnerių raktas", "partner key"),
    "where.key_note": ("{path}  (lieka partneriams; centras jo niekada nemato; demonstracijoje išvestas iš "
                       "sėklos, kad pateikimai būtų atkuriami – tikras raktas: interchange keygen)",
                       "{path}  (stays with the partners; the hub never sees it; derived from the seed in the "
                       "demo so that its drops can be reproduced – a real key: interchange keygen)"),
    "where.extracts": ("pradiniai išrašai", "raw extracts"),
    "where.extracts_note": ("{path}/<organizacija>/  (vardai ir kodai: tik partneriams)",
                            "{path}/<org>/  (names and codes: partners only)"),
    "where.drops": ("pateikimai", "drops"),
    "where.drops_note": ("{path}/<organizacija>/  (pseudonimizuoti, su manifestais)",
                         "{path}/<org>/  (pseudonymised, with manifests)"),
    "where.truth": ("tikrieji duomenys", "ground truth"),
    "where.truth_note": ("{path}", "{path}"),
    "where.hub": ("centro darbo vieta", "hub workspace"),
    "where.hub_note": ("{path}  (interchange.yaml; sandėlis {warehouse})",
                       "{path}  (interchange.yaml; warehouse {warehouse})"),
    "where.receipts": ("kvitai", "receipts"),
    "where.receipts_note": ("{path}/<organizacija>/  (paketų: {count}, .json ir .txt)",
                            "{path}/<org>/  ({count} batches, .json and .txt)"),
    "where.quarantine": ("karantinas", "quarantine"),
    "where.quarantine_note": ("sandėlio lentelėje „quarantine“ eilučių: {rows} (eilučių numeriai – kvituose); "
                              "„interchange status -w {root}“",
                              "{rows} rows in the warehouse table `quarantine` (row numbers in the receipts); "
                              "`interchange status -w {root}`"),
    "where.publication": ("publikacija", "publication"),
    "where.publication_note": ("{period} v{version} ({state}) → {folder}",
                               "{period} v{version} ({state}) → {folder}"),
    "where.browser": ("naršyklėje", "in a browser"),
    "where.browser_note": ("„.venv/bin/interchange users add VARDAS --role steward -w {root}“, tada "
                           "„.venv/bin/interchange serve -w {root}“ ir http://127.0.0.1:8000/",
                           "`.venv/bin/interchange users add NAME --role steward -w {root}`, then "
                           "`.venv/bin/interchange serve -w {root}` and http://127.0.0.1:8000/"),
    "where.prefect": ("Prefect vykdymai", "Prefect runs"),
    "where.prefect_note": ("{note}", "{note}"),
    "prefect_server": ("Prefect serveris {api}", "the Prefect server at {api}"),
    "prefect_temporary": ("„.venv/bin/prefect server start“, tada http://127.0.0.1:4200 (laikinasis serveris "
                          "juos išsaugojo)",
                          "`.venv/bin/prefect server start`, then http://127.0.0.1:4200 (the temporary server "
                          "kept them)"),
    "passed": ("Demonstracija pavyko: kiekviena eilutė apskaityta, kiekviena publikuota reikšmė lygi tikrajai.",
               "Demo passed: every row accounted for, every published figure equals the ground truth."),
    "failed": ("Demonstracija NEPAVYKO: žr. NESUTAMPA / nepavyko aukščiau.",
               "Demo FAILED: see MISMATCH / failed above."),
    "national_municipality": ("{code}: asmenų {persons}, kontaktų {contacts}",
                              "{code}: {persons} persons, {contacts} contacts"),
    "national_done": ("asmenų {persons}, kontaktų {contacts} per {seconds} s; tikrieji duomenys: {truth}; "
                      "organizacijos failui interchange.yaml: {organisations}",
                      "{persons} persons, {contacts} contacts in {seconds} s; truth: {truth}; organisations for "
                      "interchange.yaml: {organisations}"),
    "approve_despite": ("   Prižiūrėtojas tai matė 3 žingsnyje (pakartotinai atsiųstas pernykščių kontaktų failas, "
                        "netikros lankomumo eilutės) ir tvirtina nepaisydamas: {despite}",
                        "   The steward saw these in step 3 (last year's contacts sent again, attendance rows that "
                        "are not real) and approves despite them: {despite}"),
}
