"""What the hub's scan for personal codes in every cell (partner/code_scan.py) costs at ingest.

A contact drop as partners make it (Windows-1257, ';', Lithuanian headers) is read and validated
as `interchange ingest` does, with and without the scan watching the rows go by; then the same
with a free-text notes column where every third row holds a phone number (eleven digits that
are not a personal code, the scan's slow path). The runs alternate and the fastest of each is
kept, so a busy machine slows both alike; the difference is the scan's cost.

    .venv/bin/python benchmarks/personal_code_scan.py [--rows 200000] [--repeat 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from interchange import clock
from interchange.contract.records import Kind
from interchange.ingest.validate import validate_rows
from interchange.partner.code_scan import CodeScan
from interchange.tabular import RawRow, read_table

HEADER = ["Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min", "Pastabos"]
NOTES = ("", "", "", "skambino dėl konsultacijos", "atvyko su dukra, tel. +370 612 34567", "perduota 2026-03-01")


def write_drop(path: Path, rows: int, today: date, *, notes: bool) -> None:
    rng = random.Random(5)
    with path.open("w", encoding="cp1257", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER if notes else HEADER[:-1])
        for number in range(rows):
            day = today - timedelta(days=1 + rng.randrange(300))
            row = [f"K{number:08d}", f"P{rng.randrange(rows // 10 + 1):07d}", "legal_consultation",
                   f"{day:%Y.%m.%d}", f"{rng.choice((30, 45, 60))},00"]
            writer.writerow([*row, NOTES[number % len(NOTES)]] if notes else row)


def _read_and_validate(path: Path, scanned: bool) -> float:
    with read_table(path) as table:
        rows: Iterable[RawRow] = table.rows
        scan = CodeScan(table.headers)
        if scanned:
            rows = scan.watch(rows)
        started = time.perf_counter()
        batch = validate_rows(Kind.CONTACT, "bench", table.headers, rows)
        elapsed = time.perf_counter() - started
    assert batch.rows_read and not scan.found
    return elapsed


def _scan_only(path: Path) -> float:
    with read_table(path) as table:
        rows = list(table.rows)
    scan = CodeScan(table.headers)
    started = time.perf_counter()
    for _ in scan.watch(rows):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "interchange-code-scan")
    args = parser.parse_args()
    today = date(2026, 11, 1)
    args.dir.mkdir(parents=True, exist_ok=True)
    for notes in (False, True):
        path = args.dir / f"contacts-{args.rows}{'-notes' if notes else ''}.contact.csv"
        if not path.exists():
            write_drop(path, args.rows, today, notes=notes)
        with clock.pinned(today):
            plain, scanned, alone = [], [], []
            for _ in range(args.repeat):
                plain.append(_read_and_validate(path, scanned=False))
                scanned.append(_read_and_validate(path, scanned=True))
                alone.append(_scan_only(path))
        base, with_scan, scan = min(plain), min(scanned), min(alone)
        what = "with a notes column, a phone number every third row" if notes else "as partners send them"
        print(f"{args.rows:,} contact rows {what} ({path.stat().st_size / 2**20:.0f} MiB), fastest of {args.repeat}:")
        print(f"  read+validate without the scan  {base:6.2f} s  ({args.rows / base:,.0f} rows/s)")
        print(f"  read+validate with the scan     {with_scan:6.2f} s  ({args.rows / with_scan:,.0f} rows/s), "
              f"{(with_scan - base) / base:+.1%}")
        print(f"  the scan alone, rows in memory  {scan:6.3f} s  ({scan / args.rows * 1e6:.2f} µs a row, "
              f"{scan / base:.1%} of read+validate)")


if __name__ == "__main__":
    main()
