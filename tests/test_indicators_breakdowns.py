"""Every disaggregation the ministry asks for, against figures worked out by hand, on SQLite and PostgreSQL.

Periods: month, quarter, year and a programme's own date range (counting only the
programme's organisations); dimensions: municipality (a person's residence, once, even
when agencies disagree), organisation (a person in each that served them), sex and age
group at the period's end. And the Kretinga tables as disclosure control publishes them:
no suppressed figure can be recovered from the published ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import HUB_CONFIG
from drop_kit import MIMC, SPC
from indicator_kit import BACKENDS, CONTACT, PERSON, ingest_and_link, kretinga_warehouse, person, send, warehouse
from sqlalchemy import Engine

from interchange.indicators.catalogue import load_catalogue
from interchange.indicators.cells import ALL, DIMENSIONS
from interchange.indicators.compute import compute_indicators
from interchange.indicators.disclosure import DisclosureRules, protect, published_view
from interchange.indicators.disclosure_audit import audit
from interchange.indicators.periods import parse_period
from interchange.workspace.config import parse_config

CATALOGUE = load_catalogue()
SERVED = ["persons_served", "legal_consultation_consultations", "multi_org_persons"]


def value(cells: pd.DataFrame, indicator: str, **dims: str) -> float:
    mask = cells["indicator"] == indicator
    for d in DIMENSIONS:
        mask &= cells[d] == dims.get(d, ALL)
    [found] = cells.loc[mask, "value"]
    return found


def breakdown(cells: pd.DataFrame, indicator: str, dimension: str) -> dict[str, float]:
    rows = cells[(cells["indicator"] == indicator) & (cells["breakdown"] == dimension)]
    return dict(zip(rows[dimension], rows["value"], strict=True))


def send_two_years(root: Path) -> None:
    """anna (SPC + MIMC; the two say different municipalities), ben (SPC, LT-21), cara (MIMC, a child)."""
    send(root, SPC, "asmenys", "person", PERSON, [
        person("S1", "anna", 1980, municipality="LT-21"),
        person("S2", "ben", 1975, "vyras", municipality="LT-21"),
    ])
    send(root, MIMC, "asmenys", "person", PERSON, [
        person("M1", "anna", 1980, municipality="LT-22"),
        person("M2", "cara", 2012, municipality="LT-22"),
    ])
    send(root, SPC, "kontaktai", "contact", CONTACT, [
        ["K1", "S1", "legal_consultation", "2025-11-20", "45"],
        ["K2", "S1", "legal_consultation", "2026-02-10", "45"],
        ["K3", "S2", "legal_consultation", "2026-05-05", "45"],
        ["K4", "S2", "legal_consultation", "2026-08-05", "45"],
    ])
    send(root, MIMC, "kontaktai", "contact", CONTACT, [
        ["L1", "M1", "legal_consultation", "2026-02-11", "45"],
        ["L2", "M2", "legal_consultation", "2026-08-20", "45"],
    ])
    ingest_and_link(root)


@pytest.fixture
def two_years(hub_root: Path) -> Iterator[Engine]:
    send_two_years(hub_root)
    with warehouse(hub_root) as engine:
        yield engine


@pytest.mark.parametrize(("period", "persons", "consultations", "multi_org"), [
    ("2025-11", 1, 1, 0),   # anna at SPC
    ("2026-02", 1, 2, 1),   # anna at SPC and at MIMC: one person, two organisations
    ("2026-Q1", 1, 2, 1),
    ("2026-Q2", 1, 1, 0),   # ben
    ("2026-Q3", 2, 2, 0),   # ben, cara
    ("2026", 3, 5, 1),      # anna, ben, cara; K1 was in 2025
    ("2025", 1, 1, 0),
])
def test_month_quarter_and_year_totals_count_each_person_once(two_years: Engine, period: str, persons: int,
                                                              consultations: int, multi_org: int) -> None:
    cells = compute_indicators(two_years, CATALOGUE, parse_period(period), indicators=SERVED)

    assert value(cells, "persons_served") == persons
    assert value(cells, "legal_consultation_consultations") == consultations
    assert value(cells, "multi_org_persons") == multi_org


def test_municipality_is_the_persons_residence_once_and_org_is_everyone_who_served(two_years: Engine) -> None:
    cells = compute_indicators(two_years, CATALOGUE, parse_period("2026"), indicators=SERVED)

    # anna's agencies disagree (LT-21, LT-22): the tie goes to the smaller code, and she is in one cell only
    assert breakdown(cells, "persons_served", "municipality") == {"LT-21": 2, "LT-22": 1}
    assert breakdown(cells, "persons_served", "org") == {SPC: 2, MIMC: 2}
    assert breakdown(cells, "persons_served", "sex") == {"female": 2, "male": 1}
    assert breakdown(cells, "persons_served", "age_group") == {"adult": 2, "child": 1}
    assert value(cells, "persons_served", sex="female", age_group="child") == 1
    assert breakdown(cells, "persons_served", "month") == {"2026-02": 1, "2026-05": 1, "2026-08": 2}
    assert breakdown(cells, "legal_consultation_consultations", "municipality") == {"LT-21": 4, "LT-22": 1}
    assert breakdown(cells, "multi_org_persons", "org") == {SPC: 1, MIMC: 1}


def test_a_programme_counts_its_own_date_range_and_organisations(two_years: Engine) -> None:
    config = parse_config(HUB_CONFIG + f"""\
