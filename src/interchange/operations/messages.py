"""Every steward message in Lithuanian and English, and the screens the steward's commands print.

One table (`TEXT`) holds each sentence, heading and column list in both languages; commands
call `say(key, lang, ...)` and the `render_*` functions, never an if/else per string. A key
missing a language fails the import-time check at the bottom of this module.

The language is `--lang lt|en`; without it, `default_lang()` decides from the environment:

1. `INTERCHANGE_LANG` when it is `lt` or `en`;
2. else the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set: Lithuanian when it starts
   with `lt` (`lt_LT.UTF-8`), English otherwise (`C.UTF-8`, `en_GB.UTF-8`);
3. else English.

Messages carry organisation codes, batch ids, counts, states, dates and paths: never a
record value. (Details that come from another layer's exception, e.g. a config key or a
period that cannot be parsed, are passed on as that layer wrote them, in English.)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from interchange.indicators.lineage import InputBatch
    from interchange.indicators.publications import Publication as StoredPublication
    from interchange.ingest.reprocess import Candidate, Rerun
    from interchange.ingest.run import IngestSummary
    from interchange.linkage.index import LinkSummary
    from interchange.linkage.review import ReviewPair
    from interchange.operations.status import StatusReport

LANGS = ("lt", "en")

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
    # --- partner kit (pseudonymise; `--lang both` prints both) -------------------------------------
    "partner_overwrite": ("Pateikimo failas negali perrašyti pradinio išrašo: pasirinkite kitą --output.",
                          "The drop must not overwrite the raw extract: choose another --output."),
    "partner_suffix": ("Pateikimo failo pavadinimas turi baigtis .csv arba .jsonl.",
                       "The drop file must end in .csv or .jsonl."),
    "partner_wrote": ("→ {path} (eilučių: {rows}), manifestas {manifest}",
                      "→ {path} ({rows} rows), manifest {manifest}"),
    "partner_nothing": ("→ pateikimo failas neįrašytas: nė viena eilutė netiko.",
                        "→ no drop written: no row could be accepted."),
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
    "attention": ("Reikia dėmesio: žr. aukščiau. Pataisę paleiskite „interchange reprocess“.",
                  "Needs attention: see above. After a fix, run 'interchange reprocess'."),
    "all_clear": ("Viskas tvarkoje.", "All clear."),
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
    "reprocess_receipts": ("Kvitai: {root}/<organizacija>/", "Receipts: {root}/<org>/"),
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
    # --- demo (interchange demo: counts, codes and paths only) -------------------------------------
    "demo.title": ("Interchange demonstracija, tarsi šiandien būtų {as_of}: Kretingos partnerių metai {start} – "
                   "{end}, sintetiniai duomenys (sėkla {seed}), aplanke {directory}",
                   "Interchange demo as on {as_of}: the Kretinga partners' year {start} – {end}, synthetic data "
                   "(seed {seed}), in {directory}"),
    "demo.step1": ("1. Partneriai: pradinių išrašų {files}, sintetinių asmenų {persons} (kodai, vardai, adresai) "
                   "→ pseudonimizuoti pateikimai",
                   "1. Partners: {files} raw extracts of {persons} synthetic persons (codes, names, addresses) "
                   "→ pseudonymised drops"),
    "demo.org_files": ("   {org}: {names} (eilučių: {rows})", "   {org}: {names} ({rows} rows)"),
    "demo.unidentified": ("   {org}/{name} neturi asmens identifikatorių ir siunčiamas toks, koks eksportuotas; "
                          "„interchange check“ randa jame įdėtas klaidingas eilutes {rows}",
                          "   {org}/{name} has no identifiers and is sent as exported; `interchange check` finds "
                          "its planted bad rows {rows}"),
    "demo.partner_mismatch": ("   NESUTAMPA {org}/{name}: klaidingos eilutės {bad}, įdėtos {planted}",
                              "   MISMATCH {org}/{name}: bad rows {bad}, planted {planted}"),
    "demo.step2": ("2. Centras: {engine} vykdo gavimą → susiejimą",
                   "2. Hub: {engine} runs ingest → link"),
    "demo.engine_default": ("konvejeris", "the pipeline"),
    "demo.engine_prefect": ("Prefect srautas „pipeline“", "the Prefect flow `pipeline`"),
    "demo.and": (" ir ", " and "),
    "demo.held_note": ("   (vienas paketas bus sulaikytas – per klaidą dar kartą atsiųstas senas failas: "
                       "publikuojama be jo)",
                       "   (one batch will be held, an old file sent again by mistake: publishing goes ahead "
                       "without it)"),
    "demo.ingest_detail": ("paketų {batches}: įkelta eilučių {loaded}, karantine {quarantined}, sulaikyta paketų "
                           "{held}",
                           "batches {batches}: rows loaded {loaded}, quarantined {quarantined}, batches held {held}"),
    "demo.link_detail": ("asmenų {persons}: naujų {new}, sujungimų {merges}, išskaidymų {splits}; porų peržiūrai "
                         "{pairs}",
                         "{persons} persons; {new} new, {merges} merges, {splits} splits; {pairs} pairs awaiting "
                         "review"),
    "demo.publish_detail": ("{period} v{version}: langelių {cells}, paslėpta {suppressed}",
                            "{period} v{version}: {cells} cells, {suppressed} suppressed"),
    "demo.step3": ("3. Kvitai: paketų {count}, kiekvienam – kvitas partneriui",
                   "3. Receipts: {count} batches, one receipt each for the partners"),
    "demo.held_by": ("      sulaikė patikrinimas {check}: niekas neįkelta (dar kartą atsiųstas senas failas)",
                     "      held by {check}: nothing loaded (an old file sent again)"),
    "demo.quarantined_rows": ("      karantine eilutės {rows}", "      rows {rows} quarantined"),
    "demo.receipts_ok": ("   kiekvienas kvitas toks, kokio tikimasi pagal tikruosius duomenis (perskaityta, įkelta, "
                         "karantine pagal eilutes, sulaikyta)",
                         "   every receipt as the ground truth expects (rows read, loaded, quarantined by row, "
                         "held)"),
    "demo.receipt_mismatch": ("   NESUTAMPA {org}/{name}: tikėtasi perskaityta {read}, įkelta {loaded}, karantine "
                              "eilutės {rows}, sulaikyta {held}",
                              "   MISMATCH {org}/{name}: expected read {read}, loaded {loaded}, quarantined rows "
                              "{rows}, held {held}"),
    "demo.receipts_mismatch": ("   kvitai: NESUTAMPA, žr. aukščiau", "   receipts: MISMATCH, see above"),
    "demo.step4": ("4. Duomenų prižiūrėtojas peržiūri abejotinas poras („interchange review list“); prižiūrėtoją, "
                   "pažįstantį šeimas, čia vaidina generatoriaus tikrieji duomenys",
                   "4. A steward reviews the uncertain pairs (`interchange review list`); the generator's ground "
                   "truth plays the steward who knows the families"),
    "demo.review_decided": ("   pora {pair}: {decision} (tikrieji duomenys: {truth}) → interchange review decide "
                            "{pair} {decision}",
                            "   pair {pair}: {decision} (the truth: {truth}) → interchange review decide {pair} "
                            "{decision}"),
    "demo.truth_same": ("vienas asmuo", "one person"),
    "demo.truth_different": ("du asmenys", "two persons"),
    "demo.review_workload": ("   peržiūros darbas: modelis pats susiejo asmenų {linked} (įrašų {records}); žmogaus "
                             "sprendimo reikėjo porų {pairs}, prižiūrėtojas nusprendė: tas pats {same}, skirtingi "
                             "{different}",
                             "   review workload: the model linked {linked} persons ({records} records) on its own; "
                             "{pairs} pairs needed a person, the steward decided {same} same and {different} "
                             "different"),
    "demo.relink": ("   tada {engine} vykdomas dar kartą: gavimas (nieko naujo) → susiejimas su sprendimais → "
                    "publikavimas: {periods}",
                    "   then {engine} runs again: ingest (nothing new) → link with the decisions → publish "
                    "{periods}"),
    "demo.yes": ("taip", "yes"),
    "demo.no": ("ne", "no"),
    "demo.step5": ("5. Duomenų prižiūrėtojas patvirtina publikacijas („interchange approve“): eksportai ministerijai",
                   "5. A steward approves the publications (`interchange approve`): exports for the ministry"),
    "demo.exports": ("     → failų: {count}, aplanke {folder}", "     → {count} files in {folder}"),
    "demo.no_exports": ("(eksportų nėra)", "(no exports)"),
    "demo.step6": ("6. Publikuotos sumos, palygintos su generatoriaus tikraisiais duomenimis:",
                   "6. Published totals against the generator's ground truth:"),
    "demo.totals_ok": ("   {period}: sumų, lygių tikrosioms reikšmėms: {equal}; paslėpta ministerijai (maži "
                       "skaičiai): {suppressed}, jų reikšmės centre lygios tikrosioms",
                       "   {period}: {equal} totals equal the true figures; {suppressed} suppressed for the ministry "
                       "(small counts), their hub values equal the true figures"),
    "demo.totals_mismatch": ("   NESUTAMPA {period}: {items}", "   MISMATCH {period}: {items}"),
    "demo.total_wrong": ("{code} tikroji {want}, rasta {got}", "{code} true {want}, found {got}"),
    "demo.step7": ("7. Programos pažanga, palyginti su tikslais (prižiūrėtojų vaizdas: be atskleidimo apsaugos):",
                   "7. Programme progress against its targets (the stewards' view: not disclosure-protected):"),
    "demo.progress_cols": ("paslauga|matas|reikšmė|tikslas|pasiekta", "service|figure|value|target|achieved"),
    "demo.whole_programme": ("(programa)", "(programme)"),
    "demo.progress_hint": ("   su rodiklių pavadinimais: interchange progress --programme {programme} -w {root}",
                           "   with the indicators' names: interchange progress --programme {programme} -w {root}"),
    "demo.step8": ("8. Kur kas yra:", "8. Where everything is:"),
    "demo.where.key": ("partnerių raktas", "partner key"),
    "demo.where.key_note": ("{path}  (lieka partneriams; centras jo niekada nemato; demonstracijoje išvestas iš "
                            "sėklos, kad pateikimai būtų atkuriami – tikras raktas: interchange keygen)",
                            "{path}  (stays with the partners; the hub never sees it; derived from the seed in the "
                            "demo so that its drops can be reproduced – a real key: interchange keygen)"),
    "demo.where.extracts": ("pradiniai išrašai", "raw extracts"),
    "demo.where.extracts_note": ("{path}/<organizacija>/  (vardai ir kodai: tik partneriams)",
                                 "{path}/<org>/  (names and codes: partners only)"),
    "demo.where.drops": ("pateikimai", "drops"),
    "demo.where.drops_note": ("{path}/<organizacija>/  (pseudonimizuoti, su manifestais)",
                              "{path}/<org>/  (pseudonymised, with manifests)"),
    "demo.where.truth": ("tikrieji duomenys", "ground truth"),
    "demo.where.truth_note": ("{path}", "{path}"),
    "demo.where.hub": ("centro darbo vieta", "hub workspace"),
    "demo.where.hub_note": ("{path}  (interchange.yaml; sandėlis {warehouse})",
                            "{path}  (interchange.yaml; warehouse {warehouse})"),
    "demo.where.receipts": ("kvitai", "receipts"),
    "demo.where.receipts_note": ("{path}/<organizacija>/  (paketų: {count}, .json ir .txt)",
                                 "{path}/<org>/  ({count} batches, .json and .txt)"),
    "demo.where.quarantine": ("karantinas", "quarantine"),
    "demo.where.quarantine_note": ("sandėlio lentelėje „quarantine“ eilučių: {rows} (eilučių numeriai – kvituose); "
                                   "„interchange status -w {root}“",
                                   "{rows} rows in the warehouse table `quarantine` (row numbers in the receipts); "
                                   "`interchange status -w {root}`"),
    "demo.where.publication": ("publikacija", "publication"),
    "demo.where.publication_note": ("{period} v{version} ({state}) → {folder}",
                                    "{period} v{version} ({state}) → {folder}"),
    "demo.where.prefect": ("Prefect vykdymai", "Prefect runs"),
    "demo.where.prefect_note": ("{note}", "{note}"),
    "demo.prefect_server": ("Prefect serveris {api}", "the Prefect server at {api}"),
    "demo.prefect_temporary": ("„.venv/bin/prefect server start“, tada http://127.0.0.1:4200 (laikinasis serveris "
                               "juos išsaugojo)",
                               "`.venv/bin/prefect server start`, then http://127.0.0.1:4200 (the temporary server "
                               "kept them)"),
    "demo.passed": ("Demonstracija pavyko: kiekviena eilutė apskaityta, kiekviena publikuota reikšmė lygi tikrajai.",
                    "Demo passed: every row accounted for, every published figure equals the ground truth."),
    "demo.failed": ("Demonstracija NEPAVYKO: žr. NESUTAMPA / nepavyko aukščiau.",
                    "Demo FAILED: see MISMATCH / failed above."),
}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """The steward's language from the environment (see the module docstring): `lt` or `en`."""
    env = os.environ if environ is None else environ
    chosen = (env.get("INTERCHANGE_LANG") or "").strip().lower()
    if chosen in LANGS:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "lt" if value.lower().startswith("lt") else "en"
    return "en"


