"""The `publish` Prefect flow on a real (temporary) Prefect server: artifacts a steward reads, refusals.

What a steward relies on: the run carries the publication's counts and the published
(protected) totals as artifacts, never a suppressed figure; a locked period ends the run
Failed with the reason; with no period the last whole month / quarter / year is published.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest
from drop_kit import CONTACT_HEADER, PERSON_HEADER, drop, ingest, person_rows
from flow_runs import run_artifacts, run_logs, run_task_runs
from prefect_harness import on_prefect
from test_publish_cli import DAY, MONTH, relink

from interchange.indicators.periods import parse_period, previous_period, resolve_relative_period
from interchange.indicators.publications import approve_version
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

pytest_plugins = ["prefect_harness"]
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def flows_publish() -> ModuleType:
    from interchange.cli import flows_module

    return flows_module("publish")



def three_clients(root: Path, days: tuple[date, ...] = (DAY,)) -> None:
    """Three persons with a legal consultation each (on each of `days`): a total of 3, which must be suppressed."""
    rows = person_rows(3)
    drop(root, "a.person.csv", [[*PERSON_HEADER, "consent_reporting"], *([*row, "true"] for row in rows)])
    drop(root, "a.contact.csv", [CONTACT_HEADER, *([f"K{n}-{day}", p[0], "legal_consultation", day.isoformat(), "45"]
                                                   for n, p in enumerate(rows) for day in days)])
    ingest(root)
    relink(root)


@sqlite_only
@on_prefect
def test_the_run_shows_counts_and_published_totals_never_a_suppressed_figure(
        hub_root: Path, flows_publish: ModuleType) -> None:
    three_clients(hub_root)
    state = flows_publish.publish(str(hub_root), MONTH, return_state=True)
    assert state.is_completed(), state.message
    assert state.message.startswith(f"{MONTH} v1: ") and "first version" in state.message
    found = run_artifacts(state)
    assert {"publication-summary", "publication-totals", "publication-next-steps"} <= set(found)
    [summary] = json.loads(found["publication-summary"].data)
    assert summary == {"period": MONTH, "version": 1, "state": "draft", "cells": summary["cells"],
                       "suppressed_cells": summary["suppressed_cells"], "changed_cells": None, "input_batches": 2,
                       "linkage_run": 1}
    assert summary["suppressed_cells"] >= 1
    totals = json.loads(found["publication-totals"].data)
    by_code = {row["indicator"]: row for row in totals}
    assert by_code["legal_consultation_persons"]["published_total"] is None  # 3 persons: suppressed
    assert by_code["legal_consultation_persons"]["suppressed"] >= 1
    assert all(row["published_total"] in (None, 0.0) or row["published_total"] >= 5 for row in totals
               if row["indicator"].endswith("_persons"))
    assert "interchange approve --period" in found["publication-next-steps"].data


@sqlite_only
@on_prefect
def test_a_locked_period_fails_the_run_with_the_reason(hub_root: Path, flows_publish: ModuleType) -> None:
    three_clients(hub_root)
    assert flows_publish.publish(str(hub_root), MONTH, return_state=True).is_completed()
    with warehouse(Workspace(hub_root).database_url) as engine:
        approve_version(engine, MONTH, 1, by="ona")
    state = flows_publish.publish(str(hub_root), MONTH, return_state=True)
    assert state.is_failed()
    assert f"{MONTH} is locked: v1 was approved" in state.message
    # Refused before the task: its reason, not a failed task run's traceback on the steward's terminal.
    assert run_task_runs(state) == {}
    assert "Traceback" not in run_logs(state)
    with pytest.raises(flows_publish.PublishFailed, match="is locked") as refused:
        flows_publish.run_publish(Workspace(hub_root), MONTH)
    assert refused.value.refused


@sqlite_only
@on_prefect
def test_without_a_period_the_last_whole_period_is_published(hub_root: Path, flows_publish: ModuleType) -> None:
    three_clients(hub_root)  # DAY is in the last whole month
    state = flows_publish.publish(str(hub_root), None, "month", return_state=True)
    assert state.is_completed(), state.message
    assert state.message.startswith(f"{resolve_relative_period('previous-month')} v1: ")


@sqlite_only
@on_prefect
def test_a_scheduled_relative_period_publishes_the_period_that_just_ended(
        hub_root: Path, flows_publish: ModuleType) -> None:
    # What the monthly / quarterly / yearly deployments pass (prefect.yaml); each period has records.
    quarter_ends = resolve_relative_period("previous-quarter")
    year = int(resolve_relative_period("previous-year"))
    three_clients(hub_root, days=tuple({parse_period(quarter_ends).end, date(year, 12, 31)}))  # one day in January
    for relative in ("previous-quarter", "previous-year"):
        state = flows_publish.publish(str(hub_root), relative, return_state=True)
        assert state.is_completed(), state.message
        assert state.message.startswith(f"{resolve_relative_period(relative)} v1: "), state.message


def test_relative_periods_follow_the_municipalitys_calendar() -> None:
    vilnius = ZoneInfo("Europe/Vilnius")
    # 21:30 UTC on 30 September is already 1 October in Vilnius: September has ended there.
    late_september_utc = datetime(2026, 9, 30, 21, 30, tzinfo=UTC)
    assert resolve_relative_period("previous-month", late_september_utc) == "2026-09"
    assert resolve_relative_period("previous-quarter", late_september_utc) == "2026-Q3"
    assert resolve_relative_period("previous-month", datetime(2026, 9, 30, 20, 30, tzinfo=UTC)) == "2026-08"
    new_year = datetime(2027, 1, 1, 0, 5, tzinfo=vilnius)
    assert [resolve_relative_period(r, new_year) for r in ("previous-month", "previous-quarter", "previous-year")] == [
        "2026-12", "2026-Q4", "2026"]
    assert resolve_relative_period("previous-quarter", datetime(2026, 5, 15, 12, tzinfo=vilnius)) == "2026-Q1"
    assert resolve_relative_period(" 2026-Q3 ", new_year) == "2026-Q3"  # a label stays what it is
    with pytest.raises(ValueError, match="time-zone-aware"):
        resolve_relative_period("previous-month", datetime(2026, 10, 1))


def test_previous_period_is_the_last_whole_month_quarter_or_year() -> None:
    assert previous_period("month", date(2026, 1, 15)) == "2025-12"
    assert previous_period("month", date(2026, 10, 1)) == "2026-09"
    assert previous_period("quarter", date(2026, 2, 1)) == "2025-Q4"
    assert previous_period("quarter", date(2026, 10, 31)) == "2026-Q3"
    assert previous_period("year", date(2026, 6, 1)) == "2025"
    with pytest.raises(ValueError, match="granularity must be month, quarter or year"):
        previous_period("week", date(2026, 6, 1))


@sqlite_only
@on_prefect
def test_a_programme_period_shows_progress_with_small_values_left_out(
        hub_root: Path, flows_publish: ModuleType) -> None:
    from conftest import HUB_CONFIG
    from test_publish_cli import PROGRAMME

    (hub_root / "interchange.yaml").write_text(HUB_CONFIG + PROGRAMME, encoding="utf-8")
    three_clients(hub_root)
    state = flows_publish.publish(str(hub_root), "kompleksines-kretinga", return_state=True)
    assert state.is_completed(), state.message
    rows = {(r["service"], r["figure"]): r for r in json.loads(run_artifacts(state)["programme-progress"].data)}
    persons = rows[("legal_consultation", "persons")]
    assert (persons["value"], persons["target"], persons["achieved"]) == (None, 16.0, None)  # 3 persons: small
