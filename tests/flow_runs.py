"""Reading a flow run back through the Prefect API, as a steward sees it in the UI.

For tests that ran a flow under the session's Prefect test server (prefect_harness.py).
"""

from typing import Any


def run_artifacts(state: Any) -> dict[str, Any]:
    """The flow run's artifacts by key."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return {artifact.key: artifact for artifact in found}


def run_task_runs(state: Any) -> dict[str, Any]:
    """The flow run's task runs by name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        found = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[state.state_details.flow_run_id])))
    return {run.name: run for run in found}


def run_logs(state: Any) -> str:
    """The flow run's log lines, one per line, as "logger name: message"."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # the API handler sends in the background
    with get_client(sync_client=True) as client:
        found = client.read_logs(LogFilter(flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return "\n".join(f"{log.name}: {log.message}" for log in found)
