"""The ground truth: the seed figures counted straight from the generator's own entities.

This path shares nothing with the hub: no files, no SQL, no linkage. Persons are the true
persons (pids), so a figure here is what the hub should publish if linkage were perfect.
Figures are keyed by the indicator codes of the catalogue
(src/interchange/indicators/catalogue.yaml) and follow its definitions for the total cell,
for a period whose first and last day are included:

* a person is served by a contact or a registered group attendance dated in the period, or
  by a case of theirs open in it; a household's case serves no person by itself;
* a family at social risk overlaps the period with its social-risk dates;
* family-weeks are the days a family's supervision case is open in the period, over 7;
* programme services count wherever the period meets them; the programme's own period,
  under the programme's code, counts only the records of the programme's organisations
  (PROGRAMME_ORGS), as a publication of a programme does.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from interchange.contract.services import SERVICES_BY_CODE, Mode
from interchange.demo.extracts import ExtractFile, PersonRecord, household_ids
from interchange.demo.scenario import (
    PROGRAMME_CODE,
    PROGRAMME_END,
    PROGRAMME_ORGS,
    PROGRAMME_SERVICES,
    PROGRAMME_START,
    Period,
    Scenario,
)

_PROGRAMME_FIGURES = {  # catalogue codes: (individual: persons, contacts), (group: meetings, participants)
    "psychologist_child": ("psychologist_child_persons", "psychologist_child_consultations"),
    "psychotherapist_adult": ("psychotherapist_adult_persons", "psychotherapist_adult_consultations"),
    "addiction_counsellor": ("addiction_counsellor_persons", "addiction_counsellor_consultations"),
    "legal_consultation": ("legal_consultation_persons", "legal_consultation_consultations"),
    "therapeutic_group": ("therapeutic_group_meetings", "therapeutic_group_participants"),
    "parenting_skills": ("parenting_skills_sessions", "parenting_skills_participants"),
}


def seed_figures(scenario: Scenario, period: Period | None = None) -> dict[str, Any]:
    """Every catalogue indicator's total for `period` (default: the scenario's period)."""
    period = period or scenario.period
    figures: dict[str, Any] = {}
    figures |= _social_risk(scenario, period)
    figures |= _dv_help(scenario, period)
    figures |= _programme(scenario, period)
    figures |= _integration(scenario, period)
    figures |= _by_service(scenario, period)
    return figures


def figures_by_period(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Figures for the whole period, every calendar quarter inside it and the programme's period."""
    labelled = {"period": scenario.period}
    year, month = scenario.period.start.year, (scenario.period.start.month - 1) // 3 * 3 + 1
    while date(year, month, 1) <= scenario.period.end:
        first = date(year, month, 1)
        year, month = (year + 1, 1) if month == 10 else (year, month + 3)
        last = date.fromordinal(date(year, month, 1).toordinal() - 1)
        if first >= scenario.period.start and last <= scenario.period.end:
            labelled[f"{first.year}-Q{(first.month - 1) // 3 + 1}"] = Period(first, last)
    figures = {label: {"start": p.start.isoformat(), "end": p.end.isoformat(), **seed_figures(scenario, p)}
               for label, p in labelled.items()}
    programme = Period(PROGRAMME_START, PROGRAMME_END)
    figures[PROGRAMME_CODE] = {"start": programme.start.isoformat(), "end": programme.end.isoformat(),
                               **seed_figures(of_orgs(scenario, PROGRAMME_ORGS), programme)}
    return figures


def of_orgs(scenario: Scenario, orgs: tuple[str, ...]) -> Scenario:
    """The scenario as seen through the records of `orgs` only (cases, contacts and group sessions)."""
    return replace(scenario, cases=[c for c in scenario.cases if c.org in orgs],
                   contacts=[c for c in scenario.contacts if c.org in orgs],
                   sessions=[g for g in scenario.sessions if g.org in orgs])


def _social_risk(s: Scenario, period: Period) -> dict[str, Any]:
    families = [s.families[h] for h in s.risk_families
                if period.overlaps(s.families[h].social_risk_from, s.families[h].social_risk_to)]
    return {"social_risk_families": len(families),
            "social_risk_children": sum(len(f.children) for f in families)}


def _dv_help(s: Scenario, period: Period) -> dict[str, Any]:
    cases = [c for c in s.cases if c.case_type == "dv_specialised_help" and period.overlaps(c.opened, c.closed)]
    persons = {c.pid for c in cases}
    persons |= {c.pid for c in s.contacts if c.service.startswith("sch_") and period.contains(c.day)}
    repeat = {c.pid for c in cases if c.repeat_victimisation}
    children: dict[int, int] = {}
    for case in cases:  # one family per person here: no helped adult names a household
        children[case.person_pid] = max(children.get(case.person_pid, 0), case.children_in_family or 0)
    return {"dv_help_persons": len(persons), "dv_repeat_persons": len(repeat),
            "dv_repeat_share": _ratio(len(repeat), len(persons)), "dv_children": sum(children.values())}