def say(key: str, lang: str, **params: object) -> str:
    """The message `key` in `lang`, filled in."""
    lt, en = TEXT[key]
    return (lt if lang == "lt" else en).format(**params)


def state_name(state: str | None, lang: str) -> str:
    """A stored state code (loaded, held, draft, approved ...) in the steward's language; unknown codes as they are."""
    if state is None:
        return ""
    key = f"state.{state}"
    return say(key, lang) if key in TEXT else state


# --- status ---------------------------------------------------------------------------------------


def render_status(report: StatusReport, root: str, lang: str) -> str:
    """The whole status as one screen of plain text (aligned columns; no colour, safe for logs)."""
    out = [say("title", lang, root=root), ""]
    out += _section(say("sources", lang), say("source_cols", lang), [
        [s.org, s.source, s.batch_id, state_name(s.status, lang), _when(s.received_at), s.rows_read, s.loaded,
         s.quarantined, s.held]
        if s.batch_id is not None else [s.org, s.source, "-", say("never", lang), "", "", "", "", ""]
        for s in report.sources], lang)
    out += _section(say("held", lang), say("held_cols", lang), [
        [h.org, h.source, h.batch_id, h.kind or "", _when(h.received_at), h.rows_held, ", ".join(h.failed_checks)]
        for h in report.held], lang)
    out += _section(say("quarantine", lang), say("quarantine_cols", lang),
                    [[q.org, q.rows, q.batches] for q in report.quarantine], lang)
    if report.linkage is None:
        out.append(say("linkage_never", lang))
    else:
        run = report.linkage
        out.append(say("linkage", lang, run=run.run_id, when=_when(run.finished_at or run.started_at),
                       new=run.persons_new if run.persons_new is not None else "?",
                       pairs=run.pairs_for_review if run.pairs_for_review is not None else "?"))
    out += [say("review", lang, count=report.open_review_pairs), ""]
    if not report.publications:
        out += [say("publications_none", lang), ""]
    else:
        out += _section(say("publications", lang), say("publication_cols", lang), [
            [p.period, p.version, state_name(p.state, lang), _when(p.created_at), _blank(p.cells),
             _blank(p.suppressed_cells)]
            for p in report.publications], lang)
    out += _section(say("overdue", lang), say("overdue_cols", lang), [
        [o.org, o.source, o.period_start.isoformat(), o.due.isoformat(), _when(o.last_arrival) or "-"]
        for o in report.overdue], lang)
    if report.flow_runs is not None:
        out += _section(say("flows", lang), say("flow_cols", lang), [
            [r.flow, r.name, r.state, _when(r.start_time), _when(r.end_time)] for r in report.flow_runs], lang)
    elif report.flow_runs_error:
        out += [say("flows_unreadable", lang, reason=report.flow_runs_error), ""]
    else:
        out += [say("flows_off", lang), ""]
    out.append(say("attention" if report.needs_attention else "all_clear", lang))
    return "\n".join(out)


