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
    "reader_died": ("paketą {batch} skaitęs procesas baigėsi nebaigęs darbo (išėjimo kodas {code})",
                    "the process reading batch {batch} ended before it finished (exit code {code})"),
    "reader_silent": ("paketą {batch} skaitęs procesas {seconds} s nieko nepranešė ir buvo sustabdytas",
                      "the process reading batch {batch} said nothing for {seconds} s and was stopped"),
    "unknown_orgs": ("interchange.yaml nenurodo organizacijos {orgs} (nurodytos: {known})",
                     "interchange.yaml names no organisation {orgs} (it names: {known})"),
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
    # --- disclosure control (issue 16, case 1) -------------------------------------------------------
    "disclosure_refused": ("slėpimas nepasiekė taisyklės: skaitytojas galėtų susiaurinti {count} nuslėptą(-us) "
                           "skaičių(-ius) (rodikliai: {indicators}); lentelė neskelbiama, praneškite kūrėjams",
                           "suppression could not reach the rule: a reader could narrow {count} suppressed "
                           "figure(s) (indicators: {indicators}); the table is not published: report it to the "
                           "developers"),
    # --- the warehouse's address and the workspace's database (issue 15, case 6 and 7) --------------
    "database_url_form": ("ne toks duomenų bazės URL, kurį centras gali atverti: rašykite "
                          "postgresql+psycopg://naudotojas@serveris:prievadas/duomenų_bazė (postgres:// ir "
                          "postgresql:// suprantami taip pat) arba sqlite:///warehouse.sqlite",
                          "not a database URL the hub can open: write "
                          "postgresql+psycopg://user@host:port/database (postgres:// and postgresql:// are read "
                          "the same) or sqlite:///warehouse.sqlite"),
    "database_env_form": ("{env} nėra duomenų bazės URL, kurį centras gali atverti: rašykite "
                          "postgresql+psycopg://naudotojas:slaptažodis@serveris:prievadas/duomenų_bazė "
                          "(postgres:// ir postgresql:// suprantami taip pat) arba sqlite:///kelias/warehouse.sqlite",
                          "{env} is not a database URL the hub can open: write "
                          "postgresql+psycopg://user:password@host:port/database (postgres:// and postgresql:// "
                          "are read the same) or sqlite:///path/warehouse.sqlite"),
    "database_unreachable": ("nepavyksta prisijungti prie sandėlio duomenų bazės {database} adresu {host}:{port}: "
                             "patikrinkite, ar ten veikia PostgreSQL ir priima prisijungimus iš šio kompiuterio "
                             "(listen_addresses, pg_hba.conf, užkarda) ir ar serveris bei prievadas teisingi "
                             "INTERCHANGE_DATABASE_URL arba interchange.yaml rakte database_url",
                             "cannot reach the warehouse database {database} at {host}:{port}: check that "
                             "PostgreSQL is running there and accepts connections from this machine "
                             "(listen_addresses, pg_hba.conf, a firewall), and that the host and port are right "
                             "in INTERCHANGE_DATABASE_URL or in database_url of interchange.yaml"),
    "warehouse_in_memory": ("sandėlio SQLite duomenų bazė laikoma tik atmintyje, o antras prisijungimas jos "
                            "nemato: nurodykite sandėlio failą (sqlite:///kelias/warehouse.sqlite)",
                            "an in-memory SQLite warehouse cannot be read by a second connection: give the "
                            "warehouse a file (sqlite:///path/warehouse.sqlite)"),
    "warehouse_reader_unstarted": ("nepavyko paleisti proceso, kuris skaito sandėlį ({name})",
                                   "the process that reads the warehouse could not be started ({name})"),
    "warehouse_reader_died": ("{name} iš sandėlio skaitęs procesas baigėsi nebaigęs darbo (išėjimo kodas {code})",
                              "the process reading {name} from the warehouse ended before it finished "
                              "(exit code {code})"),
    "warehouse_reader_silent": ("{name} iš sandėlio skaitęs procesas {seconds} s nieko neatsakė ir buvo sustabdytas",
                                "the process reading {name} from the warehouse said nothing for {seconds} s "
                                "and was stopped"),
    "warehouse_file_unreadable": ("sandėlio failo {path} nepavyksta atverti skaitymui ({name})",
                                  "the warehouse file {path} cannot be opened for reading ({name})"),
    "database_login": ("duomenų bazės serveris {host}:{port} neleido naudotojui „{user}“ prisijungti prie "
                       "{database}: patikrinkite naudotoją ir slaptažodį INTERCHANGE_DATABASE_URL (slaptažodis "
                       "niekada nerašomas į interchange.yaml)",
                       "the database server at {host}:{port} refused the login of user '{user}' to {database}: "
                       "check the user and password in INTERCHANGE_DATABASE_URL (a password never goes in "
                       "interchange.yaml)"),
    "database_missing": ("duomenų bazės serveryje {host}:{port} nėra duomenų bazės {database}: sukurkite ją "
                         "(createdb {database}) arba pataisykite jos pavadinimą URL",
                         "the database server at {host}:{port} has no database {database}: create it "
                         "(createdb {database}) or correct its name in the URL"),
    "database_switched": ("šios darbo vietos sandėlis yra {recorded} (įrašyta {record}), o ši komanda atvertų "
                          "{current}. Grąžinkite INTERCHANGE_DATABASE_URL (arba database_url) į ankstesnę reikšmę "
                          "arba, jei tikrai keliatės į {current}, paleiskite: interchange database use "
                          "--workspace {root}",
                          "this workspace's warehouse is {recorded} (recorded in {record}), but this command "
                          "would open {current}. Set INTERCHANGE_DATABASE_URL (or database_url) back to it, or, "
                          "to move to {current} deliberately, run: interchange database use --workspace {root}"),
    "warehouse_missing": ("šios darbo vietos sandėlio {recorded} nebėra (įrašyta {record}): jį atvėrus būtų "
                          "pradėtas naujas, tuščias. Atkurkite failą iš atsarginės kopijos arba, jei tikrai "
                          "pradedate naują tuščią sandėlį, paleiskite: interchange database use --workspace {root}",
                          "this workspace's warehouse {recorded} is missing (recorded in {record}): opening it "
                          "would start a new, empty one. Restore the file from a backup or, to start a new empty "
                          "warehouse deliberately, run: interchange database use --workspace {root}"),
    "config_not_a_date": ("turi būti esama diena, užrašyta YYYY-MM-DD (pvz. 2026-02-28)",
                          "expected a day that exists, written YYYY-MM-DD (e.g. 2026-02-28)"),
    "config_unknown_service": ("„{service}“ nėra paslaugų katalogo kodas (juos išvardija interchange codes services)",
                               "'{service}' is not a service code of the catalogue (interchange codes services "
                               "lists them)"),
    "config_min_count_off": ("{value} beveik išjungia atskleidimo kontrolę: naudokite 3 ar daugiau (numatyta 5) "
                             "arba tai patvirtinkite raktu publishing.disclosure_control_off_acknowledged: true",
                             "{value} all but turns disclosure control off: use 3 or more (default 5), or "
                             "acknowledge it with publishing.disclosure_control_off_acknowledged: true"),
    "config_group_contacts": ("{service} yra grupinė paslauga, skaičiuojama užsiėmimais (sessions), ne kontaktais",
                              "{service} is a group service, counted in sessions, not contacts"),
    "config_individual_sessions": ("{service} yra individuali paslauga, skaičiuojama kontaktais (contacts), ne "
                                   "užsiėmimais",
                                   "{service} is an individual service, counted in contacts, not sessions"),
    # pydantic's checks of interchange.yaml (the English as pydantic says it)
    "config_missing_key": ("privalomas raktas nenurodytas", "Field required"),
    "config_unknown_key": ("tokio rakto čia nėra (patikrinkite rašybą ir įtrauką)", "Extra inputs are not permitted"),
    "config_one_of": ("turi būti {expected}", "Input should be {expected}"),
    "config_at_least": ("turi būti ne mažiau kaip {ge}", "Input should be greater than or equal to {ge}"),
    "config_more_than": ("turi būti daugiau nei {gt}", "Input should be greater than {gt}"),
    "config_at_most": ("turi būti ne daugiau kaip {le}", "Input should be less than or equal to {le}"),
    "config_not_a_whole_number": ("turi būti sveikasis skaičius", "Input should be a whole number"),
    "config_not_a_number": ("turi būti skaičius", "Input should be a number"),
    "config_not_yes_or_no": ("turi būti true arba false", "Input should be true or false"),
    "config_not_text": ("turi būti tekstas", "Input should be text"),
    "config_empty": ("negali būti tuščias", "Input should not be empty"),
    "config_pattern": ("neatitinka leidžiamos formos {pattern}", "Input should match the pattern {pattern}"),
    "config_not_a_list": ("turi būti sąrašas (- ... arba [ ... ])", "Input should be a list (- ... or [ ... ])"),
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
    # issue 16 (nothing stuck): an operating system's error names its path, never a record
    "os_path": ("{name} ({code}): {path} (žr. srauto vykdymo žurnalą)",
                "{name} ({code}): {path} (see the flow run's log)"),
    # --- a database URL that reads more than one way (issue 16, case 5) ---------------------------------
    "database_url_ambiguous": ("{url} galima perskaityti keliais būdais: naudotojo varde ar slaptažodyje yra ženklas, "
                               "kuris URL skiria dalis (@ / ? # ar antras :), todėl slaptažodžio galą vienos "
                               "priemonės randa vienur, kitos kitur. Užkoduokite šiuos slaptažodžio ženklus "
                               "procentais: @ → %40, : → %3A, / → %2F, ? → %3F, # → %23",
                               "{url} can be read more than one way: its user name or password holds a character "
                               "that separates the parts of a URL (@ / ? # or a second :), so tools disagree where "
                               "the password ends. Percent-encode those characters in the password: @ → %40, "
                               ": → %3A, / → %2F, ? → %3F, # → %23"),
    "database_env_ambiguous": ("{env}: {url} galima perskaityti keliais būdais: naudotojo varde ar slaptažodyje yra "
                               "ženklas, kuris URL skiria dalis (@ / ? # ar antras :), todėl slaptažodžio galą "
                               "vienos priemonės randa vienur, kitos kitur. Užkoduokite šiuos slaptažodžio "
                               "ženklus procentais: @ → %40, : → %3A, / → %2F, ? → %3F, # → %23",
                               "{env}: {url} can be read more than one way: its user name or password holds a "
                               "character that separates the parts of a URL (@ / ? # or a second :), so tools "
                               "disagree where the password ends. Percent-encode those characters in the "
                               "password: @ → %40, : → %3A, / → %2F, ? → %3F, # → %23"),
    # --- e-mail notifications (interchange.operations.notify) -------------------------------------------
    "smtp_password_missing": ("notifications.smtp.password_env nurodo aplinkos kintamąjį {env}, bet jis nenustatytas "
                              "arba tuščias: įrašykite į jį SMTP slaptažodį",
                              "notifications.smtp.password_env names the environment variable {env}, but it is "
                              "not set or empty: put the SMTP password in it"),
    "smtp_ca_file": ("notifications.smtp.ca_file: {path} neperskaitomas kaip PEM sertifikatų failas",
                     "notifications.smtp.ca_file: {path} cannot be read as a PEM file of certificates"),
    "smtp_unreachable": ("nepavyksta prisijungti prie SMTP serverio {host}:{port} ({name}): patikrinkite host, port "
                         "ir security",
                         "cannot reach the SMTP server {host}:{port} ({name}): check host, port and security"),
    "smtp_tls": ("SMTP serveris {host}:{port}: TLS nepavyko ({name}); patikrinkite security ir ca_file",
                 "SMTP server {host}:{port}: TLS failed ({name}); check security and ca_file"),
    "smtp_login": ("SMTP serveris {host}:{port} nepriėmė prisijungimo (kodas {code}): patikrinkite user ir "
                   "slaptažodį",
                   "SMTP server {host}:{port} refused the login (code {code}): check user and the password"),
    "smtp_refused": ("SMTP serveris {host}:{port} laiško nepriėmė (kodas {code})",
                     "SMTP server {host}:{port} refused the message (code {code})"),
}
