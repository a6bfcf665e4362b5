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
    # --- a partner's own column names (interchange.partner.columns) --------------------------------
    "columns_missing": ("{path}: tokio stulpelių atitikmenų failo nėra (pirmą sukuria "
                        "'interchange columns suggest')",
                        "{path}: no such column mapping file (make a first one with 'interchange columns suggest')"),
    "columns_encoding": ("{path}: stulpelių atitikmenų failas turi būti UTF-8 koduotės",
                         "{path}: the column mapping file must be UTF-8"),
    "columns_yaml": ("{path}: ne YAML failas ({line} eilutė)", "{path}: not valid YAML (line {line})"),
    "columns_twice": ("{where}: antraštė „{header}“ įrašyta du kartus",
                      "{where}: the header '{header}' is written twice"),
    "columns_shape": ("{where}: laukiama {{jūsų antraštė: sutarties stulpelis}} arba skyriaus kiekvienai įrašų "
                      "rūšiai (person, household, contact, group_session, case)",
                      "{where}: expected {{your header: contract column}}, or a section per record kind "
                      "(person, household, contact, group_session, case)"),
    "columns_kind": ("{where}: „{kind}“ nėra įrašų rūšis (rūšys: {kinds})",
                     "{where}: '{kind}' is not a record kind (kinds: {kinds})"),
    "columns_unknown": ("{where}: „{column}“ nėra {kind} įrašų stulpelis (stulpeliai: {known})",
                        "{where}: '{column}' is not a column of {kind} records (columns: {known})"),
    "columns_same": ("{where}: stulpelį „{column}“ jau pildo {other}; vienam sutarties stulpeliui – viena "
                     "failo antraštė",
                     "{where}: the column '{column}' is already fed by {other}; one header of the file per "
                     "contract column"),
    # --- quarantine and review decisions ------------------------------------------------------------
    "dismiss_reason": ("nurodykite, kodėl eilutės uždaromos (--reason); tai saugoma istorijoje",
                       "say why the rows are dismissed (--reason); it is kept in the history"),
    "dismiss_what": ("nurodykite, kurias eilutes uždaryti: --row R (galima kelis kartus) arba --code KODAS",
                     "say which rows to dismiss: --row R (repeatable) or --code CODE"),
    "dismiss_no_batch": ("{org} neturi paketo {batch} (paketus rodo interchange quarantine list)",
                         "{org} has no batch {batch} (interchange quarantine list shows them)"),
    "dismiss_nothing": ("{org} paketas {batch}: nėra atvirų karantino eilučių, atitinkančių nurodytas "
                        "(eilutės: {rows}; kodas: {code}); jas rodo interchange quarantine list",
                        "batch {batch} of {org}: no open quarantined row matches (rows: {rows}; code: {code}); "
                        "interchange quarantine list shows them"),
    "review_decided_before": ("pora {pair} jau išspręsta: {decision} ({by}, {at} UTC). Norėdami sprendimą "
                              "pakeisti, nurodykite --change ir --reason \"...\"",
                              "pair {pair} was already decided {decision} by {by} on {at} UTC. To change the "
                              "decision, give --change and --reason \"...\""),
    "review_change_reason": ("nurodykite, kodėl sprendimas keičiamas (--reason); tai saugoma sprendimų istorijoje",
                             "say why the decision changes (--reason); it is kept in the decisions' history"),
    "publish_without_consent": (
        "{period} nepaskelbtas: nė vienas šių organizacijų asmuo nesutiko būti įtrauktas į ataskaitas "
        "(skliaustuose – asmenų skaičius laikotarpyje): {orgs}. Pagal publishing.consent: exclude jų duomenys "
        "nepatektų nė į vieną rodiklį. Paprašykite organizacijos atsiųsti asmenis su stulpeliu "
        "„sutikimas_ataskaitoms“ arba, jei taip ir turi būti, skelbkite su --allow-without-consent",
        "{period} not published: no person of these organisations consents to reporting (persons in the "
        "period in brackets): {orgs}. Under publishing.consent: exclude their data would count in no figure. "
        "Ask the organisation to send its persons with the column 'sutikimas_ataskaitoms', or, if that is "
        "intended, publish with --allow-without-consent"),
}