# --- reprocess ------------------------------------------------------------------------------------


def render_plan(candidates: Sequence[Candidate], lang: str) -> str:
    if not candidates:
        return say("reprocess_none", lang)
    lines = [say("reprocess_plan", lang)]
    for c in candidates:
        what = say("whole_held", lang) if c.rows is None else say("some_rows", lang, rows=c.row_count)
        lines.append(say("reprocess_item", lang, batch=c.batch_id, org=c.org, kind=c.kind or "?", what=what))
    return "\n".join(lines)


def render_reruns(reruns: Sequence[Rerun], lang: str) -> str:
    return "\n".join(say("reprocess_done", lang, old=r.candidate.batch_id, new=r.receipt.batch_id,
                         status=state_name(r.receipt.status.value, lang), read=r.receipt.counts.rows_read,
                         loaded=r.receipt.counts.loaded, unchanged=r.receipt.counts.unchanged,
                         quarantined=r.receipt.counts.quarantined, held=r.receipt.counts.held)
                     for r in reruns)


# --- ingest, link, review -------------------------------------------------------------------------


def render_ingest(summary: IngestSummary, receipts_root: str, lang: str) -> str:
    """What one ingest did: totals, a line per batch, failed sources, where the receipts are."""
    receipts = summary.receipts
    lines = [say("ingest_summary", lang, batches=len(receipts), loaded=summary.rows_loaded,
                 unchanged=sum(r.counts.unchanged for r in receipts), quarantined=summary.rows_quarantined,
                 held=len(summary.held))]
    lines += [say("ingest_batch", lang, org=r.org, batch=r.batch_id, name=r.file_name or r.source,
                  status=state_name(r.status.value, lang), read=r.counts.rows_read, loaded=r.counts.loaded,
                  unchanged=r.counts.unchanged, quarantined=r.counts.quarantined) for r in receipts]
    lines += [say("ingest_failed", lang, label=label, detail=detail) for label, detail in summary.failures.items()]
    lines.append(say("receipts", lang, root=receipts_root))
    return "\n".join(lines)


