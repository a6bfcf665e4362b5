"""Lithuanian names, and the ways one agency's clerk writes them differently from another's.

A woman's surname is formed from her family's (male) surname: married -ienė, unmarried
-aitė / -ytė / -utė / -iūtė, depending on the male ending. The variations are the ones
linkage meets in practice: letters without diacritics, an upper-case export, a typo, and a
woman recorded under her maiden name at one agency.
"""

from __future__ import annotations

import random

from interchange.contract.text import fold

# Given names by generation: children born after 2005 carry the names popular since then.
GIVEN_FEMALE_ADULT = (
    "Rūta", "Jurgita", "Asta", "Kristina", "Aušra", "Eglė", "Giedrė", "Inga", "Jolanta",
    "Laima", "Lina", "Milda", "Neringa", "Ona", "Rasa", "Simona", "Vaida", "Vilma", "Živilė",
    "Daiva", "Danutė", "Irena", "Janina", "Regina", "Rita", "Dalia", "Edita", "Loreta",
    "Renata", "Sigita", "Virginija", "Vida", "Aldona", "Genovaitė", "Birutė", "Audronė",
    "Ingrida", "Jūratė", "Agnė", "Gintarė", "Ieva", "Aistė", "Justina", "Greta", "Monika",
)
GIVEN_MALE_ADULT = (
    "Jonas", "Petras", "Antanas", "Tomas", "Mantas", "Darius", "Gintaras", "Kęstutis", "Linas",
    "Mindaugas", "Paulius", "Rimantas", "Saulius", "Vytautas", "Žydrūnas", "Algirdas",
    "Arūnas", "Audrius", "Egidijus", "Gediminas", "Giedrius", "Raimondas", "Ričardas",
    "Robertas", "Sigitas", "Valdas", "Vidmantas", "Aurimas", "Deividas", "Donatas", "Edvinas",
    "Marius", "Nerijus", "Povilas", "Rolandas", "Tadas", "Andrius", "Evaldas", "Stasys",
)
GIVEN_FEMALE_CHILD = (
    "Emilija", "Sofija", "Lėja", "Amelija", "Ugnė", "Austėja", "Kamilė", "Goda", "Urtė",
    "Gabija", "Liepa", "Luknė", "Adelė", "Barbora", "Elzė", "Šarūnė", "Miglė", "Rugilė",
    "Saulė", "Viltė", "Gustė", "Patricija", "Smiltė",
)
GIVEN_MALE_CHILD = (
    "Lukas", "Matas", "Nojus", "Kajus", "Dominykas", "Jokūbas", "Benas", "Joris", "Herkus",
    "Markas", "Pijus", "Adomas", "Dovydas", "Emilis", "Titas", "Rokas", "Kristupas", "Gabrielius",
    "Augustas", "Ąžuolas", "Jonas", "Motiejus", "Nikodemas",
)
# Male forms; the female forms follow from the ending (see female_forms).
SURNAMES_MALE = (
    "Kazlauskas", "Jankauskas", "Petrauskas", "Stankevičius", "Vasiliauskas", "Žukauskas",
    "Butkus", "Paulauskas", "Urbonas", "Kavaliauskas", "Pocius", "Lukoševičius", "Jonaitis",
    "Balčiūnas", "Rimkus", "Šimkus", "Navickas", "Kairys", "Mockus", "Baranauskas",
    "Sakalauskas", "Ramanauskas", "Savickas", "Žilinskas", "Adomaitis", "Petraitis", "Vaitkus",
    "Mikalauskas", "Stonkus", "Norkus", "Jakštas", "Kubilius", "Gudaitis", "Budrys", "Grigas",
    "Bernotas", "Šukys", "Dambrauskas", "Kriaučiūnas", "Bagdonas", "Valančius", "Žemaitis",
    "Martinkus", "Jurkus", "Stasiūnas", "Vaičiulis", "Rakauskas", "Giedraitis", "Tamošiūnas",
    "Sabaliauskas", "Čepulis", "Vyšniauskas", "Šidlauskas", "Pranckevičius", "Grigaliūnas",
    "Šiaulys", "Liaudanskis", "Daukšas", "Bružas", "Račkauskas", "Jablonskis", "Kuprys",
    "Macijauskas", "Rudys", "Šeputis", "Viršilas", "Kontrimas", "Eitutis", "Mažrimas",
)


