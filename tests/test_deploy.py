"""`prefect deploy --all` from the checkout against a local Prefect server, and a worker that runs a deployment.

What an operator relies on (docs/operations.md): the commands there work as written, the
deployments (ingest, link, pipeline, and publishing monthly, quarterly and yearly for the
period that has just ended) exist with their schedules, parameters and work pool, and a process worker
started from anywhere runs a deployed flow in the checkout, on the workspace fixed at
deploy time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HUB_CONFIG, empty_warehouse
from drop_kit import (
    CONTACT_HEADER,
    MIMC,
    PERSON_HEADER,
    SPC,
    batch_rows,
    contact_rows,
    drop,
    person_rows,
    receipts,
    versions,
)

pytest_plugins = ["prefect_harness"]

CHECKOUT = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "interchange"


@pytest.fixture
def hub_root(tmp_path: Path) -> Path:
    """A SQLite workspace: deploying does not depend on the warehouse's backend (CI time is precious)."""
    from interchange.workspace.init import init_workspace

    return init_workspace(tmp_path / "hub", config_text=HUB_CONFIG).root


@pytest.fixture
def prefect_cli(prefect_server: None, hub_root: Path) -> Iterator[dict[str, str]]:
    """The environment an operator's shell would have: the server's URL and the workspace."""
    from prefect.settings import get_current_settings

    env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url),
           "INTERCHANGE_WORKSPACE": str(hub_root), "PREFECT_CLI_PROMPT": "false",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "200"}
    yield env
    from prefect.client.orchestration import get_client

    # Leave the session's server without schedules that nobody will run.
    with get_client(sync_client=True) as client:
        for deployment in client.read_deployments():
            client.delete_deployment(deployment.id)


