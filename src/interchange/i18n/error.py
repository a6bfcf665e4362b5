"""`error.*`: what the package's errors say (see `interchange.errors`)."""

TEXT: dict[str, tuple[str, str]] = {
    # Anything that is not ours: its class only, its text may quote a record.
    "unexpected": ("{name} (žr. srauto vykdymo žurnalą)", "{name} (see the flow run's log)"),
    # --- workspace ----------------------------------------------------------------------------------
    "workspace_missing": ("{root}: čia nėra {config_file}. Nurodykite --workspace DIR, nustatykite {env} "
                          "arba sukurkite ją komanda 'interchange init DIR'.",
                          "{root}: no {config_file} here. Give --workspace DIR, set {env}, "
                          "or make one with 'interchange init DIR'."),
    "config_missing": ("{path}: čia nėra darbo vietos failo (sukurkite jį komanda 'interchange init {root}')",
                       "{path}: no workspace file here (make one with 'interchange init {root}')"),
    # --- ingest -------------------------------------------------------------------------------------
    "secret_block_missing": ("nėra Prefect Secret bloko '{block}' (sukurkite: prefect block create secret)",
                             "no Prefect Secret block named '{block}' (make one: prefect block create secret)"),
    "batch_closed": ("paketas {batch} jau nebėra gautas", "batch {batch} is no longer received"),
    # --- linkage ------------------------------------------------------------------------------------
    "spark_missing": ("nustatytas linkage.spark_master, bet PySpark neįdiegtas: "
                      "pip install 'interchange[spark]' (ir Java 17)",
                      "linkage.spark_master is set but PySpark is not installed: "
                      "pip install 'interchange[spark]' (and Java 17)"),
    "review_no_pair": ("peržiūros eilėje nėra poros {pair} (jas rodo interchange review list)",
                       "no pair {pair} in the review queue (interchange review list shows them)"),
    "review_same_record": ("įrašas visada yra tas pats asmuo kaip ir jis pats: nurodykite du skirtingus įrašus",
                           "a record is always the same person as itself: give two different records"),
    "review_no_record": ("nėra asmens įrašo {uids} (nurodykite org:record_id)",
                         "no person record {uids} (give org:record_id)"),
    # --- publishing ---------------------------------------------------------------------------------
    "period_locked": ("{period} užrakintas: v{version} patvirtino {by} {at} UTC. Kad paskelbtų pataisas ar "
                      "vėlavusius duomenis, prižiūrėtojas pirma jį atveria iš naujo: "
                      "interchange reopen --period {period} --reason \"...\"",
                      "{period} is locked: v{version} was approved on {at} UTC by {by}. To publish corrections "
                      "or late data, a steward re-opens it first: "
                      "interchange reopen --period {period} --reason \"...\""),
    "publish_collided": ("kitas {period} publikavimas tuo pat metu išsaugojo versiją; paleiskite dar kartą",
                         "another publish of {period} stored a version at the same moment; run it again"),
    "publish_moving_data": ("skaičiuojant rodiklius vis atkeliavo duomenų; publikuokite dar kartą, kai "
                            "baigsis įkėlimas",
                            "data kept arriving while the figures were computed; publish again when the "
                            "ingest has finished"),
    "no_version": ("{period} neturi paskelbtos versijos", "{period} has no published version"),
    "no_such_version": ("{period} neturi versijos {version}", "{period} has no version {version}"),
    "approve_unpublished": ("{period} neturi paskelbtos versijos: interchange publish --period {period}",
                            "{period} has no published version: interchange publish --period {period}"),
    "approve_no_such_version": ("{period} neturi versijos {version} (naujausia yra v{latest})",
                                "{period} has no version {version} (the latest is v{latest})"),
    "approve_not_latest": ("{period} v{version} būsena „{state}“: patvirtinti galima tik naujausią versiją, "
                           "v{latest}",
                           "{period} v{version} is {state}: only the latest version, v{latest}, can be approved"),
    "approve_again": ("{period} v{version} būsena jau „{state}“", "{period} v{version} is already {state}"),
    "reopen_reason": ("nurodykite, kodėl laikotarpis atveriamas iš naujo (--reason); tai saugoma su versija",
                      "say why the period is re-opened (--reason); it is kept with the version"),
    "reopen_unpublished": ("{period} neturi paskelbtos versijos: iš naujo atverti galima tik patvirtintą "
                           "laikotarpį",
                           "{period} has no published version: only an approved period can be re-opened"),
    "reopen_unlocked": ("{period} neužrakintas (v{version} būsena „{state}“): iš naujo atverti galima tik "
                        "patvirtintą laikotarpį",
                        "{period} is not locked (v{version} is {state}): only an approved period can be "
                        "re-opened"),
    "export_unapproved": ("{period} v{version} nepatvirtinta: eksportuojamos tik patvirtintos versijos",
                          "{period} v{version} is not approved: only approved versions are exported"),
    # --- publishing: periods that cannot be published, versions that cannot be approved ------------
    "approve_provisional": ("{period} v{version} yra preliminari (laikotarpis dar nesibaigė) ir negali būti "
                            "patvirtinta: kai laikotarpis baigsis, paskelbkite jį be --provisional",
                            "{period} v{version} is provisional (the period had not ended) and cannot be "
                            "approved: publish the period without --provisional once it has ended"),
    "period_not_begun": ("{period} dar neprasidėjo (prasideda {start}): nėra ką skelbti",
                         "{period} has not begun (it starts on {start}): there is nothing to publish"),
    "period_in_progress": ("{period} dar vyksta (baigiasi {end}): skelbkite jį pasibaigus arba kaip preliminarią "
                           "versiją, kurios patvirtinti negalima: interchange publish --period {period} "
                           "--provisional",
                           "{period} is in progress (it ends on {end}): publish it after it ends, or as a "
                           "provisional version that cannot be approved: interchange publish --period {period} "
                           "--provisional"),
    "provisional_ended": ("{period} baigėsi {end}: preliminari versija skirta tik dar vykstančiam laikotarpiui; "
                          "skelbkite be --provisional",
                          "{period} ended on {end}: a provisional version is only for a period in progress; "
                          "publish without --provisional"),
    "period_no_data": ("{period} ({start}–{end}): nė viena organizacija neįkėlė įrašų su šio laikotarpio datomis, "
                       "nėra ką skelbti (ką gavo centras, rodo interchange status)",
                       "{period} ({start} to {end}): no organisation has loaded records dated in the period; "
                       "there is nothing to publish (interchange status shows what has arrived)"),
}