def female_forms(male: str) -> tuple[str, str]:
    """(married, unmarried) forms of a male surname: Jonaitis -> Jonaitienė, Jonaitytė."""
    for ending, unmarried in (("ius", "iūtė"), ("ys", "ytė"), ("is", "ytė"), ("as", "aitė"),
                              ("us", "utė")):
        if male.endswith(ending):
            stem = male[: -len(ending)]
            return stem + "ienė", stem + unmarried
    return male, male  # foreign surnames keep one form


def surname_for(male_surname: str, sex: str, *, married: bool) -> str:
    if sex == "male":
        return male_surname
    married_form, unmarried_form = female_forms(male_surname)
    return married_form if married else unmarried_form


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    young = birth_year >= 2005
    if sex == "female":
        return rng.choice(GIVEN_FEMALE_CHILD if young else GIVEN_FEMALE_ADULT)
    return rng.choice(GIVEN_MALE_CHILD if young else GIVEN_MALE_ADULT)


def without_diacritics(text: str) -> str:
    """'Šarūnė Kazlauskienė' as a system without Lithuanian letters exports it: 'Sarune Kazlauskiene'."""
    return " ".join(fold(word).title() for word in text.split(" "))


def with_typo(text: str, rng: random.Random) -> str:
    """One clerk's slip: a letter dropped, doubled or two letters swapped (never the first)."""
    if len(text) < 4:
        return text
    position = rng.randint(1, len(text) - 2)
    slip = rng.choice(("drop", "double", "swap"))
    if slip == "drop":
        return text[:position] + text[position + 1:]
    if slip == "double":
        return text[:position] + text[position] + text[position:]
    if text[position] == text[position + 1]:
        return text[:position] + text[position + 1:]
    return text[:position] + text[position + 1] + text[position] + text[position + 2:]


# Where people live: streets and localities of Kretinga district, and a few neighbours'.
STREETS = (
    "Vilniaus g.", "Birutės g.", "Žemaitės al.", "Rotušės a.", "Luokesų g.", "Melioratorių g.",
    "Savanorių g.", "Mituvos g.", "Kęstučio g.", "Tiltų g.", "Klaipėdos g.", "Vytauto g.",
    "Šventosios g.", "Pakalnės g.", "Gedimino g.", "Kurmaičių g.", "Amatų g.", "Liepų g.", "Sodo g.",
    "J. Pabrėžos g.", "Vilties g.", "Ąžuolų g.", "Mokyklos g.", "Taikos g.",
)
# (locality, postcode prefix, weight) per municipality
LOCALITIES = {
    "LT-22": (("Kretinga", "LT-971", 55), ("Darbėnai", "LT-970", 8), ("Salantai", "LT-975", 7),
              ("Kartena", "LT-970", 5), ("Vydmantai", "LT-970", 5), ("Kūlupėnai", "LT-970", 4),
              ("Jokūbavas", "LT-970", 4), ("Grūšlaukė", "LT-970", 3), ("Žalgiriai", "LT-971", 3)),
    "LT-30": (("Palanga", "LT-001", 1),),
    "LT-20": (("Gargždai", "LT-961", 1),),
    "LT-47": (("Skuodas", "LT-981", 1),),
}


def address(rng: random.Random, municipality: str) -> tuple[str, str, str, str]:
    """(street, house and flat number, locality, postcode) of a new home."""
    places = LOCALITIES.get(municipality, LOCALITIES["LT-22"])
    locality, prefix, _ = rng.choices(places, [w for *_, w in places])[0]
    house = str(rng.randint(1, 120)) + (rng.choice("ABC") if rng.random() < 0.08 else "")
    if locality in ("Kretinga", "Palanga", "Gargždai") and rng.random() < 0.5:
        house += f"-{rng.randint(1, 60)}"  # a flat
    return rng.choice(STREETS), house, locality, f"{prefix}{rng.randint(0, 99):02d}"


def street_as_written(street: str, rng: random.Random) -> str:
    """The register writes 'Vilniaus g.'; clerks also write 'Vilniaus gatvė'."""
    if rng.random() < 0.3:
        return street.replace(" g.", " gatvė").replace(" al.", " alėja").replace(" a.", " aikštė")
    return street
