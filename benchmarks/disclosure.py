"""Disclosure control at national scale: protect() and audit() on a synthetic publication.

The table looks like a national quarterly-by-month publication: ``--municipalities`` (60)
municipalities with ``--orgs`` (5) organisations each, 12 months, 3 sexes (F, M, unknown), 2 age
groups, ``--indicators`` (40) indicators. Each indicator has counts on the finest cells
(month x organisation x sex x age group; a Poisson mean drawn per indicator, a quarter of the
indicators sparse like domestic-violence figures and marked "dv"), aggregated to the
breakdowns a publication carries:

    total, month, municipality, org, sex, age_group, month+municipality, month+sex,
    municipality+org, municipality+sex, municipality+age_group, sex+age_group,
    month+municipality+sex (and, with --deep, month+municipality+org+sex+age_group)

Every fourth indicator is a ratio (numerator a binomial share of the count).
Prints the cell count, the suppressions by reason, the wall and CPU time of protect()
without and with the LP repair, and of audit(); peak RSS of the process. CPU time is the
fairer figure on a shared machine (everything here is single-threaded).

    .venv/bin/python benchmarks/disclosure.py [--municipalities 60] [--orgs 5] [--indicators 40]
        [--deep] [--no-audit] [--seed 1]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS, breakdown_name
from interchange.indicators.disclosure import DisclosureRules, protect
from interchange.indicators.disclosure_audit import audit

BREAKDOWNS = [(), ("month",), ("municipality",), ("org",), ("sex",), ("age_group",), ("month", "municipality"),
              ("month", "sex"), ("municipality", "org"), ("municipality", "sex"), ("municipality", "age_group"),
              ("sex", "age_group"), ("month", "municipality", "sex")]
DEEP = ("month", "municipality", "org", "sex", "age_group")


def build_table(municipalities: int, orgs: int, indicators: int, deep: bool, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    grid = pd.MultiIndex.from_product(
        [months, [f"LT-{m:02d}" for m in range(municipalities)], range(orgs), ["F", "M", "unknown"],
         ["child", "adult"]], names=["month", "municipality", "org_no", "sex", "age_group"]).to_frame(index=False)
    grid["org"] = grid["municipality"] + "-org" + grid["org_no"].astype(str)
    grid = grid.drop(columns="org_no")
    sex_weight = grid["sex"].map({"F": 1.0, "M": 0.8, "unknown": 0.05}).to_numpy()
    breakdowns = [*BREAKDOWNS, DEEP] if deep else BREAKDOWNS
    frames = []
    for k in range(indicators):
        sparse_dv = k % 4 == 1
        mean = rng.uniform(0.05, 0.4) if sparse_dv else rng.uniform(0.5, 8.0)
        base = grid.copy()
        base["n"] = rng.poisson(mean * sex_weight).astype(float)
        is_ratio = k % 4 == 3
        base["num"] = rng.binomial(base["n"].astype(int), rng.uniform(0.2, 0.8)).astype(float) if is_ratio else 0.0
        for breakdown in breakdowns:
            dims = list(breakdown)
            if dims:
                agg = base.groupby(dims, sort=False)[["n", "num"]].sum().reset_index()
            else:
                agg = pd.DataFrame({"n": [base["n"].sum()], "num": [base["num"].sum()]})
            out = pd.DataFrame({"indicator": f"ind{k:02d}", "period": "2026", "breakdown": breakdown_name(dims)},
                               index=agg.index)
            for d in DIMENSIONS:
                out[d] = agg[d] if d in dims else ALL
            if is_ratio:
                out["numerator"], out["denominator"] = agg["num"], agg["n"]
                out["value"] = (agg["num"] / agg["n"]).where(agg["n"] > 0)
                out["unit"] = "ratio"
            else:
                out["value"] = out["numerator"] = agg["n"]
                out["denominator"] = np.nan
                out["unit"] = "persons"
            out["sensitivity"] = "dv" if sparse_dv else "standard"
            frames.append(out[list(CELL_COLUMNS)])
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--municipalities", type=int, default=60)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--deep", action="store_true", help="add the five-dimensional breakdown")
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    table = build_table(args.municipalities, args.orgs, args.indicators, args.deep, args.seed)
    print(f"table: {len(table):,} cells, {table['indicator'].nunique()} indicators, "
          f"{table['breakdown'].nunique()} breakdowns, built in {time.perf_counter() - started:.1f} s")
    small = ((table["numerator"] > 0) & (table["numerator"] < 5)).sum()
    print(f"       {small:,} cells with numerator 1..4, {(table['value'] == 0).sum():,} zero cells")

    for label, rules in (("protect, greedy only", DisclosureRules(lp_repair=False)),
                         ("protect, with LP repair", DisclosureRules())):
        started, cpu = time.perf_counter(), time.process_time()
        protected = protect(table, rules)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        reasons = protected.loc[protected["suppressed"], "reason"].value_counts().to_dict()
        print(f"{label}: {elapsed:.2f} s wall, {cpu:.2f} s CPU; suppressed {int(protected['suppressed'].sum()):,} "
              f"({', '.join(f'{r} {n:,}' for r, n in sorted(reasons.items()))})")
        if not args.no_audit:
            started, cpu = time.perf_counter(), time.process_time()
            findings = audit(protected, rules)
            print(f"  audit: {time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, "
                  f"{len(findings)} finding(s)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
