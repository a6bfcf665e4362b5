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


__all__ = ["fold", "normalise_birth_date", "normalise_name", "surname_root"]


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


def normalise_birth_date(value: date) -> str:
    """A birth date as "YYYYMMDD" (zero-padded, so years before 1000 keep four digits)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _strip_ending(word: str) -> str:
    for ending in _SURNAME_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_ROOT:
            return word[: -len(ending)]
    return word