def render_link(summary: LinkSummary, lang: str) -> str:
    return say("link_summary", lang, run=summary.run_id, records=summary.records, persons=summary.persons,
               linked=summary.records_linked, new=summary.new_persons, merges=summary.merges,
               splits=summary.splits, retired=summary.retired, pairs=summary.pairs_for_review,
               households=summary.households) + (
        "" if summary.household_share is None
        else "\n" + say("link_household_share", lang, share=f"{summary.household_share:.3f}"))


def render_review(pairs: Sequence[ReviewPair], limit: int, lang: str) -> str:
    """The open pairs, most uncertain first: pair id, both record uids, probability, agreeing fields."""
    from interchange.linkage.review import describe_agreements

    if not pairs:
        return say("review_none", lang)
    lines = [say("review_count", lang, count=len(pairs))]
    for pair in pairs[:limit]:
        probability = "?" if pair.match_probability is None else f"{pair.match_probability:.3f}"
        lines.append(f"  {pair.pair_id:>6}  {pair.uid_l}  {pair.uid_r}  p={probability}  "
                     f"{describe_agreements(pair.agreements)}")
    if len(pairs) > limit:
        lines.append(say("review_more", lang, count=len(pairs) - limit))
    return "\n".join(lines)


# --- pipeline -------------------------------------------------------------------------------------


