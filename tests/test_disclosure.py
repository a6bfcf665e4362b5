"""Disclosure control: primary, secondary and ratio suppression, the rules, the published view."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from disclosure_tables import cell, frame
from pydantic import ValidationError

from interchange.indicators.catalogue import load_catalogue
from interchange.indicators.cells import CELL_COLUMNS, PROTECTION_COLUMNS
from interchange.indicators.disclosure import CellTableError, DisclosureRules, protect, published_view
from interchange.indicators.disclosure_audit import audit


def by_sex(f: float, m: float, total: float | None = None, **kw) -> pd.DataFrame:
    return frame([cell(value=f + m if total is None else total, **kw), cell(value=f, sex="F", **kw),
                  cell(value=m, sex="M", **kw)])


def status(protected: pd.DataFrame) -> list[tuple[str, bool, str]]:
    return [(row.sex, bool(row.suppressed), row.reason) for row in protected.itertuples()]


def test_small_count_and_its_complement_are_suppressed_total_is_published():
    protected = protect(by_sex(3, 27))
    assert status(protected) == [("*", False, ""), ("F", True, "primary"), ("M", True, "secondary")]
    assert protected["published_value"].tolist()[0] == 30
    assert protected["published_value"].iloc[1:].isna().all()


def test_zero_is_published_and_needs_no_complement():
    protected = protect(by_sex(0, 27))
    assert not protected["suppressed"].any()
    assert protected["published_value"].tolist() == [27, 0, 27]


@pytest.mark.parametrize("value, suppressed", [(1, True), (4, True), (5, False), (0, False)])
def test_default_threshold_suppresses_one_to_four(value, suppressed):
    protected = protect(frame([cell(value=value)]))
    assert bool(protected["suppressed"].iloc[0]) is suppressed


def test_domestic_violence_cells_have_the_stricter_threshold():
    standard = protect(frame([cell(value=7)]))
    dv = protect(frame([cell(value=7, sensitivity="dv")]))
    assert not standard["suppressed"].iloc[0]
    assert dv["suppressed"].iloc[0] and dv["reason"].iloc[0] == "primary"
    assert not protect(frame([cell(value=7, sensitivity="dv")]), DisclosureRules(dv_min_count=7))["suppressed"].any()


def test_the_margin_hides_when_every_other_member_of_the_line_is_zero():
    # F is withheld (no consent) and M is zero: hiding M would not help (F = total - 0), so the total goes.
    table = by_sex(20, 0)
    table["suppressed"] = [False, True, False]
    table["reason"] = ["", "consent", ""]
    assert status(protect(table)) == [("*", True, "secondary"), ("F", True, "consent"), ("M", False, "")]


def test_a_small_total_takes_a_member_with_it():
    protected = protect(frame([cell(value=4), cell(value=1, sex="F"), cell(value=3, sex="M")]))
    assert protected["suppressed"].all()
    protected = protect(frame([cell(value=4), cell(value=0, sex="F"), cell(value=4, sex="M")]))
    assert status(protected) == [("*", True, "primary"), ("F", False, ""), ("M", True, "primary")]


def test_secondary_suppression_reaches_across_breakdowns_that_share_cells():
    # month x sex: January F is small; its complement in the month row and in the sex column,
    # and the 1-D breakdowns by month and by sex, must all keep it hidden.
    rows = [cell(value=100), cell(value=40, sex="F"), cell(value=60, sex="M"),
            cell(value=50, month="2026-01"), cell(value=50, month="2026-02"),
            cell(value=2, month="2026-01", sex="F"), cell(value=48, month="2026-01", sex="M"),
            cell(value=38, month="2026-02", sex="F"), cell(value=12, month="2026-02", sex="M")]
    protected = protect(frame(rows))
    assert audit(protected) == []
    assert protected["suppressed"].sum() == 4  # the 2x2 block: no 1-D figure needs to go
    assert not protected.loc[protected["breakdown"] != "month+sex", "suppressed"].any()


def test_ratio_with_small_numerator_or_denominator_is_suppressed():
    rows = [cell("repeat_share", value=0.4, numerator=40, denominator=100, unit="ratio"),
            cell("repeat_share", value=0.5, numerator=2, denominator=4, unit="ratio", sex="F"),
            cell("repeat_share", value=38 / 96, numerator=38, denominator=96, unit="ratio", sex="M")]
    protected = protect(frame(rows))
    assert status(protected) == [("*", False, ""), ("F", True, "primary"), ("M", True, "secondary")]

    rows[1] = cell("repeat_share", value=0.0, numerator=0, denominator=3, unit="ratio", sex="F")
    rows[2] = cell("repeat_share", value=40 / 97, numerator=40, denominator=97, unit="ratio", sex="M")
    protected = protect(frame(rows))
    assert status(protected)[1] == ("F", True, "ratio")
    assert audit(protected) == []


def test_ratio_whose_complement_is_small_is_suppressed():
    rows = [cell("repeat_share", value=38 / 40, numerator=38, denominator=40, unit="ratio")]
    assert protect(frame(rows))["reason"].tolist() == ["ratio"]
    rules = DisclosureRules(protect_ratio_complement=False)
    assert protect(frame(rows), rules)["reason"].tolist() == [""]


def test_a_rate_is_not_hidden_for_its_complement():
    # "60 visits in 60.29 family-weeks": the 0.29 is no one's count; a share's "38 of 40" is 2 persons.
    rows = [cell("visits_per_week", value=60 / 60.29, numerator=60, denominator=60.29, unit="ratio"),
            cell("visits_per_week", value=30 / 30.1, numerator=30, denominator=30.1, unit="ratio", sex="F"),
            cell("visits_per_week", value=30 / 30.19, numerator=30, denominator=30.19, unit="ratio", sex="M"),
            cell("repeat_share", value=38 / 40, numerator=38, denominator=40, unit="ratio")]
    assert protect(frame(rows))["suppressed"].tolist() == [True, True, True, True]
    protected = protect(frame(rows), rates=["visits_per_week"])
    assert status(protected) == [("*", False, ""), ("F", False, ""), ("M", False, ""), ("*", True, "ratio")]
    assert audit(protected, rates=["visits_per_week"]) == []
    # The shipped catalogue's one rate: visits (contacts) per family-week (family_weeks).
    assert load_catalogue().rates() == ["supervision_visits_per_family_week"]


def test_exempt_units_get_no_primary_suppression():
    rows = [cell("group_meetings", value=3, unit="sessions")]
    assert protect(frame(rows))["suppressed"].tolist() == [True]
    assert protect(frame(rows), DisclosureRules(exempt_units=("sessions",)))["suppressed"].tolist() == [False]


def test_suppression_given_by_computation_is_kept_and_protected():
    table = by_sex(20, 27)
    table["suppressed"] = [False, True, False]
    table["reason"] = ["", "consent", ""]
    protected = protect(table)
    assert status(protected) == [("*", False, ""), ("F", True, "consent"), ("M", True, "secondary")]


def test_a_total_whose_part_without_consent_is_small_is_withheld():
    # consent "totals_only": the total counts 2 persons no breakdown shows (30 = 20 + 8 + 2)
    table = by_sex(20, 8, total=30)
    table["consent_only"] = [2.0, 0.0, 0.0]
    protected = protect(table)
    assert status(protected)[0] == ("*", True, "consent")
    assert audit(protected) == []
    table["consent_only"] = [5.0, 0.0, 0.0]  # 5 persons without consent: not small, the total is published
    assert not protect(table)["suppressed"].any()
    dv = by_sex(20, 8, total=35, sensitivity="dv")
    dv["consent_only"] = [7.0, 0.0, 0.0]  # under the stricter DV threshold
    assert status(protect(dv))[0] == ("*", True, "consent")


def test_protect_adds_the_protection_columns_and_keeps_the_input():
    table = by_sex(3, 27)
    before = table.copy()
    protected = protect(table)
    pd.testing.assert_frame_equal(table, before)
    assert list(protected.columns) == [*CELL_COLUMNS, *PROTECTION_COLUMNS]
    assert protected["suppressed"].dtype == bool
    empty = protect(frame([]))
    assert list(empty.columns) == [*CELL_COLUMNS, *PROTECTION_COLUMNS] and empty.empty


def test_rules_round_trip_through_json_and_reject_a_weaker_dv_threshold():
    rules = DisclosureRules(min_count=3, dv_min_count=8)
    text = rules.model_dump_json()
    assert json.loads(text)["dv_min_count"] == 8
    assert DisclosureRules.model_validate_json(text) == rules
    with pytest.raises(ValidationError, match="dv_min_count"):
        DisclosureRules(min_count=10, dv_min_count=5)
    with pytest.raises(ValidationError):
        DisclosureRules(threshold=3)


def test_published_view_holds_no_suppressed_figure():
    rows = [cell("repeat_share", value=0.4, numerator=40, denominator=100, unit="ratio"),
            cell("repeat_share", value=0.5, numerator=2, denominator=4, unit="ratio", sex="F"),
            cell("repeat_share", value=38 / 96, numerator=38, denominator=96, unit="ratio", sex="M")]
    table = frame(rows)
    table["note"] = "a column publications did not ask for"
    view = published_view(protect(table))
    assert not {"value", "numerator", "denominator", "note"} & set(view.columns)
    assert view.loc[view["suppressed"], ["published_value", "published_numerator",
                                         "published_denominator"]].isna().all().all()
    assert view.loc[0, ["published_value", "published_numerator", "published_denominator"]].tolist() == [0.4, 40, 100]
    # which hidden cell is the small one (primary) is what suppression hides: both just say "suppressed"
    assert view["reason"].tolist() == ["", "suppressed", "suppressed"]


def test_published_view_refuses_unprotected_tables_and_raw_columns():
    with pytest.raises(CellTableError, match="protect"):
        published_view(by_sex(3, 27))
    with pytest.raises(CellTableError, match="value"):
        published_view(protect(by_sex(3, 27)), extra_columns=["value"])
    protected = protect(by_sex(3, 27))
    protected["target"] = 50
    assert published_view(protected, extra_columns=["target"])["target"].tolist() == [50, 50, 50]


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns=["sensitivity"]), "missing column.*sensitivity"),
    (lambda t: t.assign(sex=[None, "F", "M"]), "'sex' is empty.*persons_helped"),
    (lambda t: t.assign(sex=["F", "F", "M"]), "duplicate cell.*sex='F'"),
    (lambda t: t.assign(sensitivity="secret"), "sensitivity 'secret'.*persons_helped"),
])
def test_bad_cell_tables_are_clear_errors(change, message):
    with pytest.raises(CellTableError, match=message):
        protect(change(by_sex(3, 27)))


def test_indicators_and_periods_are_protected_separately():
    table = pd.concat([by_sex(3, 27), by_sex(13, 27, period="2025"), by_sex(13, 27)[:1].assign(indicator="other")])
    protected = protect(table.reset_index(drop=True))
    assert protected["suppressed"].tolist() == [False, True, True, False, False, False, False]
    assert np.isnan(protected["published_value"].iloc[1])


def dv_clients_and_repeat_share(f_clients: float, m_clients: float, f_repeat: float, m_repeat: float) -> pd.DataFrame:
    """"DV clients" (a count) and "share of them victimised repeatedly" (a ratio over the same persons)."""
    total_clients, total_repeat = f_clients + m_clients, f_repeat + m_repeat
    counts = by_sex(f_clients, m_clients, indicator="dv_clients")
    ratios = frame([
        cell("dv_repeat_share", value=total_repeat / total_clients, numerator=total_repeat,
             denominator=total_clients, unit="ratio"),
        cell("dv_repeat_share", value=f_repeat / f_clients, numerator=f_repeat, denominator=f_clients,
             unit="ratio", sex="F"),
        cell("dv_repeat_share", value=m_repeat / m_clients, numerator=m_repeat, denominator=m_clients,
             unit="ratio", sex="M")])
    return pd.concat([counts, ratios], ignore_index=True)


def test_a_ratio_does_not_publish_as_its_denominator_a_count_hidden_elsewhere():
    # The count indicator hides F (no consent) and its complement M; the ratio rows by sex
    # would print 20 and 40 as denominators, so they go too: the link is found by equal values.
    table = dv_clients_and_repeat_share(20, 40, 10, 20)
    table["suppressed"] = [False, True, False, False, False, False]
    table["reason"] = ["", "consent", "", "", "", ""]
    protected = protect(table)
    assert protected["suppressed"].tolist() == [False, True, True, False, True, True]
    assert protected["reason"].tolist() == ["", "consent", "secondary", "", "ratio", "secondary"]
    view = published_view(protected)
    assert view["published_denominator"].dropna().tolist() == [60]


def test_linked_indicators_can_be_named_when_values_cannot_show_it():
    # A single common cell is too little to infer a link from; naming the pair links it.
    counts = frame([cell("dv_clients", value=3)])
    ratios = frame([cell("dv_repeat_share", value=0.0, numerator=0, denominator=3, unit="ratio",
                         municipality="LT-22")])
    table = pd.concat([counts, ratios.assign(municipality="*")], ignore_index=True)
    assert protect(table)["reason"].tolist() == ["primary", "ratio"]  # small denominator on its own
    table = frame([cell("dv_clients", value=30, sex="F"), cell("dv_clients", value=30),
                   cell("dv_repeat_share", value=0.5, numerator=15, denominator=30, unit="ratio")])
    table.loc[0, "suppressed"], table.loc[0, "reason"] = True, "consent"
    assert protect(table.fillna({"suppressed": False, "reason": ""}))["suppressed"].tolist() == [True, True, False]
    linked = protect(table.fillna({"suppressed": False, "reason": ""}),
                     linked_indicators=[("dv_repeat_share", "dv_clients")])
    assert linked["suppressed"].tolist() == [True, True, True]
    with pytest.raises(CellTableError, match="'nope' is not in the cell table"):
        protect(table.fillna({"suppressed": False, "reason": ""}), linked_indicators=[("nope", "dv_clients")])
