"""The `ingest` flow: every configured source once, each a task with retries, and a summary for stewards.

What happens to a drop or a pull is decided in `interchange.ingest`; this module adds
retries, the Secret blocks that hold API tokens, and the artifacts a steward reads.
Nothing it logs, raises or publishes carries a record value: failures reach Prefect as
a `SourceFailed` that says only the source, problem codes and messages built from
templates, and tracebacks as code locations only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from flows.alerts import alert_attention, alert_on_failure
from flows.run_logs import said_safely
from interchange.contract.receipt import Receipt
from interchange.errors import InterchangeError, describe_failure, failure_trace, remember_secret
from interchange.ingest.drops import Hub
from interchange.ingest.run import (
    IngestSummary,
    SourceError,
    SourceRef,
    attention_markdown,
    batch_table,
    ingest_source,
    ingest_workspace,
    token_from_environment,
    worth_retrying,
)
from interchange.operations.notify import notify_partners
from interchange.warehouse.engine import warehouse
from interchange.workspace.config import HttpSourceConfig
from interchange.workspace.database import confirm_database
from interchange.workspace.layout import Workspace, find_workspace

TABLE_KEY = "ingest-batches"
ATTENTION_KEY = "ingest-attention"
# A database restart or a partner API outage: try again after a minute, then after five.
# What a retry cannot mend (a missing or refused token, permission denied, a full disk, a bug)
# is not retried: see worth_retrying.
RETRIES = 2
RETRY_DELAYS: list[float] = [60, 300]


class SourceFailed(InterchangeError):
    """What a failed source task raises to Prefect, in words without record values."""

    def __init__(self, label: str, description: str, *, transient: bool, cause: str | None = None) -> None:
        super().__init__(f"{label}: {description}")
        self.label = label
        self.description = description
        self.transient = transient
        self.cause = cause  # the class name of what failed the source, for the hub's source_runs


def resolve_token(source: HttpSourceConfig) -> str:
    """The API token: from the environment variable, or from the Prefect Secret block the config names."""
    if source.token_block is None:
        return token_from_environment(source)
    from prefect.blocks.system import Secret

    try:
        # Prefect dispatches load() by context; here, outside an event loop, it returns the block.
        secret = cast(Secret, Secret.load(source.token_block))
    except ValueError:  # Prefect's way of saying there is no such block
        raise SourceError(key="error.secret_block_missing", block=source.token_block) from None
    token = str(secret.get())
    remember_secret(token)
    return token


def _retry_if_transient(_task: Any, _task_run: Any, state: State) -> bool:
    failure = state.result(raise_on_failure=False)
    return isinstance(failure, InterchangeError) and failure.transient


@task(retries=RETRIES, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=_retry_if_transient,
      task_run_name="ingest {ref.label}",
      # Every run must look at the inbox again, and receipts belong in the receipt folder,
      # not in Prefect's result storage.
      cache_policy=NO_CACHE, persist_result=False)
def ingest_source_task(hub: Hub, ref: SourceRef) -> list[Receipt]:
    """One source: its drops or its pull, receipts written; raises SourceFailed when it fails as a whole."""
    try:
        return ingest_source(hub, ref, resolve_token)
    except Exception as exc:
        description = describe_failure(exc)
        get_run_logger().error("%s failed: %s\n%s", ref.label, description, failure_trace(exc))
        # `from None`: the original exception's message may quote a record, and Prefect
        # logs the traceback of what a task raises.
        raise SourceFailed(ref.label, description, transient=worth_retrying(exc), cause=type(exc).__name__) from None


def run_source_task(hub: Hub, ref: SourceRef) -> list[Receipt]:
    """One source as a task run, for the library's loop (ingest_workspace): its receipts, or SourceError."""
    state = ingest_source_task(hub, ref, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if not state.is_completed() or isinstance(outcome, BaseException):
        if isinstance(outcome, SourceFailed):
            raise SourceError(outcome.description, cause=outcome.cause)
        raise SourceError(f"{state.name}: {state.message}")
    get_run_logger().info("%s: %d batches", ref.label, len(outcome))
    return outcome


def publish_summary(summary: IngestSummary) -> None:
    """The receipts' counts as a table, and what needs a steward as Markdown, on the flow run."""
    create_table_artifact(key=TABLE_KEY, table=batch_table(summary),
                          description="Batches of this ingest run, as their receipts count them.")
    create_markdown_artifact(key=ATTENTION_KEY, markdown=attention_markdown(summary),
                             description="Held and rejected batches and failed sources of this ingest run.")


def send_attention_alerts(workspace: Workspace, summary: IngestSummary) -> None:
    """Held batches of this run and overdue drops go to the webhook; an alert problem never fails the run."""
    from prefect.runtime import flow_run

    logger = get_run_logger()
    try:
        sent = alert_attention(workspace, summary, flow_run=flow_run.name, flow_run_id=flow_run.id)
    except Exception as exc:
        logger.warning("attention alerts not sent: %s", describe_failure(exc))
        return
    if sent:
        logger.info("alerts sent: %s", ", ".join(sent))


def send_partner_notices(workspace: Workspace) -> None:
    """E-mail each partner, once, what of theirs needs them; a mail problem never fails the run."""
    logger = get_run_logger()
    try:
        with warehouse(workspace.database_url) as engine:
            report = notify_partners(workspace, engine)
    except Exception as exc:
        logger.warning("partner notifications not sent: %s", describe_failure(exc))
        return
    for delivery in report.sent:
        logger.info("%s notified: %s", delivery.org, delivery.events())
    for delivery in report.failed:
        logger.warning("%s not notified (%s), tried again next run: %s", delivery.org, delivery.events(),
                       describe_failure(delivery.error) if delivery.error else "?")
    for delivery in report.no_contact:
        logger.warning("%s not notified (%s): no contacts in interchange.yaml", delivery.org, delivery.events())


@flow(name="ingest", persist_result=False, on_failure=[alert_on_failure], on_crashed=[alert_on_failure])
@said_safely
def ingest(workspace: str | None = None, orgs: list[str] | None = None) -> State[IngestSummary]:
    """Ingest every configured source once: drops from the inbox, pulls from partner APIs.

    Args:
        workspace: The workspace folder; default $INTERCHANGE_WORKSPACE, else the current folder.
        orgs: Only these organisations' sources (codes from interchange.yaml); none: every
            organisation's. Runs given other organisations can go side by side on several
            workers (docs/scale-out.md).
    """
    found = find_workspace(Path(workspace) if workspace else None)
    confirm_database(found)  # a worker without INTERCHANGE_DATABASE_URL must not start an empty warehouse
    summary = ingest_workspace(found, orgs=orgs, run_source=run_source_task)
    publish_summary(summary)
    send_attention_alerts(found, summary)
    send_partner_notices(found)
    counts = summary.counts_line()
    if summary.failures:
        # A failed state, not an exception: the run is Failed for the UI and for alerts,
        # and the caller still gets the summary of the sources that ran.
        return Failed(message=f"{len(summary.failures)} source(s) failed: {', '.join(summary.failures)}; {counts}",
                      data=summary)
    return Completed(message=counts, data=summary)


def run_ingest(workspace: Workspace, orgs: list[str] | None = None) -> IngestSummary:
    """Run the flow once in this process (over `orgs` only, when given) and return its summary,
    even when the run failed."""
    state = ingest(str(workspace.root), orgs, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, IngestSummary):
        return outcome
    # The run failed before it had a summary: the warehouse could not be opened, say.
    reason = describe_failure(outcome) if isinstance(outcome, BaseException) else f"{state.name}: {state.message}"
    return IngestSummary(failures={"ingest": reason})