def render_steps(steps: Sequence[Any], lang: str) -> str:
    """One line per pipeline step: name, outcome and the flow's own detail (counts or the reason it stopped)."""
    return "\n".join(f"{_known('step', step.name, lang)}  {_known('outcome', step.outcome, lang)}  {step.detail}"
                     for step in steps)


# --- publishing -----------------------------------------------------------------------------------


def render_publication(p: StoredPublication, lang: str) -> str:
    changed = (say("first_version", lang) if p.changed_cells is None
               else say("changed_since", lang, changed=p.changed_cells, previous=p.version - 1))
    return say("publication", lang, period=p.period, version=p.version, state=state_name(p.state.value, lang),
               cells=p.cells, suppressed=p.suppressed_cells, changed=changed, batches=len(p.input_batches),
               run=p.linkage_run_id)


def render_publications(versions: Sequence[StoredPublication], late: Mapping[str, Sequence[InputBatch]],
                        lang: str) -> str:
    """Every version: period, version, state, cells, suppressed, changed, created, approved; then late data."""
    header = say("publication_list_cols", lang).split("|")
    rows = [[p.period, str(p.version), state_name(p.state.value, lang), str(p.cells), str(p.suppressed_cells),
             "" if p.changed_cells is None else str(p.changed_cells), f"{p.created_at:%Y-%m-%d %H:%M}",
             f"{p.approved_at:%Y-%m-%d %H:%M} {p.approved_by}" if p.approved_at else ""] for p in versions]
    lines = _table(header, rows, numeric={1, 3, 4, 5})
    lines += [render_late(period, batches, lang) for period, batches in late.items() if batches]
    return "\n".join(lines)