programmes:
  - code: kompleksines-kretinga
    name: Kompleksinių socialinių paslaugų plėtra Kretingos miesto gyventojams
    start: 2026-02-11
    end: 2026-08-19
    orgs: [{MIMC}]
""")
    period = parse_period("kompleksines-kretinga", config)
    everyone = compute_indicators(two_years, CATALOGUE, period, indicators=SERVED)
    programme = compute_indicators(two_years, CATALOGUE, period, indicators=SERVED, orgs=[MIMC])

    # 11 February - 19 August: L1 (anna at MIMC), K3 and K4 (ben at SPC); not K2 (10 February), not L2 (20 August)
    assert value(everyone, "persons_served") == 2
    assert value(everyone, "legal_consultation_consultations") == 3
    assert breakdown(everyone, "persons_served", "month") == {"2026-02": 1, "2026-05": 1, "2026-08": 1}
    assert set(everyone["period"]) == {"kompleksines-kretinga"}
    # the programme's organisations only: anna's MIMC consultation
    assert value(programme, "persons_served") == 1
    assert value(programme, "multi_org_persons") == 0
    assert breakdown(programme, "persons_served", "org") == {MIMC: 1}


# --- the Kretinga tables as they are published ---------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def kretinga(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with kretinga_warehouse(request.param, tmp_path_factory) as engine:
        yield engine


@pytest.mark.parametrize("rules", [DisclosureRules(), DisclosureRules(min_count=2, dv_min_count=3)],
                         ids=["default", "low-thresholds"])
def test_no_suppressed_kretinga_figure_can_be_recovered_from_what_is_published(kretinga: Engine,
                                                                              rules: DisclosureRules) -> None:
    cells = compute_indicators(kretinga, CATALOGUE, parse_period("2026-Q3"))
    protected = protect(cells, rules)

    assert audit(protected, rules) == []
    view = published_view(protected)
    small = protected["value"].between(1, protected["sensitivity"].map(rules.threshold_of) - 1)
    counts = protected["unit"] != "ratio"
    assert protected.loc[small & counts, "suppressed"].all()
    assert view.loc[small & counts, "published_value"].isna().all()
    # a ratio whose numerator or denominator is hidden is hidden too
    for ratio in (i for i in CATALOGUE.indicators if i.is_ratio):
        parts = protected[protected["indicator"].isin([ratio.numerator, ratio.denominator])]
        hidden_keys = {tuple(row[d] for d in DIMENSIONS) for _, row in parts[parts["suppressed"]].iterrows()}
        rows = protected[protected["indicator"] == ratio.code]
        for _, row in rows.iterrows():
            if tuple(row[d] for d in DIMENSIONS) in hidden_keys:
                assert row["suppressed"], (ratio.code, row["breakdown"])
    # DV cells use the stricter threshold: a DV count below it is hidden even where a standard one would show
    dv = protected[(protected["sensitivity"] == "dv") & (protected["unit"] != "ratio")]
    assert dv.loc[dv["value"].between(1, rules.dv_min_count - 1), "suppressed"].all()


def test_consent_totals_only_withholds_a_total_whose_part_without_consent_is_small(kretinga: Engine) -> None:
    # eve gave no consent: with totals_only she is in persons_served's total (7) and in no breakdown
    # (sex: 3 + 3), so publishing 7 would tell that one person without consent was served.
    cells = compute_indicators(kretinga, CATALOGUE, parse_period("2026-Q3"), consent="totals_only")
    protected = protect(cells)

    total = protected[(protected["indicator"] == "persons_served") & (protected["breakdown"] == "total")].iloc[0]
    assert (total["value"], total["consent_only"], total["suppressed"], total["reason"]) == (7, 1, True, "consent")
    untouched = protected[(protected["breakdown"] == "total") & (protected["consent_only"] == 0)
                          & (protected["value"] >= 10)]
    # A total without such a part is never withheld for consent; it may still be hidden to protect
    # another cell (here family-weeks, the denominator of a hidden ratio), as without totals_only.
    assert "consent" not in set(untouched.loc[untouched["suppressed"], "reason"])
    without = protect(cells.drop(columns="consent_only"))
    assert (protected.loc[untouched.index, "suppressed"] == without.loc[untouched.index, "suppressed"]).all()
    assert audit(protected) == []
    assert "consent_only" not in published_view(protected).columns

    excluded = protect(compute_indicators(kretinga, CATALOGUE, parse_period("2026-Q3"), consent="exclude"))
    assert "consent_only" not in excluded.columns
    assert "consent" not in set(excluded["reason"])