def _programme(s: Scenario, period: Period) -> dict[str, Any]:
    result: dict[str, Any] = {}
    services_of: dict[int, set[str]] = defaultdict(set)
    for service in PROGRAMME_SERVICES:
        first, second = _PROGRAMME_FIGURES[service]
        if SERVICES_BY_CODE[service].mode is Mode.GROUP:
            meetings = [g for g in s.sessions if g.service == service and period.contains(g.day)]
            people = {p for g in meetings for p in g.attendees}
            result[first], result[second] = len(meetings), len(people)
        else:
            contacts = [c for c in s.contacts if c.service == service and period.contains(c.day)]
            people = {c.pid for c in contacts}
            result[first], result[second] = len(people), len(contacts)
        for pid in people:
            services_of[pid].add(service)
    result["integrated_services_long_term_persons"] = sum(len(v) >= 2 for v in services_of.values())
    return result


def served_by(s: Scenario, period: Period) -> dict[int, set[str]]:
    """True person -> the organisations that served them in `period`."""
    orgs: dict[int, set[str]] = defaultdict(set)
    for c in s.contacts:
        if period.contains(c.day):
            orgs[c.pid].add(c.org)
    for g in s.sessions:
        if period.contains(g.day):
            for pid in g.attendees:
                orgs[pid].add(g.org)
    for case in s.cases:
        if case.pid is not None and period.overlaps(case.opened, case.closed):
            orgs[case.pid].add(case.org)
    return orgs


def _integration(s: Scenario, period: Period) -> dict[str, Any]:
    served = served_by(s, period)
    multi = sum(len(v) >= 2 for v in served.values())
    return {"persons_served": len(served), "multi_org_persons": multi,
            "multi_org_share": _ratio(multi, len(served))}


def _persons(s: Scenario, period: Period, services: set[str], case_types: set[str]) -> set[int]:
    people = {c.pid for c in s.contacts if c.service in services and period.contains(c.day)}
    return people | {c.pid for c in s.cases if c.case_type in case_types and c.pid is not None
                     and period.overlaps(c.opened, c.closed)}


def _by_service(s: Scenario, period: Period) -> dict[str, Any]:
    in_period = [c for c in s.contacts if period.contains(c.day)]
    supervision = [c for c in s.cases if c.case_type == "social_risk_family" and period.overlaps(c.opened, c.closed)]
    family_days = sum((min(c.closed or period.end, period.end) - max(c.opened, period.start)).days + 1
                      for c in supervision)
    visits = sum(1 for c in in_period if c.service == "supervision_visit")
    found = {c.pid for c in in_period if c.service == "outreach_search"}
    helped_anyhow = set(_persons(s, period, {c.service for c in in_period} - {"outreach_search", "community_work"},
                                 {c.case_type for c in s.cases}))
    helped_anyhow |= {p for g in s.sessions if period.contains(g.day) for p in g.attendees}
    helped = found & helped_anyhow
    return {
        "social_workshop_participants": len(_persons(s, period, {"social_workshop"}, {"social_workshop"})),
        "social_workshop_days": len({(c.pid, c.day) for c in in_period if c.service == "social_workshop"}),
        "case_management_clients": len(_persons(s, period, {"case_management"}, {"case_management"})),
        "supervised_families": len({c.hid for c in supervision}),
        "supervision_visits": visits,
        "supervision_family_weeks": round(family_days / 7, 3),
        "supervision_visits_per_family_week": _ratio(visits, family_days / 7),
        "supervision_care_hours": round(sum(c.minutes for c in in_period
                                            if c.service == "supervision_care_hours") / 60, 2),
        "integrated_help_persons": len(_persons(s, period, {"integrated_nursing", "integrated_care"},
                                                {"integrated_help"})),
        "outreach_persons_found": len(found),
        "outreach_persons_helped": len(helped),
        "outreach_helped_share": _ratio(len(helped), len(found)),
    }


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass
class Calibrated:
    """A range the municipal figures must fall in: the seeds' order, not their exact values."""

    low: float
    high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


# Kretinga's reported figures and the programme targets, with the spread a seed may give.
CALIBRATED_RANGES: dict[str, Calibrated] = {
    "social_risk_families": Calibrated(200, 222),
    "social_risk_children": Calibrated(255, 320),
    "dv_help_persons": Calibrated(255, 277),
    "dv_repeat_share": Calibrated(0.33, 0.45),
    "dv_children": Calibrated(110, 155),
    "psychologist_child_persons": Calibrated(10, 20),
    "psychologist_child_consultations": Calibrated(100, 150),
    "psychotherapist_adult_persons": Calibrated(15, 30),
    "psychotherapist_adult_consultations": Calibrated(150, 200),
    "addiction_counsellor_persons": Calibrated(15, 25),
    "addiction_counsellor_consultations": Calibrated(150, 190),
    "legal_consultation_persons": Calibrated(16, 32),
    "legal_consultation_consultations": Calibrated(200, 250),
    "therapeutic_group_meetings": Calibrated(50, 50),
    "therapeutic_group_participants": Calibrated(15, 30),
    "parenting_skills_sessions": Calibrated(30, 30),
    "parenting_skills_participants": Calibrated(15, 30),
    "integrated_services_long_term_persons": Calibrated(50, 70),
    "multi_org_persons": Calibrated(100, 400),
    "social_workshop_participants": Calibrated(30, 50),
    "social_workshop_days": Calibrated(3000, 9000),
    "case_management_clients": Calibrated(100, 140),
    "outreach_persons_found": Calibrated(20, 40),
}


