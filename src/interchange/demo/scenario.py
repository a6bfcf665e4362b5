"""A reporting year of social services in one municipality, as the generator's own entities.

Who is in a family at social risk, who received specialised help for domestic violence,
who took part in the integrated-services programme, the day-activity centre's workshops
and the social support division's case management: every episode, consultation and group
meeting is an entity here. The raw extracts (extracts.py) are written from these entities
and the ground truth (truth.py) is counted from them, so the two never depend on each other.

The volumes are calibrated on Kretinga's reports (211 families at social risk with 287
children; 266 persons with specialised complex help, 39 % repeatedly, 131 children) and on
the programme targets of "Kompleksinių socialinių paslaugų plėtra Kretingos miesto
gyventojams".
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from interchange import clock
from interchange.demo.population import Family, Human, Population

SPC = "kretingos-spc"  # social services centre
MIMC = "kretingos-mimc"  # women's centre (specialised help for domestic violence)
DVC = "kretingos-dvc"  # day-activity centre (social workshops)
SPS = "kretingos-sps"  # social support division (case management)
ORGS = (SPC, MIMC, DVC, SPS)

PROGRAMME_CODE = "kompleksines-kretinga"
PROGRAMME_START = date(2026, 5, 7)
PROGRAMME_END = date(2028, 5, 7)
PROGRAMME_ORGS = (SPC, MIMC)  # as the workspace's example config says: the programme counts their records
PROGRAMME_SERVICES = ("psychologist_child", "psychotherapist_adult", "addiction_counsellor",
                      "legal_consultation", "therapeutic_group", "parenting_skills")
DV_SERVICES = ("sch_psychological", "sch_social_counselling", "sch_legal_referral", "sch_mediation",
               "sch_employment")
DV_WEIGHTS = (35, 35, 10, 12, 8)  # how often each of DV_SERVICES is given


@dataclass(frozen=True)
class Period:
    """The reporting period, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def overlaps(self, first: date | None, last: date | None) -> bool:
        return (first is None or first <= self.end) and (last is None or last >= self.start)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def seeded_secret(label: str, seed: int) -> bytes:
    """A key's secret derived from a label and the seed: the demo's and the benchmarks' drops are
    reproducible and their key is never a real one (a real key comes from `interchange keygen`)."""
    return hashlib.sha256(f"{label}/{seed}".encode()).digest()


def default_period(today: date | None = None) -> Period:
    """The 365 days up to yesterday: inside the hub's default 366-day window on `today`."""
    end = (today or clock.today()) - timedelta(days=1)
    return Period(end - timedelta(days=364), end)


@dataclass(frozen=True)
class Calibration:
    """The volumes of one municipality's year; the defaults are Kretinga's."""

    risk_families: int = 211
    former_risk_families: int = 12  # risk ended before the period: must not be counted
    dv_persons: int = 266
    dv_closed_before: int = 10  # help ended before the period: must not be counted
    dv_from_risk_families: int = 45
    dv_repeat_share: float = 0.39
    # individual programme services: (persons, consultations)
    psychologist_child: tuple[int, int] = (14, 120)
    psychotherapist_adult: tuple[int, int] = (26, 180)
    addiction_counsellor: tuple[int, int] = (18, 160)
    legal_consultation: tuple[int, int] = (28, 230)
    # group programme services: (participants, meetings)
    therapeutic_group: tuple[int, int] = (24, 50)
    parenting_skills: tuple[int, int] = (22, 30)
    long_term_persons: int = 55  # adults given two or three different programme services
    workshop_participants: int = 40
    case_management_clients: int = 120
    outreach_found: int = 30  # potential service recipients found by outreach workers
    outreach_brought_in: int = 18  # of them, taken into case management
    supervision_visits_per_week: float = 0.7


@dataclass(frozen=True)
class Case:
    org: str
    record_id: str
    case_type: str
    opened: date
    closed: date | None
    pid: int | None = None
    hid: int | None = None
    repeat_victimisation: bool | None = None
    children_in_family: int | None = None

    @property
    def person_pid(self) -> int:
        """The person a person's case is about; a household's case (hid) has none."""
        if self.pid is None:
            raise ValueError(f"case {self.record_id} is a household's, not a person's")
        return self.pid


