"""The additive structure of a cell table, as integer arrays: which cells sum to which margin.

The cells of one (indicator, period) are points in the space of :data:`DIMENSIONS`, each
coordinate a value or ``ALL``. A *line* is a margin cell together with the cells that equal it
on every dimension but one, ``d``, where they hold a specific value and the margin holds
``ALL``: the margin is (treated as) the sum of the line's members. Every cell with ``k``
specific dimensions is a member of ``k`` lines (one per dimension it sets) and the margin of
the lines that break it down further. Disclosure control (suppression) and its audit (linear
programming) both work on these arrays; building them once with numpy keeps a national table
of a million cells to a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from interchange.errors import InterchangeError
from interchange.indicators.cells import ALL, DIMENSIONS

KEY_COLUMNS: tuple[str, ...] = ("indicator", "period", *DIMENSIONS)


class CellTableError(InterchangeError, ValueError):
    """The cell table cannot be protected as given (missing column, duplicate or empty key)."""


@dataclass(frozen=True)
class Lines:
    """Line membership of a cell table, by position (0..n_cells-1) in the table.

    ``member_cell[k]`` is a member of line ``member_line[k]``; ``line_margin[l]`` is the
    position of line ``l``'s margin cell. Only lines whose margin cell is in the table are
    kept: without the margin a line constrains nothing a reader can see.
    """

    n_cells: int
    member_cell: np.ndarray
    member_line: np.ndarray
    line_margin: np.ndarray
    cell_group: np.ndarray  # the (indicator, period) of each cell, as a number: lines never cross groups

    @property
    def n_lines(self) -> int:
        return len(self.line_margin)


def check_cell_table(cells: pd.DataFrame, required: tuple[str, ...]) -> None:
    """Raise :class:`CellTableError` naming the column or key that makes ``cells`` unusable."""
    missing = [c for c in required if c not in cells.columns]
    if missing:
        raise CellTableError(f"cell table: missing column(s) {', '.join(missing)}")
    for column in KEY_COLUMNS:
        empty = cells[column].isna()
        if empty.any():
            where = cells.loc[empty].iloc[0]
            raise CellTableError(
                f"cell table: column {column!r} is empty in {int(empty.sum())} row(s), first for indicator "
                f"{where['indicator']!r} period {where['period']!r}; a dimension that is not broken down holds "
                f"{ALL!r}")


def build_lines(cells: pd.DataFrame) -> Lines:
    """The lines of ``cells`` (any index; positions are used). Duplicate cells are an error."""
    n = len(cells)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Lines(0, empty, empty, empty, empty)
    group, _ = pd.factorize(cells["indicator"].astype(str) + "\x1f" + cells["period"].astype(str))
    radix = 1
    key = np.zeros(n, dtype=np.int64)
    dim_codes: list[tuple[np.ndarray, int]] = []
    for column in DIMENSIONS:
        values = cells[column].astype(str).to_numpy()
        codes, uniques = pd.factorize(values)
        codes = codes.astype(np.int64) + 1
        codes[values == ALL] = 0  # ALL is 0, so "set d to ALL" is "subtract code * radix"
        dim_codes.append((codes, radix))
        key += codes * radix
        radix *= len(uniques) + 1
    if radix * (int(group.max()) + 1) * len(DIMENSIONS) >= 2**62:
        raise CellTableError("cell table: too many distinct dimension values to index")
    key += group.astype(np.int64) * radix

    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    duplicate = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    if len(duplicate):
        first = cells.iloc[int(order[duplicate[0]])]
        where = ", ".join(f"{c}={first[c]!r}" for c in KEY_COLUMNS)
        raise CellTableError(f"cell table: {len(duplicate)} duplicate cell(s), first {where}")

    cell_parts, line_key_parts = [], []
    positions = np.arange(n, dtype=np.int64)
    for d, (codes, r) in enumerate(dim_codes):
        member = codes != 0
        margin_key = key[member] - codes[member] * r
        cell_parts.append(positions[member])
        line_key_parts.append(margin_key * len(DIMENSIONS) + d)
    member_cell = np.concatenate(cell_parts)
    line_key = np.concatenate(line_key_parts)
    margin_key = line_key // len(DIMENSIONS)
    found = np.searchsorted(sorted_keys, margin_key)
    found = np.minimum(found, n - 1)
    has_margin = sorted_keys[found] == margin_key
    member_cell, line_key, found = member_cell[has_margin], line_key[has_margin], found[has_margin]
    line_ids, unique_line_keys = pd.factorize(line_key)
    line_margin = np.empty(len(unique_line_keys), dtype=np.int64)
    line_margin[line_ids] = order[found]
    return Lines(n, member_cell.astype(np.int64), line_ids.astype(np.int64), line_margin, group.astype(np.int64))


def members_with_margins(lines: Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (line, cell, sign) incidence: members +1, the margin -1 (sum of members - margin = 0)."""
    line = np.concatenate([lines.member_line, np.arange(lines.n_lines, dtype=np.int64)])
    cell = np.concatenate([lines.member_cell, lines.line_margin])
    sign = np.concatenate([np.ones(len(lines.member_cell)), -np.ones(lines.n_lines)])
    return line, cell, sign
