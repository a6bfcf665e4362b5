"""A national-size data set for benchmarks: 60 municipalities, ~1M persons, ~10M contacts.

Written straight as hub drops (pseudonymised CSV with manifests, one organisation per
municipality, `spc-lt01` ... `spc-lt60`), streaming: persons of one municipality are held
while it is written, contacts never are. The ground truth is a set of counters kept while
writing (per municipality and national), from the generator's own draws.

Persons have valid personal codes, unique nationally; their pseudonyms are the partner
kit's keyed HMACs under a key derived from the seed, so the data set is reproducible. A
share of persons moved during the year and appear in a second municipality's files too
(same pseudonym): distinct persons nationally are fewer than person records.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from interchange import __version__
from interchange.contract.codes import MUNICIPALITIES
from interchange.contract.manifest import Manifest, manifest_path
from interchange.contract.personal_code import check_digit
from interchange.contract.records import SCHEMA_VERSION, Kind
from interchange.contract.serialise import field_names
from interchange.contract.services import CATALOGUE_VERSION
from interchange.demo.scenario import DV_SERVICES, DV_WEIGHTS, Period, default_period, seeded_secret
from interchange.i18n import default_lang, say
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonyms import HOUSEHOLD_PURPOSE, PERSON_PURPOSE

# Residents in thousands (rounded, 2024); municipalities not listed count as 25.
_RESIDENTS = {"LT-57": 600, "LT-15": 310, "LT-20": 160, "LT-43": 105, "LT-32": 88, "LT-58": 110,
              "LT-16": 110, "LT-21": 65, "LT-02": 52, "LT-25": 55, "LT-26": 50, "LT-18": 45, "LT-10": 40,
              "LT-54": 37, "LT-51": 37, "LT-50": 37, "LT-46": 37, "LT-22": 38, "LT-35": 33, "LT-53": 34,
              "LT-37": 34, "LT-31": 17, "LT-59": 18, "LT-07": 20, "LT-05": 3, "LT-28": 3, "LT-14": 10,
              "LT-17": 12, "LT-29": 8, "LT-39": 6}
ROLES = (  # share of persons, mean contacts per person before scaling
    ("social_risk", 0.30, 15.0), ("dv", 0.27, 8.0), ("workshop", 0.05, 130.0),
    ("case_management", 0.13, 12.0), ("integrated_help", 0.10, 50.0), ("youth", 0.15, 5.0),
)
MOVED_SHARE = 0.03
_FAMILY_SIZE = 1 + 0.45 + 1.35  # mother, a father in 45 % of families, 1.35 children on average


@dataclass
class NationalTruth:
    """Counters kept while writing: per municipality and for the whole country."""

    period: Period
    seed: int
    municipalities: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.municipalities.values():
            total.update(counts)
        return total

    def to_json(self) -> dict[str, Any]:
        return {"generator": {"seed": self.seed, "scale": "national",
                              "period": {"start": self.period.start.isoformat(), "end": self.period.end.isoformat()}},
                "totals": dict(self.totals),
                "municipalities": {code: dict(c) for code, c in self.municipalities.items()}}


def national_key(seed: int) -> PseudonymKey:
    """A key derived from the seed: benchmark data is reproducible and never real."""
    return PseudonymKey(seeded_secret("interchange-national-benchmark", seed))


def org_of(municipality: str) -> str:
    return f"spc-{municipality.lower().replace('-', '')}"


def generate_national(out: Path, *, persons: int = 1_000_000, contacts: int = 10_000_000, seed: int = 2026,
                      period: Period | None = None,
                      progress: Callable[[str], object] | None = None, lang: str = "en") -> NationalTruth:
    """Write the national data set under `out/<org>/` and its truth to `out/national-truth.json`.

    Args:
        out: the folder; one sub-folder per municipality's organisation, ready for an inbox.
        persons: distinct persons in the country; a municipality may add a few, to finish a family.
        contacts: about how many contacts to write in total.
        seed: the same seed and period give the same files.
        period: the reporting year; default the 365 days up to yesterday.
        progress: told after each municipality (e.g. print), in `lang`.
    """
    started = time.perf_counter()
    period = period or default_period()
    truth = NationalTruth(period, seed)
    weights = [_RESIDENTS.get(m.code, 25) for m in MUNICIPALITIES]
    sizes = [round(persons * w / sum(weights)) for w in weights]
    sizes[0] += persons - sum(sizes)
    # Roles are drawn per household: a family at social risk brings ~2.8 persons, others one.
    household_size = {"social_risk": _FAMILY_SIZE}
    mean = (sum(share * per * household_size.get(role, 1.0) for role, share, per in ROLES)
            / sum(share * household_size.get(role, 1.0) for role, share, _ in ROLES))
    generator = _National(period, national_key(seed), contacts / (persons * mean), seed)
    out.mkdir(parents=True, exist_ok=True)
    for index, (municipality, size) in enumerate(zip(MUNICIPALITIES, sizes, strict=True)):
        truth.municipalities[municipality.code] = generator.municipality(out, index, municipality.code, size)
        if progress is not None:
            progress(say("demo.national_municipality", lang, code=municipality.code, persons=size,
                         contacts=truth.municipalities[municipality.code]["contacts"]))
    _write_organisations(out)
    truth.seconds = time.perf_counter() - started
    (out / "national-truth.json").write_text(json.dumps(truth.to_json(), indent=1) + "\n", encoding="utf-8")
    return truth


class _Drop:
    """One drop file being written: contract headers, rows by field name, a manifest at the end."""

    def __init__(self, folder: Path, org: str, kind: Kind) -> None:
        self.path = folder / f"{org}.{kind.value}.csv"
        self.org, self.kind = org, kind
        self.columns = field_names(kind)
        self.rows = 0
        self._stream: IO[str] = self.path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._stream, lineterminator="\n")
        self._writer.writerow(self.columns)

    def template(self, **values: Any) -> list[Any]:
        """A row with the org filled and every other field empty, then `values`."""
        row: list[Any] = [""] * len(self.columns)
        row[self.columns.index("org")] = self.org
        for name, value in values.items():
            row[self.columns.index(name)] = value
        return row

    def index(self, name: str) -> int:
        return self.columns.index(name)

    def write(self, rows: list[list[Any]]) -> None:
        self._writer.writerows(rows)
        self.rows += len(rows)

    def close(self) -> None:
        self._stream.close()
        digest = hashlib.sha256()
        with self.path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        manifest = Manifest(org=self.org, kind=self.kind, file_name=self.path.name, sha256=digest.hexdigest(),
                            row_count=self.rows, schema_version=SCHEMA_VERSION,
                            service_catalogue_version=CATALOGUE_VERSION,
                            created_at=datetime(2026, 1, 1, tzinfo=UTC), generator=f"interchange {__version__}")
        manifest_path(self.path).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")


class _National:
    def __init__(self, period: Period, key: PseudonymKey, scale: float, seed: int) -> None:
        self.period = period
        self.days = [(period.start + timedelta(days=d)).isoformat() for d in range(period.days)]
        self.person_key = key.subkey(PERSON_PURPOSE)
        self.household_key = key.subkey(HOUSEHOLD_PURPOSE)
        self.scale = scale
        self.seed = seed
        self.serials: dict[date, int] = {}
        self.moved: list[tuple[str, int, str]] = []  # (pseudonym, birth year, sex) of persons moving on

    def code(self, rng: random.Random, min_age: int, max_age: int, sex: str) -> tuple[str, int]:
        age_days = rng.randint(min_age * 365, max_age * 365 + 364)
        birth = self.period.end - timedelta(days=age_days)
        serial = self.serials.get(birth, 0)
        self.serials[birth] = serial + 1
        century = {1900: 3, 2000: 5}[birth.year // 100 * 100] + (sex == "female")
        first_ten = f"{century}{birth:%y%m%d}{serial:03d}"
        return first_ten + str(check_digit(first_ten)), birth.year

    def pseudonym(self, code: str, purpose_key: bytes) -> str:
        return hmac.digest(purpose_key, code.encode(), hashlib.sha256).hex()

    def municipality(self, out: Path, index: int, municipality: str, size: int) -> Counter[str]:
        rng = random.Random(self.seed * 100 + index)
        org = org_of(municipality)
        folder = out / org
        folder.mkdir(parents=True, exist_ok=True)
        drops = {kind: _Drop(folder, org, kind) for kind in Kind}
        counts: Counter[str] = Counter()
        writer = _MunicipalityWriter(self, rng, drops, municipality, counts)
        arriving, self.moved = self.moved, []
        writer.persons(size)
        writer.arrivals(arriving)
        writer.groups()
        for drop in drops.values():
            drop.close()
        counts["person_records"] = drops[Kind.PERSON].rows
        return counts


class _MunicipalityWriter:
    """Writes one municipality's drops; persons are written as they are made."""

    def __init__(self, nation: _National, rng: random.Random, drops: dict[Kind, _Drop], municipality: str,
                 counts: Counter[str]) -> None:
        self.n, self.rng, self.drops, self.municipality, self.counts = nation, rng, drops, municipality, counts
        self.person_number = self.case_number = self.contact_number = 0
        self.group_members: list[str] = []
        person = drops[Kind.PERSON]
        self.person_template = person.template(municipality=municipality, consent_reporting="true")
        self.p_cols = {name: person.index(name) for name in (
            "record_id", "person_pseudonym", "birth_year", "sex", "household_record_id", "dv_victim",
            "social_risk_family", "disability", "participation_level", "addiction")}
        contact = drops[Kind.CONTACT]
        self.contact_template = contact.template()
        self.c_cols = [contact.index(n) for n in ("record_id", "person_record_id", "service_code", "contact_date",
                                                  "duration_minutes", "case_record_id")]
        self.pending: list[list[Any]] = []
        self.last_code, self.last_birth_year = "", 0

    # --- persons ------------------------------------------------------------------------------

    def persons(self, size: int) -> None:
        made = 0
        role_names = [r[0] for r in ROLES]
        role_shares = [r[1] for r in ROLES]
        while made < size:
            role = self.rng.choices(role_names, role_shares)[0]
            made += getattr(self, f"_{role}")()
            if len(self.pending) >= 50_000:
                self.flush()
        self.flush()
        self.counts["persons"] += made

    def flush(self) -> None:
        self.drops[Kind.CONTACT].write(self.pending)
        self.pending = []

    def _person(self, min_age: int, max_age: int, sex: str | None = None, *, household: str = "",
                flags: tuple[str, ...] = (), moved_in: tuple[str, int, str] | None = None) -> str:
        self.person_number += 1
        record_id = f"P{self.person_number:07d}"
        if moved_in is None:
            sex = sex or self.rng.choice(("female", "male"))
            code, birth_year = self.n.code(self.rng, min_age, max_age, sex)
            self.last_code, self.last_birth_year = code, birth_year
            pseudonym = self.n.pseudonym(code, self.n.person_key)
            if self.rng.random() < MOVED_SHARE and not household:
                self.n.moved.append((pseudonym, birth_year, sex))
        else:
            pseudonym, birth_year, sex = moved_in
        row = list(self.person_template)
        c = self.p_cols
        row[c["record_id"]], row[c["person_pseudonym"]] = record_id, pseudonym
        row[c["birth_year"]], row[c["sex"]], row[c["household_record_id"]] = birth_year, sex, household
        for flag in ("dv_victim", "social_risk_family", "disability", "addiction"):
            row[c[flag]] = "true" if flag in flags else "false"
        if "disability" in flags:
            row[c["participation_level"]] = self.rng.choice((0, 15, 25, 40, 55))
        self.drops[Kind.PERSON].write([row])
        return record_id

    def _case(self, case_type: str, *, person: str = "", household: str = "", repeat: str = "",
              children: Any = "") -> str:
        self.case_number += 1
        record_id = f"C{self.case_number:07d}"
        opened_day = self.rng.randrange(-400, self.n.period.days - 7)
        opened = (self.n.period.start + timedelta(days=opened_day)).isoformat()
        closed = ""
        if self.rng.random() < 0.4:
            closed_day = max(opened_day + 14, 0) + self.rng.randrange(200)
            if closed_day < self.n.period.days:
                closed = self.n.days[closed_day]
        drop = self.drops[Kind.CASE]
        drop.write([drop.template(record_id=record_id, case_type=case_type, person_record_id=person,
                                  household_record_id=household, opened=opened, closed=closed,
                                  repeat_victimisation=repeat, children_in_family=children)])
        self.counts[f"cases_{case_type}"] += 1
        return record_id

    def _contacts(self, person: str, case: str, services: tuple[str, ...], weights: tuple[int, ...] | None,
                  mean: float, minutes: tuple[int, ...]) -> None:
        count = int(mean * self.n.scale * self.rng.uniform(0.5, 1.5) + 0.5)
        rng, days, cols = self.rng, self.n.days, self.c_cols
        picks = rng.choices(services, weights, k=count) if weights else [services[0]] * count
        for service in picks:
            self.contact_number += 1
            row = list(self.contact_template)
            row[cols[0]] = f"K{self.contact_number:08d}"
            row[cols[1]], row[cols[2]] = person, service
            row[cols[3]] = days[rng.randrange(len(days))]
            row[cols[4]], row[cols[5]] = rng.choice(minutes), case
            self.pending.append(row)
        self.counts["contacts"] += count
        self.counts[f"contacts_{services[0]}" if len(services) == 1 else "contacts_other"] += count

    # --- roles: each returns how many persons it made ---------------------------------------

    def _social_risk(self) -> int:
        rng = self.rng
        children = rng.choices((1, 2, 3, 4), (72, 22, 5, 1))[0]
        household_number = self.drops[Kind.HOUSEHOLD].rows + 1
        household = f"H{household_number:06d}"
        members = [self._person(20, 48, "female", household=household, flags=("social_risk_family",))]
        mother_code, oldest = self.last_code, min(16, self.n.period.end.year - self.last_birth_year - 18)
        if rng.random() < 0.45:
            members.append(self._person(22, 55, "male", household=household, flags=("social_risk_family",)))
        members += [self._person(0, max(0, oldest), household=household, flags=("social_risk_family",))
                    for _ in range(children)]
        drop = self.drops[Kind.HOUSEHOLD]
        risk_from = (self.n.period.start + timedelta(days=rng.randrange(-900, self.n.period.days - 20))).isoformat()
        drop.write([drop.template(record_id=household, household_pseudonym=self.n.pseudonym(
            mother_code, self.n.household_key), municipality=self.municipality, social_risk_from=risk_from,
            children_count=children)])
        self.counts["social_risk_families"] += 1
        self.counts["social_risk_children"] += children
        case = self._case("social_risk_family", household=household)
        self._contacts(members[0], case, ("supervision_visit", "supervision_care_hours", "family_conference"),
                       (80, 18, 2), 15.0 * len(members), (30, 45, 60, 90))
        self.group_members.append(members[0])
        return len(members)

    def _dv(self) -> int:
        sex = "female" if self.rng.random() < 0.85 else "male"
        person = self._person(18, 75, sex, flags=("dv_victim",))
        repeat = self.rng.random() < 0.39
        children = self.rng.choices((0, 1, 2, 3), (65, 20, 12, 3))[0]
        case = self._case("dv_specialised_help", person=person, repeat="true" if repeat else "false",
                          children=children)
        self._contacts(person, case, DV_SERVICES, DV_WEIGHTS, 8.0, (45, 60, 90))
        self.counts["dv_persons"] += 1
        self.counts["dv_repeat_persons"] += repeat
        self.counts["dv_children"] += children
        self.group_members.append(person)
        return 1

    def _workshop(self) -> int:
        person = self._person(18, 64, flags=("disability",))
        case = self._case("social_workshop", person=person)
        self._contacts(person, case, ("social_workshop",), None, 130.0, (240, 300, 360))
        self.counts["workshop_participants"] += 1
        return 1

    def _case_management(self) -> int:
        person = self._person(18, 90)
        case = self._case("case_management", person=person)
        self._contacts(person, case, ("case_management",), None, 12.0, (30, 45, 60, 90))
        self.counts["case_management_clients"] += 1
        return 1

    def _integrated_help(self) -> int:
        person = self._person(65, 95, flags=("disability",))
        case = self._case("integrated_help", person=person)
        self._contacts(person, case, ("integrated_nursing", "integrated_care"), (40, 60), 50.0, (30, 60, 120))
        self.counts["integrated_help_persons"] += 1
        return 1

    def _youth(self) -> int:
        person = self._person(14, 29)
        self._contacts(person, "", ("youth_open", "youth_mobile"), (70, 30), 5.0, (60, 90, 120))
        self.counts["youth_persons"] += 1
        return 1

    def arrivals(self, arriving: list[tuple[str, int, str]]) -> None:
        """Persons who moved here from the previous municipality: a second record, same pseudonym."""
        for moved in arriving:
            person = self._person(0, 0, moved_in=moved)
            case = self._case("case_management", person=person)
            self._contacts(person, case, ("case_management",), None, 6.0, (45, 60))
        self.flush()
        self.counts["moved_in"] += len(arriving)

    def groups(self) -> None:
        """Therapeutic and parenting groups: one meeting per ~300 persons, 5-12 registered attendees."""
        drop = self.drops[Kind.GROUP_SESSION]
        members = self.group_members
        meetings = max(2, self.counts["persons"] // 300) if members else 0
        for number in range(1, meetings + 1):
            attendees = self.rng.sample(members, min(len(members), self.rng.randint(5, 12)))
            service = "therapeutic_group" if number % 2 else "parenting_skills"
            drop.write([drop.template(record_id=f"G{number:06d}", service_code=service,
                                      session_date=self.n.days[self.rng.randrange(len(self.n.days))],
                                      duration_minutes=120, attendee_record_ids="|".join(attendees),
                                      unregistered_attendees=self.rng.choice((0, 0, 1)))])
            self.counts["group_meetings"] += 1
            self.counts["group_attendances"] += len(attendees)


def _write_organisations(out: Path) -> None:
    """The `organisations:` block of a workspace config naming every municipality's organisation."""
    lines = ["organisations:"]
    for m in MUNICIPALITIES:
        lines += [f"  - code: {org_of(m.code)}", f"    name: {m.name_lt} (socialinių paslaugų centras)",
                  f"    municipality: {m.code}"]
    (out / "organisations.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """`python -m interchange.demo.national --out DIR`: the national data set, with progress."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m interchange.demo.national",
                                     description="Write a national-size synthetic data set as hub drops.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write (one sub-folder per organisation)")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    lang = default_lang()
    truth = generate_national(args.out, persons=args.persons, contacts=args.contacts, seed=args.seed, progress=print,
                              lang=lang)
    print(describe_national(truth, args.out, lang))


def describe_national(truth: NationalTruth, out: Path, lang: str) -> str:
    """What was written: persons, contacts, seconds, and where the truth and the organisations' list are."""
    totals = truth.totals
    return say("demo.national_done", lang, persons=totals["persons"], contacts=totals["contacts"],
               seconds=f"{truth.seconds:.0f}", truth=out / "national-truth.json",
               organisations=out / "organisations.yaml")


if __name__ == "__main__":
    main()
