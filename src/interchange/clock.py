"""The one clock: every "today" and "now" of Interchange comes from here.

So that nothing depends on the day it runs, a test, the demo (`interchange demo --as-of`)
and CI can set the day: in this process with `pinned(day)`, or for a whole command (and
every process it starts) with the environment variable INTERCHANGE_TODAY=YYYY-MM-DD.

"Today" is the municipality's day (Europe/Vilnius), not the machine's: a period that has ended
there has ended for every check, whatever time zone the machine or CI is set to.

Setting the day moves the calendar, not time: a pinned clock is the real clock shifted by
whole days, fixed when the day was set, so it says the set day at that moment, keeps
ticking, and passes midnight as a real one does. Durations, timeouts and the ages of files
on disk are real time and do not come from here.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from interchange.errors import InterchangeError

ENVIRONMENT = "INTERCHANGE_TODAY"
# Days, months and periods are the municipality's, whatever time zone the machine is set to: a
# run at 23:30 UTC on 31 March is already on 1 April there.
MUNICIPALITY_TIME_ZONE = "Europe/Vilnius"
_MUNICIPALITY = ZoneInfo(MUNICIPALITY_TIME_ZONE)

_lock = threading.Lock()
# A stack rather than one value, so that pinned() blocks nest. Process-wide (not a context
# variable): Prefect runs tasks in worker threads that must see the same day.
_pins: list[timedelta] = []
_from_environment: dict[str, timedelta] = {}


class ClockError(InterchangeError, ValueError):
    """A day that is not a day: `text` as given, `where` it came from (an option or INTERCHANGE_TODAY)."""

    def __init__(self, text: str, where: str | None = None) -> None:
        self.text, self.where = text, where
        place = f"{where}: " if where else ""
        super().__init__(f"{place}{text!r} is not a day: write it as YYYY-MM-DD, e.g. 2026-12-31")


def now(tz: tzinfo = UTC) -> datetime:
    """The current moment in `tz` (UTC by default), on the set day when one is set."""
    return datetime.now(tz) + _offset()


def today(tz: tzinfo | None = None) -> date:
    """The current day: in `tz` when given, else the municipality's (Europe/Vilnius)."""
    return now(tz or _MUNICIPALITY).date()


def parse_day(text: str, *, where: str | None = None) -> date:
    """A day written YYYY-MM-DD, or ClockError saying what was expected (and `where` the text came from)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ClockError(text.strip(), where) from None


@contextmanager
def pinned(day: date) -> Iterator[date]:
    """Inside the block, today is `day` (then tomorrow, past midnight), in every thread."""
    with _lock:
        _pins.append(_shift_to(day))
    try:
        yield day
    finally:
        with _lock:
            _pins.pop()


def _offset() -> timedelta:
    if _pins:
        return _pins[-1]
    text = os.environ.get(ENVIRONMENT, "").strip()
    if not text:
        return timedelta(0)
    # Read per row by the contract's future-date checks: no lock once the value is known.
    offset = _from_environment.get(text)
    if offset is None:
        with _lock:
            offset = _from_environment.setdefault(text, _shift_to(parse_day(text, where=ENVIRONMENT)))
    return offset


def _shift_to(day: date) -> timedelta:
    # A set day is the municipality's day, as today() reads it: one calendar for pins and checks.
    return timedelta(days=(day - datetime.now(_MUNICIPALITY).date()).days)
