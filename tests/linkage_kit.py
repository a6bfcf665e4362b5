"""Person records as the real partner kit encodes them, for the linkage tests (DuckDB and Spark)."""

from __future__ import annotations

import random
from datetime import date

import pandas as pd

from interchange.contract.personal_code import check_digit
from interchange.demo.synthetic import make_people
from interchange.linkage.model import ADDRESS_COLUMNS, NAME_PAIR_COLUMNS, RECORD_COLUMNS
from interchange.partner.keys import PseudonymKey
from interchange.partner.pseudonymise import IdentifierEncoder

KEY = PseudonymKey(bytes(range(32)))  # a test key; never used for real data
_ENCODER = IdentifierEncoder(KEY, today=None)
_COLUMNS = (*RECORD_COLUMNS, *ADDRESS_COLUMNS, *NAME_PAIR_COLUMNS)
KRETINGA = ("Vilniaus g.", "12-5", "Kretinga", "LT-97111")


def valid_code(prefix: str) -> str:
    """A valid personal code from its first ten digits."""
    return prefix + str(check_digit(prefix))


def person(uid: str, given: str, surname: str, born: date | None, *, code: str | None = None,
           sex: str | None = None, municipality: str | None = "LT-22",
           address: tuple[str, str, str, str] | None = None) -> dict:
    """One record as the partner kit pseudonymises it; address = street, house, locality, postcode.

    A personal code gives the pseudonym, birth date and sex, as in the kit.
    """
    street, house, locality, postcode = address or ("", "", "", "")
    ids = {"personal_code": code, "given_name": given, "surname": surname, "birth_date": born,
           "street": street, "house_number": house, "locality": locality, "postcode": postcode}
    encoded, problems = _ENCODER.person(ids, 1, columns={}, contract={}, contract_columns={})
    assert problems == [], problems
    return dict.fromkeys(_COLUMNS) | {"sex": sex, "municipality": municipality} | encoded | {"uid": uid}


ONA_CODE = valid_code("4850314123")  # female, born 1985-03-14


def ona_records() -> pd.DataFrame:
    return pd.DataFrame([
        # The same woman at three agencies, and once more with a typo.
        person("kretingos-spc:A1", "Ona", "Jonaitienė", None, code=ONA_CODE),
        person("moteru-centras:7", "ONA", "Jonaitiene", date(1985, 3, 14), sex="female"),
        person("dienos-centras:X9", "Ona", "Jonaitytė", date(1985, 3, 14), sex="female"),
        person("soc-parama:55", "Ona", "Jonaitine", date(1985, 3, 14)),
        # Two different men: same birth year, a common surname.
        person("kretingos-spc:A2", "Petras", "Kazlauskas", date(1960, 5, 1), sex="male"),
        person("soc-parama:56", "Jonas", "Kazlauskas", date(1960, 11, 23), sex="male"),
        # Unrelated people, so the data set is not all matches.
        person("kretingos-spc:A3", "Rūta", "Stankevičiūtė", date(1999, 7, 2), sex="female"),
        person("dienos-centras:X1", "Tomas", "Vaitkus", date(1972, 1, 30), sex="male"),
        person("moteru-centras:8", "Šarūnė", "Petrauskienė", date(1990, 12, 5), sex="female"),
    ])


def probability(pairs: pd.DataFrame, a: str, b: str) -> float:
    left, right = sorted((a, b))
    hit = pairs[(pairs.uid_l == left) & (pairs.uid_r == right)]
    return float(hit.match_probability.iloc[0]) if len(hit) else 0.0


def household(extra: list[dict] | None = None) -> pd.DataFrame:
    """A mother and her daughter at one address, and the mother once more at another agency."""
    return pd.DataFrame([
        person("spc:M", "Ona", "Jonaitienė", date(1962, 4, 9), sex="female", address=KRETINGA),
        person("spc:D", "Rūta", "Jonaitytė", date(1988, 10, 30), sex="female", address=KRETINGA),
        # The mother again: surname misspelt, no birth date, the address written another way.
        person("mimc:7", "Ona", "Jonaitene", None, sex="female",
               address=("Vilniaus gatvė", "12 - 5", "KRETINGA", "97111")),
        *(extra or []),
        *ona_records().to_dict("records"),
    ])


PARENTS = ("Liepų g.", "3", "Kretinga", "LT-97120")
NEW_HOME = ("Klaipėdos g.", "40-2", "Palanga", "LT-00135")


def brothers() -> list[dict]:
    """Two brothers at one address, and Tomas once more with the names swapped, no birth date."""
    return [
        person("spc:J", "Jonas", "Jonaitis", date(1990, 6, 1), sex="male", address=PARENTS),
        person("spc:T", "Tomas", "Jonaitis", date(1993, 2, 17), sex="male", address=PARENTS),
        person("mimc:9", "Jonaitis", "Tomas", None, sex="male", address=PARENTS),
    ]


def register(*, siblings: bool) -> tuple[pd.DataFrame, list[tuple[str, str]], list[tuple[str, str]]]:
    """1,500 people at their own addresses and a second record for 900 of them, which mistypes
    the given name (30 %) and the birth date (30 %) independently; with ``siblings``, 600 of
    the people live with a brother or sister (same surname and address; another birth year and
    a given name not close to theirs: Saulius and Paulius at one address read as a typo).
    Returns the records, the twice-mistyped pairs and the sibling pairs."""
    rng = random.Random(3)
    people, others = make_people(1_500, seed=9), make_people(3_000, seed=10)

    def home(i: int) -> tuple[str, str, str, str]:
        return f"Gatvė {i}", str(i % 50 + 1), f"Vietovė {i % 30}", f"{90000 + i}"

    rows = [person(f"a:{p.truth_id}", p.given_name, p.surname, p.birth_date, sex=p.sex, address=home(i))
            for i, p in enumerate(people)]
    twice_wrong, sibling_pairs = [], []
    for i, p in enumerate(people[:900]):
        given = others[i].given_name if rng.random() < 0.3 else p.given_name
        born = others[i].birth_date if rng.random() < 0.3 else p.birth_date
        rows.append(person(f"b:{p.truth_id}", given, p.surname, born, sex=p.sex, address=home(i)))
        if given != p.given_name and born.year != p.birth_date.year:
            twice_wrong.append((f"a:{p.truth_id}", f"b:{p.truth_id}"))
    if siblings:
        for i, p in enumerate(people[300:900], start=300):
            other = next(o for o in others[1_500 + i:] if letter_pair_dice(o.given_name, p.given_name) < 0.5
                         and o.birth_date.year != p.birth_date.year)
            rows.append(person(f"s:{p.truth_id}", other.given_name, p.surname, other.birth_date, sex=other.sex,
                               address=home(i)))
            sibling_pairs.append((f"a:{p.truth_id}", f"s:{p.truth_id}"))
    return pd.DataFrame(rows), twice_wrong, sibling_pairs


def letter_pair_dice(a: str, b: str) -> float:
    pairs_a, pairs_b = ({w[i:i + 2] for i in range(len(w) - 1)} for w in (a.lower(), b.lower()))
    return 2 * len(pairs_a & pairs_b) / (len(pairs_a) + len(pairs_b))
