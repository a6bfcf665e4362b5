"""Indicators computed from warehouses whose true figures are known by hand (indicator_kit.py).

Records come in through the real ingest path and are linked by pseudonym, on SQLite and on
PostgreSQL. The Kretinga scenario holds a person at two organisations, a family known to
two organisations, deleted records, a child turning 18, a person without consent and
records outside the period; every catalogue indicator is checked against it.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from conftest import HUB_CONFIG
from drop_kit import MIMC, SPC, ingest
from indicator_kit import (
    BACKENDS,
    CONTACT,
    PERSON,
    TODAY,
    ingest_and_link,
    kretinga_warehouse,
    person,
    send,
    warehouse,
)
from sqlalchemy import Engine, text

from interchange.indicators.catalogue import load_catalogue, parse_catalogue
from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS
from interchange.indicators.compute import UnlinkedRecordsError, compute_indicators
from interchange.indicators.periods import PeriodError, parse_period
from interchange.workspace.config import parse_config

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

CATALOGUE = load_catalogue()

# Every catalogue indicator's total for 2026-Q3, worked out by hand from indicator_kit's comments.
EXPECTED_TOTALS = {
    "social_risk_families": 1,            # SH1 and MH0 are one family; MH1's risk ended in May
    "social_risk_children": 3,            # that family: 2 children at SPC, 3 at MIMC -> the larger
    "dv_help_persons": 2,                 # anna (C1, open since June), fay (C2); gus's C3 closed in March
    "dv_repeat_persons": 1,               # anna
    "dv_repeat_share": 0.5,
    "dv_children": 3,                     # anna's family 2 + fay's family 1
    "psychologist_child_persons": 2,      # cara, dan (dan counts here, though an adult)
    "psychologist_child_consultations": 2,
    "psychotherapist_adult_persons": 1,   # anna, at SPC and at MIMC: once
    "psychotherapist_adult_consultations": 3,
    "addiction_counsellor_persons": 0,    # only eve, who gave no consent
    "addiction_counsellor_consultations": 0,
    "legal_consultation_persons": 1,      # anna; ben's K10 and hal's K17 deleted, anna's K16 in June
    "legal_consultation_consultations": 1,
    "therapeutic_group_meetings": 3,      # G1, G2, H1
    "therapeutic_group_participants": 3,  # anna, ben, fay (unregistered attendees not counted)
    "parenting_skills_sessions": 1,
    "parenting_skills_participants": 1,
    "integrated_services_long_term_persons": 2,  # anna (3 services), ben (2 group services)
    "persons_served": 6,                  # anna, ben, cara, dan, fay, gus (eve: no consent; hal: deleted)
    "multi_org_persons": 1,               # anna
    "multi_org_share": 1 / 6,
    "social_workshop_participants": 1,    # ben
    "social_workshop_days": 2,            # ben on 20 July (twice) and 21 July
    "case_management_clients": 1,         # dan
    "supervised_families": 1,             # SH1
    "supervision_visits": 2,
    "supervision_family_weeks": 92 / 7,   # C4 open all of Q3: 92 days
    "supervision_visits_per_family_week": 2 / (92 / 7),
    "supervision_care_hours": 1.5,
    "integrated_help_persons": 0,         # eve only
    "outreach_persons_found": 3,          # anna, dan, gus
    "outreach_persons_helped": 2,         # anna, dan; gus had nothing else
    "outreach_helped_share": 2 / 3,
}


@pytest.fixture(scope="module", params=BACKENDS)
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with kretinga_warehouse(request.param, tmp_path_factory) as engine:
        yield engine


def totals(cells: pd.DataFrame) -> dict[str, float]:
    return cells[cells["breakdown"] == "total"].set_index("indicator")["value"].to_dict()


def cell(cells: pd.DataFrame, indicator: str, **dims: str) -> pd.Series:
    """The one cell of `indicator` with these dimensions set and the others ALL."""
    wanted = {d: dims.get(d, ALL) for d in DIMENSIONS}
    mask = cells["indicator"] == indicator
    for d, v in wanted.items():
        mask &= cells[d] == v
    [row] = cells[mask].to_dict("records")
    return pd.Series(row)


def test_every_catalogue_indicator_matches_the_figure_worked_out_by_hand(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"))

    assert set(EXPECTED_TOTALS) == set(CATALOGUE.codes)
    found = totals(cells)
    assert found.keys() == EXPECTED_TOTALS.keys()
    for code, expected in EXPECTED_TOTALS.items():
        assert found[code] == pytest.approx(expected), code


def test_each_stage_is_logged_with_its_times_and_no_person_in_it(scenario: Engine,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="interchange.indicators.stages"):
        compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), indicators=["persons_served"])

    stages = [r.getMessage() for r in caplog.records if r.name == "interchange.indicators.stages"]
    named = {message.split(":")[0].removeprefix("indicators stage ") for message in stages}
    assert {"read warehouse", "read person_recs", "read contacts", "persons", "events", "facts",
            "persons_served"} <= named
    assert all(re.fullmatch(r"indicators stage [\w ]+: \d+\.\d\d s wall, \d+\.\d\d s CPU", m) for m in stages)
    with scenario.connect() as connection:
        secrets = [value for table, column in (("person_records", "person_pseudonym"),
                                               ("household_records", "household_pseudonym"),
                                               ("person_links", "person_key"), ("household_links", "household_key"))
                   for (value,) in connection.execute(text(f"SELECT {column} FROM {table}")) if value]
    assert secrets
    assert not [s for s in secrets if s in caplog.text]


def test_cells_have_the_shared_shape_and_only_listed_breakdowns(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"))

    assert tuple(cells.columns) == CELL_COLUMNS
    assert not cells[["indicator", "period", "breakdown", *DIMENSIONS]].isna().any().any()
    assert not cells.duplicated(["indicator", "breakdown", *DIMENSIONS]).any()
    assert set(cells["period"]) == {"2026-Q3"}
    for code in CATALOGUE.codes:
        indicator = CATALOGUE.indicator(code)
        rows = cells[cells["indicator"] == code]
        assert set(rows["breakdown"]) <= set(indicator.breakdowns()), code
        assert set(rows["unit"]) == {indicator.unit} and set(rows["sensitivity"]) == {indicator.sensitivity}
        for breakdown in rows["breakdown"]:
            set_dims = breakdown.split("+") if breakdown != "total" else []
            subset = rows[rows["breakdown"] == breakdown]
            for d in DIMENSIONS:
                assert (subset[d] != ALL).all() if d in set_dims else (subset[d] == ALL).all(), (code, breakdown)
    counts = cells[cells["unit"] != "ratio"]
    assert (counts["numerator"] == counts["value"]).all() and counts["denominator"].isna().all()
    assert set(cells.loc[cells["indicator"].str.startswith("dv_"), "sensitivity"]) == {"dv"}


def test_a_person_at_two_organisations_counts_once_in_the_total_and_once_per_organisation(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), indicators=["persons_served",
                                                                          "psychotherapist_adult_persons"])

    assert cell(cells, "persons_served", org=SPC)["value"] == 4       # anna, ben, cara, dan
    assert cell(cells, "persons_served", org=MIMC)["value"] == 3      # anna, fay, gus
    assert cell(cells, "persons_served")["value"] == 6                # anna once
    assert cell(cells, "psychotherapist_adult_persons", org=SPC)["value"] == 1
    assert cell(cells, "psychotherapist_adult_persons", org=MIMC)["value"] == 1
    assert cell(cells, "psychotherapist_adult_persons")["value"] == 1
    # by month, a person is in every month they were served: anna in July, August and September
    assert [cell(cells, "psychotherapist_adult_persons", month=m)["value"] for m in ("2026-07", "2026-08", "2026-09")
            ] == [1, 1, 1]


def test_sex_and_age_breakdowns_use_the_linked_persons_attributes(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), indicators=["persons_served"])

    assert cell(cells, "persons_served", sex="female")["value"] == 3   # anna, cara, fay
    assert cell(cells, "persons_served", sex="male")["value"] == 3     # ben, dan, gus
    assert cell(cells, "persons_served", age_group="child")["value"] == 1   # cara; dan is 18 in 2026
    assert cell(cells, "persons_served", age_group="adult")["value"] == 5
    assert cell(cells, "persons_served", sex="male", age_group="adult")["value"] == 3


def test_ratio_cells_carry_numerator_and_denominator_per_breakdown(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), indicators=["dv_repeat_share"])

    assert set(cells["indicator"]) == {"dv_repeat_share"}  # its parts are computed, not returned
    total = cell(cells, "dv_repeat_share")
    assert (total["numerator"], total["denominator"], total["value"]) == (1, 2, 0.5)
    july = cell(cells, "dv_repeat_share", month="2026-07")    # anna only (fay's case opened 1 August)
    assert (july["numerator"], july["denominator"], july["value"]) == (1, 1, 1.0)
    august = cell(cells, "dv_repeat_share", month="2026-08")
    assert (august["numerator"], august["denominator"]) == (1, 2)
    assert set(cells["unit"]) == {"ratio"}


def test_consent_totals_only_counts_persons_without_consent_in_the_total_cell_only(scenario: Engine) -> None:
    exclude = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), consent="exclude",
                                 indicators=["persons_served", "addiction_counsellor_consultations"])
    totals_only = compute_indicators(scenario, CATALOGUE, parse_period("2026-Q3"), consent="totals_only",
                                     indicators=["persons_served", "addiction_counsellor_consultations"])

    assert cell(exclude, "persons_served")["value"] == 6
    assert cell(totals_only, "persons_served")["value"] == 7          # eve in the total
    assert cell(totals_only, "persons_served", sex="female")["value"] == 3   # ...and in no breakdown
    assert cell(totals_only, "persons_served", org=SPC)["value"] == 4
    assert cell(totals_only, "addiction_counsellor_consultations")["value"] == 1
    assert cell(exclude, "addiction_counsellor_consultations")["value"] == 0
    assert len(totals_only[(totals_only["indicator"] == "addiction_counsellor_consultations")
                           & (totals_only["breakdown"] != "total")]) == 0


def test_a_month_outside_the_records_gives_zero_totals_and_no_breakdown_cells(scenario: Engine) -> None:
    cells = compute_indicators(scenario, CATALOGUE, parse_period("2026-03"))

    found = totals(cells)
    assert found["persons_served"] == 1        # gus: his case C3 ran until 1 March
    assert found["social_risk_families"] == 2  # family-1 (SH1, MH0) and family-2 (MH1, until May)
    assert found["dv_help_persons"] == 1       # gus's case C3, 10 January - 1 March
    assert found["dv_repeat_share"] == 1.0
    assert found["psychologist_child_persons"] == 0
    assert math.isnan(cell(cells, "supervision_visits_per_family_week")["value"])  # 0 / 0: no value
    assert set(cells.loc[cells["indicator"] == "psychologist_child_persons", "breakdown"]) == {"total"}


def test_a_workspace_catalogue_from_a_path_replaces_the_shipped_one(scenario: Engine, tmp_path: Path) -> None:
    path = tmp_path / "catalogue.yaml"
    path.write_text("""\