def out_of_range(figures: dict[str, Any]) -> dict[str, float]:
    """The calibrated figures that fall outside their range (empty when all hold)."""
    return {name: figures[name] for name, bounds in CALIBRATED_RANGES.items() if not bounds.holds(figures[name])}


@dataclass
class GroundTruth:
    """What the generator knows and the hub must find: figures, identities, per-file outcomes."""

    scenario: Scenario
    files: list[ExtractFile]
    records: list[PersonRecord]
    root: Path  # the partner folder the extracts' paths are relative to

    @cached_property
    def figures(self) -> dict[str, Any]:
        return seed_figures(self.scenario)

    @cached_property
    def by_period(self) -> dict[str, dict[str, Any]]:
        """figures_by_period of the scenario (counted once: the scenario does not change)."""
        return figures_by_period(self.scenario)

    def file(self, org: str, name: str) -> ExtractFile:
        """The extract of `org` whose file name (or drop name) is `name`."""
        for extract in self.files:
            if extract.org == org and name in (extract.path.name, extract.drop_name):
                return extract
        raise KeyError(f"no extract {name} of {org}")

    def differences(self, totals: Mapping[str, float | None], period: str = "period",
                    tolerance: float = 1e-3) -> dict[str, tuple[Any, Any]]:
        """Indicators whose total cell differs from the truth: code -> (expected, found).

        `totals` maps indicator codes to the hub's total cells (NaN or None for an empty
        ratio); `period` is a label of figures_by_period ("period", "2026-Q3", the programme's code).
        """
        expected = self.by_period[period]
        wrong = {}
        for code, value in expected.items():
            if code in ("start", "end"):
                continue
            found = totals.get(code)
            found = None if found is None or found != found else found  # NaN: no value
            if (value is None) != (found is None) or (value is not None and abs(value - found) > tolerance):
                wrong[code] = (value, found)
        return wrong

    def person_of(self, org: str, record_id: str) -> int:
        """The true person behind an organisation's person record."""
        return self._people[(org, record_id)]

    def __post_init__(self) -> None:
        self._people = {(r.org, r.record_id): r.pid for r in self.records}

    def to_json(self) -> dict[str, Any]:
        s = self.scenario
        return {
            "generator": {"seed": s.seed, "scale": "municipal",
                          "period": {"start": s.period.start.isoformat(), "end": s.period.end.isoformat()}},
            "figures": self.figures,
            "figures_by_period": self.by_period,
            "calibrated_ranges": {k: [v.low, v.high] for k, v in CALIBRATED_RANGES.items()},
            "files": [_file_json(f, self.root) for f in self.files],
            "person_records": [{"org": r.org, "record_id": r.record_id, "person": r.pid, "variants": r.variants}
                               for r in self.records],
            "persons": [{"person": p.pid, "sex": p.sex, "birth_year": p.birth_date.year,
                         "municipality": p.municipality, "household": p.family} for p in s.people],
            "households": [{"household": f.hid, "reference": f.reference, "adults": f.adults,
                            "children": f.children,
                            "social_risk_from": f.social_risk_from.isoformat() if f.social_risk_from else None,
                            "social_risk_to": f.social_risk_to.isoformat() if f.social_risk_to else None}
                           for f in s.families],
            "spc_household_records": {record_id: hid for hid, record_id in household_ids(s).items()},
        }

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path


def _file_json(extract: ExtractFile, root: Path) -> dict[str, Any]:
    held = extract.held_by is not None
    hub_rows = extract.rows if not extract.pseudonymise else extract.expected_accepted
    return {
        "org": extract.org, "kind": extract.kind, "raw": str(extract.path.relative_to(root)),
        "drop": extract.drop_name, "pseudonymise": extract.pseudonymise, "raw_rows": extract.rows,
        "bad_rows": extract.bad_rows,
        "partner": {"rows_read": extract.rows, "rows_accepted": extract.expected_accepted,
                    "rows_rejected": len(extract.bad_rows)},
        "hub": {"rows_read": hub_rows,
                "loaded": 0 if held else extract.expected_accepted,
                "quarantined": 0 if extract.pseudonymise else len(extract.bad_rows),
                "held": held, "held_by": extract.held_by},
    }
