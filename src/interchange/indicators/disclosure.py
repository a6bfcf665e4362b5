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
  ``rules.lp_repair``, an integer-programming check of every suppressed cell that adds
  suppressions until the rule holds for a reader who knows the rules
  (:mod:`interchange.indicators.disclosure_audit`): every suppressed figure whose true value
  ``x`` is ``1 .. k-1`` may be ``k`` or more as far as the published tables show (upper
  protection level ``k - x``), and no cell suppressed for its own sake can be pinned. With
  ``lp_repair`` on, a table for which that cannot be reached is refused
  (:class:`DisclosureRefused`), never returned.

``published_view(protected)`` is the only frame publications may export: it holds published
figures and the suppressed flag, never the unsuppressed ``value``, ``numerator`` or
``denominator``, and never *why* a cell is suppressed: its ``reason`` says ``suppressed`` for
every suppressed cell (the hub's "primary" would tell a reader which hidden cells are small,
and so narrow them to ``1 .. k-1``). docs/disclosure.md explains the rules for stewards and
analysts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from interchange.errors import InterchangeError
from interchange.indicators.cells import CELL_COLUMNS, DIMENSIONS, PROTECTION_COLUMNS
from interchange.indicators.disclosure_audit import Finding, findings_of, repair_until_safe
from interchange.indicators.disclosure_lines import CellTableError, build_lines, check_cell_table
from interchange.indicators.disclosure_links import find_links, propagate
from interchange.indicators.disclosure_rules import CellFigures, DisclosureRules, suppress_secondary

CONSENT_ONLY = "consent_only"
"""Optional column (compute_indicators with consent "totals_only"): the part of a total cell that
only the total counts; a total whose part is 0 < n < threshold is suppressed with reason "consent"."""
PUBLISHED_FIGURES = ("published_value", "published_numerator", "published_denominator")
PUBLISHED_REASON = "suppressed"
"""The only reason a published table gives: a reader who knew which hidden cells are primary would
know each of them is 1 .. threshold-1 (see disclosure_audit)."""


class DisclosureRefused(InterchangeError):
    """Suppression could not reach the rule for some cells: the table must not be published.

    ``findings`` (hub-side, for stewards and tests) say which figures and how narrow; the
    message names the indicators only.
    """

    def __init__(self, findings: list[Finding]) -> None:
        indicators = sorted({f.indicator for f in findings})
        super().__init__(key="error.disclosure_refused", count=len(findings), indicators=", ".join(indicators))
        self.findings = findings


def protect(cells: pd.DataFrame, rules: DisclosureRules | None = None, *,
            linked_indicators: Iterable[tuple[str, str]] = (), rates: Iterable[str] = ()) -> pd.DataFrame:
    """The cells with ``suppressed``, ``reason`` and ``published_value`` added.

    Rows already carrying ``suppressed=True`` stay suppressed with their reason. A
    ``consent_only`` column (:data:`CONSENT_ONLY`) withholds total cells whose part counted
    only there (records without consent) is small: reason ``"consent"``. A ratio row whose numerator or denominator is a
    suppressed cell of a count indicator is suppressed too (reason ``ratio``): such pairs are
    found by value (:mod:`interchange.indicators.disclosure_links`), and ``linked_indicators``
    names (ratio indicator, count indicator) pairs explicitly. ``rates`` names ratio indicators
    that are not shares (visits per family-week, :meth:`Catalogue.rates`): their denominator -
    numerator is not a count of anyone, so the complement rule leaves them alone. The input is not modified; its
    index is kept. Raises :class:`CellTableError` for a table that cannot be protected
    (missing column, duplicate cell, empty dimension, unknown sensitivity or indicator), and
    :class:`DisclosureRefused` when, with ``rules.lp_repair``, the audit still finds a figure
    after ``rules.max_repair_rounds`` (``lp_repair=False`` only shows what the greedy pass alone
    leaves, for the benchmark and the tests: it is not a protection).
    """
    rules = rules or DisclosureRules()
    check_cell_table(cells, CELL_COLUMNS)
    out = cells.copy()
    if out.empty:
        for column in PROTECTION_COLUMNS:
            out[column] = pd.Series(dtype="bool" if column == "suppressed" else
                                    "float64" if column == "published_value" else "object")
        return out
    figures = CellFigures.of(out, rules, rates)
    lines = build_lines(out)
    suppressed, reason = _initial_suppression(out, figures, rules)
    links = find_links(out, linked_indicators)
    nonzero = figures.can_complement()

    def close(suppressed: np.ndarray, reason: np.ndarray) -> None:
        """Secondary suppression and linked ratios, until neither adds anything."""
        while True:
            propagate(links, suppressed, reason, nonzero)
            suppress_secondary(lines, figures, suppressed, reason, rules.protect_ratio_complement)
            if propagate(links, suppressed, reason, nonzero) == 0:
                return

    close(suppressed, reason)
    if rules.lp_repair:
        left = repair_until_safe(lines, figures, suppressed, reason, rules.max_repair_rounds,
                                 rules.protect_ratio_complement, close, links)
        if left:
            raise DisclosureRefused(findings_of(out, figures, left))
    out["suppressed"] = suppressed
    out["reason"] = reason
    out["published_value"] = out["value"].astype("float64").where(~suppressed)
    return out


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
    second_small |= figures.complement & _is_small(figures.second - figures.first, figures.threshold)
    primary = first_small & ~suppressed
    reason[primary] = "primary"
    suppressed |= primary
    ratio = second_small & ~suppressed
    reason[ratio] = "ratio"
    suppressed |= ratio
    return suppressed, reason


def published_view(protected: pd.DataFrame, extra_columns: Iterable[str] = ()) -> pd.DataFrame:
    """The exportable frame: keys, published figures and the suppressed flag; nothing suppressed.

    Columns: indicator, period, breakdown, the dimensions, ``published_value``,
    ``published_numerator``, ``published_denominator`` (each empty where suppressed), unit,
    sensitivity, suppressed, reason, then ``extra_columns`` (e.g. a target) as asked. Any other
    column of ``protected`` is dropped, so an unsuppressed figure cannot ride along. ``reason``
    is :data:`PUBLISHED_REASON` for every suppressed cell and empty otherwise: which hidden
    cells are small (primary) is exactly what suppression hides.
    """
    missing = [c for c in ("suppressed", "reason") if c not in protected.columns]
    if missing:
        raise CellTableError(f"published_view: the table is not protected (no {', '.join(missing)} column); "
                             "run protect() first")
    extra = list(extra_columns)
    forbidden = {"value", "numerator", "denominator", "reason"} & set(extra)
    if forbidden:
        raise CellTableError(f"published_view: {', '.join(sorted(forbidden))} would disclose what suppression "
                             "hides and cannot be exported")
    check_cell_table(protected, (*CELL_COLUMNS, *extra))
    hidden = protected["suppressed"].astype(bool)
    view = protected[["indicator", "period", "breakdown", *DIMENSIONS]].copy()
    for published, source in zip(PUBLISHED_FIGURES, ("value", "numerator", "denominator"), strict=True):
        view[published] = pd.to_numeric(protected[source], errors="coerce").astype("float64").where(~hidden)
    view["unit"] = protected["unit"]
    view["sensitivity"] = protected["sensitivity"]
    view["suppressed"] = hidden
    view["reason"] = np.where(hidden.to_numpy(), PUBLISHED_REASON, "")
    for column in extra:
        view[column] = protected[column]
    return view


__all__ = ["CellTableError", "DisclosureRefused", "DisclosureRules", "protect", "published_view"]
