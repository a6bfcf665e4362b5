"""The steward's commands `interchange status`, `reprocess` and `pipeline`, and the screens they print."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    database_named_by_the_command,
    fail,
    flows_module,
    open_workspace,
    prepare_prefect,
    section_lines,
    short_time,
    show_progress,
    steward_lang,
)
from interchange.i18n import name_of, say

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.ingest.reprocess import Candidate, Rerun
    from interchange.operations.status import StatusReport


def status(workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """The hub on one screen: sources, held batches, quarantine, review, linkage, publications, overdue drops.

    Prefect flow-run states are added when PREFECT_API_URL is set.

    Exit 0: all clear; 1: something waits for a person (held, stuck or failed batches, rejected
    files no good drop has followed, quarantined rows, overdue drops, a source failing run after
    run, a failed flow run, review pairs, a draft to approve, late data, a stale version); 2: the
    workspace or its config is wrong.
    """
    from interchange.operations.status import collect_status
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with warehouse(found.database_url) as engine:
        report = collect_status(found, engine, prefect_api_url=os.environ.get("PREFECT_API_URL") or None)
    typer.echo(render_status(report, str(found.root), language, database=database_named_by_the_command()))
    raise typer.Exit(1 if report.needs_attention else 0)


def reprocess(
    workspace: WorkspaceOption = None,
    batch: Annotated[list[int] | None, typer.Option(
        "--batch", "-b", help="Only this batch (repeatable); default: every held or failed batch and every open "
                              "quarantine.")
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation's batches.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be re-run.")] = False,
    lang: StewardLangOption = None,
) -> None:
    """Re-run held and failed batches and quarantined rows from the archive after a fix, in arrival order.

    Each re-run is a new batch with a new receipt; nothing is read from the inbox.
    Exit 0: every re-run loaded cleanly (or nothing to do); 1: a re-run was held or failed, or
    still quarantined rows; 2: the workspace is wrong or a --batch has nothing to re-run.
    """
    from interchange.ingest.reprocess import ReprocessError, find_candidates
    from interchange.ingest.reprocess import reprocess as run_reprocess
    from interchange.ingest.run import open_hub

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with open_hub(found) as hub:
        try:
            candidates = find_candidates(hub.engine, org=org.lower() if org else None, batch_ids=batch)
        except ReprocessError as exc:
            fail(language, "steward.error", say("steward.reprocess_nothing_for", language,
                                        batches=", ".join(map(str, exc.batch_ids))), code=2)
        typer.echo(render_plan(candidates, language))
        if not candidates:
            _say_what_stays_open(hub.engine, org.lower() if org else None, language)
        if dry_run or not candidates:
            raise typer.Exit(0)
        with show_progress(language):
            reruns = run_reprocess(hub, candidates)
    typer.echo(render_reruns(reruns, language))
    typer.echo(say("steward.receipts", language, root=found.root / "receipts"))
    troubled = any(r.receipt.counts.held or r.receipt.counts.quarantined or r.receipt.status.value == "failed"
                   for r in reruns)
    raise typer.Exit(1 if troubled else 0)


def _say_what_stays_open(engine: Engine, org: str | None, lang: str) -> None:
    """Open rows no re-run can reach (pulled, or their file purged): say how they close instead."""
    from interchange.ingest.quarantine import open_quarantine

    rows = open_quarantine(engine, org=org)
    if rows:
        typer.echo(say("steward.reprocess_open_elsewhere", lang, rows=len(rows)))


def pipeline(
    workspace: WorkspaceOption = None,
    period: Annotated[str | None, typer.Option(
        help="Also publish this period (2026-09, 2026-Q3, 2026) after linking.")] = None,
    publish_incomplete: Annotated[bool, typer.Option(
        "--publish-incomplete", help="Publish even when a source failed or a batch is held.")] = False,
    allow_without_consent: Annotated[bool, typer.Option(
        "--allow-without-consent", help="Publish even when no person of an organisation that sent data "
                                        "consents to reporting (recorded with the version).")] = False,
    lang: StewardLangOption = None,
) -> None:
    """Ingest, link and (with --period) publish, in order, as one Prefect run: for a backfill or by hand.

    Link does not run when ingest did not finish; publish does not run after a failed
    link, a failed source or a held batch (unless --publish-incomplete); publish refuses when an
    organisation's persons all lack consent to reporting (unless --allow-without-consent).
    Exit 0: every step ran; 1: a step failed or was stopped; 2: the workspace is wrong.
    """
    from interchange.ingest.run import configured_sources

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    prepare_prefect(language)
    module = flows_module("pipeline", language)
    with show_progress(language, counted={"ingest.source": len(configured_sources(found))}):
        report = module.run_pipeline(str(found.root), period, publish_incomplete=publish_incomplete,
                                     allow_without_consent=allow_without_consent)
    typer.echo(render_steps(report.steps, language))
    raise typer.Exit(1 if report.failed else 0)


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(reprocess)
    app.command()(pipeline)


# --- screens ---------------------------------------------------------------------------------------


def render_status(report: StatusReport, root: str, lang: str, *, database: str | None = None) -> str:
    """The whole status as one screen of plain text (aligned columns; no colour, safe for logs)."""
    out = [say("steward.title", lang, root=root)]
    out += [say("steward.database_in_use", lang, url=database), ""] if database else [""]
    out += section_lines(say("steward.sources", lang), say("steward.source_cols", lang), [
        [s.org, s.source, s.batch_id, name_of("steward.state", s.status, lang), short_time(s.received_at),
         s.rows_read, s.loaded, s.quarantined, s.held]
        if s.batch_id is not None else [s.org, s.source, "-", say("steward.never", lang), "", "", "", "", ""]
        for s in report.sources], lang)
    out += section_lines(say("steward.held", lang), say("steward.held_cols", lang), [
        [h.org, h.source, h.batch_id, h.kind or "", short_time(h.received_at), h.rows_held,
         ", ".join(h.failed_checks)]
        for h in report.held], lang)
    out += _concerns(report, lang)
    out += section_lines(say("steward.quarantine", lang), say("steward.quarantine_cols", lang),
                         [[q.org, q.rows, q.batches] for q in report.quarantine], lang)
    if report.rejected_at_source:  # only when there are some: most hubs never see this section
        out.append(say("steward.rejected_at_source", lang))
        out += [say("steward.rejected_at_source_item", lang, org=r.org, source=r.source, batch=r.batch_id,
                    name=r.file_name or r.source, kind=r.kind or "?", rejected=r.rows_rejected, read=r.rows_read,
                    codes=r.codes or "-") for r in report.rejected_at_source]
        out.append("")
    if report.linkage is None:
        out.append(say("steward.linkage_never", lang))
    else:
        run = report.linkage
        out.append(say("steward.linkage", lang, run=run.run_id, when=short_time(run.finished_at or run.started_at),
                       new=run.persons_new if run.persons_new is not None else "?",
                       pairs=run.pairs_for_review if run.pairs_for_review is not None else "?"))
    out += [say("steward.review", lang, count=report.open_review_pairs), ""]
    if not report.publications:
        out += [say("steward.publications_none", lang), ""]
    else:
        out += section_lines(say("steward.publications", lang), say("steward.publication_cols", lang), [
            [p.period, p.version, name_of("steward.state", p.state, lang), short_time(p.created_at),
             _blank(p.cells), _blank(p.suppressed_cells)]
            for p in report.publications], lang)
    out += _waiting_versions(report, lang)
    out += section_lines(say("steward.overdue", lang), say("steward.overdue_cols", lang), [
        [o.org, o.source, o.period_start.isoformat(), o.due.isoformat(), short_time(o.last_arrival) or "-"]
        for o in report.overdue], lang)
    if report.flow_runs is not None:
        out += section_lines(say("steward.flows", lang), say("steward.flow_cols", lang), [
            [r.flow, r.name, r.state, short_time(r.start_time), short_time(r.end_time)] for r in report.flow_runs],
            lang)
    elif report.flow_runs_error:
        out += [say("steward.flows_unreadable", lang, reason=report.flow_runs_error), ""]
    else:
        out += [say("steward.flows_off", lang), ""]
    waiting = report.waiting()
    if waiting:
        out.append(say("steward.waiting", lang, items=", ".join(
            say(key, lang, count=count) for key, count in waiting.items())))
    if waiting:
        out.append(say("steward.attention", lang))
        out += [f"  - {say(_NEXT[key], lang)}" for key in waiting]
    else:  # rows rejected at source wait for a partner, and no steward's act closes them
        out.append(say("steward.all_clear_at_hub" if report.rejected_at_source else "steward.all_clear", lang))
    return "\n".join(out)


# What the steward does next about each thing that waits (StatusReport.waiting's keys).
_NEXT = {"steward.waiting_held": "steward.next_held", "steward.waiting_quarantine": "steward.next_quarantine",
         "steward.waiting_overdue": "steward.next_overdue", "steward.waiting_failed_runs": "steward.next_failed_runs",
         "steward.waiting_review": "steward.next_review", "steward.waiting_drafts": "steward.next_drafts",
         "steward.waiting_late": "steward.next_late", "steward.waiting_stale": "steward.next_stale",
         "steward.waiting_stuck": "steward.next_stuck", "steward.waiting_failed_batches": "steward.next_failed_batches",
         "steward.waiting_rejected": "steward.next_rejected",
         "steward.waiting_failing_sources": "steward.next_failing_sources"}


def _concerns(report: StatusReport, lang: str) -> list[str]:
    """Stuck, failed and rejected batches and failing sources: sections shown only when there are some."""
    from interchange.errors import visible_path

    out = []
    for title, batches in (("steward.stuck", report.stuck), ("steward.failed_batches", report.failed)):
        if batches:
            out += section_lines(say(title, lang), say("steward.stuck_cols", lang), [
                [b.org, b.source, b.batch_id, b.kind or "", visible_path(b.file_name or ""), short_time(b.received_at),
                 b.detail] for b in batches], lang)
    if report.rejected:
        out += section_lines(say("steward.rejected", lang), say("steward.rejected_cols", lang), [
            [b.org, b.source, b.batch_id, b.kind or "", visible_path(b.file_name or ""), short_time(b.received_at),
             b.detail] for b in report.rejected], lang)
    if report.failing_sources:
        out += section_lines(say("steward.failing_sources", lang), say("steward.failing_sources_cols", lang), [
            [f.org, f.source, f.runs, short_time(f.since), f.error_class or ""] for f in report.failing_sources], lang)
    return out


def _waiting_versions(report: StatusReport, lang: str) -> list[str]:
    """The publications section's follow-up: drafts to approve, late data, stale versions."""
    from interchange.commands.publishing import render_late, render_stale

    lines = []
    for v in report.versions:
        if v.state == "draft":
            lines.append(say("steward.awaiting_approval", lang, period=v.period, version=v.version))
        if v.late:
            lines.append(render_late(v.period, v.late, lang))
        if v.staleness.stale:
            lines.append(render_stale(v.staleness, lang))
    return [*lines, ""] if lines else []


