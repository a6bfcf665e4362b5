"""The demo over the calendar: per as-of day, persons, the steward's review workload and wall time.

Runs `interchange demo`'s whole path (generate → pseudonymise → ingest → link → review →
re-link → publish → approve → check against the truth) without Prefect on each day of
interchange.demo.calendar.CALENDAR_DAYS (or the days given), one after another, and prints
one row a day: did it pass, true persons and persons in the index, the persons the model
linked on its own, the pairs that needed a steward and how the truth decided them.

    .venv/bin/python benchmarks/demo_calendar.py [YYYY-MM-DD ...]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from interchange.demo.calendar import CALENDAR_DAYS, demo_on

COLUMNS = ("as of", "passed", "true persons", "index persons", "linked by model", "pairs reviewed", "same",
           "different", "seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="*", type=date.fromisoformat, help="as-of days (default: the calendar's)")
    args = parser.parse_args()
    days = args.days or list(CALENDAR_DAYS)
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    started = time.perf_counter()
    reviewed = same = 0
    with tempfile.TemporaryDirectory() as scratch:
        for day in days:
            run = demo_on(day, Path(scratch) / day.isoformat())
            result, review = run.result, run.result.review
            cells = [day.isoformat(), "yes" if result.ok else "NO", result.true_persons, result.persons,
                     review.persons_linked if review else "-", review.pairs if review else "-",
                     review.same if review else "-", review.different if review else "-", f"{run.seconds:.1f}"]
            print("| " + " | ".join(map(str, cells)) + " |", flush=True)
            reviewed += review.pairs if review else 0
            same += review.same if review else 0
    print(f"{len(days)} days in {time.perf_counter() - started:.0f} s; {reviewed} pairs reviewed, "
          f"{same} of them one person per the truth")


if __name__ == "__main__":
    main()
