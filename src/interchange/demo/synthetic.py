"""Synthetic but realistic partner extracts, with their ground truth known.

`generate_demo_data` makes the Kretinga partners' raw extracts for a reporting year and
the ground truth (scenario.py -> extracts.py, truth.py); `national.py` streams a data set of
national size for benchmarks. The small helpers below (`make_people`,
`write_raw_person_extract`, `write_contacts`) make single files for tests and benchmarks.

Names follow Lithuanian usage: a woman's surname takes a married (-ienė) or unmarried
(-aitė, -ytė, -utė, -iūtė) ending of her family's stem. Personal codes are valid unless
a typo is planted on purpose. The same seed always gives the same files.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from interchange.contract.services import SERVICES, Mode
from interchange.contract.text import fold
from interchange.demo.extracts import write_extracts
from interchange.demo.population import personal_code
from interchange.demo.scenario import Calibration, Period, build_scenario
from interchange.demo.truth import GroundTruth

DEMO_SEED = 2026
TRUTH_FILE = "ground-truth.json"


def generate_demo_data(partner_root: Path, *, seed: int = DEMO_SEED, period: Period | None = None,
                       calibration: Calibration | None = None, truth_path: Path | None = None) -> GroundTruth:
    """The Kretinga partners' raw extracts under `partner_root/<org>/`, and their ground truth.

    Args:
        partner_root: folder standing for the partners' machines (never a hub inbox).
        seed: the same seed and period always give the same files.
        period: the reporting year; default the 365 days up to yesterday.
        calibration: the volumes; default Kretinga's.
        truth_path: where to write the ground truth as JSON, if anywhere.
    """
    scenario = build_scenario(seed, period, calibration)
    files, records = write_extracts(scenario, partner_root)
    truth = GroundTruth(scenario, files, records, partner_root)
    if truth_path is not None:
        truth.write(truth_path)
    return truth


# The single-file helpers' names (the scenario uses names.py's fuller lists).
GIVEN_FEMALE = (
    "Šarūnė", "Rūta", "Jurgita", "Asta", "Kristina", "Aušra", "Eglė", "Giedrė", "Inga",
    "Jolanta", "Laima", "Lina", "Milda", "Neringa", "Ona", "Rasa", "Simona", "Vaida", "Vilma",
    "Živilė", "Gabija", "Ugnė", "Austėja", "Emilija", "Kamilė", "Goda", "Lėja", "Urtė",
)
GIVEN_MALE = (
    "Jonas", "Petras", "Antanas", "Tomas", "Mantas", "Darius", "Gintaras", "Kęstutis", "Linas",
    "Mindaugas", "Paulius", "Rimantas", "Saulius", "Vytautas", "Žygimantas", "Lukas", "Matas",
    "Nojus", "Kajus", "Dominykas", "Jokūbas", "Benas",
)
# (male, married female, unmarried female)
SURNAMES = (
    ("Kazlauskas", "Kazlauskienė", "Kazlauskaitė"), ("Jankauskas", "Jankauskienė", "Jankauskaitė"),
    ("Petrauskas", "Petrauskienė", "Petrauskaitė"),
    ("Stankevičius", "Stankevičienė", "Stankevičiūtė"),
    ("Vasiliauskas", "Vasiliauskienė", "Vasiliauskaitė"),
    ("Žukauskas", "Žukauskienė", "Žukauskaitė"), ("Butkus", "Butkienė", "Butkutė"),
    ("Paulauskas", "Paulauskienė", "Paulauskaitė"), ("Urbonas", "Urbonienė", "Urbonaitė"),
    ("Kavaliauskas", "Kavaliauskienė", "Kavaliauskaitė"), ("Pocius", "Pocienė", "Pociūtė"),
    ("Lukoševičius", "Lukoševičienė", "Lukoševičiūtė"), ("Jonaitis", "Jonaitienė", "Jonaitytė"),
    ("Balčiūnas", "Balčiūnienė", "Balčiūnaitė"), ("Rimkus", "Rimkienė", "Rimkutė"),
    ("Šimkus", "Šimkienė", "Šimkutė"), ("Navickas", "Navickienė", "Navickaitė"),
    ("Kairys", "Kairienė", "Kairytė"), ("Mockus", "Mockienė", "Mockutė"),
    ("Baranauskas", "Baranauskienė", "Baranauskaitė"),
)
MUNICIPALITY_SPELLINGS = ("Kretingos r. sav.", "Kretingos rajono savivaldybė", "LT-22")

RAW_PERSON_HEADERS = (
    "įrašo_id", "asmens_kodas", "vardas", "pavardė", "gimimo_data", "savivaldybė",
    "smurto_auka", "socialinės_rizikos_šeima", "negalia", "dalyvumo_lygis", "priklausomybė",
    "sutikimas_ataskaitoms",
)
CONTACT_HEADERS = ("record_id", "person_record_id", "service_code", "contact_date",
                   "duration_minutes")


@dataclass(frozen=True)
class SyntheticPerson:
    """A person as the generator knows them: the truth the tests compare against."""

    truth_id: int
    given_name: str
    surname: str
    birth_date: date
    sex: str
    code: str


def make_people(count: int, *, seed: int = 7, reference: date = date(2026, 6, 30)
                ) -> list[SyntheticPerson]:
    rng = random.Random(seed)
    people = []
    for truth_id in range(count):
        sex = rng.choice(("female", "male"))
        age_days = rng.randint(2 * 365, 90 * 365)
        birth = reference - timedelta(days=age_days)
        stems = rng.choice(SURNAMES)
        if sex == "male":
            given, surname = rng.choice(GIVEN_MALE), stems[0]
        else:
            married = age_days > 25 * 365 and rng.random() < 0.7
            given, surname = rng.choice(GIVEN_FEMALE), stems[1] if married else stems[2]
        code = personal_code(birth, sex, rng.randint(0, 999))
        people.append(SyntheticPerson(truth_id, given, surname, birth, sex, code))
    return people


def _typo(code: str, rng: random.Random) -> str:
    """One digit changed in the serial part: the check digit then fails (mostly)."""
    position = rng.randint(7, 9)
    digit = str((int(code[position]) + rng.randint(1, 9)) % 10)
    return code[:position] + digit + code[position + 1:]


def _flag(rng: random.Random, share: float) -> str:
    return "taip" if rng.random() < share else "ne"


def write_raw_person_extract(path: Path, people: list[SyntheticPerson], *, seed: int = 11,
                             encoding: str = "cp1257", delimiter: str = ";",
                             share_without_code: float = 0.08, share_code_typo: float = 0.02,
                             share_ascii_names: float = 0.05, id_prefix: str = "A") -> None:
    """A partner's raw extract as their case system exports it (codes and names in clear)."""
    rng = random.Random(seed)
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(RAW_PERSON_HEADERS)
        for number, person in enumerate(people, start=1):
            roll = rng.random()
            code, birth = person.code, ""
            if roll < share_without_code:
                code, birth = "", person.birth_date.isoformat()
            elif roll < share_without_code + share_code_typo:
                code = _typo(code, rng)
            given, surname = person.given_name, person.surname
            if rng.random() < share_ascii_names:
                given, surname = fold(given).title(), fold(surname).title()
            disability = rng.random() < 0.1
            writer.writerow([
                f"{id_prefix}{number:06d}", code, given, surname, birth,
                rng.choice(MUNICIPALITY_SPELLINGS), _flag(rng, 0.15), _flag(rng, 0.2),
                "taip" if disability else "ne",
                str(rng.choice((0, 15, 25, 40, 55))) if disability else "",
                _flag(rng, 0.08), rng.choice(("taip", "taip", "taip", "ne", "")),
            ])


def write_contacts(path: Path, person_ids: list[str], *, count: int, seed: int = 13,
                   start: date = date(2026, 1, 1), days: int = 180,
                   bad_rows: int = 0) -> None:
    """A contacts drop (no identifiers); `bad_rows` plants rows a check must reject."""
    rng = random.Random(seed)
    codes = [s.code for s in SERVICES if s.mode is not Mode.GROUP]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CONTACT_HEADERS)
        for number in range(1, count + 1):
            day = start + timedelta(days=rng.randrange(days))
            writer.writerow([f"K{number:07d}", rng.choice(person_ids), rng.choice(codes),
                             day.isoformat(), rng.choice((30, 45, 60, 90))])
        for number in range(count + 1, count + bad_rows + 1):
            writer.writerow([f"K{number:07d}", rng.choice(person_ids), "palm_reading",
                             "2099-01-01", "sixty"])
