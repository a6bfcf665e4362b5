"""Hub ingest memory: peak RSS of one contact drop at several sizes, side by side.

A batch is validated, judged and loaded a chunk at a time, so the peak memory of an ingest
must not grow with the number of rows (issue 16 §7: under 1 GiB whatever the file). For
each size this makes a fresh hub, ingests the person drop, then the contact drop, each in a
fresh Python process (ingest_throughput.py's child), and prints the contact ingest's wall
time, rows per second (of wall time, and of the process's CPU time, which a busy machine
disturbs less) and peak RSS (`getrusage(RUSAGE_SELF).ru_maxrss`, interpreter and
imports included; or its reading child's, when higher: a large drop is read by a forked child
while the ingest's process loads it, ingest/overlap.py), then how the largest compares with
the smallest. CPU seconds are both processes'.

The drops are ingest_throughput.py's (Windows-1257, ';', a handful of bad rows), cached in
`--dir` under the same names, so both benchmarks share them.

    .venv/bin/python benchmarks/ingest_memory.py [--rows 1000000 4000000] [--persons 100000]
        [--backend sqlite|postgres] [--dir DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest_throughput as throughput


def contact_drops(folder: Path, rows: int, persons: int, today: date) -> tuple[Path, Path]:
    """The person drop and a contact drop of `rows` good rows, made once (ingest_throughput's names)."""
    folder.mkdir(parents=True, exist_ok=True)
    persons_path = folder / f"persons-{persons}.person.csv"
    stem = f"{persons}p-{rows}c-{today:%Y%m%d}"
    contacts_path = folder / f"contacts-{stem}.contact.csv"
    bad_path = folder / f"contacts-{stem}.bad"
    if not persons_path.exists():
        throughput._atomic(persons_path, lambda p: throughput.person_drop(p, persons))
    if not contacts_path.exists() or not bad_path.exists():
        bad: dict[str, int] = {}
        throughput._atomic(contacts_path,
                           lambda p: bad.setdefault("n", throughput.contact_drop(p, rows, persons, today)))
        bad_path.write_text(str(bad["n"]))
    return persons_path, contacts_path


def measure(backend: str, persons: Path, contacts: Path, work: Path, today: date) -> dict[str, Any]:
    """The contact drop's ingest, after the persons, on a fresh hub of `backend`."""
    def steps(root: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
        return {
            "persons": throughput.run_step(root, persons, today, env),
            "contacts": throughput.run_step(root, contacts, today, env),
        }

    results = throughput.with_hub(backend, work, steps)
    return results["contacts"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 4_000_000],
                        help="good contact rows of each drop measured (bad ones come on top)")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--dir", type=Path, help="where drops are cached and hubs are made (default: temp dir)")
    parser.add_argument("--today", type=date.fromisoformat, default=throughput.DEFAULT_TODAY)
    args = parser.parse_args()
    if args.today > date.today():
        parser.error("--today must not lie in the future: contact dates after today are refused row by row")
    work = args.dir or Path(tempfile.gettempdir()) / "interchange-ingest-benchmark"
    measured = []
    for rows in sorted(args.rows):
        persons, contacts = contact_drops(work, rows, args.persons, args.today)
        result = measure(args.backend, persons, contacts, work, args.today)
        measured.append((rows, contacts, result))
    print(f"\ncontact drop ingest on {args.backend} (a fresh process each; peak RSS includes the interpreter "
          "and the imports of pandas, Great Expectations and SQLAlchemy)")
    print(f"  {'rows read':>12}{'MiB on disk':>13}{'status':>9}{'seconds':>9}{'rows/s':>10}{'CPU s':>8}"
          f"{'rows/CPU s':>12}{'RSS before':>12}{'peak RSS MiB':>14}")
    for _, contacts, result in measured:
        read, cpu = result["counts"]["rows_read"], result["cpu_seconds"]
        print(f"  {read:>12,}{contacts.stat().st_size / 2**20:>13,.0f}{result['status']:>9}{result['seconds']:>9.1f}"
              f"{read / result['seconds']:>10,.0f}{cpu:>8.1f}{read / cpu:>12,.0f}"
              f"{result['rss_before_mib']:>12,.0f}{result['peak_rss_mib']:>14,.0f}")
    if len(measured) > 1:
        (small, _, first), (large, _, last) = measured[0], measured[-1]
        print(f"  {large / small:.1f}x the rows: {last['peak_rss_mib'] / first['peak_rss_mib']:.2f}x the peak memory "
              f"({last['peak_rss_mib'] - first['peak_rss_mib']:+,.0f} MiB)")


if __name__ == "__main__":
    main()
