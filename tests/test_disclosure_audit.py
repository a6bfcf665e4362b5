"""The audit (what a reader can learn about suppressed cells by linear programming), and the
proof that secondary suppression works: protect() on many random tables leaves audit() nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from disclosure_tables import all_breakdowns, cell, frame, random_person_table, random_table

from interchange.indicators.disclosure import DisclosureRules, protect
from interchange.indicators.disclosure_audit import audit

MONTHS = [f"2026-{m:02d}" for m in (7, 8, 9)]
SEXES = ["F", "M"]
ORGS = ["kretingos-spc", "kretingos-mimc", "kretingos-dvc"]
AGES = ["child", "adult"]


def test_audit_finds_a_cell_left_alone_in_its_line():
    published_complement = protect(frame([cell(value=30), cell(value=3, sex="F"), cell(value=27, sex="M")]))
    published_complement.loc[2, "suppressed"] = False
    [finding] = audit(published_complement)
    assert (finding.index, finding.figure, finding.problem) == (1, "value", "exact")
    assert (finding.lower, finding.upper, finding.threshold) == (3, 3, 5)
    assert finding.cell == {"sex": "F"}
    assert "persons_helped 2026 [sex=F] value" in finding.describe()


def test_two_suppressed_cells_in_a_line_hide_each_other_when_each_could_reach_the_threshold():
    table = frame([cell(value=12), cell(value=2, sex="F"), cell(value=10, sex="M")])
    table["suppressed"] = [False, True, True]
    assert audit(table) == []  # F is 1..11 as far as a reader can tell: it may be 5 or more


def test_two_suppressed_cells_that_sum_to_less_than_the_threshold_are_both_known_to_be_small():
    # Zeros are published, so each hidden cell is at least 1: F and M are 1..3, "a few persons".
    table = frame([cell(value=4), cell(value=2, sex="F"), cell(value=2, sex="M")])
    table["suppressed"] = [False, True, True]
    assert {(f.cell["sex"], f.problem, f.lower, f.upper) for f in audit(table)} == {
        ("F", "narrow", 1, 3), ("M", "narrow", 1, 3)}


def test_a_suppressed_cell_pinned_by_another_breakdown_is_found():
    # F cells of month x sex are hidden, but month totals and the M cells are published.
    rows = [cell(value=6), cell(value=4, sex="F"), cell(value=2, sex="M"),
            cell(value=3, month="2026-07"), cell(value=3, month="2026-08"),
            cell(value=2, month="2026-07", sex="F"), cell(value=1, month="2026-07", sex="M"),
            cell(value=2, month="2026-08", sex="F"), cell(value=1, month="2026-08", sex="M")]
    table = frame(rows)
    table["suppressed"] = table["sex"].eq("F") & table["month"].ne("*")
    assert {(f.cell["month"], f.problem, f.lower, f.upper) for f in audit(table)} == {
        ("2026-07", "exact", 2, 2), ("2026-08", "exact", 2, 2)}


def test_a_rectangle_of_suppressed_cells_can_still_disclose_and_protect_avoids_it():
    # The 2 x 2 interior is hidden, the margins published: one degree of freedom t = (Jul, F),
    # with (Aug, M) = t - 2 >= 1 and (Jul, M) = 4 - t >= 1 (no zero is suppressed), so the
    # reader knows (Jul, F) is 3, and so every cell of the block.
    rows = [cell(value=6), cell(value=4, sex="F"), cell(value=2, sex="M"),
            cell(value=4, month="2026-07"), cell(value=2, month="2026-08"),
            cell(value=3, month="2026-07", sex="F"), cell(value=1, month="2026-07", sex="M"),
            cell(value=1, month="2026-08", sex="F"), cell(value=1, month="2026-08", sex="M")]
    table = frame(rows)
    table["suppressed"] = table["month"].ne("*") & table["sex"].ne("*")
    assert {(f.cell["month"], f.cell["sex"], f.problem, f.lower) for f in audit(table)} == {
        ("2026-07", "F", "exact", 3), ("2026-07", "M", "exact", 1), ("2026-08", "F", "exact", 1),
        ("2026-08", "M", "exact", 1)}
    protected = protect(frame(rows))
    assert audit(protected) == []
    # All but the total are small; with the total of 6 published, each month is 2..4 (two hidden
    # cells of at least 1), so (Aug, F) would be at most 3: the total goes too.
    assert protected["suppressed"].all()


def test_greedy_alone_leaves_findings_that_the_lp_repair_removes():
    rng = np.random.default_rng(7)
    breakdowns = all_breakdowns(["month", "sex", "org"], 3)
    left_by_greedy = 0
    for _ in range(30):
        table = random_table(rng, {"month": MONTHS, "sex": SEXES, "org": ORGS}, breakdowns, mean=3.0)
        if not left_by_greedy:  # one table that catches the greedy pass out is enough (each audit costs)
            left_by_greedy += len(audit(protect(table, DisclosureRules(lp_repair=False))))
        assert audit(protect(table)) == []
    assert left_by_greedy > 0  # the 3-D tables do catch the line-by-line method out


@pytest.mark.parametrize("shape", ["1-D", "2-D", "3 breakdowns", "3-D", "dv", "4-D"])
def test_no_suppressed_cell_can_be_narrowed_in_random_tables(shape):
    rng = np.random.default_rng(sum(map(ord, shape)))
    for trial in range(25):
        mean = float(rng.uniform(0.5, 12))
        zero_share = float(rng.uniform(0.0, 0.6))
        if shape == "1-D":
            values = {"org": [f"org-{k}" for k in range(int(rng.integers(1, 8)))]}
            breakdowns = [(), ("org",)]
        elif shape == "2-D":
            values = {"month": MONTHS, "org": ORGS[: int(rng.integers(1, 4))]}
            breakdowns = [(), ("month",), ("org",), ("month", "org")]
        elif shape == "3 breakdowns":  # one indicator, three 1-D breakdowns and one 2-D
            values = {"month": MONTHS, "sex": SEXES, "age_group": AGES}
            breakdowns = [(), ("month",), ("sex",), ("age_group",), ("month", "sex")]
        elif shape in ("3-D", "dv"):
            values = {"month": MONTHS, "sex": SEXES, "org": ORGS}
            breakdowns = all_breakdowns(list(values), 3)
        else:
            values = {"month": MONTHS[:2], "municipality": ["LT-22", "LT-21"], "sex": SEXES, "age_group": AGES}
            breakdowns = [*all_breakdowns(list(values), 2), ("month", "municipality", "sex")]
        sensitivity = "dv" if shape == "dv" else "standard"
        table = random_table(rng, values, breakdowns, mean=mean, zero_share=zero_share, sensitivity=sensitivity)
        protected = protect(table)
        findings = audit(protected)
        assert findings == [], f"trial {trial}: {[f.describe() for f in findings]}"
        small = table["value"].between(1, (10 if shape == "dv" else 5) - 1)
        assert protected.loc[small, "suppressed"].all()
        assert protected.loc[~protected["suppressed"], "published_value"].notna().all()


def test_distinct_person_counts_that_do_not_add_up_are_protected_too():
    rng = np.random.default_rng(11)
    values = {"month": MONTHS, "org": ORGS, "sex": SEXES}
    for _ in range(15):
        table = random_person_table(rng, values, all_breakdowns(list(values), 2),
                                    persons=int(rng.integers(5, 80)))
        protected = protect(table)
        assert audit(protected) == []


def test_random_ratio_tables_are_protected_in_numerator_denominator_and_complement():
    rng = np.random.default_rng(5)
    values = {"month": MONTHS, "sex": SEXES}
    breakdowns = all_breakdowns(list(values), 2)
    for _ in range(20):
        denominators = random_table(rng, values, breakdowns, mean=float(rng.uniform(2, 15)), zero_share=0.2)
        # numerators: a binomial share of each finest cell, aggregated the same way
        share = float(rng.uniform(0.1, 0.9))
        fine = denominators[denominators["breakdown"] == "month+sex"].copy()
        fine["numerator"] = rng.binomial(fine["value"].astype(int), share).astype(float)
        rows = []
        for breakdown in breakdowns:
            dims = list(breakdown)
            if dims:
                grouped = fine.groupby(dims)[["numerator", "value"]].sum().reset_index()
            else:
                grouped = pd.DataFrame({"numerator": [fine["numerator"].sum()], "value": [fine["value"].sum()]})
            for record in grouped.to_dict("records"):
                den = record["value"]
                rows.append(cell("repeat_share", value=record["numerator"] / den if den else np.nan,
                                 numerator=record["numerator"], denominator=den, unit="ratio", sensitivity="dv",
                                 **{d: record[d] for d in dims}))
        protected = protect(frame(rows))
        findings = audit(protected)
        assert findings == [], [f.describe() for f in findings]
        numerator_small = protected["numerator"].between(1, 9)
        assert protected.loc[numerator_small, "suppressed"].all()
        assert (protected.loc[protected["denominator"].between(1, 9), "suppressed"]).all()
