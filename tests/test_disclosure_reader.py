"""Issue 16, case 1: a reader who knows the rules cannot narrow a suppressed cell.

The reader (tests/disclosure_reader.py) sees only the published view and knows the rules: no
zero is hidden, margins add up, a ratio's parts are cells of other indicators. For every hidden
figure whose true value is 1 .. k-1 (k: 5, or 10 for domestic-violence data) it must not be able
to show that the figure is below k, and no cell suppressed for its own sake may be pinned.
"""

from __future__ import annotations

import pandas as pd
import pytest
from disclosure_reader import problems_in_view
from disclosure_tables import cell, frame

from interchange.indicators.disclosure import DisclosureRefused, DisclosureRules, protect, published_view
from interchange.indicators.disclosure_audit import audit


def check_reader(truth: pd.DataFrame, rules: DisclosureRules | None = None,
                 ratio_parts: tuple[tuple[str, str, str], ...] = ()) -> list[str]:
    """What the reader can narrow too far in the published view of protect(truth)."""
    rules = rules or DisclosureRules()
    protected = protect(truth, rules)
    thresholds = {row.indicator: rules.threshold_of(row.sensitivity) for row in truth.itertuples()}
    return problems_in_view(protected, thresholds, ratio_parts)


def by_municipality(indicator: str, total: float, parts: dict[str, float], **kw) -> pd.DataFrame:
    return frame([cell(indicator, value=total, **kw),
                  *(cell(indicator, value=v, municipality=m, **kw) for m, v in parts.items())])


def test_two_hidden_municipalities_that_add_up_to_two_are_not_both_known_to_be_one():
    # parenting_skills_participants of the demo: total 22, LT-22 20, LT-20 and LT-30 hidden.
    truth = by_municipality("parenting_skills_participants", 22, {"LT-22": 20, "LT-20": 1, "LT-30": 1})
    assert check_reader(truth) == []
    assert audit(protect(truth)) == []


def test_two_hidden_months_are_not_known_to_be_four_each():
    # parenting_skills_sessions: total 14, July 6, August and September hidden (4 and 4); a
    # published "primary" told the reader each is 1..4, so both were 4.
    truth = frame([cell("parenting_skills_sessions", value=14, unit="sessions"),
                   *(cell("parenting_skills_sessions", value=v, month=m, unit="sessions")
                     for m, v in (("2026-07", 6), ("2026-08", 4), ("2026-09", 4)))])
    assert check_reader(truth) == []
    assert set(published_view(protect(truth))["reason"]) <= {"", "suppressed"}


def test_three_hidden_domestic_violence_cells_of_one_person_each_are_not_pinned():
    # dv_repeat_persons of kompleksines-kretinga: total 82, LT-22 79, three municipalities of 1.
    truth = by_municipality("dv_repeat_persons", 82, {"LT-22": 79, "LT-20": 1, "LT-21": 1, "LT-30": 1},
                            sensitivity="dv", period="kompleksines-kretinga")
    assert check_reader(truth) == []
    assert audit(protect(truth)) == []


@pytest.mark.parametrize("hidden, expected", [
    ({"LT-20", "LT-30"}, {("LT-20", "exact", 1), ("LT-30", "exact", 1)}),
])
def test_the_audit_sees_what_the_reader_sees(hidden, expected):
    # The old suppression pattern of the first example: the audit now pins both cells too.
    table = by_municipality("parenting_skills_participants", 22, {"LT-22": 20, "LT-20": 1, "LT-30": 1})
    table["suppressed"] = table["municipality"].isin(hidden)
    table["reason"] = table["suppressed"].map({True: "primary", False: ""})
    assert {(f.cell["municipality"], f.problem, f.lower) for f in audit(table)} == expected


def test_a_ratio_hidden_for_its_complement_is_not_given_away_by_its_published_parts():
    # "79 of 81 clients were victimised again": the 2 are hidden in the ratio, so the count cells
    # the ratio is defined by must not publish 79 and 81 beside it.
    rows = []
    for code, parts in (("dv_repeat_persons", {"LT-22": 79, "LT-20": 12}),
                        ("dv_help_persons", {"LT-22": 81, "LT-20": 30})):
        rows += [cell(code, value=sum(parts.values()), sensitivity="dv"),
                 *(cell(code, value=v, municipality=m, sensitivity="dv") for m, v in parts.items())]
    for municipality, (num, den) in {"*": (91, 111), "LT-22": (79, 81), "LT-20": (12, 30)}.items():
        dims = {} if municipality == "*" else {"municipality": municipality}
        rows.append(cell("dv_repeat_share", value=num / den, numerator=num, denominator=den, unit="ratio",
                         sensitivity="dv", **dims))
    truth = frame(rows)
    parts = (("dv_repeat_share", "dv_repeat_persons", "dv_help_persons"),)
    assert check_reader(truth, ratio_parts=parts) == []
    assert audit(protect(truth)) == []


