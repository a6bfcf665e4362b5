"""`steward.*`: the hub's commands and screens, as the data steward reads them.

Sub-namespaces whose last part is a stored code: `state.<state>` (a batch or publication
state), `step.<name>` and `outcome.<outcome>` (a pipeline step), `progress.<stage>` and
`stage.<detail>` (progress bars); a code the catalogue does not name is shown as it is
(`interchange.i18n.name_of`). Details that come from another layer's exception
(a config key, a period that cannot be parsed) are passed on as that layer wrote them.
"""

TEXT: dict[str, tuple[str, str]] = {
    # --- shared -----------------------------------------------------------------------------------
    "error": ("klaida: {detail}", "error: {detail}"),
    "refused": ("atsisakyta: {detail}", "refused: {detail}"),
    "none": ("nėra", "none"),
    "not_a_day": ("{where}: „{text}“ nėra diena: rašykite YYYY-MM-DD, pvz. 2026-12-31",
                  "{where}: '{text}' is not a day: write it as YYYY-MM-DD, e.g. 2026-12-31"),
    "receipts": ("Kvitai: {root}/<organizacija>/", "Receipts: {root}/<org>/"),
    "prefect_temporary": ("PREFECT_API_URL nenurodytas: šiam vykdymui paleidžiamas laikinas vietinis Prefect "
                          "serveris ...",
                          "No PREFECT_API_URL: starting a temporary local Prefect server for this run ..."),
    "flows_missing": ("flows/{name}.py nerastas: paleiskite interchange iš projekto kopijos (pip install -e .).",
                      "flows/{name}.py not found: run interchange from a checkout of the project "
                      "(pip install -e .)."),
    # Batch and publication states as stored (English codes) -> what a steward reads.
    "state.received": ("gautas", "received"),
    "state.loaded": ("įkeltas", "loaded"),
    "state.held": ("sulaikytas", "held"),
    "state.rejected": ("atmestas", "rejected"),
    "state.duplicate": ("pasikartojantis", "duplicate"),
    "state.draft": ("juodraštis", "draft"),
    "state.approved": ("patvirtinta", "approved"),
    "state.reopened": ("atverta iš naujo", "reopened"),
    "state.superseded": ("pakeista naujesne", "superseded"),
    # --- init -------------------------------------------------------------------------------------
    "init_exists": ("{path} jau yra: darbo vieta niekada neperrašoma.",
                    "{path} already exists: a workspace is never overwritten."),
    "init_created": ("Sukurta darbo vieta {root}", "Created the workspace {root}"),
    "init_config": ("  konfigūracija  {path} (organizacijų: {count})",
                    "  config     {path} ({count} organisations)"),
    "init_warehouse": ("  sandėlis       {url}", "  warehouse  {url}"),
    "init_drops": ("  pateikimai     {path}/  ({name})", "  drops      {path}/  ({name})"),
    "init_receipts": ("  kvitai         {path}/<organizacija>/", "  receipts   {path}/<org>/"),
    "init_next": ("Toliau: patikrinkite interchange.yaml, leiskite partneriams dėti failus į inbox/<org>/ ir "
                  "paleiskite\n  interchange ingest --workspace {directory}",
                  "Next: check interchange.yaml, let partners drop files in inbox/<org>/, then run\n"
                  "  interchange ingest --workspace {directory}"),
    # --- ingest -----------------------------------------------------------------------------------
    "ingest_summary": ("Paketų: {batches}; įkelta eilučių: {loaded}, nepakeista: {unchanged}, karantine: "
                       "{quarantined}, sulaikyta paketų: {held}",
                       "Batches: {batches}; rows loaded: {loaded}, unchanged: {unchanged}, quarantined: "
                       "{quarantined}, batches held: {held}"),
    "ingest_batch": ("  {org} paketas {batch} {name}: {status}; perskaityta {read}, įkelta {loaded}, "
                     "nepakeista {unchanged}, karantine {quarantined}",
                     "  {org} batch {batch} {name}: {status}, read {read}, loaded {loaded}, "
                     "unchanged {unchanged}, quarantined {quarantined}"),
    "ingest_failed": ("  NEPAVYKO {label}: {detail}", "  FAILED {label}: {detail}"),
    # --- link and review --------------------------------------------------------------------------
    "link_failed": ("susiejimas nepavyko, niekas nepakeista: {detail}", "linkage failed, nothing changed: {detail}"),
    "link_summary": ("Susiejimo vykdymas {run}: asmenų įrašų {records} → asmenų {persons} (susieta įrašų: {linked}); "
                     "naujų asmenų: {new}, sujungimų: {merges}, išskaidymų: {splits}, panaikintų raktų: {retired}; "
                     "porų peržiūrai: {pairs}; namų ūkių: {households}",
                     "linkage run {run}: {records} person records -> {persons} persons ({linked} records linked "
                     "across records); {new} new persons, {merges} merges, {splits} splits, {retired} keys retired; "
                     "{pairs} pairs awaiting review; {households} households"),
    "link_household_share": ("Bendras adresas, kai nesutampa nei vardas, nei gimimo data, vertinamas ne daugiau kaip "
                             "tikimybe {share} (apskaičiuota iš duomenų; žr. docs/linkage.md)",
                             "A shared address with neither given name nor birth agreeing counts for at most a "
                             "match probability of {share} (estimated from the data; see docs/linkage.md)"),
    "link_review_hint": ("Peržiūrėkite jas: interchange review list --workspace {root}",
                         "Review them: interchange review list --workspace {root}"),
    "review_none": ("Peržiūros laukiančių porų nėra.", "No pairs await review."),
    "review_count": ("Peržiūros laukiančių porų: {count} (sprendimas: interchange review decide PORA same|different):",
                     "{count} pairs await review (decide: interchange review decide PAIR same|different):"),
    "review_more": ("  ... ir dar {count} (--limit)", "  ... and {count} more (--limit)"),
    "review_decided": ("pora {pair} ({left}, {right}): {decision}; bus pritaikyta per kitą interchange link",
                       "pair {pair} ({left}, {right}): {decision}; applied by the next interchange link"),
    # --- status -----------------------------------------------------------------------------------
    "title": ("Interchange būsena: {root}", "Interchange status: {root}"),
    "sources": ("Šaltiniai (naujausias paketas)", "Sources (newest batch)"),
    "source_cols": ("organizacija|šaltinis|paketas|būsena|gauta|perskaityta|įkelta|karantine|sulaikyta",
                    "org|source|batch|status|received|read|loaded|quarantined|held"),
    "never": ("dar nieko negauta", "nothing received yet"),
    "held": ("Sulaikyti paketai (niekas neįkelta)", "Held batches (nothing loaded)"),
    "held_cols": ("organizacija|šaltinis|paketas|rūšis|gauta|eilutės|nepavykę patikrinimai",
                  "org|source|batch|kind|received|rows|failed checks"),
    "quarantine": ("Karantinas (neišspręstos eilutės)", "Quarantine (open rows)"),
    "quarantine_cols": ("organizacija|eilutės|paketai", "org|rows|batches"),
    "review": ("Porų peržiūra: {count} laukia sprendimo", "Review queue: {count} pairs await a decision"),
    "linkage": ("Susiejimas: paskutinis vykdymas {run}, {when}; naujų asmenų {new}, porų peržiūrai {pairs}",
                "Linkage: last run {run}, {when}; {new} new persons, {pairs} pairs for review"),
    "linkage_never": ("Susiejimas: dar nevykdytas", "Linkage: never run"),
    "publications": ("Publikacijos (naujausia kiekvieno laikotarpio versija)",
                     "Publications (newest version of each period)"),
    "publication_cols": ("laikotarpis|versija|būsena|sukurta|langeliai|paslėpti",
                         "period|version|state|created|cells|suppressed"),
    "publications_none": ("Publikacijos: dar nėra", "Publications: none yet"),
    "overdue": ("Vėluojantys duomenų pateikimai", "Overdue drops"),
    "overdue_cols": ("organizacija|šaltinis|laikotarpis nuo|terminas|paskutinį kartą gauta",
                     "org|source|period from|due|last arrival"),
    "flows": ("Prefect srautai (naujausias vykdymas)", "Prefect flows (newest run)"),
    "flow_cols": ("srautas|vykdymas|būsena|pradžia|pabaiga", "flow|run|state|started|ended"),
    "flows_off": ("Prefect srautai: PREFECT_API_URL nenurodytas (rodomi tik sandėlio duomenys)",
                  "Prefect flows: no PREFECT_API_URL (warehouse only)"),
    "flows_unreadable": ("Prefect srautai: Prefect API neperskaitomas ({reason})",
                         "Prefect flows: Prefect API not readable ({reason})"),
    "attention": ("Reikia dėmesio: žr. aukščiau. Toliau:", "Needs attention: see above. Next:"),
    "next_held": ("sulaikyti paketai – pataisę „interchange reprocess“",
                  "held batches: after a fix, 'interchange reprocess'"),
    "next_quarantine": ("karantinas – „interchange quarantine list“; uždaro pataisytas pateikimas arba "
                        "„interchange quarantine dismiss“",
                        "quarantine: 'interchange quarantine list'; a corrected re-send or "
                        "'interchange quarantine dismiss' closes it"),
    "next_overdue": ("vėluojantys pateikimai – paprašykite partnerio duomenų",
                     "overdue drops: ask the partner for them"),
    "next_failed_runs": ("nepavykę srautai – žr. juos Prefect", "failed flow runs: see them in Prefect"),
    "next_review": ("poros – „interchange review list“", "review pairs: 'interchange review list'"),
    "next_drafts": ("versijos – „interchange approve --period …“", "versions: 'interchange approve --period …'"),
    "next_late": ("vėlavę duomenys – „interchange publications“", "late data: 'interchange publications'"),
    "next_stale": ("pasenusios versijos – „interchange publications“", "stale versions: 'interchange publications'"),
    "all_clear": ("Viskas tvarkoje.", "All clear."),
    "all_clear_at_hub": ("Centre niekas nelaukia; partneriai turi pataisyti ir atsiųsti šaltinyje atmestas eilutes "
                         "(žr. aukščiau).",
                         "Nothing waits at the hub; partners must correct and resend the rows rejected at source "
                         "(see above)."),
    # --- reprocess --------------------------------------------------------------------------------
    "reprocess_none": ("Nėra ko apdoroti iš naujo.", "Nothing to re-run."),
    "reprocess_plan": ("Bus apdorota iš naujo (atvykimo tvarka):", "To re-run (in arrival order):"),
    "reprocess_item": ("  paketas {batch} ({org}, {kind}): {what}", "  batch {batch} ({org}, {kind}): {what}"),
    "whole_held": ("visas sulaikytas failas", "the whole held file"),
    "some_rows": ("eilutės iš karantino: {rows}", "{rows} quarantined rows"),
    "reprocess_done": ("  paketas {old} → naujas paketas {new}: {status}; perskaityta {read}, įkelta {loaded}, "
                       "nepakeista {unchanged}, karantine {quarantined}, sulaikyta {held}",
                       "  batch {old} → new batch {new}: {status}; read {read}, loaded {loaded}, "
                       "unchanged {unchanged}, quarantined {quarantined}, held {held}"),
    "reprocess_nothing_for": ("paketas {batches}: nėra ko apdoroti iš naujo (tai nėra sulaikytas, dar neapdorotas "
                              "gautų failų paketas ir jame nėra atvirų karantino eilučių; žr. „interchange status“)",
                              "batch {batches}: nothing to re-run (not a held inbox batch not re-run since, and no "
                              "quarantined rows open; `interchange status` lists what is)"),
    # --- pipeline ---------------------------------------------------------------------------------
    "step.ingest": ("gavimas", "ingest"),
    "step.link": ("susiejimas", "link"),
    "step.publish": ("publikavimas", "publish"),
    "step.pipeline": ("konvejeris", "pipeline"),
    "outcome.ran": ("įvykdyta", "ran"),
    "outcome.failed": ("nepavyko", "failed"),
    "outcome.skipped": ("praleista", "skipped"),
    # --- publishing -------------------------------------------------------------------------------
    "publish_failed": ("publikuoti nepavyko, niekas neišsaugota: {detail}", "publish failed, nothing stored: {detail}"),
    "publication": ("{period} v{version} ({state}): langelių {cells}, paslėpta {suppressed}, {changed}; "
                    "įkeltų paketų: {batches}, susiejimo vykdymas {run}",
                    "{period} v{version} ({state}): {cells} cells, {suppressed} suppressed, {changed}; "
                    "from {batches} loaded batches, linkage run {run}"),
    "first_version": ("pirmoji versija", "first version"),
    "changed_since": ("pakeista langelių nuo v{previous}: {changed}", "{changed} cells changed since v{previous}"),
    "publish_next": ("Patikrinkite ją, tada patvirtinkite ir eksportuokite: interchange approve --period {period} "
                     "--version {version} --workspace {root}",
                     "Check it, then approve and export: interchange approve --period {period} "
                     "--version {version} --workspace {root}"),
    "approved": ("{period} v{version} patvirtino {by}; laikotarpis užrakintas. Eksportuota:",
                 "{period} v{version} approved by {by}; the period is locked. Exported:"),
    "reopened": ("{period} atvertas iš naujo (v{version} lieka patvirtinta ir eksportuota). Vėlavusių paketų, kurie "
                 "pateks į kitą versiją: {late}: interchange publish --period {period} --workspace {root}",
                 "{period} re-opened (v{version} stays as approved and exported). {late} late batches will be in "
                 "the next version: interchange publish --period {period} --workspace {root}"),
    "publications_none_yet": ("Publikacijų dar nėra: interchange publish --period 2026-Q3",
                              "No publications yet: interchange publish --period 2026-Q3"),
    "period_unpublished": ("{period} dar neturi publikacijos: interchange publish --period {period}",
                           "{period} has no publication yet: interchange publish --period {period}"),
    "publication_list_cols": ("laikotarpis|versija|būsena|langeliai|paslėpti|pakeisti|sukurta|patvirtinta",
                              "period|ver|state|cells|suppr.|changed|created|approved"),
    "late_data": ("VĖLAVĘ DUOMENYS: {period}: po patvirtinimo įkeltų paketų su šio laikotarpio įrašais: {count}: "
                  "{ids}{more}. Jie pateks į kitą versiją po: interchange reopen --period {period} --reason \"...\"",
                  "LATE DATA: {period}: batches loaded after approval with records in the period: {count}: "
                  "{ids}{more}. They go into the next version after: interchange reopen --period {period} "
                  "--reason \"...\""),
    "and_more": (" ir dar {count}", " and {count} more"),
    "no_targets": ("{programme}: interchange.yaml nenurodyta tikslų", "{programme}: no targets in interchange.yaml"),
    "programme_title": ("Programa {programme} ({period})", "Programme {programme} ({period})"),
    "progress_cols": ("rodiklis|paslauga|matas|reikšmė|tikslas|pasiekta",
                      "indicator|service|figure|value|target|achieved"),
    # --- progress bars (interchange.progress stages) -----------------------------------------------
    "progress.ingest.source": ("Šaltiniai: {detail}", "Sources: {detail}"),
    "progress.ingest.drops": ("Failai: {detail}", "Files: {detail}"),
    "progress.link.stages": ("Susiejimas: {detail}", "Linkage: {detail}"),
    "progress.publish.stages": ("Publikavimas: {detail}", "Publishing: {detail}"),
    "progress.reprocess.batches": ("Apdorojama iš naujo: {detail}", "Re-running: {detail}"),
    "progress.other": ("Vykdoma: {detail}", "Working: {detail}"),
    "stage.load": ("įrašų skaitymas", "reading records"),
    "stage.score": ("porų vertinimas", "scoring pairs"),
    "stage.write": ("indekso įrašymas", "writing the index"),
    "stage.compute": ("rodiklių skaičiavimas", "computing indicators"),
    "stage.protect": ("smulkių langelių apsauga", "protecting small cells"),
    "stage.store": ("versijos išsaugojimas", "storing the version"),
    # --- the database in use, unexpected failures (issue 15, case 7 and the guard rail) -----------
    "database_in_use": ("Sandėlis: {url}", "Warehouse: {url}"),
    "database_used": ("Darbo vieta {root} dabar naudoja sandėlį {url} (įrašyta {record}).",
                      "The workspace {root} now uses the warehouse {url} (recorded in {record})."),
    "unexpected": ("klaida: netikėta {name}; jos tekstas čia nerodomas, nes gali cituoti įrašą. Visas pėdsakas "
                   "yra {log}: perduokite jį centro administratoriui.",
                   "error: unexpected {name}; its text is not shown here, as it may quote a record. The full "
                   "traceback is in {log}: pass it to the hub's administrator."),
    "unexpected_unlogged": ("klaida: netikėta {name}, o jos pėdsako nepavyko įrašyti į {log} ({reason}); "
                            "atlaisvinkite ten vietos ir paleiskite komandą dar kartą arba praneškite centro "
                            "administratoriui.",
                            "error: unexpected {name}, and its traceback could not be written to {log} ({reason}); "
                            "make room there and run the command again, or tell the hub's administrator."),
    # --- quarantine (interchange quarantine list | dismiss) ------------------------------------------
    "quarantine_none": ("Atvirų karantino eilučių nėra.", "No open quarantined rows."),
    "quarantine_open": ("Atviros karantino eilutės: {rows} ({batches} paketuose)",
                        "Open quarantined rows: {rows} (in {batches} batches)"),
    "quarantine_open_cols": ("organizacija|paketas|rūšis|gauta|eilutė|įrašas|problemų kodai",
                             "org|batch|kind|received|row|record|problem codes"),
    "quarantine_how_to_close": ("Eilutė uždaroma, kai vėlesnis paketas įkelia tą patį įrašą, arba ranka: "
                                "interchange quarantine dismiss --org ORG --batch N --row R --reason \"...\"",
                                "A row closes when a later batch loads the same record, or by hand: "
                                "interchange quarantine dismiss --org ORG --batch N --row R --reason \"...\""),
    "quarantine_closed": ("Uždarytos karantino problemos", "Closed quarantine problems"),
    "quarantine_closed_cols": ("organizacija|paketas|eilutė|kodas|uždaryta|kaip|paketu|kas|kodėl",
                               "org|batch|row|code|closed|how|by batch|by|why"),
    "closed.loaded": ("įkelta vėliau", "loaded later"),
    "closed.replaced": ("atsiųsta vėl, vėl karantine", "sent again, quarantined again"),
    "closed.reprocessed": ("apdorota iš naujo", "re-run"),
    "closed.superseded": ("yra naujesnė versija", "newer version exists"),
    "closed.dismissed": ("uždaryta ranka", "dismissed"),
    "quarantine_dismissed": ("{org} paketas {batch}: uždaryta eilučių {rows} (problemų {entries}), pagrindimas "
                             "išsaugotas istorijoje. Šiame pakete dar atvirų eilučių: {still_open}",
                             "batch {batch} of {org}: {rows} rows dismissed ({entries} problems), the reason kept "
                             "in the history. Rows still open in the batch: {still_open}"),
    # --- review decisions and their history --------------------------------------------------------
    "review_unchanged": ("pora {pair} jau išspręsta taip pat: {decision} ({by}, {at} UTC); niekas nepakeista",
                         "pair {pair} is already decided {decision} (by {by} on {at} UTC); nothing changed"),
    "review_changed": ("pora {pair} ({left}, {right}): {before} pakeista į {decision}; bus pritaikyta per kitą "
                       "interchange link",
                       "pair {pair} ({left}, {right}): {before} changed to {decision}; applied by the next "
                       "interchange link"),
    "review_history_none": ("Sprendimų dar nėra.", "No decisions yet."),
    "review_history": ("Porų sprendimai (seniausias pirmas)", "Pair decisions (oldest first)"),
    "review_history_cols": ("pora|įrašai|sprendimas|kada|kas|kodėl|pakeitė",
                            "pair|records|decision|when|by|why|changed"),
    "reprocess_open_elsewhere": ("Atviros lieka {rows} karantino eilutės, kurių iš čia apdoroti iš naujo negalima "
                                 "(gautos per API arba jų failas nebesaugomas): jas uždaro vėlesnis paketas su tais "
                                 "pačiais įrašais arba interchange quarantine dismiss.",
                                 "{rows} quarantined rows stay open that cannot be re-run from here (pulled, or "
                                 "their file is no longer archived): a later batch with the same records closes "
                                 "them, or interchange quarantine dismiss."),
    # --- interchange status: rows the partners' kits left out of their drops --------------------------
    "rejected_at_source": ("Šaltinyje atmestos eilutės (centro nepasiekė; partneris turi jas pataisyti ir atsiųsti)",
                           "Rows rejected at source (they never reached the hub; the partner must correct and resend "
                           "them)"),
    "rejected_at_source_item": (
        "  {org} {source}, paketas {batch} ({name}, {kind}): šaltinyje atmesta eilučių: {rejected} iš {read} ({codes})",
        "  {org} {source}, batch {batch} ({name}, {kind}): {rejected} rows rejected at source, of {read} read "
        "({codes})"),
    # --- interchange publish: persons left out for consent (indicators/consent.py) ----------------------
    "consent_left_out": ("{org}: {without} iš {persons} asmenų neįtraukti į rodiklius (nėra sutikimo ataskaitoms)",
                         "{org}: {without} of {persons} persons left out of the figures (no consent to reporting)"),
    "consent_totals_only": ("{org}: {without} iš {persons} asmenų įtraukti tik į bendras sumas (nėra sutikimo "
                            "ataskaitoms)",
                            "{org}: {without} of {persons} persons counted in totals only (no consent to reporting)"),
    "consent_allowed": ("Paskelbta su --allow-without-consent, nors šių organizacijų asmenys į rodiklius nepateko: "
                        "{orgs} (įrašyta su versija)",
                        "Published with --allow-without-consent although no person of these organisations counts: "
                        "{orgs} (recorded with the version)"),
    "ingest_rejected_at_source": ("; šaltinyje atmesta {rejected}", "; {rejected} rows rejected at source"),
    # --- approval checks, provisional and stale versions, what waits for a steward ------------------
    "state.provisional": ("preliminari", "provisional"),
    "approve_blocked": ("{period} v{version} dar negalima patvirtinti:",
                        "{period} v{version} cannot be approved yet:"),
    "approve_blocked_hint": ("Išspręskite tai ir paskelbkite iš naujo arba patvirtinkite kiekvieną priežastį: "
                             "interchange approve --period {period} {despite}",
                             "Resolve them and publish again, or confirm each reason: "
                             "interchange approve --period {period} {despite}"),
    "blocker_open_review": ("  {code}: porų, laukiančių peržiūros sprendimo: {count} (interchange review list)",
                            "  {code}: {count} review pairs await a decision (interchange review list)"),
    "blocker_held_batches": ("  {code}: sulaikytų paketų, gautų nuo laikotarpio pradžios: {count} "
                             "(interchange status)",
                             "  {code}: {count} held batches received since the period began (interchange status)"),
    "blocker_open_quarantine": ("  {code}: neišspręstų karantino eilučių paketuose, gautuose nuo laikotarpio "
                                "pradžios: {count} (interchange quarantine list)",
                                "  {code}: {count} open quarantined rows in batches received since the period "
                                "began (interchange quarantine list)"),
    "blocker_all_zero": ("  {code}: visų rodiklių ({count}) sumos lygios nuliui",
                         "  {code}: the totals of all {count} indicators are zero"),
    "blocker_stale_inputs": ("  {code}: po šios versijos apskaičiavimo įkelta paketų su laikotarpio įrašais: {count}",
                             "  {code}: {count} batches with records in the period were loaded after this version "
                             "was computed"),
    "blocker_stale_index": ("  {code}: asmenų rodyklė pasikeitė po šios versijos apskaičiavimo (susiejimo "
                            "vykdymų nuo tada: {count})",
                            "  {code}: the person index changed after this version was computed ({count} linkage "
                            "runs since)"),
    "approved_with": ("{period} v{version} patvirtinta nepaisant: {reasons}",
                      "{period} v{version} was approved despite: {reasons}"),
    "stale": ("PASENUSI: {period} v{version} ({state}): {what}. Paskelbkite iš naujo, kad pamatytumėte skirtumą{how}",
              "STALE: {period} v{version} ({state}): {what}. Publish again to see the difference{how}"),
    "stale_batches": ("po jos apskaičiavimo įkelta paketų su laikotarpio įrašais: {count}",
                      "{count} batches with records in the period were loaded after it was computed"),
    "stale_index": ("po jos apskaičiavimo pasikeitė asmenų rodyklė", "the person index changed after it was computed"),
    "stale_reopen": (" (patvirtintą laikotarpį pirma atverkite iš naujo: interchange reopen --period {period} "
                     "--reason \"...\")",
                     " (an approved period is re-opened first: interchange reopen --period {period} --reason \"...\")"),
    "awaiting_approval": ("Laukia patvirtinimo: {period} v{version} (interchange approve --period {period})",
                          "Awaiting approval: {period} v{version} (interchange approve --period {period})"),
    "waiting": ("Laukia žmogaus: {items}.", "Waiting for a person: {items}."),
    "waiting_held": ("sulaikytų paketų: {count}", "{count} held batches"),
    "waiting_quarantine": ("karantino eilučių: {count}", "{count} quarantined rows"),
    "waiting_overdue": ("vėluojančių pateikimų: {count}", "{count} overdue drops"),
    "waiting_failed_runs": ("nepavykusių srautų: {count}", "{count} failed flow runs"),
    "waiting_review": ("porų peržiūrai: {count}", "{count} review pairs"),
    "waiting_drafts": ("versijų, laukiančių patvirtinimo: {count}", "{count} versions awaiting approval"),
    "waiting_late": ("laikotarpių su vėlavusiais duomenimis: {count}", "{count} periods with late data"),
    "waiting_stale": ("pasenusių versijų: {count}", "{count} stale versions"),
    "ingest_settling": ("  {org}: failų aplanke inbox/{org}/, pakeistų per paskutines {seconds} s (gal dar rašomi?): "
                        "{count}; jie paliekami kitam paleidimui",
                        "  {org}: {count} files in its inbox changed in the last {seconds} seconds (still being "
                        "written?): left for the next run"),
    # --- issue 16: nothing stuck (stuck, failed and rejected batches, failing sources) ---------------
    "state.failed": ("nepavykęs", "failed"),
    "whole_failed": ("visas nepavykęs failas", "the whole failed file"),
    "stuck": ("Įstrigę paketai (gauti, bet neapdoroti)", "Stuck batches (received, not processed)"),
    "stuck_cols": ("organizacija|šaltinis|paketas|rūšis|failas|gauta|bandymai",
                   "org|source|batch|kind|file|received|attempts"),
    "failed_batches": ("Nepavykę paketai (centras negalėjo jų apdoroti; niekas neįkelta)",
                       "Failed batches (the hub could not process them; nothing loaded)"),
    "rejected": ("Atmesti failai (niekas neįkelta; geras failas po jų dar neatėjo)",
                 "Rejected files (nothing loaded; no good drop has followed yet)"),
    "rejected_cols": ("organizacija|šaltinis|paketas|rūšis|failas|gauta|problemos",
                      "org|source|batch|kind|file|received|problems"),
    "failing_sources": ("Šaltiniai, kurie nepavyksta kiekvieną kartą", "Sources that fail on every run"),
    "failing_sources_cols": ("organizacija|šaltinis|nepavyko iš eilės|nuo|klaida",
                             "org|source|failed runs in a row|since|error"),
    "blocker_failed_batches": ("  {code}: nepavykusių paketų (centras negalėjo jų apdoroti), gautų nuo laikotarpio "
                               "pradžios: {count} (interchange status)",
                               "  {code}: {count} failed batches (the hub could not process them) received since the "
                               "period began (interchange status)"),
    "waiting_stuck": ("įstrigusių paketų: {count}", "{count} stuck batches"),
    "waiting_failed_batches": ("nepavykusių paketų: {count}", "{count} failed batches"),
    "waiting_rejected": ("atmestų failų: {count}", "{count} rejected files"),
    "waiting_failing_sources": ("nepavykstančių šaltinių: {count}", "{count} failing sources"),
    "next_stuck": ("įstrigę paketai – priežastis centro žurnale; „interchange ingest“ juos tęsia, o po kelių "
                   "nesėkmingų bandymų jie tampa nepavykusiais",
                   "stuck batches: the hub's log says why; 'interchange ingest' resumes them, and after a few "
                   "failed attempts they end failed"),
    "next_failed_batches": ("nepavykę paketai – klaidos klasė centro žurnale; pataisę „interchange reprocess“",
                            "failed batches: the hub's log names the error's class; after a fix, "
                            "'interchange reprocess'"),
    "next_rejected": ("atmesti failai – perskaitykite kvitą ir paprašykite partnerio atsiųsti pataisytą failą",
                      "rejected files: read the receipt and ask the partner for a corrected drop"),
    "next_failing_sources": ("nepavykstantys šaltiniai – „interchange ingest“ parodo priežastį (aplankas, teisės, "
                             "žetonas, adresas); pataisykite ją",
                             "failing sources: 'interchange ingest' says why (a folder, a permission, a token, "
                             "an address); fix it"),
    # --- interchange notify: e-mail to partners -------------------------------------------------------
    "notify_off": ("Pranešimai partneriams išjungti: interchange.yaml nėra notifications: smtp.",
                   "Notifications to partners are off: interchange.yaml has no notifications: smtp."),
    "notify_nothing": ("Naujų pranešimų partneriams nėra.", "No new notifications for partners."),
    "notify_sent": ("{org}: išsiųsta adresatams ({recipients}): {events}",
                    "{org}: sent to {recipients} addresses: {events}"),
    "notify_would": ("{org}: būtų išsiųsta: {events}", "{org}: would be sent: {events}"),
    "notify_failed": ("{org}: neišsiųsta ({events}): {reason}; bus bandoma dar kartą",
                      "{org}: not sent ({events}): {reason}; it will be tried again"),
    "notify_no_contact": ("{org}: neišsiųsta ({events}): interchange.yaml organizacijai nenurodyta contacts",
                          "{org}: not sent ({events}): interchange.yaml gives the organisation no contacts"),
}
