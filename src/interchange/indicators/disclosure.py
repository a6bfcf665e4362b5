"""Disclosure control: which cells of an indicator table may leave the hub.

``protect(cells, rules)`` adds the :data:`PROTECTION_COLUMNS` to a cell table:

* **primary** suppression of small counts: ``0 < n < threshold`` (zero is published: "nobody"
  discloses nothing about a person). The threshold is ``rules.min_count`` (default 5: cells
  1-4 are suppressed), or ``rules.dv_min_count`` (default 10) for cells with sensitivity
  ``"dv"`` (built on domestic-violence data);
* **ratio** suppression: a ratio row whose denominator is small, or whose complement
  (denominator - numerator) is small; a ratio with a small numerator is suppressed as primary;
* **secondary** suppression: no suppressed figure may be recovered by subtraction from margins
  and the other published breakdowns of the same indicator and period (see
  :mod:`interchange.indicators.disclosure_lines` for the line structure), then, with
  ``rules.lp_repair``, a linear-programming check of every suppressed cell that adds
  suppressions until no reader can narrow a small cell to 1..threshold-1 or pin any suppressed
  figure exactly (:mod:`interchange.indicators.disclosure_audit`).

``published_view(protected)`` is the only frame publications may export: it holds published
figures, flags and reasons, never the unsuppressed ``value``, ``numerator`` or ``denominator``.
docs/disclosure.md explains the rules for stewards and analysts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from interchange.indicators.cells import CELL_COLUMNS, DIMENSIONS, PROTECTION_COLUMNS
from interchange.indicators.disclosure_lines import CellTableError, Lines, build_lines, check_cell_table
from interchange.indicators.disclosure_links import RATIO_UNIT, find_links, propagate

SENSITIVITIES = ("standard", "dv")
CONSENT_ONLY = "consent_only"
"""Optional column (compute_indicators with consent "totals_only"): the part of a total cell that
only the total counts; a total whose part is 0 < n < threshold is suppressed with reason "consent"."""
PUBLISHED_FIGURES = ("published_value", "published_numerator", "published_denominator")

# Preference tiers for a complementary suppression (lower is better): a complement that is
# zero in some figure leaves that figure of the cell it protects exactly recoverable.
_TIER_ALL_NONZERO, _TIER_SOME_NONZERO, _TIER_ZERO = 0, 1, 2


class DisclosureRules(BaseModel):
    """The suppression rule a publication is protected with; stored with it as JSON
    (``rules.model_dump_json()``; ``DisclosureRules.model_validate_json(text)`` reads it back)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_count: int = Field(5, ge=1, description="counts 0 < n < min_count are suppressed (5: cells 1-4)")
    dv_min_count: int = Field(
        10, ge=1, description="the same for cells with sensitivity 'dv' (domestic-violence data); >= min_count")
    protect_ratio_complement: bool = Field(
        True, description="also suppress a ratio whose denominator - numerator is 0 < n < threshold "
                          "(\"all but 2 of 40\" tells about those 2)")
    exempt_units: tuple[str, ...] = Field(
        (), description="units whose counts are not about persons (e.g. 'sessions') and get no primary suppression")
    lp_repair: bool = Field(
        True, description="after the line-by-line secondary suppression, check every suppressed cell by linear "
                          "programming and suppress more until no cell can be narrowed (see docs/disclosure.md)")
    max_repair_rounds: int = Field(50, ge=0, description="bound on the check-and-repair rounds")

    @model_validator(mode="after")
    def _dv_not_weaker(self) -> DisclosureRules:
        if self.dv_min_count < self.min_count:
            raise ValueError(f"dv_min_count ({self.dv_min_count}) must not be below min_count ({self.min_count})")
        return self

    def threshold_of(self, sensitivity: str) -> int:
        return self.dv_min_count if sensitivity == "dv" else self.min_count


