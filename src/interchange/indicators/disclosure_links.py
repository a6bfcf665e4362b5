"""Figures published twice: a ratio's numerator or denominator that is also an indicator of its own.

"Share of domestic-violence clients who were victimised repeatedly" carries its denominator
(the clients) in every row, and "domestic-violence clients" is published as an indicator too.
If the count indicator hides a cell (small, or a complement), the ratio row with the same
dimensions would show it as its denominator; so that ratio row is suppressed as well (reason
``ratio``), and secondary suppression then protects it within the ratio indicator.

Links are found by value: a ratio indicator and a count indicator of the same period are
linked when the ratio's numerator (or denominator) equals the count on every cell they both
have, at least two such cells, the totals among them and not zero. A coincidental match only
costs some extra suppression; the caller can also name links explicitly.

The audit (:mod:`interchange.indicators.disclosure_audit`) uses the same links as equations a
reader can write: the ministry's ``ministry_indicators`` names each ratio's numerator and
denominator indicator, so a reader knows that the ratio row's figure *is* the count cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import pandas as pd

from interchange.indicators.cells import ALL, DIMENSIONS
from interchange.indicators.disclosure_lines import CellTableError

RATIO_UNIT = "ratio"


class Links(NamedTuple):
    """Cell positions: when ``source`` (a count cell) is suppressed, ``dependent`` (a ratio cell) must be
    too; ``figure`` says which of the ratio's figures equals the count: 0 numerator, 1 denominator,
    -1 neither (a pair named explicitly whose values differ: suppression follows it, the audit cannot)."""

    source: np.ndarray
    dependent: np.ndarray
    figure: np.ndarray


def _no_links() -> Links:
    return Links(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))


def find_links(cells: pd.DataFrame, explicit: Iterable[tuple[str, str]] = ()) -> Links:
    """The linked (count cell, ratio cell) pairs of ``cells`` (see :class:`Links`).

    ``explicit`` adds (ratio indicator, count indicator) pairs whatever their values.
    """
    explicit = list(explicit)
    indicator = cells["indicator"].astype(str).to_numpy()
    known = set(indicator)
    for pair in explicit:
        for code in pair:
            if code not in known:
                raise CellTableError(f"linked indicators: {code!r} is not in the cell table")
    is_ratio = (cells["unit"].astype(str) == RATIO_UNIT).to_numpy()
    if not is_ratio.any() or is_ratio.all():
        return _no_links()
    key, _ = pd.factorize(pd.MultiIndex.from_arrays([cells["period"].astype(str).to_numpy()]
                                                     + [cells[d].astype(str).to_numpy() for d in DIMENSIONS]))
    frame = pd.DataFrame({
        "position": np.arange(len(cells)), "indicator": indicator, "period": cells["period"].astype(str).to_numpy(),
        "key": key, "total": (cells[list(DIMENSIONS)] == ALL).all(axis=1).to_numpy(),
        "value": pd.to_numeric(cells["value"], errors="coerce").to_numpy(dtype="float64"),
        "numerator": pd.to_numeric(cells["numerator"], errors="coerce").to_numpy(dtype="float64"),
        "denominator": pd.to_numeric(cells["denominator"], errors="coerce").to_numpy(dtype="float64"),
    })
    ratios, counts = frame[is_ratio], frame[~is_ratio]

    # Candidates first, by the totals (cheap); then every shared cell of each candidate pair.
    ratio_totals = ratios[ratios["total"]].melt(id_vars=["period", "indicator"],
                                                value_vars=["numerator", "denominator"], value_name="figure")
    count_totals = counts[counts["total"]][["period", "indicator", "value"]]
    candidates = ratio_totals.merge(count_totals, left_on=["period", "figure"], right_on=["period", "value"],
                                    suffixes=("_ratio", "_count"))
    candidates = candidates[candidates["figure"] > 0][["indicator_ratio", "indicator_count", "variable"]]
    named = pd.DataFrame(explicit, columns=["indicator_ratio", "indicator_count"]).assign(variable="named")
    candidates = pd.concat([candidates, named], ignore_index=True).drop_duplicates()
    if candidates.empty:
        return _no_links()
    ratio_cells = ratios[["position", "indicator", "key", "numerator", "denominator"]].rename(
        columns={"position": "position_ratio", "indicator": "indicator_ratio"})
    count_cells = counts[["position", "indicator", "key", "value"]].rename(
        columns={"position": "position_count", "indicator": "indicator_count"})
    pairs = ratio_cells.merge(candidates, on="indicator_ratio").merge(count_cells, on=["indicator_count", "key"])
    figure = np.where(pairs["variable"] == "numerator", pairs["numerator"], pairs["denominator"])
    pairs["same"] = (figure == pairs["value"]) | (pairs["variable"] == "named")
    summary = pairs.groupby(["indicator_ratio", "indicator_count", "variable"])["same"].agg(["all", "size"])
    accepted = summary[summary["all"] & ((summary["size"] >= 2) | (summary.index.get_level_values(2) == "named"))]
    keep = pd.MultiIndex.from_frame(pairs[["indicator_ratio", "indicator_count", "variable"]]).isin(accepted.index)
    kept = pairs[keep]
    figure = np.where(kept["variable"] == "numerator", 0, np.where(kept["variable"] == "denominator", 1, -1))
    named = (kept["variable"] == "named").to_numpy()
    figure[named] = np.where(kept["numerator"][named] == kept["value"][named], 0,
                             np.where(kept["denominator"][named] == kept["value"][named], 1, -1))
    return Links(kept["position_count"].to_numpy(np.int64), kept["position_ratio"].to_numpy(np.int64),
                 figure.astype(np.int64))


def propagate(links: Links, suppressed: np.ndarray, reason: np.ndarray, nonzero: np.ndarray | None = None) -> int:
    """Suppress every dependent of a suppressed source (reason ``ratio``), and the numerator count of
    every suppressed ratio (reason ``secondary``, where ``nonzero``); returns how many were added.

    The second direction matters when a ratio is hidden for its complement ("5,905 of 5,908"): with
    both its counts published the hidden 3 is their difference. Hiding the numerator's count beside
    each hidden ratio row keeps the two hidden sets the same, so the room the ratio's lines get for
    denominator - numerator is room in the counts' lines too.
    """
    source, dependent = links.source, links.dependent
    if len(source) == 0:
        return 0
    hit = dependent[suppressed[source] & ~suppressed[dependent]]
    hit = np.unique(hit)
    suppressed[hit] = True
    reason[hit] = "ratio"
    back = (links.figure == 0) & suppressed[dependent] & ~suppressed[source]
    if nonzero is not None:
        back &= nonzero[source]
    counts = np.unique(source[back])
    suppressed[counts] = True
    reason[counts] = "secondary"
    return len(hit) + len(counts)
