"""The partners' raw extracts, written the way each one's own system exports them.

* the social services centre: Windows-1257, ';', decimal commas, Lithuanian headers,
  dates written 1985.03.04;
* the women's centre: one XLSX workbook per record kind, Lithuanian headers, date cells;
* the day-activity centre: UTF-8 CSV with English headers; its attendance register has no
  identifiers, so it is sent as it is, without the pseudonymiser (and carries bad rows);
* the social support division: UTF-8 CSV, upper-case surnames, and last year's contacts
  exported again by mistake (a batch the hub must hold).

Extracts hold personal codes and names: they stay on the partner's machine. Each agency
writes identities its own way (missing codes, typos, letters without diacritics, a maiden
name); every person record's true identity is kept for the ground truth.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from interchange.contract.codes import MUNICIPALITIES
from interchange.contract.records import Kind
from interchange.demo.names import street_as_written, with_typo, without_diacritics
from interchange.demo.population import Human
from interchange.demo.scenario import DVC, MIMC, SPC, SPS, Contact, Scenario
from interchange.partner.identifiers import RAW_IDENTIFIERS

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
CONTACT_PERIOD_CHECK = "batch.contact_period_share"


@dataclass(frozen=True)
class Habits:
    """How one agency's system records identities."""

    without_code: float  # persons known by name and birth date only
    code_typo: float  # a personal code with a wrong digit (fails its check digit)
    surname_typo: float
    no_diacritics: float
    maiden_name: float = 0.0  # a married woman under her unmarried surname
    upper_case: bool = False
    address: tuple[str, ...] = ("street", "house_number", "locality", "postcode")  # columns exported
    no_address: float = 0.0
    old_address: float = 0.0  # the address before the last move


HABITS = {
    SPC: Habits(without_code=0.03, code_typo=0.01, surname_typo=0.015, no_diacritics=0.03, no_address=0.02),
    # The women's centre keeps only the locality: victims' addresses are confidential.
    MIMC: Habits(without_code=0.15, code_typo=0.01, surname_typo=0.03, no_diacritics=0.05, maiden_name=0.04,
                 address=("locality",), no_address=0.1),
    DVC: Habits(without_code=0.05, code_typo=0.0, surname_typo=0.02, no_diacritics=0.10, no_address=0.05),
    SPS: Habits(without_code=0.02, code_typo=0.01, surname_typo=0.02, no_diacritics=0.05, upper_case=True,
                old_address=0.05),
}


@dataclass
class PersonRecord:
    """One agency's person record and the person it really is."""

    org: str
    record_id: str
    pid: int
    variants: list[str] = field(default_factory=list)  # no_code, code_typo, surname_typo, ...


@dataclass
class ExtractFile:
    """One raw extract and what must become of it, at the partner's and at the hub."""

    org: str
    kind: str
    path: Path
    rows: int
    pseudonymise: bool = True  # False: the file has no identifiers and is sent as it is
    bad_rows: list[int] = field(default_factory=list)  # file row numbers (header = row 1)
    held_by: str | None = None  # the critical batch check that must hold the batch

    @property
    def drop_name(self) -> str:
        return f"{self.org}.{self.path.stem}.{self.kind}.csv"

    @property
    def expected_accepted(self) -> int:
        return self.rows - len(self.bad_rows)


ADDRESS_HEADERS = {
    SPC: {"street": "Gatvė", "house_number": "Namo numeris", "locality": "Gyvenamoji vietovė",
          "postcode": "Pašto kodas"},
    MIMC: {"locality": "Gyvenamoji vietovė"},
    DVC: {"street": "street", "house_number": "house_number", "locality": "locality", "postcode": "postcode"},
    SPS: {"street": "gatve", "house_number": "namo_numeris", "locality": "gyvenamoji_vietove",
          "postcode": "pasto_kodas"},
}


def addresses_supported() -> bool:
    """Whether this version of the partner kit pseudonymises address columns."""
    return any(column.name == "street" for column in RAW_IDENTIFIERS.get(Kind.PERSON, ()))