def month_by_sex(indicator: str, fine: dict[tuple[str, str], int]) -> pd.DataFrame:
    """A month x sex table with its margins, every line adding up (contacts)."""
    months, sexes = sorted({m for m, _ in fine}), sorted({s for _, s in fine})
    return frame([cell(indicator, value=sum(fine.values()), unit="contacts"),
                  *(cell(indicator, value=sum(v for (m, _), v in fine.items() if m == month), month=month,
                         unit="contacts") for month in months),
                  *(cell(indicator, value=sum(v for (_, s), v in fine.items() if s == sex), sex=sex,
                         unit="contacts") for sex in sexes),
                  *(cell(indicator, value=v, month=m, sex=s, unit="contacts") for (m, s), v in fine.items())])


# Every line of it has two hidden cells and room for each, yet the lines together pin three small
# cells below 5: line by line is not enough, the audit's repair is needed.
LINES_ARE_NOT_ENOUGH = {("2026-07", "F"): 3, ("2026-07", "M"): 0, ("2026-07", "unknown"): 1,
                        ("2026-08", "F"): 3, ("2026-08", "M"): 2, ("2026-08", "unknown"): 3,
                        ("2026-09", "F"): 10, ("2026-09", "M"): 12, ("2026-09", "unknown"): 8}


def test_where_lines_alone_leave_small_cells_narrow_the_repair_makes_the_table_safe():
    truth = month_by_sex("contacts_given", LINES_ARE_NOT_ENOUGH)
    assert audit(protect(truth, DisclosureRules(lp_repair=False))) != []
    assert check_reader(truth) == []
    assert audit(protect(truth)) == []


def test_a_table_the_repair_cannot_make_safe_is_refused_not_returned():
    truth = month_by_sex("contacts_given", LINES_ARE_NOT_ENOUGH)
    with pytest.raises(DisclosureRefused) as refused:
        protect(truth, DisclosureRules(max_repair_rounds=0))
    assert {(f.cell["month"], f.cell["sex"], f.problem) for f in refused.value.findings} == {
        ("2026-07", "unknown", "narrow"), ("2026-08", "M", "narrow"), ("2026-08", "unknown", "narrow")}
    for lang in ("lt", "en"):  # indicator codes and a count: never a cell's value
        assert "contacts_given" in refused.value.message(lang)


def test_a_ratio_hidden_for_its_complement_hides_its_numerator_count_where_both_counts_are_published():
    # The national year: "persons found" and "persons helped" by outreach are large in every
    # municipality, but those not helped (found - helped) are 0-4. Hiding only the share's row left
    # both counts published, and their difference is the hidden complement.
    found = {"LT-01": 6075, "LT-02": 6109, "LT-03": 5908, "LT-04": 6024, "LT-05": 6022, "LT-06": 5962, "LT-07": 6094}
    not_helped = {"LT-01": 1, "LT-02": 0, "LT-03": 3, "LT-04": 0, "LT-05": 2, "LT-06": 3, "LT-07": 5}
    helped = {m: found[m] - not_helped[m] for m in found}
    rows = []
    for code, parts in (("outreach_persons_found", found), ("outreach_persons_helped", helped)):
        rows += [cell(code, value=sum(parts.values())),
                 *(cell(code, value=v, municipality=m) for m, v in parts.items())]
    for municipality in ("*", *found):
        num = sum(helped.values()) if municipality == "*" else helped[municipality]
        den = sum(found.values()) if municipality == "*" else found[municipality]
        dims = {} if municipality == "*" else {"municipality": municipality}
        rows.append(cell("outreach_helped_share", value=num / den, numerator=num, denominator=den, unit="ratio",
                         **dims))
    truth = frame(rows)
    parts = (("outreach_helped_share", "outreach_persons_helped", "outreach_persons_found"),)
    assert check_reader(truth, ratio_parts=parts) == []
    protected = protect(truth)
    assert audit(protected) == []
    hidden_shares = set(protected.loc[protected["suppressed"] & (protected["indicator"] == "outreach_helped_share"),
                                      "municipality"])
    hidden_helped = set(protected.loc[protected["suppressed"] & (protected["indicator"] == "outreach_persons_helped"),
                                      "municipality"])
    assert {"LT-01", "LT-03", "LT-05", "LT-06"} <= hidden_shares == hidden_helped
