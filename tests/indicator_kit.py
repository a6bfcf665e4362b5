"""Small warehouses whose indicator figures are known by hand, built through the real ingest and linkage.

Drops go into the inboxes of the `hub_root` workspace (kretingos-spc and kretingos-mimc),
are ingested with a fixed `today` (so the dates below stay inside the expectations' window
whatever day the tests run), and persons are linked by pseudonym (pairs.pseudonym_pairs).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

import pytest
from conftest import HUB_CONFIG, empty_warehouse
from drop_kit import MIMC, SPC, drop, ingest, pseudonym
from sqlalchemy import Engine

from interchange.linkage.index import link_persons
from interchange.linkage.pairs import pseudonym_pairs
from interchange.warehouse.engine import warehouse as warehouse_at
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

TODAY = date(2026, 10, 15)
PERSON = ["record_id", "person_pseudonym", "birth_year", "sex", "municipality", "household_record_id",
          "dv_victim", "consent_reporting"]
HOUSEHOLD = ["record_id", "household_pseudonym", "municipality", "social_risk_from", "social_risk_to",
             "children_count"]
CONTACT = ["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"]
SESSION = ["record_id", "service_code", "session_date", "attendee_record_ids", "unregistered_attendees"]
CASE = ["record_id", "case_type", "person_record_id", "household_record_id", "opened", "closed",
        "repeat_victimisation", "children_in_family"]


def person(record_id: str, who: str, year: int | str, sex: str = "moteris", municipality: str = "LT-22",
           household: str = "", dv: str = "ne", consent: str = "taip") -> list[str]:
    return [record_id, pseudonym(who), str(year), sex, municipality, household, dv, consent]


def send(root: Path, org: str, name: str, kind: str, header: list[str], rows: list[list[str]]) -> None:
    drop(root, f"{name}.{kind}.csv", [header, *rows], org=org)


def ingest_and_link(root: Path) -> None:
    ingest(root, today=TODAY)
    with warehouse(root) as engine:
        link_persons(engine, scorer=pseudonym_pairs)


def warehouse(root: Path) -> AbstractContextManager[Engine]:
    return warehouse_at(Workspace(root).database_url)


# --- the Kretinga scenario: every catalogue indicator has a figure worked out by hand ----------
#
# Period 2026-Q3 (2026-07-01 .. 2026-09-30). Persons (who = the personal code behind the pseudonym):
#   anna  SPC S1 + MIMC M1 (one person, two organisations), 1980, female, dv_victim at MIMC
#   ben   SPC S2, 1975, male, household SH1 (the family at social risk)
#   cara  SPC S3, 2012, female, household SH1 (a child)
#   dan   SPC S4, 2008, male: turns 18 in 2026, so an adult at the period's end
#   eve   SPC S5, 1990, female, no consent recorded
#   fay   MIMC M2, 1985, female
#   gus   MIMC M3, 1970, male
#   hal   SPC S6, 1960, male, person record deleted (with his contact)


def kretinga_scenario(root: Path) -> None:
    send(root, SPC, "asmenys", "person", PERSON, [
        person("S1", "anna", 1980),
        person("S2", "ben", 1975, "vyras", household="SH1"),
        person("S3", "cara", 2012, household="SH1"),
        person("S4", "dan", 2008, "vyras"),
        person("S5", "eve", 1990, consent=""),
        person("S6", "hal", 1960, "vyras"),
    ])
    send(root, MIMC, "asmenys", "person", PERSON, [
        person("M1", "anna", 1980, dv="taip"),
        person("M2", "fay", 1985, dv="taip", household="MH1"),
        person("M3", "gus", 1970, "vyras"),
    ])
    send(root, SPC, "seimos", "household", HOUSEHOLD, [
        ["SH1", pseudonym("family-1"), "LT-22", "2025-01-01", "", "2"],
    ])
    send(root, MIMC, "seimos", "household", HOUSEHOLD, [
        ["MH0", pseudonym("family-1"), "LT-22", "2026-02-01", "", "3"],   # the same family: 3 children
        ["MH1", pseudonym("family-2"), "LT-22", "2026-01-01", "2026-05-01", "1"],  # risk ended before Q3
    ])
    send(root, SPC, "kontaktai", "contact", CONTACT, [
        ["K01", "S1", "psychotherapist_adult", "2026-07-10", "60"],
        ["K02", "S1", "psychotherapist_adult", "2026-08-10", "60"],
        ["K03", "S1", "legal_consultation", "2026-08-12", "45"],
        ["K04", "S3", "psychologist_child", "2026-07-15", "45"],
        ["K05", "S4", "psychologist_child", "2026-09-01", "45"],
        ["K06", "S5", "addiction_counsellor", "2026-07-20", "60"],
        ["K07", "S2", "supervision_visit", "2026-07-06", "60"],
        ["K08", "S2", "supervision_visit", "2026-07-13", "60"],
        ["K09", "S2", "supervision_care_hours", "2026-07-14", "90"],
        ["K10", "S2", "legal_consultation", "2026-09-15", "30"],       # deleted below
        ["K11", "S1", "outreach_search", "2026-07-01", ""],
        ["K12", "S4", "outreach_search", "2026-07-02", ""],
        ["K13", "S2", "social_workshop", "2026-07-20", "240"],
        ["K14", "S2", "social_workshop", "2026-07-20", "60"],           # same day again: one day
        ["K15", "S2", "social_workshop", "2026-07-21", "240"],
        ["K16", "S1", "legal_consultation", "2026-06-15", "45"],       # before the period
        ["K17", "S6", "legal_consultation", "2026-07-03", "45"],       # hal: deleted below
    ])
    send(root, MIMC, "kontaktai", "contact", CONTACT, [
        ["L1", "M1", "sch_psychological", "2026-07-05", "60"],
        ["L2", "M2", "sch_social_counselling", "2026-08-01", "60"],
        ["L3", "M3", "outreach_search", "2026-09-01", ""],
        ["L4", "M1", "psychotherapist_adult", "2026-09-05", "60"],
    ])
    send(root, SPC, "grupes", "group_session", SESSION, [
        ["G1", "therapeutic_group", "2026-07-08", "S1|S2", "1"],
        ["G2", "therapeutic_group", "2026-08-08", "S1", "0"],
        ["G3", "parenting_skills", "2026-07-09", "S2", "2"],
    ])
    send(root, MIMC, "grupes", "group_session", SESSION, [
        ["H1", "therapeutic_group", "2026-07-10", "M1|M2", "0"],
    ])
    send(root, MIMC, "atvejai", "case", CASE, [
        ["C1", "dv_specialised_help", "M1", "", "2026-06-01", "", "taip", "2"],
        ["C2", "dv_specialised_help", "M2", "", "2026-08-01", "2026-08-31", "ne", "1"],
        ["C3", "dv_specialised_help", "M3", "", "2026-01-10", "2026-03-01", "taip", "4"],  # before Q3
    ])
    send(root, SPC, "atvejai", "case", CASE, [
        ["C4", "social_risk_family", "", "SH1", "2026-07-01", "", "", ""],
        ["C5", "case_management", "S4", "", "2026-09-10", "", "", ""],
        ["C6", "integrated_help", "S5", "", "2026-05-01", "", "", ""],
        ["C7", "social_workshop", "S2", "", "2026-07-01", "", "", ""],
    ])
    ingest(root, today=TODAY)
    # Deletions come later, as partners send them: the contact K10, and hal's person and contact.
    send(root, SPC, "trynimai", "contact", ["record_id", "deleted"], [["K10", "taip"], ["K17", "taip"]])
    send(root, SPC, "trynimai", "person", ["record_id", "deleted"], [["S6", "taip"]])
    ingest_and_link(root)



BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def kretinga_warehouse(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The Kretinga scenario on `backend`, for a module-scoped fixture (it takes ~15 s to build)."""
    tmp_path = tmp_path_factory.mktemp(f"kretinga-{backend}")
    with empty_warehouse(backend, tmp_path) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("INTERCHANGE_DATABASE_URL", url)
        root = tmp_path / "hub"
        init_workspace(root, config_text=HUB_CONFIG)
        kretinga_scenario(root)
        with warehouse(root) as engine:
            yield engine
