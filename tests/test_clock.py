"""One clock: what reads "today" follows the day a test, the demo or INTERCHANGE_TODAY sets.

Run under a moved clock too: CI runs the tests marked `dates` a second time with
INTERCHANGE_TODAY set to another day (Makefile, `test`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from drop_kit import MIMC, SPC, owe_monthly_drops
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app
from interchange.contract.personal_code import parse_personal_code
from interchange.demo.population import personal_code
from interchange.demo.scenario import default_period
from interchange.indicators.periods import resolve_relative_period
from interchange.ingest.run import open_hub
from interchange.operations.missing import overdue_drops
from interchange.warehouse.engine import warehouse
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates
VILNIUS = ZoneInfo("Europe/Vilnius")


def test_a_pinned_day_is_today_in_every_thread_and_nests() -> None:
    import threading

    with clock.pinned(date(2028, 2, 29)):
        assert clock.today() == date(2028, 2, 29)
        seen: list[date] = []
        thread = threading.Thread(target=lambda: seen.append(clock.today()))
        thread.start()
        thread.join()
        assert seen == [date(2028, 2, 29)]
        with clock.pinned(date(2027, 1, 1)):
            assert clock.today() == date(2027, 1, 1)
        assert clock.today() == date(2028, 2, 29)


def test_a_pinned_clock_keeps_time_moving() -> None:
    # Durations measured on the clock (a linkage run's start and end) stay real.
    with clock.pinned(date(2026, 12, 31)):
        first = clock.now()
        time.sleep(0.02)
        second = clock.now()
    # The pinned day is the municipality's: in UTC the instant may still be the evening before
    # (from 22:00 or 21:00 UTC, Vilnius is already on the next day).
    assert first.astimezone(VILNIUS).date() == date(2026, 12, 31) and first.tzinfo is UTC
    assert timedelta(seconds=0.01) < second - first < timedelta(seconds=5)
    # Shifted by whole days: the time of day stays the real one.
    with clock.pinned(date(2026, 12, 31)):
        shift = datetime.now(UTC) - clock.now()
    assert abs(shift - timedelta(days=(datetime.now(VILNIUS).date() - date(2026, 12, 31)).days)) < timedelta(seconds=1)


@pytest.fixture
def machine_on_another_day(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The machine's time zone set to one whose date is not Vilnius's right now (there always is one)."""
    vilnius = datetime.now(VILNIUS).date()
    zone = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago") if datetime.now(ZoneInfo(z)).date() != vilnius)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    assert datetime.now().date() != vilnius
    yield zone
    monkeypatch.undo()
    time.tzset()


def test_today_is_the_municipalitys_day_whatever_the_machines_time_zone(
        machine_on_another_day: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENVIRONMENT, raising=False)  # the real day (the moved-clock pass sets one)
    # A period that has ended in Vilnius has ended for every check: resolving "previous-month" and
    # refusing a period in progress read one calendar (they disagreed 22:00-24:00 UTC).
    assert clock.today() == datetime.now(VILNIUS).date()
    with clock.pinned(date(2028, 3, 1)):
        assert clock.today() == date(2028, 3, 1)
        assert clock.now(VILNIUS).date() == date(2028, 3, 1)
        assert resolve_relative_period("previous-month") == "2028-02"
        assert default_period().end == date(2028, 2, 29)


def test_the_environment_sets_the_day_for_a_whole_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENVIRONMENT, "2027-01-01")
    assert clock.today() == date(2027, 1, 1)
    with clock.pinned(date(2026, 7, 1)):  # a pin in the process wins (the demo's --as-of)
        assert clock.today() == date(2026, 7, 1)


def test_relative_periods_the_ingest_window_and_future_checks_follow_the_clock(tmp_path: Path) -> None:
    with clock.pinned(date(2027, 1, 1)):
        assert resolve_relative_period("previous-quarter") == "2026-Q4"
        assert resolve_relative_period("previous-month") == "2026-12"
        assert resolve_relative_period("previous-year") == "2026"
        assert default_period().end == date(2026, 12, 31)
        # A child born on 31 December has a valid personal code on 1 January, not the day before.
        born = personal_code(date(2026, 12, 31), "female", 1)
        assert not isinstance(parse_personal_code(born), str)
    with clock.pinned(date(2026, 12, 30)):
        assert parse_personal_code(born) == "code.future"
    with clock.pinned(date(2028, 2, 29)):
        assert resolve_relative_period("previous-quarter") == "2027-Q4"
        assert default_period().start == date(2027, 3, 1)
        from interchange.workspace.init import init_workspace

        with open_hub(init_workspace(tmp_path / "hub")) as hub:
            assert hub.judging.parameters()["today"] == date(2028, 2, 29)
            assert hub.judging.parameters()["period_start"] == date(2028, 2, 29) - timedelta(days=366)


def test_overdue_drops_follow_the_clock(hub_root: Path) -> None:
    owe_monthly_drops(hub_root)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        with clock.pinned(date(2027, 3, 4)):  # due by the 5th
            assert overdue_drops(workspace, engine) == []
        with clock.pinned(date(2027, 3, 6)):
            assert [(o.org, o.due) for o in overdue_drops(workspace, engine)] == [
                (SPC, date(2027, 3, 5)), (MIMC, date(2027, 3, 5))]


def test_a_day_that_is_not_a_day_stops_the_command_with_what_was_expected(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path), "--as-of", "2027-02-29"])
    assert result.exit_code == 2
    assert "--as-of: '2027-02-29' is not a day: write it as YYYY-MM-DD" in result.output
    assert not list(tmp_path.iterdir())  # refused before anything was written
    monkeypatch.setenv(clock.ENVIRONMENT, "31.12.2026")
    result = CliRunner().invoke(app, ["status", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "INTERCHANGE_TODAY: '31.12.2026' is not a day: write it as YYYY-MM-DD" in result.output
    assert "Traceback" not in result.output
    monkeypatch.setenv("INTERCHANGE_LANG", "lt")  # a steward working in Lithuanian reads it in Lithuanian
    result = CliRunner().invoke(app, ["status", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    assert "INTERCHANGE_TODAY: „31.12.2026“ nėra diena: rašykite YYYY-MM-DD" in result.output
