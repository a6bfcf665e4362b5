"""Synthetic people and families: who they really are, before any agency writes them down."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from interchange.contract.personal_code import check_digit
from interchange.demo.names import SURNAMES_MALE, address, given_name, surname_for

HOME = "LT-22"  # Kretinga district
NEIGHBOURS = ("LT-30", "LT-20", "LT-47")  # Palanga, Klaipėda district, Skuodas


@dataclass
class Human:
    """One real person: the identity every agency's record of them stands for."""

    pid: int
    given_name: str
    surname: str  # as in the register today
    maiden_surname: str  # the unmarried form for a married woman; else equal to surname
    birth_date: date
    sex: str  # "female" or "male"
    code: str  # valid personal code
    municipality: str = HOME
    family: int | None = None
    disability: bool = False
    participation_level: int | None = None
    addiction: bool = False
    address: tuple[str, str, str, str] = ("", "", "", "")  # street, house-flat, locality, postcode
    old_address: tuple[str, str, str, str] = ("", "", "", "")  # where they lived before

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass
class Family:
    """A household: its adults (the first is the reference person) and children under 18."""

    hid: int
    adults: list[int]
    children: list[int]
    social_risk_from: date | None = None
    social_risk_to: date | None = None

    @property
    def reference(self) -> int:
        return self.adults[0]

    @property
    def members(self) -> list[int]:
        return self.adults + self.children


def personal_code(birth: date, sex: str, serial: int) -> str:
    """A valid personal code: century-and-sex digit, YYMMDD, serial, check digit."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (sex == "female")
    first_ten = f"{century_digit}{birth:%y%m%d}{serial:03d}"
    return first_ten + str(check_digit(first_ten))


@dataclass
class Population:
    """Makes people and families with unique personal codes; deterministic for one rng."""

    rng: random.Random
    reference_day: date  # ages are counted on this day (the period's end)
    people: list[Human] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    _serials: dict[date, int] = field(default_factory=dict)

    def birth_date(self, min_age: int, max_age: int) -> date:
        """A birth date making the person min_age..max_age years old on the reference day."""
        latest = _years_before(self.reference_day, min_age)
        earliest = _years_before(self.reference_day, max_age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def person(self, sex: str, birth: date, family_surname: str, *, married: bool = False,
               maiden_family: str | None = None, municipality: str | None = None,
               home: Human | None = None) -> Human:
        """A new person; `family_surname` is the male form of the family's surname."""
        serial = self._serials.get(birth, self.rng.randrange(0, 400))
        self._serials[birth] = serial + 1 + self.rng.randrange(3)
        surname = surname_for(family_surname, sex, married=married)
        maiden = surname_for(maiden_family, sex, married=False) if maiden_family else surname
        if municipality is None:
            municipality = HOME if self.rng.random() < 0.95 else self.rng.choice(NEIGHBOURS)
        human = Human(len(self.people), given_name(self.rng, sex, birth.year), surname, maiden,
                      birth, sex, personal_code(birth, sex, serial % 1000), municipality)
        # Members of one family share their home; everyone has moved at some time.
        human.address = home.address if home else address(self.rng, municipality)
        human.old_address = home.old_address if home else address(self.rng, municipality)
        self.people.append(human)
        return human

    def home_of(self, pid: int) -> Family:
        """The family of a person made by `family`; anyone else has none and asking is a bug."""
        hid = self.people[pid].family
        if hid is None:
            raise ValueError(f"person {pid} belongs to no family")
        return self.families[hid]

    def adult(self, sex: str | None = None, min_age: int = 18, max_age: int = 80) -> Human:
        """An adult outside any family we model; women over 25 are mostly married."""
        sex = sex or self.rng.choice(("female", "male"))
        birth = self.birth_date(min_age, max_age)
        stem = self.rng.choice(SURNAMES_MALE)
        married = sex == "female" and self.reference_day.year - birth.year > 25 and self.rng.random() < 0.6
        maiden = self.rng.choice(SURNAMES_MALE) if married else None
        return self.person(sex, birth, stem, married=married, maiden_family=maiden)

    def family(self, children: int, *, two_parents: bool, mother_age: tuple[int, int] = (20, 48),
               child_max_age: int = 16) -> Family:
        """Mother (reference person), perhaps a father, and `children` children under 17."""
        stem = self.rng.choice(SURNAMES_MALE)
        mother_birth = self.birth_date(*mother_age)
        married = two_parents or self.rng.random() < 0.3  # divorced mothers often keep the name
        mother = self.person("female", mother_birth, stem, married=married,
                             maiden_family=self.rng.choice(SURNAMES_MALE) if married else None)
        adults = [mother]
        if two_parents:
            father_age = min(70, mother.age_on(self.reference_day) + self.rng.randint(0, 6))
            father_birth = self.birth_date(father_age, father_age)
            adults.append(self.person("male", father_birth, stem, municipality=mother.municipality, home=mother))
        mother_age_now = mother.age_on(self.reference_day)
        kids: list[Human] = []
        for _ in range(children):
            oldest = max(0, min(child_max_age, mother_age_now - 17))
            birth = self.birth_date(0, oldest)
            kid = self.person(self.rng.choice(("female", "male")), birth, stem,
                              municipality=mother.municipality, home=mother)
            while kid.given_name in {k.given_name for k in kids}:  # parents do not name two children alike
                kid.given_name = given_name(self.rng, kid.sex, kid.birth_date.year)
            kids.append(kid)
        home = Family(len(self.families), [a.pid for a in adults], [k.pid for k in kids])
        for member in adults + kids:
            member.family = home.hid
        self.families.append(home)
        return home


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
