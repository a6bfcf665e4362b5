"""Figures published twice: a ratio's numerator or denominator that is also an indicator of its own.

"Share of domestic-violence clients who were victimised repeatedly" carries its denominator
(the clients) in every row, and "domestic-violence clients" is published as an indicator too.
If the count indicator hides a cell (small, or a complement), the ratio row with the same
dimensions would show it as its denominator; so that ratio row is suppressed as well (reason
``ratio``), and secondary suppression then protects it within the ratio indicator.

Links are found by value: a ratio indicator and a count indicator of the same period are
linked when the ratio's numerator (or denominator) equals the count on every cell they both
have, at least two such cells with one of them non-zero. A coincidental match only costs some
extra suppression; the caller can also name links explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from interchange.indicators.cells import DIMENSIONS
from interchange.indicators.disclosure_lines import CellTableError

RATIO_UNIT = "ratio"


def find_links(cells: pd.DataFrame, explicit: Iterable[tuple[str, str]] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(source, dependent) cell positions: when ``source`` is suppressed, ``dependent`` must be too.

    ``explicit`` adds (ratio indicator, count indicator) pairs whatever their values.
    """
    period = cells["period"].astype(str).to_numpy()
    key = period.astype(object)
    for d in DIMENSIONS:
        key = key + "\x1f" + cells[d].astype(str).to_numpy().astype(object)
    frame = pd.DataFrame({
        "position": np.arange(len(cells)), "indicator": cells["indicator"].astype(str).to_numpy(),
        "period": period, "key": key, "is_ratio": (cells["unit"].astype(str) == RATIO_UNIT).to_numpy(),
        "value": pd.to_numeric(cells["value"], errors="coerce").to_numpy(dtype="float64"),
        "numerator": pd.to_numeric(cells["numerator"], errors="coerce").to_numpy(dtype="float64"),
        "denominator": pd.to_numeric(cells["denominator"], errors="coerce").to_numpy(dtype="float64"),
    })
    ratios = frame[frame["is_ratio"]]
    counts = frame[~frame["is_ratio"]]
    if ratios.empty or counts.empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    pairs = ratios[["position", "indicator", "period", "key", "numerator", "denominator"]].merge(
        counts[["position", "indicator", "key", "value"]], on="key", suffixes=("_ratio", "_count"))
    pairs["same_numerator"] = pairs["numerator"] == pairs["value"]
    pairs["same_denominator"] = pairs["denominator"] == pairs["value"]
    pairs["nonzero"] = pairs["value"] > 0
    summary = pairs.groupby(["period", "indicator_ratio", "indicator_count"]).agg(
        common=("key", "size"), numerator=("same_numerator", "all"), denominator=("same_denominator", "all"),
        nonzero=("nonzero", "any")).reset_index()
    found = summary[(summary["common"] >= 2) & summary["nonzero"] & (summary["numerator"] | summary["denominator"])]
    linked = set(zip(found["period"], found["indicator_ratio"], found["indicator_count"], strict=True))
    explicit = list(explicit)
    known = set(frame["indicator"])
    for ratio_code, count_code in explicit:
        for code in (ratio_code, count_code):
            if code not in known:
                raise CellTableError(f"linked indicators: {code!r} is not in the cell table")
    explicit_pairs = set(explicit)
    keep = [(p, r, c) in linked or (r, c) in explicit_pairs
            for p, r, c in zip(pairs["period"], pairs["indicator_ratio"], pairs["indicator_count"], strict=True)]
    kept = pairs[keep]
    return kept["position_count"].to_numpy(np.int64), kept["position_ratio"].to_numpy(np.int64)


def propagate(links: tuple[np.ndarray, np.ndarray], suppressed: np.ndarray, reason: np.ndarray) -> int:
    """Suppress every dependent of a suppressed source (reason ``ratio``); returns how many were added."""
    source, dependent = links
    if len(source) == 0:
        return 0
    hit = dependent[suppressed[source] & ~suppressed[dependent]]
    hit = np.unique(hit)
    suppressed[hit] = True
    reason[hit] = "ratio"
    return len(hit)
