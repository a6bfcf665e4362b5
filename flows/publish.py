"""The `publish` flow: a period's indicators computed, protected and stored as its next version.

What a publication is lives in `interchange.indicators.publications`; this module runs it
as one task and shows the steward counts: cells, suppressed cells, cells changed since the
previous version, input batches, and the published (protected) totals per indicator. It
never shows an unsuppressed figure. A locked period is refused: the run fails with the
reason, and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from flows.alerts import alert_on_failure
from interchange.indicators import publications
from interchange.indicators.periods import Period, PeriodError, parse_period, resolve_relative_period
from interchange.indicators.publications import (
    Publication,
    PublicationError,
    late_batches,
    ministry_view,
    publication_cells_frame,
    summary_counts,
)
from interchange.ingest.run import describe_failure, failure_trace
from interchange.warehouse.engine import open_warehouse
from interchange.workspace.layout import Workspace, find_workspace

SUMMARY_KEY = "publication-summary"
TOTALS_KEY = "publication-totals"
NEXT_KEY = "publication-next-steps"
PROGRESS_KEY = "programme-progress"


class PublishFailed(Exception):
    """What a failed or refused publish raises to Prefect, in words without record values."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


@task(task_run_name="publish {period.label}",
      # Every run must read the warehouse again; the version lives there, not in result storage.
      cache_policy=NO_CACHE, persist_result=False)
def publish_task(workspace: Workspace, period: Period, by: str) -> Publication:
    """Compute, protect and store the next version of `period` (one transaction for the storing)."""
    engine = open_warehouse(workspace.database_url)
    try:
        return publications.publish(engine, workspace, period, by=by)
    except PublicationError as exc:  # our own sentence: says why, names no record
        raise PublishFailed(str(exc), refused=True) from None
    except Exception as exc:
        raise _failed(exc) from None
    finally:
        engine.dispose()


def _failed(exc: BaseException) -> PublishFailed:
    get_run_logger().error("publish failed: %s\n%s", describe_failure(exc), failure_trace(exc))
    # `from None` by the caller: a database error's message may quote a record.
    return PublishFailed(describe_failure(exc), refused=False)


def totals_table(workspace: Workspace, publication: Publication) -> list[dict[str, Any]]:
    """Per indicator: cells, suppressed cells and the published total (empty when it is suppressed)."""
    engine = open_warehouse(workspace.database_url)
    try:
        cells = publication_cells_frame(engine, publication.period, publication.version)
    finally:
        engine.dispose()
    view = ministry_view(cells, publication.period)  # published figures only
    rows = []
    for indicator, group in view.groupby("indicator", sort=True):
        total = group[group["breakdown"] == "total"]
        value = None if total.empty or total["suppressed"].iloc[0] else float(total["value"].iloc[0])
        rows.append({"indicator": indicator, "cells": len(group), "suppressed": int(group["suppressed"].sum()),
                     "published_total": value})
    return rows


def progress_rows(workspace: Workspace, programme: str) -> list[dict[str, Any]]:
    """Progress against the programme's targets; a value under the suppression threshold shows as empty.

    Prefect's UI is read by more people than the warehouse: a small count stays in the hub
    (`interchange progress` shows it to a steward).
    """
    from interchange.indicators.progress import programme_progress
    from interchange.indicators.publications import load_workspace_catalogue

    engine = open_warehouse(workspace.database_url)
    try:
        table = programme_progress(engine, load_workspace_catalogue(workspace), workspace.config, programme)
    finally:
        engine.dispose()
    threshold = workspace.config.publishing.min_count
    rows = []
    for row in table.itertuples(index=False):
        small = 0 < row.value < threshold
        rows.append({"indicator": row.indicator, "service": row.service, "figure": row.figure,
                     "value": None if small else row.value, "target": row.target,
                     "achieved": None if small else round(row.share, 3)})
    return rows