@dataclass(frozen=True)
class Contact:
    org: str
    record_id: str
    pid: int
    service: str
    day: date
    minutes: int
    case_record_id: str | None = None


@dataclass(frozen=True)
class Session:
    org: str
    record_id: str
    service: str
    day: date
    minutes: int
    attendees: tuple[int, ...]
    unregistered: int = 0


@dataclass
class Scenario:
    """Everything that happened in the period, and who each agency knows."""

    period: Period
    seed: int
    people: list[Human]
    families: list[Family]
    # persons (pids) each organisation holds a person record for, in record order
    clients: dict[str, list[int]] = field(default_factory=lambda: {o: [] for o in ORGS})
    risk_families: list[int] = field(default_factory=list)  # hids, SPC's households
    dv_victims: set[int] = field(default_factory=set)
    cases: list[Case] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    # contacts of an old file sent again by mistake: their batch must be held
    stale_contacts: list[Contact] = field(default_factory=list)

    @property
    def programme_window(self) -> Period:
        """The programme's days inside the period (the period itself if they barely overlap)."""
        start, end = max(self.period.start, PROGRAMME_START), min(self.period.end, PROGRAMME_END)
        if (end - start).days < 28:
            return self.period
        return Period(start, end)

    def person(self, pid: int) -> Human:
        return self.people[pid]

    def serve(self, org: str, pid: int) -> None:
        if pid not in self._known.setdefault(org, set()):
            self._known[org].add(pid)
            self.clients[org].append(pid)

    def __post_init__(self) -> None:
        self._known: dict[str, set[int]] = {}