def render_plan(candidates: Sequence[Candidate], lang: str) -> str:
    if not candidates:
        return say("steward.reprocess_none", lang)
    lines = [say("steward.reprocess_plan", lang)]
    for c in candidates:
        what = (say("steward.some_rows", lang, rows=c.row_count) if c.rows is not None
                else say("steward.whole_failed" if c.reason == "failed" else "steward.whole_held", lang))
        lines.append(say("steward.reprocess_item", lang, batch=c.batch_id, org=c.org, kind=c.kind or "?", what=what))
    return "\n".join(lines)


def render_reruns(reruns: Sequence[Rerun], lang: str) -> str:
    return "\n".join(say("steward.reprocess_done", lang, old=r.candidate.batch_id, new=r.receipt.batch_id,
                         status=name_of("steward.state", r.receipt.status.value, lang), read=r.receipt.counts.rows_read,
                         loaded=r.receipt.counts.loaded, unchanged=r.receipt.counts.unchanged,
                         quarantined=r.receipt.counts.quarantined, held=r.receipt.counts.held)
                     for r in reruns)


def render_steps(steps: Sequence[Any], lang: str) -> str:
    """One line per pipeline step: name, outcome and the flow's own detail (counts or the reason it stopped)."""
    return "\n".join(f"{name_of('steward.step', step.name, lang)}  {name_of('steward.outcome', step.outcome, lang)}  "
                     f"{step.detail}" for step in steps)


def _blank(value: object) -> object:
    return "" if value is None else value
