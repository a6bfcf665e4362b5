"""The audit of a protected cell table: what could a reader learn about each suppressed cell?

The reader (attacker) model: they see every published figure and know the additive structure
(each line's margin is the sum of its members, :mod:`interchange.indicators.disclosure_lines`),
that every figure is >= 0 and that a ratio's numerator is at most its denominator. For each
suppressed figure, linear programming gives the feasible interval ``[lower, upper]`` of values
consistent with all of that; the bounds are rounded inwards to integers (counts are integers).

A suppressed figure is a **finding** when

* ``exact``: ``lower == upper``, the reader knows the figure; or
* ``small``: its true value is in ``1 .. threshold-1`` (a primary-sensitive figure) and so is
  the whole interval, ``1 <= lower`` and ``upper <= threshold-1``: the reader does not know
  the number but knows there are a few persons there.

Distinct-person counts are sub-additive (a person counted in two months is one person in the
quarter); treating lines as equalities gives the reader more than they really have, so an
audit that passes under equality passes for the real table too.

Computation: variables are the suppressed figures only; published figures move to the right
hand side. Most figures are cleared without a dedicated LP: one LP over the whole table
maximises (then one minimises) the sum of the figures still in doubt, and every figure whose
value in that solution already shows the interval is wide enough is cleared. The problem is
block-diagonal (independent connected components of suppressed cells), so the sum LP is the
same as solving every component, and the dedicated LPs for the figures left are batched: one
figure per component per solve.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from interchange.indicators.cells import CELL_COLUMNS, DIMENSIONS
from interchange.indicators.disclosure import (
    CellFigures,
    DisclosureRules,
    _choose_complements,
    suppress_secondary,
)
from interchange.indicators.disclosure_lines import Lines, build_lines, check_cell_table, members_with_margins

_EPS = 1e-6
_BIG = 1e9  # stands for "unbounded": any figure the LP pushes here is far above every threshold
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
    problem: str             # "exact", "small", or "unsolved" (the solver failed: nothing proven)

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.cell.items()) or "total"
        return (f"{self.indicator} {self.period} [{where}] {self.figure}: a reader can narrow it to "
                f"{self.lower:g}..{self.upper:g} ({self.problem}; threshold {self.threshold})")


def audit(protected: pd.DataFrame, rules: DisclosureRules | None = None) -> list[Finding]:
    """Every suppressed figure of ``protected`` a reader of the published figures can narrow too far.

    ``protected`` is the output of :func:`~interchange.indicators.disclosure.protect` (it must
    still hold the true figures); ``rules`` gives the thresholds (the defaults if omitted) and
    must be the rules the table was protected with.
    """
    rules = rules or DisclosureRules()
    check_cell_table(protected, (*CELL_COLUMNS, "suppressed"))
    if protected.empty:
        return []
    figures = CellFigures.of(protected, rules)
    lines = build_lines(protected)
    suppressed = protected["suppressed"].fillna(False).astype(bool).to_numpy()
    narrow = find_narrow_figures(lines, figures, suppressed, rules.protect_ratio_complement)
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
                      max_rounds: int, protect_ratio_complement: bool = True) -> int:
    """Suppress more until :func:`find_narrow_figures` finds nothing (or ``max_rounds`` pass).

    Each round, every cell with a finding gets one more complementary suppression in one of
    its lines (the smallest member non-zero in every figure, as in secondary suppression),
    then secondary suppression runs to its fixed point again. Returns the cells added.
    """
    added = 0
    for _ in range(max_rounds):
        narrow = find_narrow_figures(lines, figures, suppressed, protect_ratio_complement)
        if not narrow:
            break
        cells = np.unique(np.array([position for position, *_ in narrow], dtype=np.int64))
        extra = _complements_near(lines, figures, suppressed, cells)
        if len(extra) == 0:
            break  # nothing left to suppress next to them: audit() reports what remains
        suppressed[extra] = True
        reason[extra] = "secondary"
        added += len(extra) + suppress_secondary(lines, figures, suppressed, reason)
    return added


def _complements_near(lines: Lines, figures: CellFigures, suppressed: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """For each cell, one unsuppressed cell from the lines it belongs to (as member or margin)."""
    of_cell = np.zeros(lines.n_cells, dtype=bool)
    of_cell[cells] = True
    touched = np.zeros(lines.n_lines, dtype=bool)
    touched[lines.member_line[of_cell[lines.member_cell]]] = True
    touched[of_cell[lines.line_margin]] = True
    chosen = _choose_complements(lines, touched, suppressed, figures.complement_tier(), figures.size())
    chosen = np.unique(chosen[~suppressed[chosen]])
    if len(chosen) <= len(cells):
        return chosen
    # One per troubled cell is enough: prefer the smallest, keep the information loss down.
    return chosen[np.argsort(figures.size()[chosen], kind="stable")[:len(cells)]]


# --- the linear programs ---------------------------------------------------------------------


@dataclass
class _Problem:
    """Suppressed figures as LP variables: equalities from lines, numerator <= denominator."""

    var_cell: np.ndarray      # cell position of each variable
    var_kind: np.ndarray      # 0: value/numerator, 1: denominator
    truth: np.ndarray         # the true value of each variable (the audit runs inside the hub)
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    component_of_var: np.ndarray
    component_of_eq: np.ndarray
    component_of_ub: np.ndarray


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


def _build_problem(lines: Lines, figures: CellFigures, suppressed: np.ndarray) -> _Problem:
    ratio_supp = suppressed & figures.is_ratio
    var_cell = np.concatenate([np.flatnonzero(suppressed), np.flatnonzero(ratio_supp)])
    var_kind = np.concatenate([np.zeros(int(suppressed.sum()), np.int64), np.ones(int(ratio_supp.sum()), np.int64)])
    values = (np.nan_to_num(figures.first), np.nan_to_num(figures.second))
    truth = np.where(var_kind == 0, values[0][var_cell], values[1][var_cell])
    n_vars = len(var_cell)
    var_of = np.full((2, lines.n_cells), -1, dtype=np.int64)
    var_of[var_kind, var_cell] = np.arange(n_vars)

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

    ratio_cells = np.flatnonzero(ratio_supp)
    n_ratio = len(ratio_cells)
    ub.add(n_ratio, np.concatenate([np.arange(n_ratio), np.arange(n_ratio)]),
           np.concatenate([var_of[0, ratio_cells], var_of[1, ratio_cells]]),
           np.concatenate([np.ones(n_ratio), -np.ones(n_ratio)]), np.zeros(n_ratio))
    a_eq, b_eq = eq.matrix(n_vars)
    a_ub, b_ub = ub.matrix(n_vars)

    graph = sparse.bmat([[sparse.csr_matrix((n_vars, n_vars)), a_eq.T, a_ub.T],
                         [a_eq, None, None], [a_ub, None, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    return _Problem(var_cell, var_kind, truth, a_eq, b_eq, a_ub, b_ub, labels[:n_vars],
                    labels[n_vars:n_vars + eq.n], labels[n_vars + eq.n:])


@dataclass
class _Targets:
    """The quantities to bound: each variable, plus denominator - numerator of suppressed ratios."""

    matrix: sparse.csr_matrix  # targets x variables
    cell: np.ndarray
    kind: np.ndarray           # 0 value/numerator, 1 denominator, 2 denominator-numerator
    truth: np.ndarray
    threshold: np.ndarray
    sensitive: np.ndarray      # the "small" rule applies (true value in 1..threshold-1)
    component: np.ndarray


def _build_targets(problem: _Problem, figures: CellFigures, protect_ratio_complement: bool) -> _Targets:
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
    if not protect_ratio_complement:
        sensitive &= kind != 2
    component = problem.component_of_var[cols[:n_vars + n_comp]]
    return _Targets(matrix, cell, kind, truth, threshold, sensitive, component)


def find_narrow_figures(lines: Lines, figures: CellFigures, suppressed: np.ndarray,
                        protect_ratio_complement: bool = True) -> list[tuple[int, int, float, float, str]]:
    """(cell position, kind, lower, upper, problem) for every suppressed figure a reader narrows too far.

    ``kind`` is 0 for a count's value or a ratio's numerator, 1 for a denominator, 2 for
    denominator - numerator.
    """
    if not suppressed.any():
        return []
    problem = _build_problem(lines, figures, suppressed)
    targets = _build_targets(problem, figures, protect_ratio_complement)
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
        not_exact = high_i > low_i
        not_small = ~targets.sensitive | (low_i <= 0) | (high_i >= targets.threshold)
        return not_exact & not_small

    # Cheap rounds: one LP for the sum of everything in doubt, up then down, a few weightings.
    rng = np.random.default_rng(0)
    for round_no in range(4):
        doubt = ~cleared()
        if not doubt.any():
            break
        weights = np.ones(int(doubt.sum())) if round_no < 2 else rng.uniform(0.1, 1.0, int(doubt.sum()))
        objective = np.asarray(targets.matrix[doubt].T @ weights).ravel()
        for sense in (-1.0, 1.0):
            x = _solve(problem, sense * objective, np.unique(targets.component[doubt]))
            if x is not None:
                reached = targets.matrix @ x
                seen_low = np.minimum(seen_low, reached)
                seen_high = np.maximum(seen_high, reached)

    # Dedicated LPs for what is left, one target per component per solve.
    doubt = np.flatnonzero(~cleared())
    while len(doubt):
        _, first = np.unique(targets.component[doubt], return_index=True)
        batch = doubt[first]
        objective = np.asarray(targets.matrix[batch].sum(axis=0)).ravel()
        components = targets.component[batch]
        for sense, store in ((-1.0, exact_high), (1.0, exact_low)):
            x = _solve(problem, sense * objective, components)
            if x is None:  # a solver failure proves nothing: the figures stay in doubt
                unsolved[batch] = True
                store[batch] = seen_high[batch] if sense < 0 else seen_low[batch]
            else:
                store[batch] = (targets.matrix[batch] @ x)
        doubt = np.setdiff1d(doubt, batch)
        doubt = doubt[~cleared()[doubt]]

    bad = np.flatnonzero(~cleared() | unsolved)
    out = []
    for t in bad:
        low = float(np.ceil(exact_low[t] - _EPS))
        high = float(np.floor(exact_high[t] + _EPS))
        problem_name = "unsolved" if unsolved[t] else "exact" if high <= low else "small"
        out.append((int(targets.cell[t]), int(targets.kind[t]), low, high, problem_name))
    return out


def _solve(problem: _Problem, objective: np.ndarray, components: np.ndarray) -> np.ndarray | None:
    """Minimise ``objective`` over the given components (the rest is left at the truth)."""
    in_play = np.isin(problem.component_of_var, components)
    eq_rows = np.isin(problem.component_of_eq, components)
    ub_rows = np.isin(problem.component_of_ub, components)
    x = problem.truth.astype(float).copy()
    if not in_play.any():
        return x
    cols = np.flatnonzero(in_play)
    a_ub = problem.a_ub[ub_rows][:, cols]
    a_eq = problem.a_eq[eq_rows][:, cols]
    result = linprog(objective[cols],
                     A_ub=a_ub if a_ub.shape[0] else None, b_ub=problem.b_ub[ub_rows] if a_ub.shape[0] else None,
                     A_eq=a_eq if a_eq.shape[0] else None, b_eq=problem.b_eq[eq_rows] if a_eq.shape[0] else None,
                     bounds=(0, _BIG), method="highs")
    if result.status != 0:
        return None
    x[cols] = result.x
    return x


__all__ = ["Finding", "audit", "find_narrow_figures", "repair_until_safe"]
