"""Pseudonymiser throughput on a realistic raw extract (default 100,000 rows).

The extract is Windows-1257 with ';', as Lithuanian case systems export it: personal
codes (2 % with a typo, 8 % missing, then name and birth date only), names with
Lithuanian letters. Prints rows per second and the process's peak memory.

    .venv/bin/python benchmarks/pseudonymise_throughput.py [--rows N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from interchange.contract.records import Kind
from interchange.demo.synthetic import make_people, write_raw_person_extract
from interchange.partner.keys import write_new_key
from interchange.partner.pseudonymise import pseudonymise_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        key = write_new_key(work / "bench.key")
        raw = work / "raw.csv"
        write_raw_person_extract(raw, make_people(rows))
        started = time.perf_counter()
        report = pseudonymise_file(raw, work / "drop.csv", org="bench", kind=Kind.PERSON, key=key)
        elapsed = time.perf_counter() - started
        size = (work / "drop.csv").stat().st_size
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {report.rows_read} read, {report.rows_accepted} written, "
          f"{len(report.problems)} problems")
    print(f"time: {elapsed:.2f} s  throughput: {report.rows_read / elapsed:,.0f} rows/s")
    print(f"drop size: {size / 2**20:.1f} MiB  peak RSS: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
