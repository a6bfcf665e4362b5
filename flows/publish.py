"""The `publish` flow: a period's indicators computed, protected and stored as its next version.

What a publication is lives in `interchange.indicators.publications`; this module runs it
as one task and shows the steward counts: cells, suppressed cells, cells changed since the
previous version, input batches, and the published (protected) totals per indicator. It
never shows an unsuppressed figure. A period that cannot be published (locked, not ended,
no data: publications.check_publishable) is refused before the task runs: the run fails
with the reason as its message, without a traceback, and nothing is stored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State
from sqlalchemy import Engine

from flows.alerts import alert_on_failure
from flows.run_logs import said_safely
from interchange.errors import InterchangeError, describe_failure, failure_trace
from interchange.indicators import publications
from interchange.indicators.periods import Period, PeriodError, parse_period, resolve_relative_period
from interchange.indicators.publications import (
    Publication,
    PublicationError,
    late_batches,
    render_consent,
    summary_counts,
)
from interchange.indicators.shareable import published_totals, shareable_progress
from interchange.warehouse.engine import warehouse
from interchange.workspace.database import confirm_database
from interchange.workspace.layout import Workspace, find_workspace

SUMMARY_KEY = "publication-summary"
TOTALS_KEY = "publication-totals"
NEXT_KEY = "publication-next-steps"
PROGRESS_KEY = "programme-progress"


class PublishFailed(InterchangeError):
    """What a failed or refused publish raises to Prefect, in words without record values."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


@task(task_run_name="publish {period.label}",
      # Every run must read the warehouse again; the version lives there, not in result storage.
      cache_policy=NO_CACHE, persist_result=False)
def publish_task(engine: Engine, workspace: Workspace, period: Period, by: str,
                 allow_without_consent: bool = False, provisional: bool = False) -> Publication | PublishFailed:
    """Compute, protect and store the next version of `period` (one transaction for the storing).

    A refusal found while computing (an organisation that counts nowhere for lack of consent)
    is returned, not raised: it is the steward's answer, and a raised one would print a task
    traceback before it.
    """
    try:
        return publications.publish(engine, workspace, period, by=by, allow_without_consent=allow_without_consent,
                                     provisional=provisional)
    except PublicationError as exc:  # our own sentence: says why, names no record
        return PublishFailed.passing_on(exc, refused=True)
    except Exception as exc:
        raise _failed(exc) from None


def _failed(exc: BaseException) -> PublishFailed:
    get_run_logger().error("publish failed: %s\n%s", describe_failure(exc), failure_trace(exc))
    # `from None` by the caller: a database error's message may quote a record.
    return PublishFailed.passing_on(exc, refused=False)


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
@said_safely
def publish(workspace: str | None = None, period: str | None = None,
                 granularity: Literal["month", "quarter", "year"] = "quarter",
                 by: str = "prefect", allow_without_consent: bool = False,
                 provisional: bool = False) -> State[Publication]:
    """Publish the next version of a period's indicator tables (approve it with `interchange approve`).

    Args:
        workspace: The workspace folder; default $INTERCHANGE_WORKSPACE, else the current folder.
        period: "2026-Q3", "2026-09", "2026", a programme code, or "previous-month",
            "previous-quarter", "previous-year": the period that ended last, in the
            municipality's calendar (Europe/Vilnius) when the run starts (what the
            scheduled deployments pass); default: previous-<granularity>.
        granularity: month, quarter or year: which period to publish when none is given.
        by: Who publishes (recorded with the version).
        allow_without_consent: Publish even when every person of an organisation lacks consent
            to reporting (recorded with the version); otherwise such a run is refused.
        provisional: Publish a period in progress as a version that cannot be approved.
    """
    found = find_workspace(Path(workspace) if workspace else None)
    confirm_database(found)  # a worker without INTERCHANGE_DATABASE_URL must not start an empty warehouse
    try:
        parsed = parse_period(resolve_relative_period(period or f"previous-{granularity}"), found.config)
    except PeriodError as exc:  # our own sentence: the forms a period takes
        refused = PublishFailed.passing_on(exc, refused=True)
        return Failed(message=str(refused), data=refused)
    # One engine for the run: the task runs in this process, and the artifacts read the
    # version it stored.
    with warehouse(found.database_url) as engine:
        try:
            publications.check_publishable(engine, parsed, provisional=provisional)
        except PublicationError as exc:  # a refusal is a state with its reason, not a task's traceback
            refused = PublishFailed.passing_on(exc, refused=True)
            return Failed(message=str(refused), data=refused)
        state = publish_task(engine, found, parsed, by, allow_without_consent, provisional, return_state=True)
        outcome = state.result(raise_on_failure=False)
        if not isinstance(outcome, Publication):
            message = str(outcome) if isinstance(outcome, PublishFailed) else f"{state.name}: {state.message}"
            return Failed(message=message, data=outcome if isinstance(outcome, BaseException) else None)
        counts = summary_counts(outcome)
        create_table_artifact(key=SUMMARY_KEY, table=[counts],
                              description=f"Publication {outcome.period} v{outcome.version}: counts only.")
        create_table_artifact(key=TOTALS_KEY, table=published_totals(engine, outcome),
                              description="Per indicator: cells, suppressed cells, published total (protected).")
        late = len(late_batches(engine, outcome.period))
        if any(p.code == outcome.period for p in found.config.programmes):
            create_table_artifact(key=PROGRESS_KEY, table=shareable_progress(engine, found, outcome.period),
                                  description=f"Programme {outcome.period}: value, target, share achieved "
                                              f"(values under the suppression threshold left empty).")
    create_markdown_artifact(key=NEXT_KEY, markdown=next_steps_markdown(outcome, found, late),
                             description="What the steward does next.")
    changed = "first version" if outcome.changed_cells is None else f"{outcome.changed_cells} changed cells"
    consent = "".join(f"; {line}" for line in render_consent(outcome, "en"))
    return Completed(message=f"{outcome.period} v{outcome.version}: {outcome.cells} cells, "
                             f"{outcome.suppressed_cells} suppressed, {changed}{consent}", data=outcome)


def run_publish(workspace: Workspace, period: str | None, *, granularity: str = "quarter",
                by: str = "prefect", allow_without_consent: bool = False,
                provisional: bool = False) -> Publication:
    """Run the flow once in this process; raises PublishFailed (refused or failed, no record values)."""
    state = publish(str(workspace.root), period, granularity, by, allow_without_consent, provisional,
                    return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, Publication):
        return outcome
    if isinstance(outcome, PublishFailed):
        raise outcome
    if isinstance(outcome, BaseException):
        raise PublishFailed.passing_on(outcome, refused=False)
    raise PublishFailed(f"{state.name}: {state.message}", refused=False)

