"""Steward messages in Lithuanian and English, and `interchange status` as one screen of text.

`--lang` picks the language; the default follows the environment (a LANG or LC_ALL that
starts with `lt` gives Lithuanian, anything else English).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime

from interchange.operations.reprocess import Candidate, Rerun
from interchange.operations.status import StatusReport

TEXT: dict[str, tuple[str, str]] = {
    "title": ("Interchange būsena: {root}", "Interchange status: {root}"),
    "sources": ("Šaltiniai (naujausias paketas)", "Sources (newest batch)"),
    "source_cols": ("organizacija|šaltinis|paketas|būsena|gauta|perskaityta|įkelta|karantine|sulaikyta",
                    "org|source|batch|status|received|read|loaded|quarantined|held"),
    "never": ("dar nieko negauta", "nothing received yet"),
    "held": ("Sulaikyti paketai (niekas neįkelta)", "Held batches (nothing loaded)"),
    "held_cols": ("organizacija|šaltinis|paketas|rūšis|gauta|eilutės|nepavykę patikrinimai",
                  "org|source|batch|kind|received|rows|failed checks"),
    "none": ("nėra", "none"),
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
    "attention": ("Reikia dėmesio: žr. aukščiau. Pataisę paleiskite „interchange reprocess“.",
                  "Needs attention: see above. After a fix, run 'interchange reprocess'."),
    "all_clear": ("Viskas tvarkoje.", "All clear."),
    "reprocess_none": ("Nėra ko apdoroti iš naujo.", "Nothing to re-run."),
    "reprocess_plan": ("Bus apdorota iš naujo (atvykimo tvarka):", "To re-run (in arrival order):"),
    "reprocess_item": ("  paketas {batch} ({org}, {kind}): {what}", "  batch {batch} ({org}, {kind}): {what}"),
    "whole_held": ("visas sulaikytas failas", "the whole held file"),
    "some_rows": ("{rows} eilutės iš karantino", "{rows} quarantined rows"),
    "reprocess_done": ("  paketas {old} → naujas paketas {new}: {status}; perskaityta {read}, įkelta {loaded}, "
                       "nepakeista {unchanged}, karantine {quarantined}, sulaikyta {held}",
                       "  batch {old} → new batch {new}: {status}; read {read}, loaded {loaded}, "
                       "unchanged {unchanged}, quarantined {quarantined}, held {held}"),
    "reprocess_receipts": ("Kvitai: {root}/<organizacija>/", "Receipts: {root}/<org>/"),
    "progress": ("Apdorojama iš naujo", "Re-running"),
}


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """`lt` when LC_ALL, LC_MESSAGES or LANG (the first one set) starts with lt, else `en`."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "lt" if value.lower().startswith("lt") else "en"
    return "en"


def say(key: str, lang: str, **params: object) -> str:
    lt, en = TEXT[key]
    return (lt if lang == "lt" else en).format(**params)


def render_status(report: StatusReport, root: str, lang: str) -> str:
    """The whole status as one screen of plain text (aligned columns; no colour, safe for logs)."""
    out = [say("title", lang, root=root), ""]
    out += _section(say("sources", lang), say("source_cols", lang), [
        [s.org, s.source, s.batch_id, s.status, _when(s.received_at), s.rows_read, s.loaded, s.quarantined, s.held]
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
    if report.publications is None or not report.publications:
        out += [say("publications_none", lang), ""]
    else:
        out += _section(say("publications", lang), say("publication_cols", lang), [
            [p.period, p.version, p.state, _when(p.created_at), _blank(p.cells), _blank(p.suppressed_cells)]
            for p in report.publications], lang)
    out += _section(say("overdue", lang), say("overdue_cols", lang), [
        [o.org, o.source, o.period_start.isoformat(), o.due.isoformat(), _when(o.last_arrival) or "-"]
        for o in report.overdue], lang)
    if report.flow_runs is None:
        out += [report.flow_runs_error or say("flows_off", lang), ""]
    else:
        out += _section(say("flows", lang), say("flow_cols", lang), [
            [r.flow, r.name, r.state, _when(r.start_time), _when(r.end_time)] for r in report.flow_runs], lang)
    out.append(say("attention" if report.needs_attention else "all_clear", lang))
    return "\n".join(out)


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
                         status=r.receipt.status.value, read=r.receipt.counts.rows_read,
                         loaded=r.receipt.counts.loaded, unchanged=r.receipt.counts.unchanged,
                         quarantined=r.receipt.counts.quarantined, held=r.receipt.counts.held)
                     for r in reruns)


def _section(title: str, columns: str, rows: list[list[object]], lang: str) -> list[str]:
    if not rows:
        return [f"{title}: {say('none', lang)}", ""]
    header = columns.split("|")
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(header[i]), *(len(row[i]) for row in cells)) for i in range(len(header))]
    line = lambda values: "  " + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()  # noqa: E731
    return [title, line(header), *(line(row) for row in cells), ""]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def _blank(value: object) -> object:
    return "" if value is None else value
