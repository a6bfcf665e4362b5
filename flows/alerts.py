"""Failure alerts for the flows: a Prefect state hook, and the ingest flow's attention alerts.

Both post through `interchange.operations.alerts` to the webhook the workspace names
(`alerts: webhook_url_env`). An alert carries the flow, the failed sources, batch ids and
counts, and problem codes; never a record value, a partner's file name or an exception's
own text (a database error can quote a row): exceptions travel as their class only,
except our own (`interchange.errors.describe_failure` decides).
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from interchange.errors import describe_failure
from interchange.ingest.run import IngestSummary
from interchange.operations.alerts import alert_payload, alert_target, batch_entries, send_alert
from interchange.operations.missing import AlertLedger, overdue_drops
from interchange.warehouse.engine import warehouse
from interchange.workspace import ConfigError
from interchange.workspace.layout import Workspace, find_workspace

log = logging.getLogger(__name__)


def _workspace_of(flow_run: Any) -> Workspace | None:
    try:
        given = (flow_run.parameters or {}).get("workspace")
        return find_workspace(Path(given) if given else None)
    except ConfigError:
        return None


def _outcome(state: Any) -> Any:
    try:
        return state.result(raise_on_failure=False)
    except Exception:  # the result is gone (not persisted) or cannot be read: the state still says enough
        return None


def failure_payload(flow_name: str, flow_run: Any, state: Any, workspace: Workspace | None) -> dict[str, Any]:
    """What a failed or crashed flow run's alert says: flow, run, state, and our own counts."""
    outcome = _outcome(state)
    fields: dict[str, Any] = {"flow": flow_name, "flow_run": flow_run.name, "flow_run_id": str(flow_run.id),
                              "state": state.name, "workspace": workspace.root.name if workspace else None}
    if isinstance(outcome, IngestSummary):
        fields["message"] = state.message
        fields["sources"] = [{"source": label, "problem": problem} for label, problem in outcome.failures.items()]
        fields["batches"] = batch_entries(r for r in outcome.receipts if r.status.value != "loaded")
        fields["counts"] = {"batches": len(outcome.receipts), "rows_loaded": outcome.rows_loaded,
                            "rows_quarantined": outcome.rows_quarantined, "batches_held": len(outcome.held)}
    elif isinstance(outcome, BaseException):
        fields["message"] = describe_failure(outcome)
    elif hasattr(outcome, "alert_fields"):  # the pipeline's report says what it may share
        fields.update(outcome.alert_fields())
        fields["message"] = state.message
    else:
        fields["message"] = state.name
    return alert_payload("flow_failed", **fields)


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect on_failure / on_crashed hook: post the failure to the workspace's webhook."""
    workspace = _workspace_of(flow_run)
    if workspace is None:
        log.warning("no alert for flow run %s: its workspace cannot be opened", flow_run.name)
        return
    send_alert(alert_target(workspace.config.alerts), failure_payload(flow.name, flow_run, state, workspace))


def alert_attention(workspace: Workspace, summary: IngestSummary, *, flow_run: str | None = None,
                    flow_run_id: str | None = None, today: date | None = None) -> list[str]:
    """After an ingest: alert held and failed batches of this run, and overdue drops not alerted yet this period.

    Returns the events sent (for the run's log).
    """
    target = alert_target(workspace.config.alerts)
    run = {"flow": "ingest", "workspace": workspace.root.name, "flow_run": flow_run, "flow_run_id": flow_run_id}
    sent = []
    if summary.held and send_alert(target, alert_payload("batch_held", batches=batch_entries(summary.held), **run)):
        sent.append("batch_held")
    if summary.failed and send_alert(target, alert_payload("batch_failed", batches=batch_entries(summary.failed),
                                                           **run)):
        sent.append("batch_failed")
    with warehouse(workspace.database_url) as engine:
        overdue = overdue_drops(workspace, engine, today=today)
    ledger = AlertLedger(workspace)
    fresh = ledger.new(overdue)
    if fresh and send_alert(target, alert_payload("drop_overdue", overdue=[d.as_alert() for d in fresh], **run)):
        ledger.remember(fresh)
        sent.append("drop_overdue")
    return sent