def _person_ids(scenario: Scenario) -> dict[str, dict[int, str]]:
    formats = {SPC: "A{:06d}", MIMC: "MIC-{:05d}", DVC: "D{:05d}", SPS: "SPS-{:06d}"}
    return {org: {pid: formats[org].format(n) for n, pid in enumerate(pids, start=1)}
            for org, pids in scenario.clients.items()}


def household_ids(scenario: Scenario) -> dict[int, str]:
    return {hid: f"S{n:05d}" for n, hid in enumerate(scenario.risk_families, start=1)}


class _Writer:
    """Writes all extracts of one scenario into `root/<org>/`."""

    def __init__(self, scenario: Scenario, root: Path, seed: int) -> None:
        self.s = scenario
        self.root = root
        self.rng = random.Random(seed)
        self.ids = _person_ids(scenario)
        self.households = household_ids(scenario)
        self.records: list[PersonRecord] = []
        self.files: list[ExtractFile] = []
        self.addresses = addresses_supported()
        self.risk_members = {pid for hid in scenario.risk_families
                             if scenario.period.overlaps(scenario.families[hid].social_risk_from,
                                                         scenario.families[hid].social_risk_to)
                             for pid in scenario.families[hid].members}

    def folder(self, org: str) -> Path:
        path = self.root / org
        path.mkdir(parents=True, exist_ok=True)
        return path

    def identity(self, org: str, person: Human) -> tuple[str, str, str, PersonRecord]:
        """(personal code, given name, surname) as this agency writes them."""
        habits = HABITS[org]
        record = PersonRecord(org, self.ids[org][person.pid], person.pid)
        code, given, surname = person.code, person.given_name, person.surname
        roll = self.rng.random()
        if roll < habits.without_code:
            code = ""
            record.variants.append("no_code")
        elif roll < habits.without_code + habits.code_typo:
            code = _code_typo(code, self.rng)
            record.variants.append("code_typo")
        if person.maiden_surname != person.surname and self.rng.random() < habits.maiden_name:
            surname = person.maiden_surname
            record.variants.append("maiden_name")
        if self.rng.random() < habits.surname_typo:
            surname = with_typo(surname, self.rng)
            record.variants.append("surname_typo")
        if self.rng.random() < habits.no_diacritics:
            given, surname = without_diacritics(given), without_diacritics(surname)
            record.variants.append("no_diacritics")
        if habits.upper_case:
            surname = surname.upper()
        self.records.append(record)
        return code, given, surname, record

    def place(self, org: str, person: Human, record: PersonRecord) -> list[str]:
        """The address cells this agency exports (none while the partner kit cannot take them)."""
        if not self.addresses:
            return []
        habits = HABITS[org]
        where = dict(zip(("street", "house_number", "locality", "postcode"), person.address, strict=True))
        if self.rng.random() < habits.no_address:
            record.variants.append("no_address")
            return [""] * len(habits.address)
        if self.rng.random() < habits.old_address:
            record.variants.append("old_address")
            where = dict(zip(where, person.old_address, strict=True))
        where["street"] = street_as_written(where["street"], self.rng)
        if habits.upper_case:
            where["street"] = where["street"].upper()
        return [where[name] for name in habits.address]

    def address_headers(self, org: str) -> tuple[str, ...]:
        return tuple(ADDRESS_HEADERS[org][name] for name in HABITS[org].address) if self.addresses else ()

    # --- the social services centre --------------------------------------------------------

    def spc(self) -> None:
        folder = self.folder(SPC)
        rows = []
        for pid in self.s.clients[SPC]:
            person = self.s.person(pid)
            code, given, surname, record = self.identity(SPC, person)
            home = self.households.get(person.family) if person.family in self.households else None
            rows.append([record.record_id, code, given, surname, f"{person.birth_date:%Y.%m.%d}",
                         "moteris" if person.sex == "female" else "vyras", _municipality_lt(person.municipality),
                         home or "", "ne", _yes(pid in self.risk_members), "ne", "", _yes(person.addiction),
                         "taip", *self.place(SPC, person, record)])
        self._spc_csv(folder / "asmenys.csv", "person", (
            "Įrašo ID", "Asmens kodas", "Vardas", "Pavardė", "Gimimo data", "Lytis", "Savivaldybė",
            "Namų ūkio ID", "Smurto auka", "Socialinės rizikos šeima", "Negalia", "Dalyvumo lygis",
            "Priklausomybė", "Sutikimas ataskaitoms", *self.address_headers(SPC)), rows)
        homes = []
        for hid in self.s.risk_families:
            family = self.s.families[hid]
            reference = self.s.person(family.reference)
            homes.append([self.households[hid], reference.code, _municipality_lt(reference.municipality),
                          _lt_date(family.social_risk_from), _lt_date(family.social_risk_to),
                          f"{len(family.children)},0"])
        self._spc_csv(folder / "seimos.csv", "household", (
            "Įrašo ID", "Atstovo asmens kodas", "Savivaldybė", "Socialinės rizikos pradžia",
            "Socialinės rizikos pabaiga", "Vaikų skaičius"), homes)
        cases = [[c.record_id, c.case_type, self.households[c.hid] if c.hid is not None else "",
                  self.ids[SPC][c.pid] if c.pid is not None else "", _lt_date(c.opened), _lt_date(c.closed)]
                 for c in self.s.cases if c.org == SPC]
        self._spc_csv(folder / "atvejai.csv", "case", (
            "Įrašo ID", "Atvejo tipas", "Namų ūkio ID", "Asmens įrašo ID", "Pradžia", "Pabaiga"), cases)
        contacts = [[c.record_id, self.ids[SPC][c.pid], c.service, _lt_date(c.day), f"{c.minutes},00",
                     c.case_record_id or ""] for c in self.s.contacts if c.org == SPC]
        self._spc_csv(folder / "kontaktai.csv", "contact", (
            "Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min", "Atvejo ID"), contacts)

    def _spc_csv(self, path: Path, kind: str, headers: Sequence[str], rows: list[list[Any]]) -> None:
        _write_csv(path, headers, rows, encoding="cp1257", delimiter=";", line_end="\r\n")
        self.files.append(ExtractFile(SPC, kind, path, len(rows)))

    # --- the women's centre -----------------------------------------------------------------

    def mimc(self) -> None:
        folder = self.folder(MIMC)
        rows = []
        for pid in self.s.clients[MIMC]:
            person = self.s.person(pid)
            code, given, surname, record = self.identity(MIMC, person)
            rows.append([record.record_id, code or None, given, surname, person.birth_date,
                         "Moteris" if person.sex == "female" else "Vyras", _municipality_lt(person.municipality),
                         _yes(pid in self.s.dv_victims), _yes(person.addiction), "Taip",
                         *self.place(MIMC, person, record)])
        self._xlsx(folder / "asmenys.xlsx", "person", (
            "Įrašo ID", "Asmens kodas", "Vardas", "Pavardė", "Gimimo data", "Lytis", "Savivaldybė",
            "Smurto auka", "Priklausomybė", "Sutikimas ataskaitoms", *self.address_headers(MIMC)), rows)
        cases = [[c.record_id, c.case_type, self.ids[MIMC][c.person_pid], c.opened, c.closed,
                  _yes(bool(c.repeat_victimisation)), c.children_in_family]
                 for c in self.s.cases if c.org == MIMC]
        self._xlsx(folder / "atvejai.xlsx", "case", (
            "Įrašo ID", "Atvejo tipas", "Asmens įrašo ID", "Pradžia", "Pabaiga", "Pakartotinis smurtas",
            "Vaikų šeimoje"), cases)
        contacts = [[c.record_id, self.ids[MIMC][c.pid], c.service, c.day, c.minutes]
                    for c in self.s.contacts if c.org == MIMC]
        self._xlsx(folder / "konsultacijos.xlsx", "contact", (
            "Įrašo ID", "Asmens įrašo ID", "Paslaugos kodas", "Data", "Trukmė min"), contacts)
        sessions = [[g.record_id, g.service, g.day, g.minutes, "|".join(self.ids[MIMC][p] for p in g.attendees),
                     g.unregistered] for g in self.s.sessions]
        self._xlsx(folder / "grupes.xlsx", "group_session", (
            "Įrašo ID", "Paslaugos kodas", "Data", "Trukmė min", "Dalyviai", "Neregistruoti dalyviai"), sessions)

    def _xlsx(self, path: Path, kind: str, headers: Sequence[str], rows: list[list[Any]]) -> None:
        write_xlsx(path, headers, rows)
        self.files.append(ExtractFile(MIMC, kind, path, len(rows)))

    # --- the day-activity centre ------------------------------------------------------------

    def dvc(self) -> None:
        folder = self.folder(DVC)
        rows = []
        for pid in self.s.clients[DVC]:
            person = self.s.person(pid)
            code, given, surname, record = self.identity(DVC, person)
            rows.append([record.record_id, code, given, surname, person.birth_date.isoformat(), person.sex,
                         person.municipality, _yes_en(person.disability),
                         "" if person.participation_level is None else person.participation_level, "yes",
                         *self.place(DVC, person, record)])
        self._utf8(DVC, folder / "persons.csv", "person", (
            "record_id", "personal_code", "given_name", "surname", "birth_date", "sex", "municipality",
            "disability", "participation_level", "consent_reporting", *self.address_headers(DVC)), rows)
        cases = [[c.record_id, c.case_type, self.ids[DVC][c.person_pid], c.opened.isoformat(), _iso(c.closed)]
                 for c in self.s.cases if c.org == DVC]
        self._utf8(DVC, folder / "enrolments.csv", "case",
                   ("record_id", "case_type", "person_record_id", "opened", "closed"), cases)
        attendance = [[c.record_id, self.ids[DVC][c.pid], c.service, c.day.isoformat(), c.minutes]
                      for c in self.s.contacts if c.org == DVC]
        bad = _plant_bad_rows(attendance, self.rng)
        path = folder / "attendance.csv"
        _write_csv(path, ("record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"),
                   attendance, encoding="utf-8", delimiter=",", line_end="\n")
        self.files.append(ExtractFile(DVC, "contact", path, len(attendance), pseudonymise=False, bad_rows=bad))

    # --- the social support division --------------------------------------------------------

    def sps(self) -> None:
        folder = self.folder(SPS)
        rows = []
        for pid in self.s.clients[SPS]:
            person = self.s.person(pid)
            code, given, surname, record = self.identity(SPS, person)
            rows.append([record.record_id, code, given, surname, person.birth_date.isoformat(),
                         "moteris" if person.sex == "female" else "vyras", person.municipality,
                         _yes(pid in self.risk_members), _yes(person.disability), _yes(person.addiction), "taip",
                         *self.place(SPS, person, record)])
        self._utf8(SPS, folder / "asmenys.csv", "person", (
            "iraso_id", "asmens_kodas", "vardas", "pavarde", "gimimo_data", "lytis", "savivaldybe",
            "socialines_rizikos_seima", "negalia", "priklausomybe", "sutikimas_ataskaitoms",
            *self.address_headers(SPS)), rows)
        cases = [[c.record_id, c.case_type, self.ids[SPS][c.person_pid], c.opened.isoformat(), _iso(c.closed)]
                 for c in self.s.cases if c.org == SPS]
        self._utf8(SPS, folder / "atvejai.csv", "case",
                   ("iraso_id", "atvejo_tipas", "asmens_iraso_id", "pradzia", "pabaiga"), cases)
        contact_headers = ("iraso_id", "asmens_iraso_id", "paslaugos_kodas", "data", "trukme_min", "atvejo_id")

        def contact_rows(contacts: Iterable[Contact]) -> list[list[Any]]:
            return [[c.record_id, self.ids[SPS][c.pid], c.service, c.day.isoformat(), c.minutes,
                     c.case_record_id or ""] for c in contacts]

        self._utf8(SPS, folder / "kontaktai.csv", "contact", contact_headers,
                   contact_rows(c for c in self.s.contacts if c.org == SPS))
        self._utf8(SPS, folder / f"kontaktai_{self.s.period.start.year - 1}.csv", "contact", contact_headers,
                   contact_rows(self.s.stale_contacts), held_by=CONTACT_PERIOD_CHECK)

    def _utf8(self, org: str, path: Path, kind: str, headers: Sequence[str], rows: list[list[Any]],
              held_by: str | None = None) -> None:
        _write_csv(path, headers, rows, encoding="utf-8", delimiter=",", line_end="\n")
        self.files.append(ExtractFile(org, kind, path, len(rows), held_by=held_by))



