"""Synthetic data generator: time and peak memory, municipal (the demo) and national scale.

The municipal step writes the Kretinga partners' raw extracts and ground truth (what
`interchange demo` generates); the national step streams ~1M persons and ~10M contacts
over 60 municipalities as hub drops. Prints wall time, rows and the process's peak RSS
after each step (the national figure is the larger one: it is measured last).

    .venv/bin/python benchmarks/demo_generator.py [--persons N] [--contacts N] [--out DIR]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from interchange.demo.national import generate_national
from interchange.demo.synthetic import generate_demo_data


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000, help="national persons")
    parser.add_argument("--contacts", type=int, default=10_000_000, help="national contacts (about)")
    parser.add_argument("--out", type=Path, help="keep the data set here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        started = time.perf_counter()
        truth = generate_demo_data(out / "municipal", truth_path=out / "municipal" / "ground-truth.json")
        elapsed = time.perf_counter() - started
        rows = sum(f.rows for f in truth.files)
        print(f"municipal: {len(truth.scenario.people)} persons, {rows} raw rows in {len(truth.files)} files, "
              f"{elapsed:.2f} s, {_size_mib(out / 'municipal'):.1f} MiB, peak RSS {_peak_mib():.0f} MiB")

        started = time.perf_counter()
        national = generate_national(out / "national", persons=args.persons, contacts=args.contacts)
        elapsed = time.perf_counter() - started
        totals = national.totals
        print(f"national: {totals['persons']} persons ({totals['person_records']} records), "
              f"{totals['contacts']} contacts, {totals['social_risk_families']} families at social risk, "
              f"60 municipalities")
        print(f"national: {elapsed:.1f} s ({totals['contacts'] / elapsed:,.0f} contacts/s), "
              f"{_size_mib(out / 'national'):.0f} MiB on disk, peak RSS {_peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
