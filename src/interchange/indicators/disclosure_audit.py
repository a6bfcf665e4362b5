"""The audit of a protected cell table: what could a reader learn about each suppressed cell?

The reader (attacker) knows the rules. They see every published figure (the exports say of a
suppressed cell only that it is suppressed, never why) and know

* the additive structure: each line's margin is the sum of its members
  (:mod:`interchange.indicators.disclosure_lines`), across every breakdown of the indicator
  and period;
* that zeros are published and no rule suppresses a zero, so every suppressed count, and every
  suppressed ratio's denominator, is at least 1 (a ratio's numerator and its denominator -
  numerator may be 0: "0 of 3" is suppressed for its denominator);
* that a share's numerator is at most its denominator (not a rate's: visits per family-week),
  and that a ratio's numerator or denominator *is* the cell of the count indicator it is
  defined by (``ministry_indicators`` names them; :mod:`interchange.indicators.disclosure_links`);
* that counts are whole numbers (a figure whose true value is whole is taken to be whole; sums
  of hours and family-weeks are not).

For each suppressed figure the audit computes the feasible integer interval ``[lower, upper]``
that reader can compute. **The rule**: for every suppressed figure whose true value ``x`` is
in ``1 .. k-1`` (``k`` its threshold: 5, or 10 for domestic-violence data) the interval must
reach ``k``: the tables never show that it is below the threshold (tau-ARGUS's upper protection
level ``k - x``). A suppressed figure is a **finding** when

* ``exact``: ``lower == upper`` for a count or a ratio's numerator, and the cell was suppressed
  for its own sake (anything but secondary: a complement was safe to publish, what it tells of
  the others is in *their* intervals). A ratio's denominator may be pinned when it is not small:
  it is a count its own indicator publishes;
* ``narrow``: its true value is in ``1 .. k-1`` and the reader can show it is at most ``k-1``
  (``upper < k``). A lower protection level cannot hold once zeros are published (two hidden
  cells beside published zeros under a total of 2 are visibly at least 1 each), and "at least
  2 persons" tells nothing about a person; "at most 4" does.

The versions of a period are not linked: a later version's true figures may differ in either
direction (late data, corrections, a changed person index), and its diff publishes nothing
about a suppressed cell (:func:`interchange.indicators.outbox.ministry_changes` lists a cell
only when its published figure or its suppression changed, with published figures only).

Distinct-person counts are sub-additive (a person counted in two months is one person in the
quarter); treating lines as equalities gives the reader more than they really have, so an
audit that passes under equality passes for the real table too.

Computation: variables are the suppressed figures only; published figures move to the right
hand side. Most figures are cleared without a dedicated solve: one LP over the whole table
maximises (then one minimises) the sum of the figures still in doubt, and every figure whose
value in that solution already shows the interval is wide enough is cleared. Only an
integral solution is a table the reader cannot rule out; HiGHS returns vertices, which are
integral for the tables of one and two dimensions (their line matrices are totally
unimodular), and where a solution is not integral its batch is solved again as a mixed-integer
programme (scipy's ``milp``), so every witness and every bound is an integer one. The problem
is block-diagonal (independent connected components of suppressed cells), so the sum LP is the
same as solving every component, and the dedicated solves for the figures left are batched:
one figure per component per solve.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from interchange.indicators.cells import CELL_COLUMNS, DIMENSIONS
from interchange.indicators.disclosure_lines import Lines, build_lines, check_cell_table, members_with_margins
from interchange.indicators.disclosure_links import Links, find_links
from interchange.indicators.disclosure_rules import CellFigures, DisclosureRules, choose_complements, suppress_secondary

_EPS = 1e-6
_BIG = 1e9  # stands for "unbounded": any figure the LP pushes here is far above every threshold
_CHEAP_ROUNDS = 10
_REGION_ROUNDS = 3
_BATCH_VARIABLES = 3000
_INTEGRAL = 1e-6
_ESCALATE_AFTER = 3  # rounds a group may stay flagged before its flagged lines are withheld whole
_MILP_SECONDS = 60.0  # per batch; a batch that runs out proves nothing (its figures stay in doubt)
FIGURE_NAMES = ("value", "numerator", "denominator", "denominator-numerator")


@dataclass(frozen=True)
class Finding:
    """A suppressed figure a reader can pin down or narrow to a small non-zero count."""

    index: Hashable          # the row's label in the protected table
    indicator: str
    period: str
    cell: dict[str, str] = field(hash=False)  # the dimensions that are not ALL
    figure: str              # value, numerator, denominator, or denominator-numerator
    lower: float             # the feasible interval, integer-rounded inwards
    upper: float
    threshold: int
    problem: str             # "exact", "narrow", or "unsolved" (the solver failed: nothing proven)

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.cell.items()) or "total"
        return (f"{self.indicator} {self.period} [{where}] {self.figure}: a reader can narrow it to "
                f"{self.lower:g}..{self.upper:g} ({self.problem}; threshold {self.threshold})")


def audit(protected: pd.DataFrame, rules: DisclosureRules | None = None, *,
          linked_indicators: Iterable[tuple[str, str]] = (), rates: Iterable[str] = ()) -> list[Finding]:
    """Every suppressed figure of ``protected`` a reader of the published figures can narrow too far.

    ``protected`` is the output of :func:`~interchange.indicators.disclosure.protect` (it must
    still hold the true figures); ``rules`` gives the thresholds (the defaults if omitted) and
    must be the rules the table was protected with; ``linked_indicators`` and ``rates`` as protect() was given.
    """
    rules = rules or DisclosureRules()
    check_cell_table(protected, (*CELL_COLUMNS, "suppressed"))
    if protected.empty:
        return []
    figures = CellFigures.of(protected, rules, rates)
    lines = build_lines(protected)
    suppressed = protected["suppressed"].fillna(False).astype(bool).to_numpy()
    own_sake = (protected["reason"].fillna("").astype(str).to_numpy() != "secondary"
                if "reason" in protected.columns else np.ones(len(protected), dtype=bool))
    links = find_links(protected, linked_indicators)
    narrow = find_narrow_figures(lines, figures, suppressed, own_sake & suppressed, rules.protect_ratio_complement,
                                 links=links)
    return findings_of(protected, figures, narrow)


def findings_of(protected: pd.DataFrame, figures: CellFigures,
                narrow: list[tuple[int, int, float, float, str]]) -> list[Finding]:
    """:func:`find_narrow_figures`'s answers as :class:`Finding` objects of ``protected``'s rows."""
    findings = []
    for position, kind, lower, upper, problem in narrow:
        row = protected.iloc[position]
        findings.append(Finding(
            index=protected.index[position], indicator=str(row["indicator"]), period=str(row["period"]),
            cell={d: str(row[d]) for d in DIMENSIONS if row[d] != "*"},
            figure=("value" if kind == 0 and not figures.is_ratio[position] else FIGURE_NAMES[kind + 1]),
            lower=lower, upper=upper, threshold=int(figures.threshold[position]), problem=problem))
    return findings


def repair_until_safe(lines: Lines, figures: CellFigures, suppressed: np.ndarray, reason: np.ndarray,
                      max_rounds: int, protect_ratio_complement: bool = True,
                      close: Callable[[np.ndarray, np.ndarray], None] | None = None,
                      links: Links | None = None) -> list[tuple[int, int, float, float, str]]:
    """Suppress more until :func:`find_narrow_figures` finds nothing (or ``max_rounds`` pass).

    Each round, every cell with a finding gets one more complementary suppression in one of
    its lines (the smallest member non-zero in every figure, as in secondary suppression); a
    cell found again gets one in every line it belongs to; a ratio cell found takes the count
    cells linked to it along. A group (indicator and period) still flagged after
    :data:`_ESCALATE_AFTER` rounds has every line through its flagged cells withheld whole, and
    after twice that the whole group (and then the groups linked to it): the published table
    loses that breakdown rather than letting a reader narrow a small figure, and the repair always
    ends (every round hides at least one more cell, or none is left). Secondary suppression then
    runs to its fixed point again, and the groups that changed or were flagged, and those linked
    to them, are checked in the next round. Returns what is still found, proven (empty when the
    table is safe): every figure a round clears is cleared by an integer table the reader cannot
    rule out, so a round that finds nothing is a proof for the groups it checked, and the others
    were proven before.
    """
    seen_before = np.zeros(lines.n_cells, dtype=bool)
    n_groups = int(lines.cell_group.max()) + 1 if lines.n_cells else 0
    flagged_rounds = np.zeros(n_groups, dtype=np.int64)
    groups: np.ndarray | None = None
    for _ in range(max_rounds):
        in_play = suppressed if groups is None else suppressed & np.isin(lines.cell_group, groups)
        own_sake = in_play & (reason != "secondary")
        narrow = find_narrow_figures(lines, figures, in_play, own_sake, protect_ratio_complement,
                                     links=links)
        if not narrow:
            return []
        cells = np.unique(np.array([position for position, *_ in narrow], dtype=np.int64))
        flagged_groups = np.unique(lines.cell_group[cells])
        flagged_rounds[flagged_groups] += 1
        # A ratio's figures are bounded by the lines of the counts it is linked to as much as by its own.
        near = _with_linked_counts(cells, links)
        escalated = flagged_rounds[lines.cell_group[near]] >= _ESCALATE_AFTER
        ordinary = near[~escalated]
        extra = _complements_near(lines, figures, suppressed, ordinary, every_line=seen_before[ordinary])
        extra = np.concatenate([extra, near[~suppressed[near]]])  # a flagged ratio's published counts
        extra = np.concatenate([extra, _withheld(lines, figures, suppressed, near[escalated], flagged_rounds, links)])
        if len(extra) == 0:  # their own lines are all hidden: one step further out, within their groups
            extra = _complements_in_groups(lines, figures, suppressed, flagged_groups)
        extra = np.unique(extra)
        extra = extra[~suppressed[extra]]
        seen_before[near] = True
        if len(extra) == 0:
            break  # nothing left to suppress in their groups or the groups linked to them
        before = suppressed.copy()
        suppressed[extra] = True
        reason[extra] = "secondary"
        if close is None:
            suppress_secondary(lines, figures, suppressed, reason, protect_ratio_complement)
        else:
            close(suppressed, reason)
        changed = suppressed & ~before
        groups = _with_linked_groups(lines, links, np.union1d(np.unique(lines.cell_group[changed]), flagged_groups))
    in_play = suppressed if groups is None else suppressed & np.isin(lines.cell_group, groups)
    return find_narrow_figures(lines, figures, in_play, in_play & (reason != "secondary"), protect_ratio_complement,
                               links=links)


def _with_linked_counts(cells: np.ndarray, links: Links | None) -> np.ndarray:
    """``cells`` and the count cells linked to the ratio cells among them."""
    if links is None or len(links.source) == 0:
        return cells
    return np.union1d(cells, links.source[np.isin(links.dependent, cells)])


def _withheld(lines: Lines, figures: CellFigures, suppressed: np.ndarray, cells: np.ndarray,
              flagged_rounds: np.ndarray, links: Links | None) -> np.ndarray:
    """The open non-zero cells to hide for cells the ordinary repair has not made safe: every line
    through them, whole; for a group flagged twice as long, the whole group; for a group with
    nothing left open, the groups linked to it (a ratio's published count can bound its parts)."""
    if len(cells) == 0:
        return np.zeros(0, dtype=np.int64)
    usable = figures.can_complement()
    of_cell = np.zeros(lines.n_cells, dtype=bool)
    of_cell[cells] = True
    through = np.zeros(lines.n_lines, dtype=bool)
    through[lines.member_line[of_cell[lines.member_cell]]] = True
    through[of_cell[lines.line_margin]] = True
    hide = np.zeros(lines.n_cells, dtype=bool)
    hide[lines.member_cell[through[lines.member_line]]] = True
    hide[lines.line_margin[through]] = True
    whole = np.unique(lines.cell_group[cells][flagged_rounds[lines.cell_group[cells]] >= 2 * _ESCALATE_AFTER])
    in_whole = np.isin(lines.cell_group, whole)
    hide |= in_whole
    open_left = np.bincount(lines.cell_group[~suppressed & usable], minlength=len(flagged_rounds))
    closed = whole[open_left[whole] == 0]
    if links is not None and len(links.source) and len(closed):
        source_group, dependent_group = lines.cell_group[links.source], lines.cell_group[links.dependent]
        linked = np.union1d(dependent_group[np.isin(source_group, closed)],
                            source_group[np.isin(dependent_group, closed)])
        hide |= np.isin(lines.cell_group, linked)
    return np.flatnonzero(hide & ~suppressed & usable)


def _with_linked_groups(lines: Lines, links: Links | None, groups: np.ndarray) -> np.ndarray:
    """``groups`` and every (indicator, period) group linked to one of them: checked together, since a
    linked cell left out would count as published."""
    if links is None or len(links.source) == 0:
        return groups
    while True:
        source_group, dependent_group = lines.cell_group[links.source], lines.cell_group[links.dependent]
        touching = np.isin(source_group, groups) | np.isin(dependent_group, groups)
        grown = np.unique(np.concatenate([groups, source_group[touching], dependent_group[touching]]))
        if len(grown) == len(groups):
            return grown
        groups = grown


def _complements_near(lines: Lines, figures: CellFigures, suppressed: np.ndarray, cells: np.ndarray,
                      every_line: np.ndarray) -> np.ndarray:
    """For each cell, one unsuppressed cell from the lines it belongs to (as member or margin);
    for the cells flagged in ``every_line``, one from each of those lines."""
    chosen_parts = []
    for subset, take_all in ((cells[~every_line], False), (cells[every_line], True)):
        if len(subset) == 0:
            continue
        of_cell = np.zeros(lines.n_cells, dtype=bool)
        of_cell[subset] = True
        touched = np.zeros(lines.n_lines, dtype=bool)
        touched[lines.member_line[of_cell[lines.member_cell]]] = True
        touched[of_cell[lines.line_margin]] = True
        touched &= _has_unsuppressed(lines, suppressed)
        if not touched.any():
            continue
        chosen = choose_complements(lines, touched, suppressed, figures.complement_tier(), figures.size())
        chosen = chosen[chosen >= 0]
        chosen = np.unique(chosen[~suppressed[chosen]])
        if not take_all and len(chosen) > len(subset):
            # One per troubled cell is enough at first: the smallest, to keep the information loss down.
            chosen = chosen[np.argsort(figures.size()[chosen], kind="stable")[:len(subset)]]
        chosen_parts.append(chosen)
    return np.unique(np.concatenate(chosen_parts)) if chosen_parts else np.zeros(0, dtype=np.int64)


def _complements_in_groups(lines: Lines, figures: CellFigures, suppressed: np.ndarray,
                           groups: np.ndarray) -> np.ndarray:
    """For each group, the smallest open complement of any line in it that holds a suppressed cell."""
    hidden_members = np.bincount(lines.member_line, weights=suppressed[lines.member_cell], minlength=lines.n_lines)
    touched = ((hidden_members + suppressed[lines.line_margin]) > 0) & _has_unsuppressed(lines, suppressed)
    touched &= np.isin(lines.cell_group[lines.line_margin], groups)
    if not touched.any():
        return np.zeros(0, dtype=np.int64)
    chosen = choose_complements(lines, touched, suppressed, figures.complement_tier(), figures.size())
    chosen = np.unique(chosen[chosen >= 0])
    chosen = chosen[~suppressed[chosen]]
    if len(chosen) == 0:
        return chosen
    order = np.lexsort((figures.size()[chosen], lines.cell_group[chosen]))
    chosen = chosen[order]
    first = np.ones(len(chosen), dtype=bool)
    first[1:] = lines.cell_group[chosen][1:] != lines.cell_group[chosen][:-1]
    return chosen[first]


def _has_unsuppressed(lines: Lines, suppressed: np.ndarray) -> np.ndarray:
    open_members = np.bincount(lines.member_line, weights=~suppressed[lines.member_cell], minlength=lines.n_lines)
    return (open_members + ~suppressed[lines.line_margin]) > 0


# --- the linear programs ---------------------------------------------------------------------


@dataclass
class _Problem:
    """Suppressed figures as LP variables: equalities from lines, numerator <= denominator."""

    var_cell: np.ndarray      # cell position of each variable
    var_kind: np.ndarray      # 0: value/numerator, 1: denominator
    truth: np.ndarray         # the true value of each variable (the audit runs inside the hub)
    lower: np.ndarray         # what the reader knows it is at least: 1, or 0 for a ratio's numerator
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    component_of_var: np.ndarray
    component_of_eq: np.ndarray
    component_of_ub: np.ndarray
    _order: tuple[Any, ...] | None = None

    def sorted_by_component(self) -> tuple[Any, ...]:
        """Variables and rows sorted by component (built once): a component's LP is then a
        contiguous block, and several components together a block-diagonal LP."""
        if self._order is None:
            n_components = int(self.component_of_var.max()) + 1 if len(self.component_of_var) else 0
            var_order = np.argsort(self.component_of_var, kind="stable")
            eq_order = np.argsort(self.component_of_eq, kind="stable")
            ub_order = np.argsort(self.component_of_ub, kind="stable")
            bounds = np.arange(n_components + 1)
            self._order = (
                var_order, self.a_eq[eq_order][:, var_order].tocsr(), self.b_eq[eq_order],
                self.a_ub[ub_order][:, var_order].tocsr(), self.b_ub[ub_order],
                np.searchsorted(self.component_of_var[var_order], bounds),
                np.searchsorted(self.component_of_eq[eq_order], bounds),
                np.searchsorted(self.component_of_ub[ub_order], bounds))
        return self._order


class _Rows:
    """Sparse constraint rows, appended in blocks of (row, variable, coefficient) triplets."""

    def __init__(self) -> None:
        self.n = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.coefs: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []

    def add(self, n_rows: int, rows: np.ndarray, cols: np.ndarray, coefs: np.ndarray, rhs: np.ndarray) -> None:
        self.rows.append(rows + self.n)
        self.cols.append(cols)
        self.coefs.append(coefs)
        self.rhs.append(rhs)
        self.n += n_rows

    def matrix(self, n_vars: int) -> tuple[sparse.csr_matrix, np.ndarray]:
        if not self.rows:
            return sparse.csr_matrix((0, n_vars)), np.zeros(0)
        a = sparse.csr_matrix((np.concatenate(self.coefs), (np.concatenate(self.rows), np.concatenate(self.cols))),
                              shape=(self.n, n_vars))
        return a, np.concatenate(self.rhs)


def _build_problem(lines: Lines, figures: CellFigures, suppressed: np.ndarray, links: Links | None) -> _Problem:
    ratio_supp = suppressed & figures.is_ratio
    var_cell = np.concatenate([np.flatnonzero(suppressed), np.flatnonzero(ratio_supp)])
    var_kind = np.concatenate([np.zeros(int(suppressed.sum()), np.int64), np.ones(int(ratio_supp.sum()), np.int64)])
    values = (np.nan_to_num(figures.first), np.nan_to_num(figures.second))
    truth = np.where(var_kind == 0, values[0][var_cell], values[1][var_cell])
    n_vars = len(var_cell)
    var_of = np.full((2, lines.n_cells), -1, dtype=np.int64)
    var_of[var_kind, var_cell] = np.arange(n_vars)
    # No rule suppresses a zero count or a ratio of 0/0 (disclosure_rules.choose_complements), so the
    # reader knows each is >= 1; a cell that arrived suppressed (computation's own) may be 0: the
    # bound follows the truth there, which gives the reader nothing the truth does not allow.
    numerator = (var_kind == 0) & figures.is_ratio[var_cell]
    lower = np.where(numerator, 0.0, np.minimum(1.0, truth))

    line, cell, sign = members_with_margins(lines)
    inc_supp = suppressed[cell]
    line_touched = np.zeros(lines.n_lines, dtype=bool)
    line_touched[line[inc_supp]] = True
    eq, ub = _Rows(), _Rows()
    for kind in (0, 1):
        active = line_touched & (figures.is_ratio[lines.line_margin] if kind else True)
        value = values[kind][cell]
        # members - margin, over all cells: 0 on an additive line, > 0 where persons are counted in
        # several members (distinct persons by month or organisation), < 0 where some are in none.
        residual = np.bincount(line, weights=sign * value, minlength=lines.n_lines)
        scale = 1.0 + np.abs(values[kind][lines.line_margin])
        additive = np.abs(residual) <= 1e-9 * scale
        published = ~inc_supp
        known = np.bincount(line[published], weights=sign[published] * value[published], minlength=lines.n_lines)
        for block, direction in ((active & additive, 0.0), (active & (residual > 0), -1.0),
                                 (active & ~additive & (residual < 0), 1.0)):
            row_of_line = np.full(lines.n_lines, -1, dtype=np.int64)
            n_rows = int(block.sum())
            row_of_line[block] = np.arange(n_rows)
            hidden = block[line] & inc_supp
            target = eq if direction == 0.0 else ub
            factor = 1.0 if direction == 0.0 else direction
            # equality: sum(sign * x) = -known; ">=": -sum(sign * x) <= known; "<=": sum(sign * x) <= -known
            target.add(n_rows, row_of_line[line[hidden]], var_of[kind, cell[hidden]], factor * sign[hidden],
                       (-known[block] if direction >= 0 else known[block]))
        # On a non-additive line each member is still at most the margin: x_member - x_margin <= 0.
        loose = active & ~additive
        member = loose[lines.member_line]
        m_cell, m_margin = lines.member_cell[member], lines.line_margin[lines.member_line[member]]
        pair = suppressed[m_cell] | suppressed[m_margin]
        m_cell, m_margin = m_cell[pair], m_margin[pair]
        k = len(m_cell)
        s_member, s_margin = suppressed[m_cell], suppressed[m_margin]
        rows = np.concatenate([np.arange(k)[s_member], np.arange(k)[s_margin]])
        cols = np.concatenate([var_of[kind, m_cell[s_member]], var_of[kind, m_margin[s_margin]]])
        coefs = np.concatenate([np.ones(int(s_member.sum())), -np.ones(int(s_margin.sum()))])
        rhs = np.where(s_margin, 0.0, values[kind][m_margin]) - np.where(s_member, 0.0, values[kind][m_cell])
        ub.add(k, rows, cols, coefs, rhs)

    if links is not None:
        _add_link_rows(eq, links, figures, suppressed, var_of, values)
    # numerator <= denominator holds for a share, not for a rate (visits per family-week): the reader
    # is given it where the truth has it, which gives them no more than a share's definition does.
    ratio_cells = np.flatnonzero(ratio_supp & (np.nan_to_num(figures.first) <= np.nan_to_num(figures.second)))
    n_ratio = len(ratio_cells)
    ub.add(n_ratio, np.concatenate([np.arange(n_ratio), np.arange(n_ratio)]),
           np.concatenate([var_of[0, ratio_cells], var_of[1, ratio_cells]]),
           np.concatenate([np.ones(n_ratio), -np.ones(n_ratio)]), np.zeros(n_ratio))
    a_eq, b_eq = eq.matrix(n_vars)
    a_ub, b_ub = ub.matrix(n_vars)

    graph = sparse.bmat([[sparse.csr_matrix((n_vars, n_vars)), a_eq.T, a_ub.T],
                         [a_eq, None, None], [a_ub, None, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    return _Problem(var_cell, var_kind, truth, lower, a_eq, b_eq, a_ub, b_ub, labels[:n_vars],
                    labels[n_vars:n_vars + eq.n], labels[n_vars + eq.n:])


def _add_link_rows(eq: _Rows, links: Links, figures: CellFigures, suppressed: np.ndarray, var_of: np.ndarray,
                   values: tuple[np.ndarray, np.ndarray]) -> None:
    """count cell = the ratio's figure it defines, for every linked pair with a suppressed side."""
    usable = links.figure >= 0
    source, dependent, figure = links.source[usable], links.dependent[usable], links.figure[usable]
    s_hidden, d_hidden = suppressed[source], suppressed[dependent]
    keep = s_hidden | d_hidden
    source, dependent, figure, s_hidden, d_hidden = (
        source[keep], dependent[keep], figure[keep], s_hidden[keep], d_hidden[keep])
    n = len(source)
    if n == 0:
        return
    rows = np.concatenate([np.arange(n)[s_hidden], np.arange(n)[d_hidden]])
    cols = np.concatenate([var_of[0, source[s_hidden]], var_of[figure[d_hidden], dependent[d_hidden]]])
    coefs = np.concatenate([np.ones(int(s_hidden.sum())), -np.ones(int(d_hidden.sum()))])
    dependent_value = np.where(figure == 0, values[0][dependent], values[1][dependent])
    rhs = np.where(s_hidden, 0.0, -values[0][source]) + np.where(d_hidden, 0.0, dependent_value)
    eq.add(n, rows, cols, coefs, rhs)


@dataclass
class _Targets:
    """The quantities to bound: each variable, plus denominator - numerator of suppressed ratios."""

    matrix: sparse.csr_matrix  # targets x variables
    cell: np.ndarray
    kind: np.ndarray           # 0 value/numerator, 1 denominator, 2 denominator-numerator
    truth: np.ndarray
    threshold: np.ndarray
    sensitive: np.ndarray      # the "small" rule applies (true value in 1..threshold-1)
    exact_matters: np.ndarray  # the "exact" rule applies (the cell is not a secondary suppression)
    component: np.ndarray


def _build_targets(problem: _Problem, figures: CellFigures, protect_ratio_complement: bool,
                   own_sake: np.ndarray) -> _Targets:
    n_vars = len(problem.var_cell)
    num_vars = np.flatnonzero(problem.var_kind == 0)
    den_vars = np.flatnonzero(problem.var_kind == 1)
    num_of_den = num_vars[np.searchsorted(problem.var_cell[num_vars], problem.var_cell[den_vars])] \
        if len(den_vars) else np.zeros(0, np.int64)
    n_comp = len(den_vars)
    rows = np.concatenate([np.arange(n_vars), n_vars + np.arange(n_comp), n_vars + np.arange(n_comp)])
    cols = np.concatenate([np.arange(n_vars), den_vars, num_of_den])
    vals = np.concatenate([np.ones(n_vars), np.ones(n_comp), -np.ones(n_comp)])
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n_vars + n_comp, n_vars))
    cell = np.concatenate([problem.var_cell, problem.var_cell[den_vars]])
    kind = np.concatenate([problem.var_kind, np.full(n_comp, 2)])
    truth = matrix @ problem.truth
    threshold = figures.threshold[cell]
    sensitive = (truth >= 1 - _EPS) & (truth < threshold) & ~figures.exempt[cell]
    sensitive &= (kind != 2) | figures.complement[cell]  # a rate's den - num counts nobody
    if not protect_ratio_complement:
        sensitive &= kind != 2
    component = problem.component_of_var[cols[:n_vars + n_comp]]
    # A hidden figure that is 0 may be pinned: zeros are published ("nobody" tells nothing about a
    # person), e.g. the numerator of "0 of 3", which its count indicator publishes as 0.
    # Of a ratio, only the numerator must not be pinned: its denominator is a count another indicator
    # publishes (or small, and then the threshold rule holds it), and with the numerator free so is
    # denominator - numerator.
    exact_matters = own_sake[cell] & (truth > _EPS) & (kind == 0)
    return _Targets(matrix, cell, kind, truth, threshold, sensitive, exact_matters, component)


def find_narrow_figures(lines: Lines, figures: CellFigures, suppressed: np.ndarray, own_sake: np.ndarray,
                        protect_ratio_complement: bool = True,
                        links: Links | None = None) -> list[tuple[int, int, float, float, str]]:
    """(cell position, kind, lower, upper, problem) for every suppressed figure a reader narrows too far.

    ``own_sake`` marks the suppressed cells whose exact value must stay unknown (not secondary).
    ``kind`` is 0 for a count's value or a ratio's numerator, 1 for a denominator, 2 for
    denominator - numerator. Every figure returned is proven (a dedicated solve on its whole
    component): the repair acts on nothing less, since most figures the cheap witnesses leave in
    doubt are safe. ``links``: the linked count / ratio cells
    (:func:`~interchange.indicators.disclosure_links.find_links`).
    """
    if not suppressed.any():
        return []
    problem = _build_problem(lines, figures, suppressed, links)
    targets = _build_targets(problem, figures, protect_ratio_complement, own_sake)
    n_targets = len(targets.cell)
    seen_low = targets.truth.copy()
    seen_high = targets.truth.copy()
    exact_low = np.full(n_targets, np.nan)
    exact_high = np.full(n_targets, np.nan)
    unsolved = np.zeros(n_targets, dtype=bool)

    def cleared() -> np.ndarray:
        low = np.where(np.isnan(exact_low), seen_low, exact_low)
        high = np.where(np.isnan(exact_high), seen_high, exact_high)
        low_i, high_i = np.ceil(low - _EPS), np.floor(high + _EPS)
        not_exact = (high_i > low_i) | ~targets.exact_matters
        wide = ~targets.sensitive | (high_i >= targets.threshold)
        return not_exact & wide

    # Cheap rounds: one LP over every component with a figure in doubt, minimising then
    # maximising a weighted sum of those figures (all weights 1 first, then random weights
    # and signs, so neighbours are pushed apart as well as together). Any (integral) solution
    # is a table the reader cannot rule out: a figure it takes to 1 and another that takes it
    # to the threshold clear it.
    # The same first on small regions with the rest held at the truth (cheaper, and a
    # region's solution is a witness on its own), then on whole components.
    rng = np.random.default_rng(0)
    regions = _regions(problem)
    target_region = regions.component_of_var[targets.matrix.indices[targets.matrix.indptr[:-1]]]
    for stage, rounds, component_of_target in ((regions, _REGION_ROUNDS, target_region),
                                               (problem, _CHEAP_ROUNDS, targets.component)):
        for round_no in range(rounds):
            doubt = ~cleared()
            if not doubt.any():
                break
            weights = np.ones(int(doubt.sum()))
            senses: tuple[float, ...] = (-1.0, 1.0)  # all up, then all down
            if round_no:  # random weights and signs: one direction is as good as the other
                weights = rng.uniform(0.2, 1.0, len(weights)) * rng.choice([-1.0, 1.0], len(weights))
                senses = (-1.0,)
            objective = np.asarray(targets.matrix[doubt].T @ weights).ravel()
            for sense in senses:
                x, _failed = _solve(stage, sense * objective, np.unique(component_of_target[doubt]))
                reached = targets.matrix @ x  # a failed batch stays at the truth: still a witness
                seen_low = np.minimum(seen_low, reached)
                seen_high = np.maximum(seen_high, reached)

    # Dedicated LPs on the whole component for what is left, one target per component per solve.
    doubt = np.flatnonzero(~cleared())
    while len(doubt):
        _, first = np.unique(targets.component[doubt], return_index=True)
        batch = doubt[first]
        objective = np.asarray(targets.matrix[batch].sum(axis=0)).ravel()
        components = targets.component[batch]
        for sense, store in ((-1.0, exact_high), (1.0, exact_low)):
            x, failed = _solve(problem, sense * objective, components)
            store[batch] = targets.matrix[batch] @ x
            # a solver failure proves nothing: the figures stay in doubt
            lost = np.asarray(targets.matrix[batch] @ failed.astype(float)).ravel() > 0
            unsolved[batch[lost]] = True
            store[batch[lost]] = seen_high[batch[lost]] if sense < 0 else seen_low[batch[lost]]
        doubt = np.setdiff1d(doubt, batch)
        doubt = doubt[~cleared()[doubt]]

    bad = np.flatnonzero(~cleared() | unsolved)
    out = []
    for t in bad:
        low = float(np.ceil(exact_low[t] - _EPS))
        high = float(np.floor(exact_high[t] + _EPS))
        problem_name = "unsolved" if unsolved[t] else "exact" if high <= low else "narrow"
        out.append((int(targets.cell[t]), int(targets.kind[t]), low, high, problem_name))
    return out


def _solve(problem: _Problem, objective: np.ndarray, components: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``objective`` over whole numbers in the given components (the rest is left at the
    truth), in batches of components of about ``_BATCH_VARIABLES`` variables, each one
    block-diagonal problem (separate solves for hundreds of small components cost more in
    overhead than in solving): the LP first, the MILP only where the LP's vertex is not integral.
    Returns the solution and which variables' batch failed (those stay at the truth)."""
    x = problem.truth.astype(float).copy()
    failed = np.zeros(len(x), dtype=bool)
    var_order, a_eq, b_eq, a_ub, b_ub, var_cut, eq_cut, ub_cut = problem.sorted_by_component()
    components = np.unique(components)
    sizes = var_cut[components + 1] - var_cut[components]
    batch_of = np.cumsum(sizes) // _BATCH_VARIABLES
    for batch in np.unique(batch_of):
        chosen = components[batch_of == batch]
        cols = _ranges(var_cut[chosen], var_cut[chosen + 1])
        c = objective[var_order[cols]]
        if not c.any():
            continue
        eq_rows = _ranges(eq_cut[chosen], eq_cut[chosen + 1])
        ub_rows = _ranges(ub_cut[chosen], ub_cut[chosen + 1])
        a_ub_part = a_ub[ub_rows][:, cols] if len(ub_rows) else None
        a_eq_part = a_eq[eq_rows][:, cols] if len(eq_rows) else None
        lower = problem.lower[var_order[cols]]
        result = linprog(c, A_ub=a_ub_part, b_ub=b_ub[ub_rows] if len(ub_rows) else None,
                         A_eq=a_eq_part, b_eq=b_eq[eq_rows] if len(eq_rows) else None,
                         bounds=np.column_stack([lower, np.full(len(cols), _BIG)]), method="highs")
        found = result.x if result.status == 0 else None
        # Counts are whole, sums of hours need not be: only a figure whose true value is whole is one
        # the reader may take to be whole (giving them that for a whole number of hours only helps them).
        whole = np.abs(problem.truth[var_order[cols]] - np.round(problem.truth[var_order[cols]])) <= _INTEGRAL
        if found is not None and np.abs(found - np.round(found))[whole].max(initial=0.0) > _INTEGRAL:
            found = _solve_integer(c, a_ub_part, b_ub[ub_rows], a_eq_part, b_eq[eq_rows], lower, whole)
        if found is None:
            failed[var_order[cols]] = True
            continue
        x[var_order[cols]] = np.where(whole, np.round(found), found)
    return x, failed


def _solve_integer(c: np.ndarray, a_ub: sparse.csr_matrix | None, b_ub: np.ndarray, a_eq: sparse.csr_matrix | None,
                   b_eq: np.ndarray, lower: np.ndarray, whole: np.ndarray) -> np.ndarray | None:
    """The same problem over whole numbers (scipy's milp, HiGHS); None if not solved to optimality."""
    constraints = []
    if a_ub is not None:
        constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
    if a_eq is not None:
        constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
    result = milp(c, integrality=whole.astype(np.int64), bounds=Bounds(lower, np.full(len(c), _BIG)),
                  constraints=constraints, options={"time_limit": _MILP_SECONDS})
    return result.x if result.status == 0 else None


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of range(start, end) for each pair."""
    lengths = ends - starts
    if lengths.sum() == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(int(lengths.sum()))


def _regions(problem: _Problem, max_variables: int = 400) -> _Problem:
    """The same variables in small regions, every other region held at the truth.

    Regions are the connected components through *short* rows only (few suppressed cells:
    a line inside one municipality) so that the long rows (a line over 60 municipalities)
    are cut. A row that spans several regions becomes one row per region, each keeping that
    region's part of it where the truth has it. A solution of one region's LP, with every
    other variable at the truth, is a solution of the whole problem: a valid witness. The
    regions are independent, so one block-diagonal LP yields a witness for every region.
    """
    a_all = sparse.vstack([problem.a_eq, problem.a_ub], format="csr")
    n_eq, n_vars = problem.a_eq.shape[0], a_all.shape[1]
    row_length = np.diff(a_all.indptr)
    labels = problem.component_of_var
    for longest in (64, 32, 16, 8, 4, 2):
        short = sparse.diags((row_length <= longest).astype(float)) @ a_all
        graph = sparse.bmat([[sparse.csr_matrix((n_vars, n_vars)), short.T], [short, None]], format="csr")
        _, found = connected_components(graph, directed=False)
        labels = found[:n_vars]
        if np.bincount(labels).max() <= max_variables:
            break
    entries = a_all.tocoo()
    region = labels[entries.col]
    new_row, row_of_new = pd.factorize(pd.MultiIndex.from_arrays([entries.row, region]))
    new_rows = row_of_new.get_level_values(0).to_numpy()
    new_regions = row_of_new.get_level_values(1).to_numpy()
    matrix = sparse.csr_matrix((entries.data, (new_row, entries.col)), shape=(len(new_rows), n_vars))
    at_truth = matrix @ problem.truth
    slack = np.concatenate([np.zeros(n_eq), np.maximum(problem.b_ub - problem.a_ub @ problem.truth, 0.0)])
    rhs = at_truth + slack[new_rows]
    is_eq = new_rows < n_eq
    return _Problem(problem.var_cell, problem.var_kind, problem.truth, problem.lower, matrix[is_eq].tocsr(), rhs[is_eq],
                    matrix[~is_eq].tocsr(), rhs[~is_eq], labels, new_regions[is_eq], new_regions[~is_eq])


__all__ = ["Finding", "audit", "find_narrow_figures", "findings_of", "repair_until_safe"]