def write_extracts(scenario: Scenario, root: Path, *, seed: int | None = None
                   ) -> tuple[list[ExtractFile], list[PersonRecord]]:
    """Write every partner's raw extracts under `root/<org>/`.

    Returns the files (with what must become of each) and every person record's true identity.
    """
    writer = _Writer(scenario, root, scenario.seed + 1 if seed is None else seed)
    writer.spc()
    writer.mimc()
    writer.dvc()
    writer.sps()
    return writer.files, writer.records


# --- cells and files ------------------------------------------------------------------------

_MUNICIPALITY_NAMES = {m.code: m.name_lt for m in MUNICIPALITIES}


def _municipality_lt(code: str) -> str:
    """How Lithuanian clerks abbreviate: 'Kretingos r. sav.', 'Palangos m. sav.'."""
    name = _MUNICIPALITY_NAMES[code]
    return name.replace(" rajono savivaldybė", " r. sav.").replace(" miesto savivaldybė", " m. sav.")


def _yes(flag: bool) -> str:
    return "taip" if flag else "ne"


def _yes_en(flag: bool) -> str:
    return "yes" if flag else "no"


def _lt_date(day: date | None) -> str:
    return "" if day is None else f"{day:%Y.%m.%d}"


def _iso(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def _code_typo(code: str, rng: random.Random) -> str:
    """One serial digit changed: the check digit then fails (changed again if it would not)."""
    from interchange.contract.personal_code import check_digit

    for _ in range(10):
        position = rng.randint(7, 9)
        wrong = code[:position] + str((int(code[position]) + rng.randint(1, 9)) % 10) + code[position + 1:]
        if check_digit(wrong[:10]) != int(wrong[10]):
            return wrong
    return code[:10] + str((int(code[10]) + 1) % 10)


# Rows a careless export produces; each must be quarantined with its row and column.
_BAD_ROWS: tuple[Callable[[list[Any]], list[Any]], ...] = (
    lambda row: [row[0], row[1], "palm_reading", row[3], row[4]],  # unknown service code
    lambda row: [row[0], row[1], row[2], "2026-13-01", row[4]],  # no 13th month
    lambda row: [row[0], row[1], row[2], row[3], "sixty"],  # minutes in words
    lambda row: [row[0], "", row[2], row[3], row[4]],  # whose attendance?
)


def _plant_bad_rows(rows: list[list[Any]], rng: random.Random) -> list[int]:
    """Insert a few bad rows (new record ids) spread through the file; their file row numbers.

    The good rows stay as they were, so the ground truth counts every real attendance.
    """
    positions = sorted(rng.sample(range(1, len(rows)), len(_BAD_ROWS)))
    for offset, (position, spoil) in enumerate(zip(positions, _BAD_ROWS, strict=True)):
        template = list(rows[position + offset])
        template[0] = f"DL-X{offset + 1:03d}"
        rows.insert(position + offset, spoil(template))
    return [position + offset + 2 for offset, position in enumerate(positions)]  # row 1 is the header


def _write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, encoding: str,
               delimiter: str, line_end: str) -> None:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator=line_end)
        writer.writerow(headers)
        writer.writerows(rows)


def write_xlsx(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One-sheet workbook with date cells; the same rows always give the same bytes."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Duomenys")
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_fixed_times(buffer.getvalue()))


_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _fixed_times(xlsx: bytes) -> bytes:
    """The workbook with its creation time and zip entry times fixed, for byte-equal reruns."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>2026-01-01T00:00:00Z\g<2>", data)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