class _Builder:
    def __init__(self, seed: int, period: Period, calibration: Calibration) -> None:
        self.rng = random.Random(seed)
        self.period = period
        self.cal = calibration
        self.population = Population(self.rng, period.end)
        self.s = Scenario(period, seed, self.population.people, self.population.families)
        self._ids: dict[tuple[str, str], int] = {}

    def next_id(self, org: str, kind: str) -> str:
        number = self._ids[(org, kind)] = self._ids.get((org, kind), 0) + 1
        prefixes = {SPC: {"case": "SRA", "contact": "K"}, MIMC: {"case": "SKP-", "contact": "MK-",
                    "session": "GR-"}, DVC: {"case": "DV-E", "contact": "DL"},
                    SPS: {"case": "AV-", "contact": "AVK-"}}
        return f"{prefixes[org][kind]}{number:06d}"

    def day_between(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange(max(1, (last - first).days + 1)))

    def weekday_between(self, first: date, last: date) -> date:
        day = self.day_between(first, last)
        while day.weekday() >= 5 and (day - timedelta(days=2)) >= first:
            day -= timedelta(days=2 if day.weekday() == 6 else 1)
        return day

    def children_count(self, weights: dict[int, float]) -> int:
        return self.rng.choices(list(weights), list(weights.values()))[0]

    # --- families at social risk (SPC) ----------------------------------------------------

    def risk_families(self) -> None:
        p = self.period
        for _ in range(self.cal.risk_families):
            home = self.population.family(self.children_count({1: 0.72, 2: 0.22, 3: 0.05, 4: 0.01}),
                                          two_parents=self.rng.random() < 0.45)
            if self.rng.random() < 0.6:  # supervised since before the period
                since = self.day_between(p.start - timedelta(days=1000), p.start - timedelta(days=1))
            else:
                since = self.day_between(p.start, p.end - timedelta(days=20))
            until = None
            if self.rng.random() < 0.25:
                earliest = max(p.start, since + timedelta(days=60))
                if earliest < p.end:
                    until = self.day_between(earliest, p.end)
            self._risk_family(home, since, until)
        for _ in range(self.cal.former_risk_families):
            home = self.population.family(self.children_count({1: 0.7, 2: 0.3}), two_parents=False)
            since = p.start - timedelta(days=self.rng.randint(500, 1200))
            self._risk_family(home, since, p.start - timedelta(days=self.rng.randint(10, 300)))

    def _risk_family(self, home: Family, since: date, until: date | None) -> None:
        home.social_risk_from, home.social_risk_to = since, until
        self.s.risk_families.append(home.hid)
        for pid in home.members:
            self.s.serve(SPC, pid)
        for pid in home.adults:
            self.population.people[pid].addiction = self.rng.random() < 0.2
        case_id = self.next_id(SPC, "case")
        self.s.cases.append(Case(SPC, case_id, "social_risk_family", since, until, hid=home.hid))
        first = max(self.period.start, since)
        last = min(self.period.end, until or self.period.end)
        if first > last:
            return
        weeks = max(1, ((last - first).days + 1) // 7)
        visits = max(1, round(weeks * self.cal.supervision_visits_per_week * self.rng.uniform(0.6, 1.4)))
        # At most two visits in a week: the hub warns above seven.
        days = sorted(self.weekday_between(first, last) for _ in range(min(visits, 2 * weeks)))
        for day in days:
            self._contact(SPC, home.reference, "supervision_visit", day, self.rng.choice((30, 45, 60, 90)),
                          case_id)
        if self.rng.random() < 0.3:
            for week in range(weeks):
                day = first + timedelta(days=7 * week + self.rng.randrange(5))
                if day <= last:
                    self._contact(SPC, home.reference, "supervision_care_hours", day,
                                  self.rng.choice((120, 180, 240)), case_id)
        if self.rng.random() < 0.1:
            self._contact(SPC, home.reference, "family_conference", self.weekday_between(first, last), 120,
                          case_id)

    def _contact(self, org: str, pid: int, service: str, day: date, minutes: int,
                 case_record_id: str | None = None) -> None:
        self.s.serve(org, pid)
        self.s.contacts.append(Contact(org, self.next_id(org, "contact"), pid, service, day, minutes,
                                       case_record_id))

    # --- specialised help for domestic violence (MIMC) ---------------------------------------

    def dv_help(self) -> None:
        p = self.period
        mothers = [self.population.families[h].reference for h in self.s.risk_families[: self.cal.risk_families]]
        from_risk = self.rng.sample(mothers, min(self.cal.dv_from_risk_families, len(mothers)))
        victims = [(pid, len(self.population.home_of(pid).children)) for pid in from_risk]
        while len(victims) < self.cal.dv_persons:
            children = self.children_count({0: 0.76, 1: 0.16, 2: 0.07, 3: 0.01})
            sex = "female" if self.rng.random() < 0.85 else "male"
            if children:
                home = self.population.family(children, two_parents=False) if sex == "female" else None
                pid = home.reference if home else self.population.adult("male", 22, 60).pid
            else:
                pid = self.population.adult(sex, 18, 75).pid
            victims.append((pid, children))
        for pid, children in victims:
            self.s.dv_victims.add(pid)
            if self.rng.random() < 0.2:
                opened = self.day_between(p.start - timedelta(days=120), p.start - timedelta(days=1))
            else:
                opened = self.day_between(p.start, p.end - timedelta(days=7))
            closed = None
            if self.rng.random() < 0.6:
                earliest = max(p.start, opened + timedelta(days=14))
                if earliest < p.end:
                    closed = min(p.end, earliest + timedelta(days=self.rng.randint(0, 150)))
            self._dv_case(pid, opened, closed, children)
        for _ in range(self.cal.dv_closed_before):
            pid = self.population.adult("female", 20, 70).pid
            opened = p.start - timedelta(days=self.rng.randint(200, 400))
            self._dv_case(pid, opened, opened + timedelta(days=self.rng.randint(20, 150)), 0)

    def _dv_case(self, pid: int, opened: date, closed: date | None, children: int) -> None:
        self.s.serve(MIMC, pid)
        case_id = self.next_id(MIMC, "case")
        repeat = self.rng.random() < self.cal.dv_repeat_share
        self.s.cases.append(Case(MIMC, case_id, "dv_specialised_help", opened, closed, pid=pid,
                                 repeat_victimisation=repeat, children_in_family=children))
        first, last = max(self.period.start, opened), min(self.period.end, closed or self.period.end)
        if first > last:
            return
        for _ in range(self.rng.randint(3, 14)):
            self._contact(MIMC, pid, self.rng.choices(DV_SERVICES, DV_WEIGHTS)[0], self.weekday_between(first, last),
                          self.rng.choice((45, 60, 60, 90)), case_id)

    # --- the integrated-services programme (SPC and MIMC) -----------------------------------

    def programme(self) -> None:
        window = self.s.programme_window
        children = [pid for hid in self.s.risk_families[: self.cal.risk_families]
                    for pid in self.population.families[hid].children
                    if 5 <= self.population.people[pid].age_on(self.period.end) <= 16]
        persons, consultations = self.cal.psychologist_child
        for pid, count in zip(self.rng.sample(children, min(persons, len(children))),
                              _split(consultations, persons, self.rng), strict=False):
            for _ in range(count):
                self._contact(SPC, pid, "psychologist_child", self.weekday_between(window.start, window.end), 45)
        participants = self._programme_participants()
        for service, org in (("psychotherapist_adult", SPC), ("addiction_counsellor", MIMC),
                             ("legal_consultation", MIMC)):
            pids = participants[service]
            for pid, count in zip(pids, _split(getattr(self.cal, service)[1], len(pids), self.rng), strict=True):
                if service == "addiction_counsellor":
                    self.population.people[pid].addiction = True
                for _ in range(count):
                    self._contact(org, pid, service, self.weekday_between(window.start, window.end),
                                  self.rng.choice((45, 60)))
        for service in ("therapeutic_group", "parenting_skills"):
            self._group(service, participants[service], getattr(self.cal, service)[1], window)

    def _programme_participants(self) -> dict[str, list[int]]:
        """Adults per programme service; `long_term_persons` of them get two or three services."""
        capacity = {s: getattr(self.cal, s)[0] for s in PROGRAMME_SERVICES[1:]}
        parents = [a for hid in self.s.risk_families[: self.cal.risk_families]
                   for a in self.population.families[hid].adults]
        victims = sorted(self.s.dv_victims)
        pool = self.rng.sample(parents, len(parents)) + self.rng.sample(victims, len(victims))
        self.rng.shuffle(pool)
        chosen: dict[str, list[int]] = {s: [] for s in capacity}
        used: set[int] = set()

        def fits(pid: int, service: str) -> bool:
            has_children = self.population.people[pid].family is not None and bool(
                self.population.home_of(pid).children)
            return capacity[service] > 0 and (service != "parenting_skills" or has_children)

        long_term = 0
        for pid in pool:
            if long_term >= self.cal.long_term_persons or pid in used:
                continue
            open_services = [s for s in capacity if fits(pid, s)]
            if len(open_services) < 2:
                continue
            count = 3 if self.rng.random() < 0.1 and len(open_services) >= 3 else 2
            picks = self._weighted_distinct(open_services, [capacity[s] for s in open_services], count)
            for service in picks:
                capacity[service] -= 1
                chosen[service].append(pid)
            used.add(pid)
            long_term += 1
        for service in capacity:
            for pid in pool:
                if capacity[service] == 0:
                    break
                if pid not in used and fits(pid, service):
                    chosen[service].append(pid)
                    capacity[service] -= 1
                    used.add(pid)
            while capacity[service] > 0:  # not enough people yet: newcomers
                pid = self.population.adult(None, 20, 65).pid
                chosen[service].append(pid)
                capacity[service] -= 1
        return chosen

    def _weighted_distinct(self, items: list[str], weights: list[int], count: int) -> list[str]:
        items, weights = list(items), list(weights)
        picks = []
        for _ in range(count):
            choice = self.rng.choices(range(len(items)), weights)[0]
            picks.append(items.pop(choice))
            weights.pop(choice)
        return picks

    def _group(self, service: str, participants: list[int], meetings: int, window: Period) -> None:
        days = sorted(self.weekday_between(window.start, window.end) for _ in range(meetings))
        rosters: list[set[int]] = [set() for _ in days]
        for number, pid in enumerate(participants):  # everyone comes at least once
            rosters[number % len(days)].add(pid)
        for roster in rosters:
            wanted = self.rng.randint(5, min(12, len(participants)))
            roster.update(self.rng.sample(participants, max(0, wanted - len(roster))))
        for day, roster in zip(days, rosters, strict=True):
            for pid in roster:
                self.s.serve(MIMC, pid)
            unregistered = self.rng.choice((0, 0, 0, 1, 2))
            self.s.sessions.append(Session(MIMC, self.next_id(MIMC, "session"), service, day, 120,
                                           tuple(sorted(roster)), unregistered))

    # --- social workshops (DVC) and case management (SPS) -----------------------------------

    def workshops(self) -> None:
        p = self.period
        parents = [a for hid in self.s.risk_families for a in self.population.families[hid].adults]
        participants = self.rng.sample(parents, 6) + self.rng.sample(sorted(self.s.dv_victims), 4)
        while len(participants) < self.cal.workshop_participants:
            participants.append(self.population.adult(None, 18, 64).pid)
        for pid in participants:
            person = self.population.people[pid]
            person.disability = True
            person.participation_level = self.rng.choice((0, 15, 25, 40, 55))
            opened = (self.day_between(p.start - timedelta(days=700), p.start) if self.rng.random() < 0.7
                      else self.day_between(p.start, p.end - timedelta(days=30)))
            self.s.serve(DVC, pid)
            case_id = self.next_id(DVC, "case")
            self.s.cases.append(Case(DVC, case_id, "social_workshop", opened, None, pid=pid))
            days_a_week = self.rng.randint(2, 4)
            first = max(p.start, opened)
            day = first
            while day <= p.end:
                week = [day + timedelta(days=d) for d in range(7) if (day + timedelta(days=d)).weekday() < 5]
                for attended in sorted(self.rng.sample(week, min(days_a_week, len(week)))):
                    if attended <= p.end and self.rng.random() < 0.9:
                        self._contact(DVC, pid, "social_workshop", attended, self.rng.choice((240, 300, 360)),
                                      case_id)
                day += timedelta(days=7)

    def outreach(self) -> list[int]:
        """Outreach workers of the social services centre find people nobody was helping yet."""
        found = []
        for _ in range(self.cal.outreach_found):
            pid = self.population.adult(None, 18, 80).pid
            self._contact(SPC, pid, "outreach_search", self.weekday_between(self.period.start, self.period.end), 60)
            found.append(pid)
        return found

    def case_management(self, found: list[int]) -> None:
        p = self.period
        parents = [a for hid in self.s.risk_families for a in self.population.families[hid].adults]
        clients = (self.rng.sample(parents, 40) + self.rng.sample(sorted(self.s.dv_victims), 25)
                   + self.rng.sample(self.s.clients[DVC], 10) + found[: self.cal.outreach_brought_in])
        clients = list(dict.fromkeys(clients))
        while len(clients) < self.cal.case_management_clients:
            clients.append(self.population.adult(None, 18, 90).pid)
        for pid in clients:
            self.s.serve(SPS, pid)
            opened = (self.day_between(p.start - timedelta(days=300), p.start) if self.rng.random() < 0.4
                      else self.day_between(p.start, p.end - timedelta(days=14)))
            closed = None
            if self.rng.random() < 0.5:
                earliest = max(p.start, opened + timedelta(days=30))
                if earliest < p.end:
                    closed = self.day_between(earliest, p.end)
            case_id = self.next_id(SPS, "case")
            self.s.cases.append(Case(SPS, case_id, "case_management", opened, closed, pid=pid))
            first, last = max(p.start, opened), min(p.end, closed or p.end)
            months = max(1, (last - first).days // 30)
            for _ in range(months * self.rng.randint(1, 3)):
                self._contact(SPS, pid, "case_management", self.weekday_between(first, last),
                              self.rng.choice((30, 45, 60, 90)), case_id)
        # Last year's contacts, exported again by mistake: a file for another period.
        for number in range(1, 301):
            pid = self.rng.choice(clients)
            day = self.day_between(p.start - timedelta(days=380), p.start - timedelta(days=30))
            self.s.stale_contacts.append(Contact(SPS, f"AVK-{p.start.year - 1}-{number:05d}", pid,
                                                 "case_management", day, 60))


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` consultations over `parts` persons, each at least one, unevenly like real caseloads."""
    if parts <= 0:
        return []
    weights = [rng.uniform(0.4, 1.6) for _ in range(parts)]
    counts = [max(1, int(total * w / sum(weights))) for w in weights]
    counts[0] += max(0, total - sum(counts))
    return counts


def build_scenario(seed: int = 2026, period: Period | None = None,
                   calibration: Calibration | None = None) -> Scenario:
    """One municipality's year of services; the same seed and period give the same scenario."""
    builder = _Builder(seed, period or default_period(), calibration or Calibration())
    builder.risk_families()
    builder.dv_help()
    builder.programme()
    builder.workshops()
    builder.case_management(builder.outreach())
    scenario = builder.s
    scenario.contacts.sort(key=lambda c: (c.org, c.day, c.record_id))
    return scenario
