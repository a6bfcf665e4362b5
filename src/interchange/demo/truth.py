"""The ground truth: the seed figures counted straight from the generator's own entities.

This path shares nothing with the hub: no files, no SQL, no linkage. Persons are the true
persons (pids), so a figure here is what the hub should publish if linkage were perfect.
Definitions (the period's first and last day included):

* social_risk_families: families whose social-risk period overlaps the period;
  social_risk_children: their children (under 18 at the period's end);
* dv_persons: persons with a specialised-help case open at some time in the period;
  dv_repeat_persons / dv_repeat_share: those who experienced violence repeatedly;
  dv_children: children in their families (sum of children_in_family over their cases);
* programme.<service>: persons and consultations (individual services) or meetings and
  distinct registered participants (group services) dated in the programme window
  (the programme's days inside the period); long_term_persons: persons with at least two
  different programme services there;
* multi_org_persons: persons served by two or more organisations in the period (a contact,
  a group meeting attended, or a case open in the period; a household case serves every
  member the organisation holds a record of);
* workshop_participants / workshop_days: persons and attendance days of social workshops;
* case_management_clients: persons with a case-management case open in the period;
  case_management_contacts: its contacts;
* supervised_families, supervision_visits and visits_per_family_week (visits / families /
  weeks of the period).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interchange.contract.services import SERVICES_BY_CODE, Mode
from interchange.demo.extracts import ExtractFile, PersonRecord, household_ids
from interchange.demo.scenario import (
    PROGRAMME_CODE,
    PROGRAMME_SERVICES,
    SPC,
    Period,
    Scenario,
)


def seed_figures(scenario: Scenario, period: Period | None = None) -> dict[str, Any]:
    """Every seed figure for `period` (default: the scenario's period)."""
    period = period or scenario.period
    figures: dict[str, Any] = {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()}}
    figures |= _social_risk(scenario, period)
    figures |= _dv_help(scenario, period)
    window = Period(max(period.start, scenario.programme_window.start), min(period.end, scenario.programme_window.end))
    figures["programme"] = _programme(scenario, window)
    figures["multi_org_persons"] = _multi_org(scenario, period)
    figures |= _by_service(scenario, period)
    return figures


def _social_risk(s: Scenario, period: Period) -> dict[str, Any]:
    families = [s.families[h] for h in s.risk_families
                if period.overlaps(s.families[h].social_risk_from, s.families[h].social_risk_to)]
    return {"social_risk_families": len(families),
            "social_risk_children": sum(len(f.children) for f in families)}


def _dv_help(s: Scenario, period: Period) -> dict[str, Any]:
    cases = [c for c in s.cases if c.case_type == "dv_specialised_help" and period.overlaps(c.opened, c.closed)]
    persons = {c.pid for c in cases}
    repeat = {c.pid for c in cases if c.repeat_victimisation}
    return {"dv_persons": len(persons), "dv_repeat_persons": len(repeat),
            "dv_repeat_share": round(len(repeat) / len(persons), 4) if persons else None,
            "dv_children": sum(c.children_in_family or 0 for c in cases)}


def _programme(s: Scenario, window: Period) -> dict[str, Any]:
    result: dict[str, Any] = {"code": PROGRAMME_CODE, "window": {"start": window.start.isoformat(),
                                                                 "end": window.end.isoformat()}}
    services_of: dict[int, set[str]] = defaultdict(set)
    for service in PROGRAMME_SERVICES:
        if SERVICES_BY_CODE[service].mode is Mode.GROUP:
            meetings = [g for g in s.sessions if g.service == service and window.contains(g.day)]
            people = {p for g in meetings for p in g.attendees}
            result[service] = {"meetings": len(meetings), "persons": len(people)}
        else:
            contacts = [c for c in s.contacts if c.service == service and window.contains(c.day)]
            people = {c.pid for c in contacts}
            result[service] = {"persons": len(people), "contacts": len(contacts)}
        for pid in people:
            services_of[pid].add(service)
    result["long_term_persons"] = sum(len(v) >= 2 for v in services_of.values())
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
    spc_clients = set(s.clients[SPC])
    for case in s.cases:
        if not period.overlaps(case.opened, case.closed):
            continue
        if case.pid is not None:
            orgs[case.pid].add(case.org)
        else:
            for pid in s.families[case.hid].members:
                if pid in spc_clients:
                    orgs[pid].add(case.org)
    return orgs


