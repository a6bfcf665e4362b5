"""The audit of a protected cell table: what could a reader learn about each suppressed cell?

The reader (attacker) model: they see every published figure and know the additive structure
(each line's margin is the sum of its members, :mod:`interchange.indicators.disclosure_lines`),
that every figure is >= 0 and that a ratio's numerator is at most its denominator. For each
suppressed figure, linear programming gives the feasible interval ``[lower, upper]`` of values
consistent with all of that; the bounds are rounded inwards to integers (counts are integers).

A suppressed figure is a **finding** when

* ``exact``: ``lower == upper``, the reader knows the figure, and the cell was suppressed for
  its own sake (reason primary, ratio, consent: anything but secondary). A complementary
  (secondary) cell is there only to hide others; a reader who pins it learns a figure that
  was safe to publish, and what that tells about the sensitive cells is in *their* intervals;
* ``small``: its true value is in ``1 .. threshold-1`` and so is the whole interval,
  ``1 <= lower`` and ``upper <= threshold-1``: the reader does not know the number but knows
  there are a few persons there. This applies to every suppressed figure, secondary included.

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

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from interchange.indicators.cells import CELL_COLUMNS, DIMENSIONS
from interchange.indicators.disclosure_lines import Lines, build_lines, check_cell_table, members_with_margins
from interchange.indicators.disclosure_rules import CellFigures, DisclosureRules, choose_complements, suppress_secondary

_EPS = 1e-6
_BIG = 1e9  # stands for "unbounded": any figure the LP pushes here is far above every threshold
_CHEAP_ROUNDS = 10
_REGION_ROUNDS = 3
_BATCH_VARIABLES = 3000
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
    own_sake = (protected["reason"].fillna("").astype(str).to_numpy() != "secondary"
                if "reason" in protected.columns else np.ones(len(protected), dtype=bool))
    narrow = find_narrow_figures(lines, figures, suppressed, own_sake & suppressed, rules.protect_ratio_complement)
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
                      close: Callable[[np.ndarray, np.ndarray], None] | None = None) -> int:
    """Suppress more until :func:`find_narrow_figures` finds nothing (or ``max_rounds`` pass).

    Each round, every cell with a finding gets one more complementary suppression in one of
    its lines (the smallest member non-zero in every figure, as in secondary suppression); a
    cell found again gets one in every line it belongs to. Secondary suppression then runs to
    its fixed point again, and only the (indicator, period) groups that changed are checked
    in the next round. Returns the cells added.
    """
    added = 0
    seen_before = np.zeros(lines.n_cells, dtype=bool)
    groups: np.ndarray | None = None
    for _ in range(max_rounds):
        in_play = suppressed if groups is None else suppressed & np.isin(lines.cell_group, groups)
        own_sake = in_play & (reason != "secondary")
        narrow = find_narrow_figures(lines, figures, in_play, own_sake, protect_ratio_complement, prove=False)
        if not narrow:
            break
        cells = np.unique(np.array([position for position, *_ in narrow], dtype=np.int64))
        extra = _complements_near(lines, figures, suppressed, cells, every_line=seen_before[cells])
        seen_before[cells] = True
        if len(extra) == 0:
            break  # nothing left to suppress next to them: audit() reports what remains
        before = suppressed.copy()
        suppressed[extra] = True
        reason[extra] = "secondary"
        if close is None:
            suppress_secondary(lines, figures, suppressed, reason)
        else:
            close(suppressed, reason)
        changed = suppressed & ~before
        added += int(changed.sum())
        groups = np.unique(lines.cell_group[changed])
    return added


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
        chosen = np.unique(chosen[~suppressed[chosen]])
        if not take_all and len(chosen) > len(subset):
            # One per troubled cell is enough at first: the smallest, to keep the information loss down.
            chosen = chosen[np.argsort(figures.size()[chosen], kind="stable")[:len(subset)]]
        chosen_parts.append(chosen)
    return np.unique(np.concatenate(chosen_parts)) if chosen_parts else np.zeros(0, dtype=np.int64)


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
    if not protect_ratio_complement:
        sensitive &= kind != 2
    component = problem.component_of_var[cols[:n_vars + n_comp]]
    return _Targets(matrix, cell, kind, truth, threshold, sensitive, own_sake[cell], component)


def find_narrow_figures(lines: Lines, figures: CellFigures, suppressed: np.ndarray, own_sake: np.ndarray,
                        protect_ratio_complement: bool = True,
                        prove: bool = True) -> list[tuple[int, int, float, float, str]]:
    """(cell position, kind, lower, upper, problem) for every suppressed figure a reader narrows too far.

    ``own_sake`` marks the suppressed cells whose exact value must stay unknown (not secondary).
    ``kind`` is 0 for a count's value or a ratio's numerator, 1 for a denominator, 2 for
    denominator - numerator. With ``prove=False`` the figures that the cheap and local LPs
    could not clear are returned as ``"doubt"`` without solving the whole component for each
    (repair suppresses more next to them anyway; the final check proves).
    """
    if not suppressed.any():
        return []
    problem = _build_problem(lines, figures, suppressed)
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
        not_small = ~targets.sensitive | (low_i <= 0) | (high_i >= targets.threshold)
        return not_exact & not_small

    # Cheap rounds: one LP over every component with a figure in doubt, minimising then
    # maximising a weighted sum of those figures (all weights 1 first, then random weights
    # and signs, so neighbours are pushed apart as well as together). Any solution is a
    # point the reader cannot rule out: a figure it takes to 0 or to the threshold is cleared.
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
                x = _solve(stage, sense * objective, np.unique(component_of_target[doubt]))
                if x is not None:
                    reached = targets.matrix @ x
                    seen_low = np.minimum(seen_low, reached)
                    seen_high = np.maximum(seen_high, reached)

    if not prove:
        doubt = np.flatnonzero(~cleared())
        return [(int(targets.cell[t]), int(targets.kind[t]), float(seen_low[t]), float(seen_high[t]), "doubt")
                for t in doubt]

    # Dedicated LPs on the whole component for what is left, one target per component per solve.
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
    """Minimise ``objective`` over the given components (the rest is left at the truth), in
    batches of components of about ``_BATCH_VARIABLES`` variables, each one block-diagonal LP
    (separate solves for hundreds of small components cost more in overhead than in solving);
    None if the solver fails on any batch."""
    x = problem.truth.astype(float).copy()
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
        result = linprog(c, A_ub=a_ub[ub_rows][:, cols] if len(ub_rows) else None,
                         b_ub=b_ub[ub_rows] if len(ub_rows) else None,
                         A_eq=a_eq[eq_rows][:, cols] if len(eq_rows) else None,
                         b_eq=b_eq[eq_rows] if len(eq_rows) else None, bounds=(0, _BIG), method="highs")
        if result.status != 0:
            return None
        x[var_order[cols]] = result.x
    return x


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
    return _Problem(problem.var_cell, problem.var_kind, problem.truth, matrix[is_eq].tocsr(), rhs[is_eq],
                    matrix[~is_eq].tocsr(), rhs[~is_eq], labels, new_regions[is_eq], new_regions[~is_eq])


__all__ = ["Finding", "audit", "find_narrow_figures", "repair_until_safe"]
