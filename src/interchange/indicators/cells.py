"""The cell table: the one shape every indicator result takes, from computation to export.

A cell is one figure of one indicator for one combination of the disaggregation
dimensions. A dimension a cell does not break down by holds ``ALL`` (the margin), so a
"by sex" breakdown of indicator X is the cells with ``sex`` set and every other dimension
``ALL``, next to X's total cell where all of them are ``ALL``. Computation
(:mod:`interchange.indicators.compute`) produces cells, disclosure control
(:mod:`interchange.indicators.disclosure`) adds the protection columns, publications
(:mod:`interchange.indicators.publications`) store and export them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

ALL = "*"
"""The margin: every value of that dimension."""

DIMENSIONS: tuple[str, ...] = ("month", "municipality", "org", "sex", "age_group")
"""Disaggregation dimensions, in table order. ``month`` is "YYYY-MM" inside the period;
``age_group`` is "child" (under 18 at the period's end) or "adult"; ``sex`` is the
contract's code; "unknown" is a value of its own where a record does not say."""

CELL_COLUMNS: tuple[str, ...] = (
    "indicator",    # catalogue code
    "period",       # the publication period label, e.g. "2026-Q3", "2026", "kompleksines-kretinga"
    "breakdown",    # which dimensions are set, joined by "+" in DIMENSIONS order; "total" for none
    *DIMENSIONS,
    "value",        # the figure (a count, a sum of hours, or a ratio in [0, 1])
    "numerator",    # for ratios: the count above the line; for counts: equal to value
    "denominator",  # for ratios: the count below the line; otherwise empty (NaN)
    "unit",         # persons, households, contacts, sessions, hours, days, ratio, ...
    "sensitivity",  # "standard" or "dv" (built on domestic-violence data: stricter threshold)
)

PROTECTION_COLUMNS: tuple[str, ...] = (
    "suppressed",       # bool
    "reason",           # empty, "primary", "secondary", "ratio" or "consent"
    "published_value",  # value when not suppressed, else empty (NaN)
)


def breakdown_name(dimensions: tuple[str, ...] | list[str]) -> str:
    """The breakdown label of a set of dimensions, e.g. ("sex", "month") -> "month+sex"."""
    ordered = [d for d in DIMENSIONS if d in dimensions]
    unknown = sorted(set(dimensions) - set(DIMENSIONS))
    if unknown:
        raise ValueError(f"unknown dimensions: {', '.join(unknown)}")
    return "+".join(ordered) or "total"


def empty_cells() -> pd.DataFrame:
    """A cell table with no rows and the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("value", "numerator", "denominator") else "object")
                         for c in CELL_COLUMNS})


def plain(value: Any) -> Any:
    """A cell table value as plain Python: NaN and pandas' missing markers become None, numpy scalars Python ones."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


__all__ = ["ALL", "CELL_COLUMNS", "DIMENSIONS", "PROTECTION_COLUMNS", "breakdown_name", "empty_cells", "plain"]
