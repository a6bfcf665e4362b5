"""The `link` flow: after ingest, person records into the master person index, and a summary for stewards.

What linkage decides lives in `interchange.linkage`; this module runs it as one task and
publishes counts: new persons, merges, splits, pairs awaiting review. Nothing it logs,
raises or publishes names a record (not even a record id): failures reach Prefect as a
`LinkFailed` with the exception's class, and tracebacks as code locations only.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, State

from flows.alerts import alert_on_failure
from flows.run_logs import said_safely
from interchange.errors import InterchangeError, describe_failure, failure_trace
from interchange.linkage.index import LinkSummary, link_persons
from interchange.linkage.scorers import configured_scorer
from interchange.warehouse.engine import warehouse
from interchange.workspace.database import confirm_database
from interchange.workspace.layout import Workspace, find_workspace

TABLE_KEY = "linkage-summary"
ATTENTION_KEY = "linkage-review"


class LinkFailed(InterchangeError):
    """What a failed linkage run raises to Prefect, in words without record values."""


@task(task_run_name="link persons",
      # Every run must look at the warehouse again; the index lives there, not in result storage.
      cache_policy=NO_CACHE, persist_result=False)
def link_persons_task(workspace: Workspace) -> LinkSummary:
    """One linkage run, one transaction: a failed run changed nothing and can simply run again."""
    settings = workspace.config.linkage
    try:
        with (warehouse(workspace.database_url) as engine,
              configured_scorer(settings.spark_master, settings.spark_config) as (name, scorer)):
            return link_persons(engine, scorer=scorer, scorer_name=name, upper=settings.upper, lower=settings.lower)
    except Exception as exc:
        get_run_logger().error("linkage failed: %s\n%s", describe_failure(exc), failure_trace(exc))
        # `from None`: a database error's message may quote a record.
        raise LinkFailed.passing_on(exc) from None


def summary_table(summary: LinkSummary) -> list[dict[str, int | float | None]]:
    return [{"run": summary.run_id, "records": summary.records, "persons": summary.persons,
             "records_linked": summary.records_linked, "new_persons": summary.new_persons,
             "merges": summary.merges, "splits": summary.splits, "keys_retired": summary.retired,
             "pairs_awaiting_review": summary.pairs_for_review, "households": summary.households,
             "household_guard_share": summary.household_share}]


def review_markdown(summary: LinkSummary, workspace: Workspace) -> str:
    """What a steward should look at, as counts and commands: never a record."""
    lines = ["# Linkage: what needs a steward", "",
             f"- **{summary.pairs_for_review}** pairs await review "
             f"(`interchange review list --workspace {workspace.root}`).",
             f"- {summary.new_persons} new persons, {summary.merges} merges, {summary.splits} splits, "
             f"{summary.retired} keys retired in run {summary.run_id}; every one is in the warehouse table "
             f"`linkage_events` with its reason.",
             f"- {summary.records} person records are {summary.persons} persons; "
             f"{summary.households} households."]
    return "\n".join(lines) + "\n"


@flow(name="link", persist_result=False, on_failure=[alert_on_failure], on_crashed=[alert_on_failure])
@said_safely
def link(workspace: str | None = None) -> State[LinkSummary]:
    """Link every non-deleted person record into the master person index; run it after `ingest`.

    Args:
        workspace: The workspace folder; default $INTERCHANGE_WORKSPACE, else the current folder.
    """
    found = find_workspace(Path(workspace) if workspace else None)
    confirm_database(found)  # a worker without INTERCHANGE_DATABASE_URL must not start an empty warehouse
    summary = link_persons_task(found)
    create_table_artifact(key=TABLE_KEY, table=summary_table(summary),
                          description="Counts of this linkage run.")
    create_markdown_artifact(key=ATTENTION_KEY, markdown=review_markdown(summary, found),
                             description="Pairs awaiting review and changes to the person index.")
    message = (f"{summary.persons} persons; {summary.new_persons} new, {summary.merges} merges, "
               f"{summary.splits} splits; {summary.pairs_for_review} pairs awaiting review")
    return Completed(message=message, data=summary)


def run_link(workspace: Workspace) -> LinkSummary:
    """Run the flow once in this process; raises LinkFailed (without record values) when it failed."""
    state = link(str(workspace.root), return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, LinkSummary):
        return outcome
    if isinstance(outcome, BaseException):
        raise LinkFailed.passing_on(outcome)
    raise LinkFailed(f"{state.name}: {state.message}")
