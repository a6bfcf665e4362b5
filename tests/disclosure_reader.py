"""A reader of the published tables who knows the rules, written from the reader's side, apart
from the hub's audit (interchange.indicators.disclosure_audit) so that the one checks the other.

Input: only what is published (cells.csv of an export, or a published_view) and what the rules
say: zeros are published and no zero is hidden, so a hidden count (or ratio denominator) is at
least 1; every margin cell is the sum of its line (or, for distinct persons by month or
organisation, at most that sum and at least each member); a ratio's numerator is at most its
denominator and equals the cell of its numerator indicator (likewise the denominator); counts are
whole numbers. For every hidden figure it computes the smallest and largest whole value
consistent with all of it (one MILP each way, scipy's HiGHS).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import bmat, coo_matrix
from scipy.sparse.csgraph import connected_components
from sqlalchemy.engine import Engine

DIMENSIONS = ("month", "municipality", "org", "sex", "age_group")
ALL = "*"
ADDITIVE_FOR_PERSONS = ("municipality", "sex", "age_group")  # a person has one of each
BIG = 1e7


@dataclass(frozen=True)
class Interval:
    indicator: str
    period: str
    cell: tuple[str, ...]  # the five dimensions
    figure: str            # value, numerator, denominator
    lower: int
    upper: int


def read_published(path) -> pd.DataFrame:
    """cells.csv as the ministry reads it: dimensions as text, figures as numbers."""
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in ("value", "numerator", "denominator"):
        frame[column] = pd.to_numeric(frame[column].replace("", np.nan))
    frame["suppressed"] = frame["suppressed"].eq("true")
    return frame


def _whole_columns(cells: pd.DataFrame) -> set[tuple[str, str]]:
    """(indicator, column) pairs the reader takes to be whole numbers: every published figure of the
    indicator in that column is one (counts of persons; not hours or family-weeks)."""
    whole = set()
    shown = cells[~cells["suppressed"]]
    for column in ("value", "numerator", "denominator"):
        figures = shown[["indicator", column]].dropna()
        fractional = set(figures.loc[(figures[column] - figures[column].round()).abs() >= 1e-9, "indicator"])
        whole |= {(code, column) for code in cells["indicator"].unique() if code not in fractional}
    return whole


def problems_in_view(protected: pd.DataFrame, thresholds: dict[str, int],
                     ratio_parts: Iterable[tuple[str, str, str]] = ()) -> list[str]:
    """What the reader narrows too far in ``published_view(protected)``; ``protected`` (hub-side,
    with the true figures) says which hidden figures are small. One line per problem."""
    from interchange.indicators.disclosure import published_view

    view = published_view(protected).rename(columns={"published_value": "value", "published_numerator": "numerator",
                                                     "published_denominator": "denominator"})
    keyed = protected.set_index(["indicator", "period", *DIMENSIONS])
    problems = []
    for found in narrowest(view, ratio_parts, thresholds=thresholds):
        row = keyed.loc[(found.indicator, found.period, *found.cell)]
        true = float(row[found.figure])
        k = thresholds[found.indicator]
        where = f"{found.indicator} {found.cell} {found.figure} {found.lower}..{found.upper}"
        if 1 <= true < k and found.upper < k:
            problems.append(f"{where}: known to be below {k}")
        if (found.lower == found.upper and row["reason"] != "secondary" and true > 0  # zeros are published anyway
                and found.figure != "denominator"):  # a count its own indicator publishes
            problems.append(f"{where}: pinned")
    return problems


def narrowed_in_exports(hub: Path, engine: Engine) -> list[tuple[str, Interval]]:
    """Every hidden figure of every approved version's cells.csv (under ``hub``/outbox/ministry) that
    the reader narrows below its threshold, or pins though it was hidden for its own sake: the
    reader has only cells.csv and the catalogue's definitions; the hub's truth says which are small."""
    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.publications import list_publications, publication_cells_frame

    catalogue = load_catalogue()
    thresholds = {i.code: 10 if i.sensitivity == "dv" else 5 for i in catalogue.indicators}
    parts = [(i.code, i.numerator, i.denominator) for i in catalogue.indicators if i.unit == "ratio"]
    narrowed = []
    for publication in (p for p in list_publications(engine) if p.state.value == "approved"):
        folder = hub / "outbox" / "ministry" / publication.period / f"v{publication.version}"
        published = read_published(folder / "cells.csv")
        assert set(published["reason"]) <= {"", "suppressed"}
        truth = publication_cells_frame(engine, publication.period, publication.version).set_index(
            ["indicator", "month", "municipality", "org", "sex", "age_group"])
        for found in narrowest(published, parts, thresholds=thresholds):
            row = truth.loc[(found.indicator, *found.cell)]
            value = float(row[found.figure])
            small = 1 <= value < thresholds[found.indicator] and found.upper < thresholds[found.indicator]
            pinned = (found.lower == found.upper and row["reason"] != "secondary" and value > 0  # a 0 is public
                      and found.figure != "denominator")  # a count its own indicator publishes
            if small or pinned:
                narrowed.append((publication.period, found))
    return narrowed


def narrowest(published: pd.DataFrame, ratio_parts: Iterable[tuple[str, str, str]] = (),
              additive_lines: bool | None = None, thresholds: dict[str, int] | None = None) -> list[Interval]:
    """The interval of every hidden figure. ``published`` has indicator, period, the dimensions,
    value, numerator, denominator, unit, suppressed (and reason, if the export has it);
    ``ratio_parts`` (ratio, numerator indicator, denominator indicator) as the catalogue defines
    them. ``additive_lines`` forces every line to be an equality (True) or not (False); by
    default lines of counts other than persons, households, children and family-weeks, and person lines by
    municipality, sex and age group, are equalities. A published reason ``primary`` tells the
    reader the value is 1 .. threshold-1 (``thresholds`` by indicator, 5 if not named)."""
    cells = published.reset_index(drop=True)
    is_ratio = cells["unit"].eq("ratio").to_numpy()
    hidden = cells["suppressed"].to_numpy(bool)
    key = {tuple(r): i for i, r in enumerate(cells[["indicator", "period", *DIMENSIONS]].itertuples(index=False))}

    variables: dict[tuple[int, int], int] = {}  # (cell, figure 0 value/numerator, 1 denominator)
    lower = []
    for i in np.flatnonzero(hidden):
        variables[(i, 0)] = len(lower)
        lower.append(0.0 if is_ratio[i] else 1.0)
        if is_ratio[i]:
            variables[(i, 1)] = len(lower)
            lower.append(1.0)
    n = len(lower)
    if n == 0:
        return []
    upper = np.full(n, BIG)
    if "reason" in cells.columns:
        for i in np.flatnonzero(hidden & cells["reason"].eq("primary").to_numpy() & ~is_ratio):
            upper[variables[(i, 0)]] = (thresholds or {}).get(cells.at[i, "indicator"], 5) - 1

    rows: list[tuple[dict[int, float], float, float]] = []  # (coefficients, lo, hi)

    def term(i: int, figure: int) -> tuple[dict[int, float], float]:
        if hidden[i]:
            return {variables[(i, figure)]: 1.0}, 0.0
        column = ("value" if not is_ratio[i] else "numerator") if figure == 0 else "denominator"
        return {}, float(cells.at[i, column])

    def add(parts: list[tuple[float, int, int]], lo: float, hi: float) -> None:
        coefs: dict[int, float] = {}
        constant = 0.0
        for sign, i, figure in parts:
            c, k = term(i, figure)
            for v, a in c.items():
                coefs[v] = coefs.get(v, 0.0) + sign * a
            constant += sign * k
        if coefs:
            rows.append((coefs, lo - constant, hi - constant))

    lines: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(cells[["indicator", "period", *DIMENSIONS]].itertuples(index=False)):
        for d in range(len(DIMENSIONS)):
            if r[2 + d] != ALL:
                margin = key.get((*r[:2 + d], ALL, *r[3 + d:]))
                if margin is not None:
                    lines.setdefault((margin, d), []).append(i)
    for (margin, d), members in lines.items():
        figures = (0, 1) if is_ratio[margin] else (0,)
        if not any(hidden[[margin, *members]]):
            continue
        unit = cells.at[margin, "unit"]
        equal = additive_lines if additive_lines is not None else (
            unit not in ("persons", "households", "children", "family_weeks", "ratio")
            or DIMENSIONS[d] in ADDITIVE_FOR_PERSONS)
        for figure in figures:
            parts = [(1.0, m, figure) for m in members] + [(-1.0, margin, figure)]
            if equal:
                add(parts, 0.0, 0.0)
            else:
                add(parts, 0.0, np.inf)  # the members together count each person at least once
                for m in members:
                    add([(1.0, m, figure), (-1.0, margin, figure)], -np.inf, 0.0)
    # a share's numerator is at most its denominator; a rate (visits per family-week) shows values above 1
    shown = cells[is_ratio & ~hidden]
    rates = set(shown.loc[shown["numerator"] > shown["denominator"], "indicator"])
    for i in np.flatnonzero(hidden & is_ratio):
        if cells.at[i, "indicator"] not in rates:
            add([(1.0, i, 0), (-1.0, i, 1)], -np.inf, 0.0)
    for ratio, numerator, denominator in ratio_parts:
        for figure, part in ((0, numerator), (1, denominator)):
            for i, r in enumerate(cells[["indicator", "period", *DIMENSIONS]].itertuples(index=False)):
                if r[0] != ratio:
                    continue
                j = key.get((part, *r[1:]))
                if j is not None and (hidden[i] or hidden[j]):
                    add([(1.0, i, figure), (-1.0, j, 0)], 0.0, 0.0)

    data, row_index, col_index = [], [], []
    for r, (coefs, _, _) in enumerate(rows):
        for v, a in coefs.items():
            row_index.append(r)
            col_index.append(v)
            data.append(a)
    matrix = coo_matrix((data, (row_index, col_index)), shape=(len(rows), n)).tocsr()
    row_lo, row_hi = np.array([lo for _, lo, _ in rows]), np.array([hi for _, _, hi in rows])
    # Independent groups of hidden figures (no row joins them) are solved apart: same answers, faster.
    graph = bmat([[None, matrix], [matrix.T, None]]) if rows else coo_matrix((n, n))
    _, label = connected_components(graph, directed=False)
    component = label[len(rows):] if rows else label
    row_component = label[:len(rows)]
    lower_bounds = np.array(lower)
    whole_columns = _whole_columns(cells)
    column_of = {0: "value", 1: "denominator"}
    whole = np.array([(cells.at[i, "indicator"], "numerator" if figure == 0 and is_ratio[i] else column_of[figure])
                      in whole_columns for (i, figure) in variables], dtype=np.int64)
    lower_bounds = np.where(whole == 1, lower_bounds, 0.0)  # a hidden 0.4 family-weeks is not 0, nor 1
    out = []
    parts: dict[int, tuple[np.ndarray, list[LinearConstraint]]] = {}
    for (i, figure), v in variables.items():
        if component[v] not in parts:
            cols = np.flatnonzero(component == component[v])
            picked = np.flatnonzero(row_component == component[v])
            parts[component[v]] = (cols, [LinearConstraint(matrix[picked][:, cols], row_lo[picked], row_hi[picked])]
                                   if len(picked) else [])
        cols, constraints = parts[component[v]]
        found = []
        for sense in (1.0, -1.0):
            c = np.zeros(len(cols))
            c[np.searchsorted(cols, v)] = sense
            result = milp(c, integrality=whole[cols], bounds=Bounds(lower_bounds[cols], upper[cols]),
                          constraints=constraints)
            assert result.status == 0, f"the reader's model is infeasible: {result.message}"
            found.append(round(float(result.x[np.searchsorted(cols, v)])))
        r = cells.loc[i]
        name = "value" if not is_ratio[i] else ("numerator", "denominator")[figure]
        out.append(Interval(r["indicator"], r["period"], tuple(r[d] for d in DIMENSIONS), name, found[0], found[1]))
    return out
