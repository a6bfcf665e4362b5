"""The `pipeline` flow: ingest, then link, then publish, in order; for a backfill or a manual run.

Each step is the same flow that runs on its own schedule, called here as a subflow, so
its artifacts, logs and alerts are the ones a steward already knows. What runs after a
step that went wrong (docs/operations.md, "The pipeline"):

- **ingest did not finish** (no summary: the warehouse could not be opened, the config
  broke): stop. What the warehouse holds is not known, so linking it could be wrong.
- **a source failed or a batch is held**: link still runs. Every batch is all-or-nothing,
  so the warehouse is consistent; the person index is right for what it holds, and the
  next link completes it once the missing data arrives (person keys are stable). Publish
  does not run: its figures would silently lack a partner's data. `publish_incomplete`
  overrides this for a deliberate partial publication.
- **link failed** (one transaction, so it changed nothing): publish does not run, since
  its distinct-person counts would rest on an out-of-date index.

The pipeline always ends with a report (a Markdown artifact and the state message) of
every step: ran, failed, or skipped and why. It is Failed when any step failed or was
skipped because of another.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.states import Completed, Failed, State

from flows.alerts import alert_on_failure
from flows.ingest import ingest
from flows.link import link
from flows.run_logs import said_safely
from interchange.errors import describe_failure
from interchange.ingest.run import IngestSummary
from interchange.workspace.layout import find_workspace

REPORT_KEY = "pipeline-report"
RAN, FAILED, SKIPPED = "ran", "failed", "skipped"


@dataclass(frozen=True)
class Step:
    name: str
    outcome: str  # ran, failed, skipped
    detail: str
    # The step's own summary (IngestSummary, LinkSummary) when it ran: a caller renders it in its
    # language instead of parsing the English detail or reading the warehouse again.
    summary: Any = field(default=None, compare=False)


@dataclass
class PipelineReport:
    """What each step of one pipeline run did; counts and reasons only."""

    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.outcome == FAILED for step in self.steps) or any(
            step.outcome == SKIPPED and step.detail.startswith("stopped") for step in self.steps)

    def add(self, name: str, outcome: str, detail: str, summary: Any = None) -> None:
        self.steps.append(Step(name, outcome, detail, summary))

    def outcome_of(self, name: str) -> str | None:
        return next((step.outcome for step in self.steps if step.name == name), None)

    def message(self) -> str:
        return "; ".join(f"{step.name} {step.outcome}" for step in self.steps)

    def markdown(self) -> str:
        rows = [f"| {step.name} | {step.outcome} | {step.detail} |" for step in self.steps]
        return "\n".join(["# Pipeline run", "", "| step | outcome | detail |", "|---|---|---|", *rows]) + "\n"

    def alert_fields(self) -> dict[str, Any]:
        """What an alert about this run may carry (flows.alerts)."""
        return {"steps": [{"step": s.name, "outcome": s.outcome, "detail": s.detail} for s in self.steps]}


def _state_detail(state: State) -> str:
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, BaseException):
        return describe_failure(outcome)
    return state.message or state.name or state.type.value


def run_ingest_step(workspace: str, report: PipelineReport) -> IngestSummary | None:
    state = ingest(workspace, return_state=True)
    summary = state.result(raise_on_failure=False)
    if not isinstance(summary, IngestSummary):
        report.add("ingest", FAILED, f"did not finish: {_state_detail(state)}")
        return None
    report.add("ingest", RAN if state.is_completed() else FAILED, _state_detail(state), summary)
    return summary


def run_link_step(workspace: str, report: PipelineReport) -> bool:
    state = link(workspace, return_state=True)
    summary = state.result(raise_on_failure=False) if state.is_completed() else None
    report.add("link", RAN if state.is_completed() else FAILED, _state_detail(state), summary)
    return state.is_completed()


def publish_flow() -> Any | None:
    """flows/publish.py's `publish` flow, or None in a checkout that has no publishing yet."""
    try:
        module = importlib.import_module("flows.publish")
    except ModuleNotFoundError as exc:
        if exc.name != "flows.publish":
            raise
        return None
    return getattr(module, "publish", None)


def run_publish_step(workspace: str, period: str, report: PipelineReport, *,
                     allow_without_consent: bool = False) -> None:
    publish = publish_flow()
    if publish is None:
        report.add("publish", SKIPPED, "flows/publish.py is not in this checkout")
        return
    state = publish(workspace=workspace, period=period, allow_without_consent=allow_without_consent,
                    return_state=True)
    report.add("publish", RAN if state.is_completed() else FAILED, _state_detail(state))


@flow(name="pipeline", persist_result=False, on_failure=[alert_on_failure], on_crashed=[alert_on_failure])
@said_safely
def pipeline(workspace: str | None = None, period: str | list[str] | None = None,
             publish_incomplete: bool = False, allow_without_consent: bool = False) -> State[PipelineReport]:
    """Ingest, link, and (with a period) publish, in order; stops where going on would be wrong.

    Args:
        workspace: The workspace folder; default $INTERCHANGE_WORKSPACE, else the current folder.
        period: The reporting period to publish (e.g. 2026-09, 2026-Q3, 2026, a programme code,
            previous-month), or a list of them, published in order; none: no publish step.
        publish_incomplete: Publish even when a source failed or a batch is held.
        allow_without_consent: Publish even when every person of an organisation lacks consent
            to reporting (flows/publish.py; recorded with the version).
    """
    periods = [period] if isinstance(period, str) else list(period or [])
    root = str(find_workspace(Path(workspace) if workspace else None).root)
    report = PipelineReport()
    summary = run_ingest_step(root, report)
    if summary is None:
        report.add("link", SKIPPED, "stopped: ingest did not finish, the warehouse's state is not known")
        if periods:
            report.add("publish", SKIPPED, "stopped: ingest did not finish")
    else:
        linked = run_link_step(root, report)
        if periods:
            incomplete = [f"{len(summary.failures)} source(s) failed"] if summary.failures else []
            incomplete += [f"{len(summary.held)} batch(es) held"] if summary.held else []
            incomplete += [f"{len(summary.failed)} batch(es) failed"] if summary.failed else []
            if not linked:
                report.add("publish", SKIPPED, "stopped: link failed, person counts would rest on an old index")
            elif incomplete and not publish_incomplete:
                report.add("publish", SKIPPED, f"stopped: {', '.join(incomplete)}; the figures would lack "
                                               f"that data (publish_incomplete=true publishes anyway)")
            else:
                for label in periods:
                    run_publish_step(root, label, report, allow_without_consent=allow_without_consent)
    create_markdown_artifact(key=REPORT_KEY, markdown=report.markdown(),
                             description="What each step of this pipeline run did.")
    get_run_logger().info("pipeline: %s", report.message())
    if report.failed:
        return Failed(message=report.message(), data=report)
    return Completed(message=report.message(), data=report)


def run_pipeline(workspace: str, period: str | list[str] | None = None, *,
                 publish_incomplete: bool = False, allow_without_consent: bool = False) -> PipelineReport:
    """Run the flow once in this process and return its report, even when the run failed."""
    state = pipeline(workspace, period, publish_incomplete, allow_without_consent, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, PipelineReport):
        return outcome
    report = PipelineReport()
    report.add("pipeline", FAILED, _state_detail(state))
    return report