def protect(cells: pd.DataFrame, rules: DisclosureRules | None = None, *,
            linked_indicators: Iterable[tuple[str, str]] = ()) -> pd.DataFrame:
    """The cells with ``suppressed``, ``reason`` and ``published_value`` added.

    Rows already carrying ``suppressed=True`` stay suppressed with their reason. A
    ``consent_only`` column (:data:`CONSENT_ONLY`) withholds total cells whose part counted
    only there (records without consent) is small: reason ``"consent"``. A ratio row whose numerator or denominator is a
    suppressed cell of a count indicator is suppressed too (reason ``ratio``): such pairs are
    found by value (:mod:`interchange.indicators.disclosure_links`), and ``linked_indicators``
    names (ratio indicator, count indicator) pairs explicitly. The input is not modified; its
    index is kept. Raises :class:`CellTableError` for a table that cannot be protected
    (missing column, duplicate cell, empty dimension, unknown sensitivity or indicator).
    """
    rules = rules or DisclosureRules()
    check_cell_table(cells, CELL_COLUMNS)
    out = cells.copy()
    if out.empty:
        for column in PROTECTION_COLUMNS:
            out[column] = pd.Series(dtype="bool" if column == "suppressed" else
                                    "float64" if column == "published_value" else "object")
        return out
    figures = CellFigures.of(out, rules)
    lines = build_lines(out)
    suppressed, reason = _initial_suppression(out, figures, rules)
    links = find_links(out, linked_indicators)

    def close(suppressed: np.ndarray, reason: np.ndarray) -> None:
        """Secondary suppression and linked ratios, until neither adds anything."""
        while True:
            propagate(links, suppressed, reason)
            suppress_secondary(lines, figures, suppressed, reason)
            if propagate(links, suppressed, reason) == 0:
                return

    close(suppressed, reason)
    if rules.lp_repair:
        from interchange.indicators.disclosure_audit import repair_until_safe

        repair_until_safe(lines, figures, suppressed, reason, rules.max_repair_rounds,
                          rules.protect_ratio_complement, close)
    out["suppressed"] = suppressed
    out["reason"] = reason
    out["published_value"] = out["value"].astype("float64").where(~suppressed)
    return out


class CellFigures:
    """The additive figures of each cell and what suppression needs to know about them.

    A count cell has one figure (its value); a ratio cell has two (numerator, denominator),
    both additive along lines, while the ratio itself is not.
    """

    def __init__(self, first: np.ndarray, second: np.ndarray, is_ratio: np.ndarray, threshold: np.ndarray,
                 exempt: np.ndarray):
        self.first = first          # count value, or ratio numerator
        self.second = second        # ratio denominator (NaN for counts)
        self.is_ratio = is_ratio
        self.threshold = threshold  # the primary threshold of each cell
        self.exempt = exempt        # counts that are not about persons

    @classmethod
    def of(cls, cells: pd.DataFrame, rules: DisclosureRules) -> CellFigures:
        sensitivity = cells["sensitivity"].astype(str)
        unknown = ~sensitivity.isin(SENSITIVITIES)
        if unknown.any():
            row = cells.loc[unknown].iloc[0]
            raise CellTableError(
                f"cell table: sensitivity {row['sensitivity']!r} of indicator {row['indicator']!r} is not one of "
                f"{', '.join(SENSITIVITIES)}")
        is_ratio = (cells["unit"].astype(str) == RATIO_UNIT).to_numpy()
        value = pd.to_numeric(cells["value"], errors="coerce").to_numpy(dtype="float64")
        numerator = pd.to_numeric(cells["numerator"], errors="coerce").to_numpy(dtype="float64")
        denominator = pd.to_numeric(cells["denominator"], errors="coerce").to_numpy(dtype="float64")
        threshold = np.where(sensitivity.to_numpy() == "dv", rules.dv_min_count, rules.min_count)
        exempt = cells["unit"].astype(str).isin(rules.exempt_units).to_numpy() & ~is_ratio
        return cls(np.where(is_ratio, numerator, value), np.where(is_ratio, denominator, np.nan), is_ratio,
                   threshold.astype(np.int64), exempt)

    def complement_tier(self) -> np.ndarray:
        """How good each cell is as a complementary suppression (see the _TIER constants)."""
        first_nonzero = np.nan_to_num(self.first) > 0
        rest_nonzero = np.nan_to_num(self.second - self.first) > 0
        all_nonzero = np.where(self.is_ratio, first_nonzero & rest_nonzero, first_nonzero)
        some_nonzero = first_nonzero | (np.nan_to_num(self.second) > 0)
        return np.where(all_nonzero, _TIER_ALL_NONZERO, np.where(some_nonzero, _TIER_SOME_NONZERO, _TIER_ZERO))

    def size(self) -> np.ndarray:
        """The figure a complement is chosen by (smallest first): value, or the ratio's denominator."""
        return np.nan_to_num(np.where(self.is_ratio, self.second, self.first), nan=np.inf)


