"""Cell tables built by hand for the disclosure tests: single cells, and random tables whose
margins are true sums of synthetic counts (so every line is additive, as for contacts), or
distinct-person counts that are not (a person in several months)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS, breakdown_name


def cell(indicator: str = "persons_helped", *, value: float, period: str = "2026", unit: str = "persons",
         sensitivity: str = "standard", numerator: float | None = None, denominator: float | None = None,
         **dims: str) -> dict:
    row = {"indicator": indicator, "period": period, "breakdown": breakdown_name(list(dims)),
           **{d: ALL for d in DIMENSIONS}, **dims, "value": value,
           "numerator": value if numerator is None else numerator,
           "denominator": np.nan if denominator is None else denominator, "unit": unit, "sensitivity": sensitivity}
    return row


def frame(rows: Iterable[dict]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(CELL_COLUMNS))


def random_table(rng: np.random.Generator, dimension_values: dict[str, Sequence[str]],
                 breakdowns: Sequence[Sequence[str]], *, indicator: str = "persons_helped",
                 sensitivity: str = "standard", mean: float = 5.0, zero_share: float = 0.3,
                 unit: str = "contacts") -> pd.DataFrame:
    """Counts on the full cross of ``dimension_values``, aggregated to each breakdown (additive)."""
    full = list(itertools.product(*dimension_values.values()))
    counts = rng.poisson(mean, len(full)) * (rng.random(len(full)) >= zero_share)
    base = pd.DataFrame(full, columns=list(dimension_values))
    base["n"] = counts
    rows = []
    for breakdown in breakdowns:
        dims = list(breakdown)
        grouped = base.groupby(dims)["n"].sum().reset_index() if dims else pd.DataFrame({"n": [base["n"].sum()]})
        for record in grouped.to_dict("records"):
            rows.append(cell(indicator, value=float(record["n"]), unit=unit, sensitivity=sensitivity,
                             **{d: str(record[d]) for d in dims}))
    return frame(rows)


def random_person_table(rng: np.random.Generator, dimension_values: dict[str, Sequence[str]],
                        breakdowns: Sequence[Sequence[str]], *, persons: int = 60, visits: int = 3,
                        indicator: str = "distinct_persons", sensitivity: str = "standard") -> pd.DataFrame:
    """Distinct persons: each person has a fixed sex and a few contacts in random months/orgs."""
    records = []
    for person in range(persons):
        fixed = {d: rng.choice(list(v)) for d, v in dimension_values.items() if d in ("sex", "age_group")}
        for _ in range(int(rng.integers(1, visits + 1))):
            moving = {d: rng.choice(list(v)) for d, v in dimension_values.items() if d not in fixed}
            records.append({"person": person, **fixed, **moving})
    base = pd.DataFrame(records)
    rows = []
    for breakdown in breakdowns:
        dims = list(breakdown)
        if dims:
            grouped = base.groupby(dims)["person"].nunique().reset_index(name="n")
        else:
            grouped = pd.DataFrame({"n": [base["person"].nunique()]})
        for record in grouped.to_dict("records"):
            rows.append(cell(indicator, value=float(record["n"]), sensitivity=sensitivity,
                             **{d: str(record[d]) for d in dims}))
    return frame(rows)


def all_breakdowns(dimensions: Sequence[str], up_to: int) -> list[tuple[str, ...]]:
    return [combo for k in range(up_to + 1) for combo in itertools.combinations(dimensions, k)]
