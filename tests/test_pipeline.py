"""The `pipeline` flow: ingest → link → publish in order, stopping where going on would be wrong.

What a steward relies on: a manual or backfill run does every step the schedules would,
link never runs on a warehouse whose ingest did not finish, publish never runs on
incomplete data unless asked, and the run always ends with a report of every step.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, contact_rows, drop, person_rows
from prefect_harness import on_prefect
from typer.testing import CliRunner

from interchange.cli import app
from interchange.warehouse.tables import linkage_runs

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]
runner = CliRunner()



@pytest.fixture(scope="module")
def flows_pipeline() -> ModuleType:
    from interchange.cli import flows_module

    return flows_module("pipeline")


def linkage_run_count(url: str) -> int:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(linkage_runs)).scalar()
    finally:
        engine.dispose()


def steps(report: object) -> list[tuple[str, str]]:
    return [(step.name, step.outcome) for step in report.steps]


@on_prefect
def test_a_manual_run_ingests_then_links(hub_root: Path, database_url: str, flows_pipeline: ModuleType) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(5)])

    state = flows_pipeline.pipeline(str(hub_root), return_state=True)

    assert state.is_completed(), state.message
    report = state.result()
    assert steps(report) == [("ingest", "ran"), ("link", "ran")]
    assert report.steps[0].detail == "batches: 1, rows loaded: 5, quarantined: 0, batches held: 0"
    assert "5 persons" in report.steps[1].detail
    assert linkage_run_count(database_url) == 1
    assert state.message == "ingest ran; link ran"


@on_prefect
def test_link_does_not_run_when_ingest_did_not_finish(
        hub_root: Path, flows_pipeline: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A warehouse that cannot be opened: ingest stops before it knows what the warehouse holds.
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'w.sqlite'}")
    (hub_root / "warehouse.identity").unlink()  # as a hub from before the record: the first use records it

    state = flows_pipeline.pipeline(str(hub_root), period="2026-09", return_state=True)

    assert state.is_failed()
    report = state.result(raise_on_failure=False)
    assert steps(report) == [("ingest", "failed"), ("link", "skipped"), ("publish", "skipped")]
    assert report.steps[0].detail == "did not finish: OperationalError (see the flow run's log)"
    assert report.steps[1].detail.startswith("stopped: ingest did not finish")


@on_prefect
def test_a_held_batch_links_but_does_not_publish(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(4, ["M1"])], org=MIMC)

    result = runner.invoke(app, ["pipeline", "--workspace", str(hub_root), "--period", "2026-09"])

    assert result.exit_code == 1, result.output
    assert "ingest  ran" in result.output and "link  ran" in result.output
    assert "publish  skipped  stopped: 1 batch(es) held; the figures would lack that data" in result.output
    assert linkage_run_count(database_url) == 1