def _multi_org(s: Scenario, period: Period) -> int:
    return sum(len(v) >= 2 for v in served_by(s, period).values())


def _by_service(s: Scenario, period: Period) -> dict[str, Any]:
    workshop = [c for c in s.contacts if c.service == "social_workshop" and period.contains(c.day)]
    management = [c for c in s.cases if c.case_type == "case_management" and period.overlaps(c.opened, c.closed)]
    visits = [c for c in s.contacts if c.service == "supervision_visit" and period.contains(c.day)]
    families = {c.pid for c in visits}  # visits are recorded on the family's reference person
    weeks = period.days / 7
    return {
        "workshop_participants": len({c.pid for c in workshop}),
        "workshop_days": len(workshop),
        "case_management_clients": len({c.pid for c in management}),
        "case_management_contacts": sum(1 for c in s.contacts if c.service == "case_management"
                                        and period.contains(c.day)),
        "supervised_families": len(families),
        "supervision_visits": len(visits),
        "visits_per_family_week": round(len(visits) / len(families) / weeks, 3) if families else None,
        "persons_served": len(served_by(s, period)),
    }


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
    "dv_persons": Calibrated(255, 277),
    "dv_repeat_share": Calibrated(0.33, 0.45),
    "dv_children": Calibrated(110, 155),
    "programme.psychologist_child.persons": Calibrated(10, 20),
    "programme.psychologist_child.contacts": Calibrated(100, 150),
    "programme.psychotherapist_adult.persons": Calibrated(15, 30),
    "programme.psychotherapist_adult.contacts": Calibrated(150, 200),
    "programme.addiction_counsellor.persons": Calibrated(15, 25),
    "programme.addiction_counsellor.contacts": Calibrated(150, 190),
    "programme.legal_consultation.persons": Calibrated(16, 32),
    "programme.legal_consultation.contacts": Calibrated(200, 250),
    "programme.therapeutic_group.meetings": Calibrated(50, 50),
    "programme.therapeutic_group.persons": Calibrated(15, 30),
    "programme.parenting_skills.meetings": Calibrated(30, 30),
    "programme.parenting_skills.persons": Calibrated(15, 30),
    "programme.long_term_persons": Calibrated(50, 70),
    "multi_org_persons": Calibrated(100, 400),
    "workshop_participants": Calibrated(30, 50),
    "workshop_days": Calibrated(3000, 9000),
    "case_management_clients": Calibrated(100, 140),
}


def figure(figures: dict[str, Any], dotted: str) -> Any:
    """A figure by its dotted name, e.g. "programme.long_term_persons"."""
    value: Any = figures
    for part in dotted.split("."):
        value = value[part]
    return value


def out_of_range(figures: dict[str, Any]) -> dict[str, float]:
    """The calibrated figures that fall outside their range (empty when all hold)."""
    return {name: figure(figures, name) for name, bounds in CALIBRATED_RANGES.items()
            if not bounds.holds(figure(figures, name))}


@dataclass
class GroundTruth:
    """What the generator knows and the hub must find: figures, identities, per-file outcomes."""

    scenario: Scenario
    files: list[ExtractFile]
    records: list[PersonRecord]
    root: Path  # the partner folder the extracts' paths are relative to

    @property
    def figures(self) -> dict[str, Any]:
        return seed_figures(self.scenario)

    def file(self, org: str, name: str) -> ExtractFile:
        """The extract of `org` whose file name (or drop name) is `name`."""
        for extract in self.files:
            if extract.org == org and name in (extract.path.name, extract.drop_name):
                return extract
        raise KeyError(f"no extract {name} of {org}")

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
