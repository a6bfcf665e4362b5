"""The demo over the calendar: the days it must come out right on, and one day's run without Prefect.

The demo's year is the 365 days before the day it runs, so every day gives other data and
another review queue. The days below cover two years of the programme: its first months, a
31 December and a 1 January, a leap day and the day after it, and the weeks after the
programme ended. tests/test_demo_calendar.py asserts the demo passes on each of them;
benchmarks/demo_calendar.py prints what the steward's review took on each.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from interchange.demo.run import DemoResult, direct_pipeline, play_demo

CALENDAR_DAYS = tuple(date.fromisoformat(day) for day in (
    "2026-07-01", "2026-10-01", "2026-12-03", "2026-12-31", "2027-01-01", "2027-03-15", "2027-06-30",
    "2027-09-01", "2027-11-20", "2028-02-29", "2028-03-01", "2028-05-08", "2028-08-15",
))

# Days on which the person index, after the steward's review, joins two different people the
# model was sure about (the figures still come out true). 2027-09-01: a mother and daughter
# with the same given name at one address (surname root, given name and address agree; birth
# years 20 apart): the household guard counts an agreeing given name as personal evidence,
# so the shared address still counts (docs/linkage.md, "Limits").
KNOWN_FALSE_LINKS = {date(2027, 9, 1): 1}


@dataclass(frozen=True)
class CalendarRun:
    result: DemoResult
    seconds: float
    output: list[str]


def demo_on(day: date, directory: Path, *, keep: bool = False) -> CalendarRun:
    """The demo as on `day` in `directory`, the hub's steps as plain calls (no Prefect), timed."""
    output: list[str] = []
    started = time.perf_counter()
    try:
        result = play_demo(directory, echo=output.append, pipeline=direct_pipeline, as_of=day)
    finally:
        if not keep:
            shutil.rmtree(directory, ignore_errors=True)
    return CalendarRun(result, time.perf_counter() - started, output)
