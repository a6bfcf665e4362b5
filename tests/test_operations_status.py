"""`interchange status`: one screen a steward reads, in Lithuanian or English.

What a steward relies on: the newest batch of every configured source (and the ones that
never sent anything), held batches until they are re-run, open quarantine per
organisation, the review queue, the last linkage run, overdue drops, Prefect flow-run
states when a Prefect API is configured, and an exit code that says whether to look.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
import sqlalchemy
from drop_kit import (
    MIMC,
    PERSON_HEADER,
    SPC,
    TODAY,
    drop,
    ingest,
    owe_monthly_drops,
    person_rows,
    steward_scene,
)
from prefect_harness import on_prefect
from typer.testing import CliRunner

from interchange.cli import app
from interchange.i18n import default_lang
from interchange.operations.missing import due_date, overdue_drops, period_start
from interchange.operations.status import collect_status
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import review_pairs
from interchange.workspace.config import ExpectedDrop
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]
runner = CliRunner()


def add_open_pair(url: str) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(review_pairs.insert().values(uid_l=f"{SPC}:P000000", uid_r=f"{MIMC}:X1",
                                                        match_probability=0.7, status="open"))
    engine.dispose()


@pytest.mark.parametrize(("every", "by_day", "today", "start", "due"), [
    ("month", 5, date(2026, 3, 9), date(2026, 3, 1), date(2026, 3, 5)),
    ("month", 31, date(2026, 2, 27), date(2026, 2, 1), date(2026, 2, 28)),
    ("week", 3, date(2026, 11, 26), date(2026, 11, 23), date(2026, 11, 25)),
    ("quarter", 10, date(2026, 8, 2), date(2026, 7, 1), date(2026, 7, 10)),
])
def test_the_period_and_due_day_of_an_expected_drop(every: str, by_day: int, today: date, start: date,
                                                    due: date) -> None:
    expected = ExpectedDrop(every=every, by_day=by_day)
    assert (period_start(expected, today), due_date(expected, start)) == (start, due)


def test_a_drop_is_overdue_only_after_its_day_and_only_until_something_arrives(hub_root: Path) -> None:
    owe_monthly_drops(hub_root)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        first_of_next = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
        assert overdue_drops(workspace, engine, today=first_of_next + timedelta(days=4)) == []  # the 5th: on time
        late = overdue_drops(workspace, engine, today=first_of_next + timedelta(days=5))
        assert [(o.org, o.source, o.due, o.last_arrival) for o in late] == [
            (SPC, "inbox", first_of_next + timedelta(days=4), None), (MIMC, "inbox", first_of_next + timedelta(days=4),
                                                                      None)]
        drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(1)])
        ingest(hub_root)
        # This month's drop arrived: not overdue now, overdue again after next month's 5th.
        assert [o.org for o in overdue_drops(workspace, engine, today=TODAY.replace(day=28))] == [MIMC]
        assert [o.org for o in overdue_drops(workspace, engine, today=first_of_next + timedelta(days=5))] == [
            SPC, MIMC]


def test_status_shows_sources_held_batches_quarantine_and_review_queue(hub_root: Path, database_url: str) -> None:
    steward_scene(hub_root)
    add_open_pair(database_url)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        report = collect_status(workspace, engine)

    assert [(s.org, s.source, s.status, s.rows_read, s.loaded, s.quarantined, s.held) for s in report.sources] == [
        (SPC, "inbox", "loaded", 3, 2, 1, 0), (MIMC, "inbox", "held", 4, 0, 0, 4)]
    assert [(h.org, h.kind, h.rows_held, h.failed_checks) for h in report.held] == [
        (MIMC, "contact", 4, ["batch.contact_person_known"])]
    assert [(q.org, q.rows, q.batches) for q in report.quarantine] == [(SPC, 1, 1)]
    assert report.open_review_pairs == 1
    assert report.linkage is None and report.flow_runs is None
    assert report.needs_attention

    english = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])
    assert english.exit_code == 1  # something to chase
    assert "Held batches (nothing loaded)" in english.output
    assert "Review queue: 1 pairs await a decision" in english.output
    assert "Linkage: never run" in english.output
    assert "batch.contact_person_known" in english.output
    lithuanian = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "lt"])
    assert "Sulaikyti paketai (niekas neįkelta)" in lithuanian.output
    assert "Porų peržiūra: 1 laukia sprendimo" in lithuanian.output
    for text in (english.output, lithuanian.output):
        assert "P000000" not in text.replace(f"{SPC}:P000000", "")  # no record ids beyond what review shows


def test_status_of_a_quiet_hub_is_all_clear(hub_root: Path) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)

    result = runner.invoke(app, ["status", "--workspace", str(hub_root), "--lang", "en"])

    assert result.exit_code == 0, result.output
    assert f"{MIMC}  inbox   -      nothing received yet" in result.output
    assert result.output.rstrip().endswith("All clear.")


def test_the_language_follows_the_environment() -> None:
    assert default_lang({"LANG": "lt_LT.UTF-8"}) == "lt"
    assert default_lang({"LANG": "en_GB.UTF-8"}) == "en"
    assert default_lang({"LC_ALL": "lt_LT.UTF-8", "LANG": "en_US.UTF-8"}) == "lt"
    assert default_lang({}) == "en"



@on_prefect
def test_status_reads_flow_run_states_from_the_prefect_api(hub_root: Path) -> None:
    from prefect.settings import get_current_settings

    from interchange.cli import flows_module

    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    flows_ingest: ModuleType = flows_module("ingest")
    before = datetime.now(UTC)  # Prefect's own clock: real time, not the hub's calendar
    assert flows_ingest.ingest(str(hub_root), return_state=True).is_completed()
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        report = collect_status(workspace, engine, prefect_api_url=str(get_current_settings().api.url))
        unreachable = collect_status(workspace, engine, prefect_api_url="http://127.0.0.1:9/api")

    ingest_run = next(r for r in report.flow_runs if r.flow == "ingest")
    assert ingest_run.state == "Completed" and ingest_run.start_time >= before - timedelta(seconds=5)
    assert unreachable.flow_runs is None
    assert unreachable.flow_runs_error == "ConnectionError"
