"""Normalisation of names and birth dates before they are tokenised or Bloom-encoded.

Two partners must turn the same person's name into the same string even when one writes
"ŠARŪNĖ" and the other "Sarune", so everything is folded to lower-case ASCII letters and
single spaces. The exact rules are in docs/pseudonyms.md; any change here breaks linkage with
partners who have not changed, so treat them as a versioned contract.
"""

from __future__ import annotations

import re
from datetime import date

from interchange.contract.text import fold

# Hyphens, apostrophes and dots separate parts of a name; they become spaces.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015'`\u2018\u2019\u02bc.]+")
_NOT_LETTER_OR_SPACE = re.compile(r"[^a-z ]+")
_SPACES = re.compile(r" +")

# Longest first: the first ending that matches and leaves at least _MIN_ROOT letters wins.
_SURNAME_ENDINGS = ("iene", "iute", "aite", "yte", "ute", "ius", "ys", "is", "as", "us", "e", "a")
_MIN_ROOT = 3


# Address words as the Lithuanian address register abbreviates them, so "Vilniaus gatvė" and
# "Vilniaus g." give one token. Only whole words are replaced.
_ADDRESS_WORDS = {
    "gatve": "g", "prospektas": "pr", "aleja": "al", "skersgatvis": "skg", "plentas": "pl",
    "kelias": "kel", "aikste": "a", "takas": "tak", "krantine": "krant",
}
_NOT_ALNUM_OR_SPACE = re.compile(r"[^a-z0-9 ]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_LEADING_ZEROS = re.compile(r"^0+(?=\d)")

__all__ = ["fold", "name_pair", "normalise_birth_date", "normalise_house_number",
           "normalise_locality", "normalise_name", "normalise_postcode", "normalise_street",
           "surname_root"]


def normalise_name(text: str | None) -> str:
    """A name as lower-case ASCII words separated by single spaces.

    Hyphens, apostrophes, dots and whitespace runs become one space; every other character
    that is not a-z after :func:`fold` is dropped. "  Jonaitienė-Petraitė " →
    "jonaitiene petraite"; None or blank → "".
    """
    if not text:
        return ""
    spaced = _SEPARATORS.sub(" ", fold(text))
    letters = _NOT_LETTER_OR_SPACE.sub("", spaced)
    return _SPACES.sub(" ", letters).strip()


def normalise_street(text: str | None) -> str:
    """A street name as lower-case ASCII words, digits kept, register abbreviations applied.

    Like :func:`normalise_name`, but digits stay (streets such as "Birželio 23-iosios") and
    the words gatvė, prospektas, alėja, skersgatvis, plentas, kelias, aikštė, takas, krantinė
    become g, pr, al, skg, pl, kel, a, tak, krant: "Vilniaus gatvė" and "Vilniaus g." →
    "vilniaus g"; "Birželio 23-iosios g." → "birzelio 23 iosios g".
    """
    if not text:
        return ""
    spaced = _SEPARATORS.sub(" ", fold(text))
    words = _NOT_ALNUM_OR_SPACE.sub("", spaced).split()
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in words)


def normalise_house_number(text: str | None) -> str:
    """House and flat number as "12a-5": lower case, letters and digits, parts joined by "-".

    Lithuanian addresses write the flat after the house number ("Vilniaus g. 12-5"); any
    run of other characters (spaces, "/", "-", "k.") separates parts, and leading zeros go:
    "12A - 05" → "12a-5", "012" → "12".
    """
    if not text:
        return ""
    parts = [_LEADING_ZEROS.sub("", p) for p in _NOT_ALNUM.split(fold(text)) if p]
    return "-".join(parts)


def normalise_locality(text: str | None) -> str:
    """A city, town or village name, normalised exactly like a name: "Darbėnai" → "darbenai"."""
    return normalise_name(text)


def normalise_postcode(text: str | None) -> str:
    """The digits of a postcode: "LT-97111" and "97111" → "97111"."""
    if not text:
        return ""
    return "".join(c for c in str(text) if c.isascii() and c.isdigit())


def surname_root(normalised: str) -> str:
    """The part of a Lithuanian surname that stays the same across gender and marital forms.

    Lithuanian surnames change their ending: Jonaitis (man) / Jonaitienė (married woman) /
    Jonaitytė (unmarried woman); Petrauskas / Petrauskienė / Petrauskaitė; Vaitkus /
    Vaitkienė / Vaitkutė; Stankevičius / Stankevičienė / Stankevičiūtė; Kairys / Kairienė /
    Kairytė. Rule, on the output of :func:`normalise_name`: take the last word (a double
    surname "jonaitiene petraite" is rooted on "petraite"), then strip the first ending of
    "iene", "iute", "aite", "yte", "ute", "ius", "ys", "is", "as", "us", "e", "a" (tried in
    that order, longest first) that matches and leaves at least three letters.

    Known limits: the root is a linkage hint, not an identity.

    * The ending-neutral female form allowed since 2003 (Jonaitė for the Jonaitis family)
      loses "aite" and gives "jon", not "jonait"; Petrauskė, Vaitkė, Kairė do work.
    * Distinct families can share a root (Kairys and Kairas → "kair"; Jonas and Jonė → "jon").
    * Foreign and Slavic surnames are not stemmed consistently (Kowalski / Kowalska →
      "kowalski" / "kowalsk"), and Stankevič and Stankiewicz stay different.
    * Only the last word of a double surname counts, so a woman who adds her husband's
      surname links on that part only.
    """
    words = normalised.split()
    if not words:
        return ""
    return _strip_ending(words[-1])


def name_pair(given: str, surname: str) -> str:
    """Given name and surname in either order: the two normalised names sorted, joined by " ".

    "Jonaitis Jonas" entered the wrong way round (given name in the surname column) gives the
    same pair as "Jonas Jonaitis": ("jonas", "jonaitis") and ("jonaitis", "jonas") both →
    "jonaitis jonas". Empty unless both names are known: a pair of one name says no more than
    the per-field encodings.
    """
    if not given or not surname:
        return ""
    return " ".join(sorted((given, surname)))


def normalise_birth_date(value: date) -> str:
    """A birth date as "YYYYMMDD" (zero-padded, so years before 1000 keep four digits)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _strip_ending(word: str) -> str:
    for ending in _SURNAME_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_ROOT:
            return word[: -len(ending)]
    return word