def run(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def deployments() -> dict[str, object]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        flows = {flow.id: flow.name for flow in client.read_flows()}
        return {f"{flows[d.flow_id]}/{d.name}": d for d in client.read_deployments()}


@pytest.mark.slow
def test_deploy_all_creates_the_scheduled_deployments_and_a_worker_runs_one(
        prefect_cli: dict[str, str], hub_root: Path, tmp_path: Path) -> None:
    run([PREFECT, "work-pool", "create", POOL, "--type", "process", "--overwrite"], prefect_cli, CHECKOUT)

    run([PREFECT, "--no-prompt", "deploy", "--all"], prefect_cli, CHECKOUT)

    found = deployments()
    publishing = {"publish/monthly": "previous-month", "publish/quarterly": "previous-quarter",
                  "publish/yearly": "previous-year"}
    expected = {"ingest/every-15-minutes", "link/nightly", "pipeline/manual", *publishing}
    assert expected <= set(found)
    for name in expected:
        assert found[name].work_pool_name == POOL
        period = {"period": publishing[name]} if name in publishing else {}
        assert found[name].parameters == {"workspace": str(hub_root), **period}
        assert found[name].pull_steps == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(CHECKOUT)}}]
    [every] = found["ingest/every-15-minutes"].schedules
    assert (every.schedule.interval.total_seconds(), every.schedule.timezone, every.active) == (
        900, "Europe/Vilnius", True)
    [nightly] = found["link/nightly"].schedules
    assert (nightly.schedule.cron, nightly.schedule.timezone) == ("30 1 * * *", "Europe/Vilnius")
    assert found["pipeline/manual"].schedules == []
    # Publishing after the partners' drops are due (the 5th) and the nightly link, in Vilnius time.
    crons = {name: [(s.schedule.cron, s.schedule.timezone, s.active) for s in found[name].schedules]
             for name in publishing}
    assert crons == {"publish/monthly": [("0 6 6 * *", "Europe/Vilnius", True)],
                     "publish/quarterly": [("30 6 6 1,4,7,10 *", "Europe/Vilnius", True)],
                     "publish/yearly": [("0 7 6 1 *", "Europe/Vilnius", True)]}
    assert {found[name].entrypoint for name in publishing} == {"flows/publish.py:publish"}
    assert all(found[name].global_concurrency_limit.limit == 1 for name in publishing)  # one at a time
    assert found["ingest/every-15-minutes"].entrypoint == "flows/ingest.py:ingest"

    # A partner's drop, a run of the deployment, and a worker started elsewhere that runs it once.
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    started = run([PREFECT, "deployment", "run", "ingest/every-15-minutes"], prefect_cli, CHECKOUT)
    assert "Created flow run" in started.stdout
    run([PREFECT, "worker", "start", "--pool", POOL, "--run-once"], prefect_cli, tmp_path, timeout=300)

    receipts = list((hub_root / "receipts" / SPC).glob("*.json"))
    assert len(receipts) == 1
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(
            id=DeploymentFilterId(any_=[found["ingest/every-15-minutes"].id])))
    finished = [r for r in runs if r.state is not None and r.state.is_final()]
    assert finished and all(r.state.is_completed() for r in finished)
    assert any(r.state.message == "batches: 1, rows loaded: 3, quarantined: 0, batches held: 0" for r in finished)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_the_pool_each_run_a_share_and_every_batch_is_loaded_once(
        prefect_server: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/scale-out.md, "Several ingest workers": the ingest deployment split in two by organisation,
    two real workers on the pool, one PostgreSQL warehouse. The shares overlap on purpose (an operator's
    mistake the docs promise is harmless): every drop is still loaded once, by one run."""
    import yaml
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
    from prefect.settings import get_current_settings

    from interchange.workspace.init import init_workspace

    with empty_warehouse("postgres", tmp_path) as url:
        monkeypatch.setenv("INTERCHANGE_DATABASE_URL", url)  # as on every worker's host (docs/operations.md)
        root = init_workspace(tmp_path / "hub", config_text=HUB_CONFIG).root
        env = {**os.environ, "PREFECT_API_URL": str(get_current_settings().api.url),
               "INTERCHANGE_WORKSPACE": str(root),
               "PREFECT_CLI_PROMPT": "false", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        for org, prefix in ((SPC, "P"), (MIMC, "M")):
            drop(root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(400, prefix=prefix)], org=org)
            drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(
                300, [f"{prefix}{n:06d}" for n in range(400)], prefix=f"{prefix}K")], org=org)

        # The repository's ingest deployment, split as prefect.yaml's comment says, each share on a work
        # queue of its own so that each worker takes one run (a worker takes any run of the pool otherwise).
        project = yaml.safe_load((CHECKOUT / "prefect.yaml").read_text(encoding="utf-8"))
        [ingest] = [d for d in project["deployments"] if d["entrypoint"] == "flows/ingest.py:ingest"]
        shares = {"west": [SPC], "east": [MIMC, SPC]}
        project["deployments"] = [
            {**ingest, "name": f"every-15-minutes-{share}", "schedules": [],
             "parameters": {**ingest["parameters"], "orgs": orgs},
             "work_pool": {**ingest["work_pool"], "work_queue_name": share}} for share, orgs in shares.items()]
        prefect_file = tmp_path / "prefect.yaml"
        prefect_file.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
        try:
            run([PREFECT, "work-pool", "create", POOL, "--type", "process", "--overwrite"], env, CHECKOUT)
            run([PREFECT, "--no-prompt", "deploy", "--all", "--prefect-file", str(prefect_file)], env, CHECKOUT)
            for share in shares:
                run([PREFECT, "deployment", "run", f"ingest/every-15-minutes-{share}"], env, CHECKOUT)
            workers = [subprocess.Popen([PREFECT, "worker", "start", "--pool", POOL, "--work-queue", share,
                                         "--run-once"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True) for share in shares]
            said = [worker.communicate(timeout=300)[0] for worker in workers]
            assert [worker.returncode for worker in workers] == [0, 0], said

            found = deployments()
            with get_client(sync_client=True) as client:
                runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(
                    any_=[found[f"ingest/every-15-minutes-{share}"].id for share in shares])))
            assert len(runs) == 2 and all(r.state is not None and r.state.is_completed() for r in runs), [
                (r.name, r.state) for r in runs]
        finally:
            with get_client(sync_client=True) as client:
                for deployment in client.read_deployments():
                    client.delete_deployment(deployment.id)

        batches = batch_rows(url)
        assert sorted((b["org"], b["file_name"], b["status"]) for b in batches) == sorted(
            (org, name, "loaded") for org in (SPC, MIMC) for name in ("asmenys.person.csv", "kontaktai.contact.csv"))
        keys = [(v["kind"], v["org"], v["record_id"]) for v in versions(url)]
        assert len(keys) == len(set(keys)) == 2 * (400 + 300)  # every record loaded exactly once
        for org in (SPC, MIMC):  # one receipt per batch: no run took a drop the other had taken
            assert sorted(r["batch_id"] for r in receipts(root, org)) == sorted(
                b["batch_id"] for b in batches if b["org"] == org)
