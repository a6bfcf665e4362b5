"""Room in a line: can a reader of one line show that a hidden cell is below its threshold?

A reader who knows the rules knows every hidden count is at least 1 (zeros are published). In a
line whose margin is published, the hidden members add up to the margin minus the published
members, ``R``; so one hidden member is at most ``R - (the others' lower bounds)``. When that is
below the member's threshold, the line alone shows the member is small: two hidden cells of a
total 22 beside a published 20 are both 1, whatever else is hidden. The line needs more *room*:
a further hidden member adds its figure minus its lower bound to it.

Secondary suppression (:func:`~interchange.indicators.disclosure_rules.suppress_secondary`) uses
this to pick complements that are large enough in one step, instead of the smallest non-zero
one, which left most of the audit's findings. It is a necessary condition, line by line; the
audit (:mod:`interchange.indicators.disclosure_audit`) checks the whole table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from interchange.indicators.disclosure_lines import Lines

if TYPE_CHECKING:
    from interchange.indicators.disclosure_rules import CellFigures

_EPS = 1e-9


def figure_columns(figures: CellFigures) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(value, reader's lower bound when hidden, applies) for each figure a cell has: a count's value;
    a ratio's numerator, denominator and, for a share, denominator - numerator."""
    first = np.nan_to_num(figures.first)
    second = np.nan_to_num(figures.second)
    is_ratio = figures.is_ratio
    return [
        (first, np.where(is_ratio, 0.0, 1.0), np.ones(len(first), dtype=bool)),
        (second, np.ones(len(first)), is_ratio),
        (second - first, np.zeros(len(first)), figures.complement),
    ]


def line_deficits(lines: Lines, figures: CellFigures, suppressed: np.ndarray,
                  protect_complement: bool = True) -> np.ndarray:
    """For each line and figure (lines x 3), how much room it lacks (0 where it has enough).

    Only lines with a published margin are considered, and only where the members do not count
    more than the margin (distinct persons by month: there a member is only bounded by the margin,
    which is published and so not small).
    """
    threshold = figures.threshold.astype(float)
    exempt = figures.exempt
    deficits = np.zeros((lines.n_lines, 3))
    if lines.n_lines == 0:
        return deficits
    margin_open = ~suppressed[lines.line_margin]
    member_hidden = suppressed[lines.member_cell]
    for kind, (value, lower, applies) in enumerate(figure_columns(figures)):
        if kind == 2 and not protect_complement:
            continue
        cells = lines.member_cell
        members_sum = np.bincount(lines.member_line, weights=value[cells], minlength=lines.n_lines)
        margin_value = value[lines.line_margin]
        bounded = margin_open & (members_sum <= margin_value + _EPS) & applies[lines.line_margin]
        published_sum = np.bincount(lines.member_line, weights=np.where(member_hidden, 0.0, value[cells]),
                                    minlength=lines.n_lines)
        hidden_lower = np.bincount(lines.member_line, weights=np.where(member_hidden, lower[cells], 0.0),
                                   minlength=lines.n_lines)
        room = margin_value - published_sum - hidden_lower
        small = member_hidden & (value[cells] >= 1 - _EPS) & (value[cells] < threshold[cells]) & ~exempt[cells]
        need = np.zeros(lines.n_lines)
        np.maximum.at(need, lines.member_line[small], (threshold - lower)[cells[small]])
        deficits[:, kind] = np.where(bounded & (need > 0), np.maximum(need - room, 0.0), 0.0)
    return deficits


def roomy_complements(lines: Lines, figures: CellFigures, suppressed: np.ndarray, deficits: np.ndarray,
                      usable: np.ndarray, size: np.ndarray) -> np.ndarray:
    """One cell to suppress for each line short of room (-1 where none): the smallest open member
    that gives the line all the room it lacks; failing that the member that gives the most;
    failing that the line's margin (the line then binds nothing, and the margin, not small,
    adds room to the lines above it)."""
    short = deficits.max(axis=1) > _EPS
    chosen = np.full(lines.n_lines, -1, dtype=np.int64)
    if not short.any():
        return chosen
    columns = figure_columns(figures)
    member = short[lines.member_line] & ~suppressed[lines.member_cell] & usable[lines.member_cell]
    line, cell = lines.member_line[member], lines.member_cell[member]
    gains = np.stack([value[cell] - lower[cell] for value, lower, _ in columns], axis=1)
    needed = deficits[line] > _EPS
    enough = ((gains + _EPS >= deficits[line]) | ~needed).all(axis=1)
    gain = np.where(needed, gains, np.inf).min(axis=1)
    # enough first, then the smallest of those; otherwise the largest gain
    order = np.lexsort((cell, np.where(enough, size[cell], -gain), ~enough, line))
    line, cell = line[order], cell[order]
    first = np.ones(len(line), dtype=bool)
    first[1:] = line[1:] != line[:-1]
    chosen[line[first]] = cell[first]
    no_member = short & (chosen < 0)
    margins = lines.line_margin[no_member]
    chosen[no_member] = np.where(~suppressed[margins] & usable[margins], margins, -1)
    return chosen
