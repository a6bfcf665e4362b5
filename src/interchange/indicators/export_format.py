"""How a figure is written in the exports: its status, and its value at its unit's precision.

An empty value means two things to a reader who only sees the cell: a figure hidden by
disclosure control, and a ratio whose denominator is 0 (there is nothing to divide). The
``status`` column tells them apart in every format. Figures are rounded here, once, so the
CSV, the XLSX and the JSON of a version agree to the last digit.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from interchange.indicators.cells import plain

PUBLISHED = "published"
SUPPRESSED = "suppressed"
NOT_APPLICABLE = "not_applicable"
STATUSES: tuple[str, ...] = (PUBLISHED, SUPPRESSED, NOT_APPLICABLE)

DECIMALS: dict[str, int] = {"ratio": 4, "hours": 2, "family_weeks": 2}
"""Decimal places by unit. Every other unit counts something (persons, contacts, days, ...)
and is written as a whole number."""

PART_DECIMALS = max(places for unit, places in DECIMALS.items() if unit != "ratio")
"""A ratio's numerator and denominator are figures of other indicators (counts, or
family-weeks for visits per family-week): the finest precision of those units, which
still writes a count as a whole number."""

ROUNDING = "half_up"
"""Half away from zero (0.03125 -> 0.0313), as statistical tables round, not Python's half-to-even."""


def figure_format() -> dict[str, Any]:
    """How figures are written, for metadata.json and cells.json: the states of a cell, decimals by unit, rounding."""
    return {"statuses": list(STATUSES), "decimals": dict(DECIMALS, other_units=0), "rounding": ROUNDING}


def figure(value: object, decimals: int) -> int | float | None:
    """`value` rounded half up to `decimals` places; a whole number as an int (143, not 143.0); empty as None."""
    number = plain(value)
    if number is None:
        return None
    if float(number).is_integer():  # every count: no need for decimal arithmetic
        return int(number)
    exact = Decimal(repr(float(number))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


def status(suppressed: object, value: object) -> str:
    """published, suppressed, or not_applicable (shown, but there is no figure: a ratio of 0/0)."""
    if plain(suppressed):
        return SUPPRESSED
    return NOT_APPLICABLE if plain(value) is None else PUBLISHED


def cells_for_export(cells: pd.DataFrame) -> pd.DataFrame:
    """Published cells with a ``status`` column and every figure at its unit's precision (Python ints and floats)."""
    out = cells.copy()
    out["status"] = [status(s, v) for s, v in zip(cells["suppressed"], cells["value"], strict=True)]
    own = [DECIMALS.get(unit, 0) for unit in cells["unit"]]
    parts = [PART_DECIMALS if unit == "ratio" else places for unit, places in zip(cells["unit"], own, strict=True)]
    for column, places in (("value", own), ("target", own), ("numerator", parts), ("denominator", parts)):
        out[column] = _rounded(cells[column], places)
    return out


def changes_for_export(changes: pd.DataFrame) -> pd.DataFrame:
    """The published diff (with a ``unit`` column) with the status of each side and rounded values.

    A side where the cell does not exist (before an added cell, after a removed one) has no status.
    A cell whose value changed only beyond the written decimals is left out: in the files it did not change.
    """
    out = changes.copy()
    places = [DECIMALS.get(unit, 0) for unit in changes["unit"]]
    for side, absent in (("before", "added"), ("after", "removed")):
        out[f"status_{side}"] = pd.Series(
            [None if change == absent else status(suppressed, value) for change, suppressed, value
             in zip(changes["change"], changes[f"suppressed_{side}"], changes[f"value_{side}"], strict=True)],
            index=changes.index, dtype=object)
        out[f"value_{side}"] = _rounded(changes[f"value_{side}"], places)
    unchanged = (out["change"] == "changed") & (out["status_before"] == out["status_after"]) \
        & (out["value_before"] == out["value_after"])
    return out[~unchanged].reset_index(drop=True)


def _rounded(values: pd.Series, places: list[int]) -> pd.Series:
    # dtype object keeps Python ints as ints: a float column would turn 143 back into 143.0.
    return pd.Series([figure(v, d) for v, d in zip(values, places, strict=True)], index=values.index, dtype=object)