def next_steps_markdown(publication: Publication, workspace: Workspace, late: int) -> str:
    lines = [f"# {publication.period} v{publication.version}: {publication.state.value}", "",
             f"- {publication.cells} cells, {publication.suppressed_cells} suppressed; "
             + ("first version." if publication.changed_cells is None
                else f"{publication.changed_cells} cells changed since v{publication.version - 1}."),
             f"- Computed from {len(publication.input_batches)} loaded batches "
             f"(inputs SHA-256 `{publication.inputs_sha256[:16]}…`), linkage run {publication.linkage_run_id}.",
             f"- Approve and export: `interchange approve --period {publication.period} --version "
             f"{publication.version} --workspace {workspace.root}`"]
    if late:
        lines.append(f"- **{late}** late batches wait for this period.")
    return "\n".join(lines) + "\n"


# A refused publish fails the run too: a scheduled publish of a locked period wants a steward.
@flow(name="publish", persist_result=False, on_failure=[alert_on_failure], on_crashed=[alert_on_failure])
def publish(workspace: str | None = None, period: str | None = None,
                 granularity: Literal["month", "quarter", "year"] = "quarter",
                 by: str = "prefect") -> State[Publication]:
    """Publish the next version of a period's indicator tables (approve it with `interchange approve`).

    Args:
        workspace: The workspace folder; default $INTERCHANGE_WORKSPACE, else the current folder.
        period: "2026-Q3", "2026-09", "2026", a programme code, or "previous-month",
            "previous-quarter", "previous-year": the period that ended last, in the
            municipality's calendar (Europe/Vilnius) when the run starts (what the
            scheduled deployments pass); default: previous-<granularity>.
        granularity: month, quarter or year: which period to publish when none is given.
        by: Who publishes (recorded with the version).
    """
    found = find_workspace(Path(workspace) if workspace else None)
    try:
        parsed = parse_period(resolve_relative_period(period or f"previous-{granularity}"), found.config)
    except PeriodError as exc:  # our own sentence: the forms a period takes
        refused = PublishFailed(str(exc), refused=True)
        return Failed(message=str(refused), data=refused)
    state = publish_task(found, parsed, by, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if not isinstance(outcome, Publication):
        message = str(outcome) if isinstance(outcome, PublishFailed) else f"{state.name}: {state.message}"
        return Failed(message=message, data=outcome if isinstance(outcome, BaseException) else None)
    counts = summary_counts(outcome)
    create_table_artifact(key=SUMMARY_KEY, table=[counts],
                          description=f"Publication {outcome.period} v{outcome.version}: counts only.")
    create_table_artifact(key=TOTALS_KEY, table=totals_table(found, outcome),
                          description="Per indicator: cells, suppressed cells, published total (protected).")
    engine = open_warehouse(found.database_url)
    try:
        late = len(late_batches(engine, outcome.period))
    finally:
        engine.dispose()
    if any(p.code == outcome.period for p in found.config.programmes):
        create_table_artifact(key=PROGRESS_KEY, table=progress_rows(found, outcome.period),
                              description=f"Programme {outcome.period}: value, target, share achieved "
                                          f"(values under the suppression threshold left empty).")
    create_markdown_artifact(key=NEXT_KEY, markdown=next_steps_markdown(outcome, found, late),
                             description="What the steward does next.")
    changed = "first version" if outcome.changed_cells is None else f"{outcome.changed_cells} changed cells"
    return Completed(message=f"{outcome.period} v{outcome.version}: {outcome.cells} cells, "
                             f"{outcome.suppressed_cells} suppressed, {changed}", data=outcome)


def run_publish(workspace: Workspace, period: str | None, *, granularity: str = "quarter",
                by: str = "prefect") -> Publication:
    """Run the flow once in this process; raises PublishFailed (refused or failed, no record values)."""
    state = publish(str(workspace.root), period, granularity, by, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, Publication):
        return outcome
    if isinstance(outcome, PublishFailed):
        raise outcome
    if isinstance(outcome, BaseException):
        raise PublishFailed(describe_failure(outcome), refused=False)
    raise PublishFailed(f"{state.name}: {state.message}", refused=False)

