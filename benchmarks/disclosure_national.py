"""Disclosure control on the national year, played by a reader who knows the rules.

Computes the whole catalogue for ``--period`` (2025) on the national warehouse that
benchmarks/indicators_national.py builds (cached at ``--db``; built here if missing), protects
the cells as ``publish`` does, then checks the published view two ways: the hub's own
``audit()`` and the independent reader of the tests (tests/disclosure_reader.py: only the
published figures, the rules and the catalogue's ratio definitions; one integer programme per
hidden figure each way). Prints the time of each step, the suppressions by reason, and what
each found (nothing, when the rule holds).

    .venv/bin/python benchmarks/disclosure_national.py [--db /tmp/interchange-national.sqlite] [--period 2025]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the independent reader lives with the tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/interchange-national.sqlite"))
    parser.add_argument("--period", default="2025")
    args = parser.parse_args()
    if not args.db.exists():
        from indicators_national import build  # type: ignore[import-not-found]

        build(args.db, 1_000_000, 10_000_000)

    from disclosure_reader import problems_in_view  # type: ignore[import-not-found]

    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.compute import compute_indicators
    from interchange.indicators.disclosure import DisclosureRules, protect
    from interchange.indicators.disclosure_audit import audit
    from interchange.indicators.periods import parse_period
    from interchange.indicators.publications import catalogue_facts
    from interchange.warehouse.engine import warehouse

    catalogue = load_catalogue()
    rules = DisclosureRules()
    started = time.perf_counter()
    with warehouse(f"sqlite:///{args.db}", upgrade=False) as engine:
        cells = compute_indicators(engine, catalogue, parse_period(args.period))
    print(f"compute_indicators({args.period!r}): {time.perf_counter() - started:.1f} s, {len(cells):,} cells")

    started, cpu = time.perf_counter(), time.process_time()
    facts = catalogue_facts(catalogue, cells)  # as `interchange publish` protects
    protected = protect(cells, rules, **facts)
    hidden = protected["suppressed"]
    reasons = protected.loc[hidden, "reason"].value_counts().to_dict()
    print(f"protect(): {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu:.1f} s CPU; "
          f"suppressed {int(hidden.sum()):,} of {len(protected):,} {reasons}")

    started = time.perf_counter()
    findings = audit(protected, rules, **facts)
    print(f"audit(): {time.perf_counter() - started:.1f} s, {len(findings)} finding(s)")
    for finding in findings[:10]:
        print("  ", finding.describe())

    thresholds = {i.code: rules.threshold_of(i.sensitivity) for i in catalogue.indicators}
    parts = [(i.code, i.numerator, i.denominator) for i in catalogue.indicators if i.unit == "ratio"]
    started = time.perf_counter()
    problems = problems_in_view(protected, thresholds, parts)
    print(f"independent reader: {time.perf_counter() - started:.1f} s, {len(problems)} figure(s) narrowed")
    for problem in problems[:10]:
        print("  ", problem)


if __name__ == "__main__":
    main()