version: ws-1
indicators:
  - code: legal_hours
    group: extra
    name_lt: Teisinių konsultacijų valandos
    name_en: Legal consultation hours
    definition_lt: Trukmės suma.
    definition_en: Sum of durations.
    unit: hours
    count: hours
    from: [{source: contact, service_codes: [legal_consultation, psychotherapist_adult]}]
    disaggregations: [[org]]
""", encoding="utf-8")
    from interchange.indicators.catalogue import load_catalogue as load

    cells = compute_indicators(scenario, load(path), parse_period("2026-Q3"))

    assert set(cells["indicator"]) == {"legal_hours"}
    assert cell(cells, "legal_hours")["value"] == pytest.approx((60 + 60 + 45 + 60) / 60)
    assert cell(cells, "legal_hours", org=MIMC)["value"] == 1.0


def test_person_flags_filter_on_any_linked_record(scenario: Engine) -> None:
    catalogue = parse_catalogue("""\
version: t
indicators:
  - code: dv_victims_served
    group: test_group
    name_lt: a
    name_en: a
    definition_lt: a
    definition_en: a
    unit: persons
    count: persons
    from: [{source: contact, person_flags: {dv_victim: true}}]
    disaggregations: [[org]]
""")
    cells = compute_indicators(scenario, catalogue, parse_period("2026-Q3"))

    # anna is flagged at MIMC only, and still counts for her SPC contacts
    assert cell(cells, "dv_victims_served")["value"] == 2   # anna, fay
    assert cell(cells, "dv_victims_served", org=SPC)["value"] == 1


# --- small warehouses of their own -----------------------------------------------------------------


def test_a_child_turning_18_is_a_child_in_the_year_before_and_an_adult_in_the_year_of_it(hub_root: Path) -> None:
    send(hub_root, SPC, "asmenys", "person", PERSON, [person("S1", "dan", 2008, "vyras")])
    send(hub_root, SPC, "kontaktai", "contact", CONTACT, [
        ["K1", "S1", "psychologist_child", "2025-12-10", "45"],
        ["K2", "S1", "psychologist_child", "2026-01-10", "45"],
    ])
    ingest_and_link(hub_root)

    with warehouse(hub_root) as engine:
        december = compute_indicators(engine, CATALOGUE, parse_period("2025-12"),
                                      indicators=["psychologist_child_persons"])
        january = compute_indicators(engine, CATALOGUE, parse_period("2026-01"),
                                     indicators=["psychologist_child_persons"])

    assert cell(december, "psychologist_child_persons", age_group="child")["value"] == 1
    assert cell(january, "psychologist_child_persons", age_group="adult")["value"] == 1
    assert set(january["age_group"]) == {ALL, "adult"}


def test_a_deleted_record_never_counts(hub_root: Path) -> None:
    send(hub_root, SPC, "asmenys", "person", PERSON, [person("S1", "anna", 1980), person("S2", "ben", 1970)])
    send(hub_root, SPC, "kontaktai", "contact", CONTACT, [
        ["K1", "S1", "legal_consultation", "2026-07-10", "45"],
        ["K2", "S1", "legal_consultation", "2026-07-11", "45"],
        ["K3", "S2", "legal_consultation", "2026-07-12", "45"],
    ])
    ingest_and_link(hub_root)
    with warehouse(hub_root) as engine:
        before = totals(compute_indicators(engine, CATALOGUE, parse_period("2026-07"), indicators=[
            "legal_consultation_persons", "legal_consultation_consultations"]))
    send(hub_root, SPC, "trynimai", "contact", ["record_id", "deleted"], [["K2", "taip"]])
    send(hub_root, SPC, "trynimai", "person", ["record_id", "deleted"], [["S2", "taip"]])
    ingest_and_link(hub_root)
    with warehouse(hub_root) as engine:
        after = totals(compute_indicators(engine, CATALOGUE, parse_period("2026-07"), indicators=[
            "legal_consultation_persons", "legal_consultation_consultations"]))

    assert before == {"legal_consultation_persons": 2, "legal_consultation_consultations": 3}
    # K2 deleted; ben's person record deleted, so his contact K3 has nobody to count
    assert after == {"legal_consultation_persons": 1, "legal_consultation_consultations": 1}


def test_records_not_yet_linked_stop_the_computation_and_say_to_run_link(hub_root: Path) -> None:
    send(hub_root, SPC, "asmenys", "person", PERSON, [person("S1", "anna", 1980)])
    send(hub_root, SPC, "kontaktai", "contact", CONTACT, [["K1", "S1", "legal_consultation", "2026-07-10", "45"]])
    ingest_and_link(hub_root)
    send(hub_root, MIMC, "asmenys", "person", PERSON, [person("M1", "anna", 1980)])
    send(hub_root, MIMC, "kontaktai", "contact", CONTACT, [["L1", "M1", "legal_consultation", "2026-07-10", "45"]])
    ingest(hub_root, today=TODAY)  # no linkage run after this drop

    with warehouse(hub_root) as engine, pytest.raises(UnlinkedRecordsError) as raised:
        compute_indicators(engine, CATALOGUE, parse_period("2026-07"))

    message = str(raised.value)
    assert "interchange link" in message and "1 contact row(s) name a person record with no person key" in message
    assert "M1" not in message and "anna" not in message


def test_an_unlinked_record_outside_the_period_does_not_stop_it(hub_root: Path) -> None:
    send(hub_root, SPC, "asmenys", "person", PERSON, [person("S1", "anna", 1980)])
    send(hub_root, SPC, "kontaktai", "contact", CONTACT, [["K1", "S1", "legal_consultation", "2026-07-10", "45"]])
    ingest_and_link(hub_root)
    send(hub_root, MIMC, "asmenys", "person", PERSON, [person("M1", "fay", 1980)])
    send(hub_root, MIMC, "kontaktai", "contact", CONTACT, [["L1", "M1", "legal_consultation", "2026-08-10", "45"]])
    ingest(hub_root, today=TODAY)

    with warehouse(hub_root) as engine:
        cells = compute_indicators(engine, CATALOGUE, parse_period("2026-07"),
                                   indicators=["legal_consultation_persons"])

    assert totals(cells) == {"legal_consultation_persons": 1}


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "label", "start", "end"), [
    ("2026-09", "2026-09", date(2026, 9, 1), date(2026, 9, 30)),
    ("2024-02", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2026-Q3", "2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
    ("2026-q4", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
    (" 2026 ", "2026", date(2026, 1, 1), date(2026, 12, 31)),
])
def test_periods_parse_to_labelled_date_ranges(text: str, label: str, start: date, end: date) -> None:
    period = parse_period(text)
    assert (period.label, period.start, period.end) == (label, start, end)


def test_a_programme_code_is_a_period_with_the_programmes_dates() -> None:
    config = parse_config(HUB_CONFIG + """\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: 2026-05-07
    end: 2028-05-07
""")
    period = parse_period("kompleksines-kretinga", config)

    assert (period.label, period.start, period.end, period.kind) == (
        "kompleksines-kretinga", date(2026, 5, 7), date(2028, 5, 7), "programme")
    assert period.months()[0] == ("2026-05", date(2026, 5, 7), date(2026, 5, 31))
    assert len(period.months()) == 25
    with pytest.raises(PeriodError, match="programmes in the workspace: kompleksines-kretinga"):
        parse_period("kompleksines", config)


@pytest.mark.parametrize(("text", "problem"), [
    ("2026-13", "month 13 is not 01-12"),
    ("2026-Q5", "not a period"),
    ("26-09", "not a period"),
    ("1899", "outside"),
    ("september", "unknown programme code"),
    ("", "not a period"),
])
def test_a_bad_period_is_a_clear_error(text: str, problem: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse_period(text)
    assert problem in str(raised.value)
