"""The steward's commands: `interchange status`, `interchange reprocess` and `interchange pipeline`."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    fail,
    flows_module,
    open_workspace,
    prepare_prefect,
    show_progress,
    steward_lang,
)


def status(workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """The hub on one screen: sources, held batches, quarantine, review, linkage, publications, overdue drops.

    Prefect flow-run states are added when PREFECT_API_URL is set.

    Exit 0: all clear; 1: something needs a steward (held, quarantined, overdue, a failed run);
    2: the workspace or its config is wrong.
    """
    from interchange.operations.messages import render_status
    from interchange.operations.status import collect_status
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with warehouse(found.database_url) as engine:
        report = collect_status(found, engine, prefect_api_url=os.environ.get("PREFECT_API_URL") or None)
    typer.echo(render_status(report, str(found.root), language))
    raise typer.Exit(1 if report.needs_attention else 0)


def reprocess(
    workspace: WorkspaceOption = None,
    batch: Annotated[list[int] | None, typer.Option(
        "--batch", "-b", help="Only this batch (repeatable); default: every held batch and every open quarantine.")
    ] = None,
    org: Annotated[str | None, typer.Option(help="Only this organisation's batches.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be re-run.")] = False,
    lang: StewardLangOption = None,
) -> None:
    """Re-run held batches and quarantined rows from the archive after a fix, in arrival order.

    Each re-run is a new batch with a new receipt; nothing is read from the inbox.
    Exit 0: every re-run loaded cleanly (or nothing to do); 1: a re-run was held or still
    quarantined rows; 2: the workspace is wrong or a --batch has nothing to re-run.
    """
    from interchange.ingest.reprocess import ReprocessError, find_candidates
    from interchange.ingest.reprocess import reprocess as run_reprocess
    from interchange.ingest.run import open_hub
    from interchange.operations.messages import render_plan, render_reruns, say

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with open_hub(found) as hub:
        try:
            candidates = find_candidates(hub.engine, org=org.lower() if org else None, batch_ids=batch)
        except ReprocessError as exc:
            fail(language, "error", say("reprocess_nothing_for", language,
                                        batches=", ".join(map(str, exc.batch_ids))), code=2)
        typer.echo(render_plan(candidates, language))
        if dry_run or not candidates:
            raise typer.Exit(0)
        with show_progress(language):
            reruns = run_reprocess(hub, candidates)
    typer.echo(render_reruns(reruns, language))
    typer.echo(say("reprocess_receipts", language, root=found.root / "receipts"))
    troubled = any(r.receipt.counts.held or r.receipt.counts.quarantined for r in reruns)
    raise typer.Exit(1 if troubled else 0)


def pipeline(
    workspace: WorkspaceOption = None,
    period: Annotated[str | None, typer.Option(
        help="Also publish this period (2026-09, 2026-Q3, 2026) after linking.")] = None,
    publish_incomplete: Annotated[bool, typer.Option(
        "--publish-incomplete", help="Publish even when a source failed or a batch is held.")] = False,
    lang: StewardLangOption = None,
) -> None:
    """Ingest, link and (with --period) publish, in order, as one Prefect run: for a backfill or by hand.

    Link does not run when ingest did not finish; publish does not run after a failed
    link, a failed source or a held batch (unless --publish-incomplete).
    Exit 0: every step ran; 1: a step failed or was stopped; 2: the workspace is wrong.
    """
    from interchange.ingest.run import configured_sources
    from interchange.operations.messages import render_steps

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    prepare_prefect(language)
    module = flows_module("pipeline", language)
    with show_progress(language, counted={"ingest.source": len(configured_sources(found))}):
        report = module.run_pipeline(str(found.root), period, publish_incomplete=publish_incomplete)
    typer.echo(render_steps(report.steps, language))
    raise typer.Exit(1 if report.failed else 0)


def register(app: typer.Typer) -> None:
    app.command()(status)
    app.command()(reprocess)
    app.command()(pipeline)