def render_late(period: str, batches: Sequence[InputBatch], lang: str) -> str:
    ids = ", ".join(f"{b.batch_id} ({b.org} {b.kind})" for b in batches[:10])
    more = say("and_more", lang, count=len(batches) - 10) if len(batches) > 10 else ""
    return say("late_data", lang, period=period, count=len(batches), ids=ids, more=more)


def render_programme(table: pd.DataFrame, lang: str) -> str:
    """Progress against a programme's targets: indicator (in `lang`), service, figure, value, target, share."""
    name = "name_lt" if lang == "lt" else "name_en"
    rows = [[str(getattr(row, name)), row.service or "–", str(row.figure), _number(row.value), _number(row.target),
             "–" if math.isnan(row.share) else f"{row.share:.0%}"] for row in table.itertuples(index=False)]
    title = []
    if len(table):
        first = table.iloc[0]
        title = [say("programme_title", lang, programme=first["programme"], period=first["period"]), ""]
    return "\n".join(title + _table(say("progress_cols", lang).split("|"), rows, numeric={3, 4, 5}))


# --- helpers --------------------------------------------------------------------------------------


def _known(prefix: str, code: str, lang: str) -> str:
    key = f"{prefix}.{code}"
    return say(key, lang) if key in TEXT else code


def _section(title: str, columns: str, rows: list[list[object]], lang: str) -> list[str]:
    if not rows:
        return [f"{title}: {say('none', lang)}", ""]
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    return [title, *("  " + line for line in _table(columns.split("|"), cells)), ""]


def _table(header: list[str], rows: list[list[str]], *, numeric: frozenset[int] | set[int] = frozenset()) -> list[str]:
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in numeric else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _blank(value: object) -> object:
    return "" if value is None else value


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _check_catalogue() -> None:
    for key, texts in TEXT.items():
        if len(texts) != len(LANGS) or not all(texts):
            raise AssertionError(f"message {key!r} lacks a language")


_check_catalogue()