def _is_small(figure: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    return (figure > 0) & (figure < threshold)


def _initial_suppression(cells: pd.DataFrame, figures: CellFigures,
                         rules: DisclosureRules) -> tuple[np.ndarray, np.ndarray]:
    n = len(cells)
    suppressed = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    if "suppressed" in cells.columns:  # computation's own suppression (e.g. consent) is kept
        given = cells["suppressed"].fillna(False).astype(bool).to_numpy()
        given_reason = (cells["reason"].fillna("").astype(str).to_numpy() if "reason" in cells.columns
                        else np.full(n, "", dtype=object))
        suppressed |= given
        reason[given] = np.where(given_reason[given] == "", "primary", given_reason[given])

    if CONSENT_ONLY in cells.columns:  # consent "totals_only": a small part only the total holds
        only = pd.to_numeric(cells[CONSENT_ONLY], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
        withheld = _is_small(only, figures.threshold) & ~suppressed
        reason[withheld] = "consent"
        suppressed |= withheld
    first_small = _is_small(figures.first, figures.threshold) & ~figures.exempt
    second_small = figures.is_ratio & _is_small(figures.second, figures.threshold)
    if rules.protect_ratio_complement:
        second_small |= figures.is_ratio & _is_small(figures.second - figures.first, figures.threshold)
    primary = first_small & ~suppressed
    reason[primary] = "primary"
    suppressed |= primary
    ratio = second_small & ~suppressed
    reason[ratio] = "ratio"
    suppressed |= ratio
    return suppressed, reason


def suppress_secondary(lines: Lines, figures: CellFigures, suppressed: np.ndarray, reason: np.ndarray) -> int:
    """Greedy complementary suppression to a fixed point: every line holds 0 or >= 2 suppressed cells.

    In a line with exactly one suppressed cell, that cell equals margin minus the published
    members (or the margin equals their sum), so one more cell is suppressed: the smallest
    member that is non-zero in every figure; failing that the margin if non-zero; failing
    that the smallest member at all (zeros included: a reader does not know it is zero).
    Modifies ``suppressed`` and ``reason`` in place; returns the number of cells added.
    """
    if lines.n_lines == 0:
        return 0
    tier = figures.complement_tier()
    size = figures.size()
    added = 0
    while True:
        count = np.bincount(lines.member_line, weights=suppressed[lines.member_cell], minlength=lines.n_lines)
        count += suppressed[lines.line_margin]
        needy = count == 1
        if not needy.any():
            return added
        chosen = _choose_complements(lines, needy, suppressed, tier, size)
        chosen = np.unique(chosen)
        chosen = chosen[~suppressed[chosen]]
        suppressed[chosen] = True
        reason[chosen] = "secondary"
        added += len(chosen)


def _choose_complements(lines: Lines, needy: np.ndarray, suppressed: np.ndarray, tier: np.ndarray,
                        size: np.ndarray) -> np.ndarray:
    """One complement per needy line (see :func:`suppress_secondary` for the order of choice)."""
    needy_lines = np.flatnonzero(needy)
    margin = lines.line_margin[needy_lines]
    margin_suppressed = suppressed[margin]

    candidate = needy[lines.member_line] & ~suppressed[lines.member_cell]
    cand_line = lines.member_line[candidate]
    cand_cell = lines.member_cell[candidate]
    order = np.lexsort((cand_cell, size[cand_cell], tier[cand_cell], cand_line))
    cand_line, cand_cell = cand_line[order], cand_cell[order]
    first = np.ones(len(cand_line), dtype=bool)
    first[1:] = cand_line[1:] != cand_line[:-1]
    best_member = np.full(lines.n_lines, -1, dtype=np.int64)
    best_member[cand_line[first]] = cand_cell[first]
    best = best_member[needy_lines]

    has_best = best >= 0
    best_tier = np.where(has_best, tier[np.maximum(best, 0)], _TIER_ZERO + 1)
    margin_usable = ~margin_suppressed & (tier[margin] <= _TIER_SOME_NONZERO)
    use_member = has_best & (margin_suppressed | (best_tier == _TIER_ALL_NONZERO) | ~margin_usable)
    return np.where(use_member, best, margin)


def published_view(protected: pd.DataFrame, extra_columns: Iterable[str] = ()) -> pd.DataFrame:
    """The exportable frame: keys, published figures, flags and reasons; nothing suppressed.

    Columns: indicator, period, breakdown, the dimensions, ``published_value``,
    ``published_numerator``, ``published_denominator`` (each empty where suppressed), unit,
    sensitivity, suppressed, reason, then ``extra_columns`` (e.g. a target) as asked. Any
    other column of ``protected`` is dropped, so an unsuppressed figure cannot ride along.
    """
    missing = [c for c in ("suppressed", "reason") if c not in protected.columns]
    if missing:
        raise CellTableError(f"published_view: the table is not protected (no {', '.join(missing)} column); "
                             "run protect() first")
    extra = list(extra_columns)
    forbidden = {"value", "numerator", "denominator"} & set(extra)
    if forbidden:
        raise CellTableError(f"published_view: {', '.join(sorted(forbidden))} hold unsuppressed figures and "
                             "cannot be exported")
    check_cell_table(protected, (*CELL_COLUMNS, *extra))
    hidden = protected["suppressed"].astype(bool)
    view = protected[["indicator", "period", "breakdown", *DIMENSIONS]].copy()
    for published, source in zip(PUBLISHED_FIGURES, ("value", "numerator", "denominator"), strict=True):
        view[published] = pd.to_numeric(protected[source], errors="coerce").astype("float64").where(~hidden)
    view["unit"] = protected["unit"]
    view["sensitivity"] = protected["sensitivity"]
    view["suppressed"] = hidden
    view["reason"] = protected["reason"].fillna("").astype(str)
    for column in extra:
        view[column] = protected[column]
    return view


__all__ = ["CellTableError", "DisclosureRules", "protect", "published_view"]
