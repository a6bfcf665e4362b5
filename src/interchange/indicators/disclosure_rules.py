"""The rule a cell table is protected with, each cell's figures under it, and greedy secondary suppression.

Shared by :mod:`interchange.indicators.disclosure` (``protect``) and
:mod:`interchange.indicators.disclosure_audit` (its repair adds complements the same way).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from interchange.indicators.disclosure_lines import CellTableError, Lines
from interchange.indicators.disclosure_links import RATIO_UNIT
from interchange.indicators.disclosure_room import line_deficits, roomy_complements

SENSITIVITIES = ("standard", "dv")

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


class CellFigures:
    """The additive figures of each cell and what suppression needs to know about them.

    A count cell has one figure (its value); a ratio cell has two (numerator, denominator),
    both additive along lines, while the ratio itself is not.
    """

    def __init__(self, first: np.ndarray, second: np.ndarray, is_ratio: np.ndarray, threshold: np.ndarray,
                 exempt: np.ndarray, complement: np.ndarray | None = None):
        self.first = first          # count value, or ratio numerator
        self.second = second        # ratio denominator (NaN for counts)
        self.is_ratio = is_ratio
        self.threshold = threshold  # the primary threshold of each cell
        self.exempt = exempt        # counts that are not about persons
        # ratios whose denominator - numerator is protected like a count: shares, not rates
        self.complement = is_ratio if complement is None else complement

    @classmethod
    def of(cls, cells: pd.DataFrame, rules: DisclosureRules, rates: Iterable[str] = ()) -> CellFigures:
        """The figures of `cells`; `rates` names ratio indicators that are not shares (no complement rule)."""
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
        complement = is_ratio & ~cells["indicator"].astype(str).isin(list(rates)).to_numpy()
        if not rules.protect_ratio_complement:
            complement = np.zeros(len(cells), dtype=bool)
        return cls(np.where(is_ratio, numerator, value), np.where(is_ratio, denominator, np.nan), is_ratio,
                   threshold.astype(np.int64), exempt, complement)

    def complement_tier(self) -> np.ndarray:
        """How good each cell is as a complementary suppression (see the _TIER constants)."""
        first_nonzero = np.nan_to_num(self.first) > 0
        rest_nonzero = np.nan_to_num(self.second - self.first) > 0
        all_nonzero = np.where(self.is_ratio, first_nonzero & rest_nonzero, first_nonzero)
        some_nonzero = first_nonzero | (np.nan_to_num(self.second) > 0)
        return np.where(all_nonzero, _TIER_ALL_NONZERO, np.where(some_nonzero, _TIER_SOME_NONZERO, _TIER_ZERO))

    def can_complement(self) -> np.ndarray:
        """Cells a complementary suppression may hide: non-zero in some figure (no zero is ever hidden)."""
        return self.complement_tier() < _TIER_ZERO

    def size(self) -> np.ndarray:
        """The figure a complement is chosen by (smallest first): value, or the ratio's denominator."""
        return np.nan_to_num(np.where(self.is_ratio, self.second, self.first), nan=np.inf)


def suppress_secondary(lines: Lines, figures: CellFigures, suppressed: np.ndarray, reason: np.ndarray,
                       protect_complement: bool = True) -> int:
    """Greedy complementary suppression to a fixed point: every line holds 0 or >= 2 suppressed cells,
    and no line alone shows that a hidden cell is below its threshold.

    In a line with exactly one suppressed cell, that cell equals margin minus the published
    members (or the margin equals their sum), so one more cell is suppressed: the smallest
    member that is non-zero in every figure; failing that the margin if non-zero; failing
    that a member non-zero in some figure (a ratio). A line whose hidden members a reader can
    bound below a threshold from its published margin gets a member large enough to give it
    room (:mod:`interchange.indicators.disclosure_room`). A zero is never suppressed: a reader who
    knows the rules then knows every suppressed count is at least 1, and the audit gives them
    exactly that (a line whose only candidates are zeros is one where the suppressed cell is a
    margin that the zeros do not add up to, so they tell nothing about it).
    Modifies ``suppressed`` and ``reason`` in place; returns the number of cells added.
    """
    if lines.n_lines == 0:
        return 0
    tier = figures.complement_tier()
    size = figures.size()
    usable = figures.can_complement()
    added = 0
    while True:
        count = np.bincount(lines.member_line, weights=suppressed[lines.member_cell], minlength=lines.n_lines)
        count += suppressed[lines.line_margin]
        deficits = line_deficits(lines, figures, suppressed, protect_complement)
        short = deficits.max(axis=1) > 0
        needy = (count == 1) & ~short
        if not needy.any() and not short.any():
            return added
        chosen = np.concatenate([choose_complements(lines, needy, suppressed, tier, size),
                                 roomy_complements(lines, figures, suppressed, deficits, usable, size)[short]])
        chosen = np.unique(chosen[chosen >= 0])
        chosen = chosen[~suppressed[chosen]]
        if len(chosen) == 0:
            return added
        suppressed[chosen] = True
        reason[chosen] = "secondary"
        added += len(chosen)


def choose_complements(lines: Lines, needy: np.ndarray, suppressed: np.ndarray, tier: np.ndarray,
                        size: np.ndarray) -> np.ndarray:
    """One complement per needy line (see :func:`suppress_secondary` for the order of choice); -1 for
    a line with no cell that is non-zero in some figure left to suppress."""
    needy_lines = np.flatnonzero(needy)
    margin = lines.line_margin[needy_lines]
    margin_suppressed = suppressed[margin]

    candidate = needy[lines.member_line] & ~suppressed[lines.member_cell] & (tier[lines.member_cell] < _TIER_ZERO)
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
    return np.where(use_member, best, np.where(margin_usable, margin, -1))
