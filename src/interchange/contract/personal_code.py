"""Lithuanian personal codes (asmens kodai): validation without ever echoing the code.

A personal code has the form ``GYYMMDDNNNC``:

* ``G`` – century and sex: 1/2 → 1800s, 3/4 → 1900s, 5/6 → 2000s; odd = male, even = female;
* ``YYMMDD`` – birth date; the registry writes month ``00`` and day ``00`` (or day ``00``
  alone) when only part of the birth date is known;
* ``NNN`` – serial number of people registered with the same birth date;
* ``C`` – check digit (see :func:`check_digit`).

Nothing here raises on bad input or puts the input into a message: the result of a failed
check is one of the stable problem codes ``code.format``, ``code.century``,
``code.birth_date``, ``code.future`` or ``code.checksum``. Standard library only, because the
contract layer uses it to refuse personal codes that leak into drops.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from interchange import clock

_DIGITS_11 = re.compile(r"[0-9]{11}")  # not \d: it also matches Arabic-Indic and other digits
# Eleven digits, a space or dash allowed between any two, standing alone (not part of a longer
# number, nor glued to letters, as digits are inside a hexadecimal pseudonym): how a personal code
# is typed into a free-text cell ("387 0318 1745", "tel. 38703181745", "P-38703181745"). The digit
# class comes first, so the engine tries the look-behinds only where a code could start.
_WRITTEN_CODE = re.compile(r"[1-6](?<![0-9A-Za-z][1-6])(?<![0-9][ -][1-6])(?:[ -]?[0-9]){10}"
                           r"(?![0-9A-Za-z])(?![ -][0-9])")
_SEPARATORS = str.maketrans("", "", " -")
_CENTURY_BASE = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
_WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 1)
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 1, 2, 3)


@dataclass(frozen=True, repr=False)
class PersonalCode:
    """A valid personal code and what it says about its holder.

    The repr is deliberately empty of content: a PersonalCode that ends up in a log line or a
    traceback must not reveal the code, the birth date or the sex.
    """

    code: str
    birth_year: int
    birth_date: date | None
    sex: str

    def __repr__(self) -> str:
        return "PersonalCode(<redacted>)"


def check_digit(first_ten: str) -> int:
    """The check digit for the first ten digits of a personal code.

    Args:
        first_ten: exactly ten ASCII digits.

    Returns:
        The digit the eleventh position must hold.

    Raises:
        ValueError: when ``first_ten`` is not ten ASCII digits (the message holds no digits).
    """
    if len(first_ten) != 10 or not first_ten.isascii() or not first_ten.isdigit():
        raise ValueError("check_digit needs exactly ten ASCII digits")
    digits = [int(c) for c in first_ten]
    remainder = _weighted_remainder(digits, _WEIGHTS_FIRST)
    if remainder != 10:
        return remainder
    remainder = _weighted_remainder(digits, _WEIGHTS_SECOND)
    return remainder if remainder != 10 else 0


def parse_personal_code(text: object, *, today: date | None = None) -> PersonalCode | str:
    """Validate a personal code.

    Args:
        text: the code as written; surrounding whitespace is ignored, nothing else is.
        today: the date that counts as today for the future-date check (for tests).

    Returns:
        The :class:`PersonalCode`, or the problem code string of the first check that failed:
        ``code.format``, ``code.century``, ``code.birth_date``, ``code.future`` or
        ``code.checksum``. Never raises on bad input.
    """
    return _validate(text, today=today or clock.today())


def looks_like_personal_code(value: object) -> bool:
    """True when ``value`` would pass as a personal code (future dates included).

    Used to catch personal codes that leak into record ids and other free fields, so a code
    "born tomorrow" still counts: the future check guards data quality, not leaks.
    """
    try:
        text = str(value)
    except Exception:  # a hostile __str__ must not break the caller's row loop
        return False
    return not isinstance(_validate(text, today=None), str)


def holds_personal_code(text: str) -> bool:
    """True when ``text`` contains, anywhere, a personal code, possibly written with spaces or dashes.

    One regular-expression scan finds the candidates (in C: many rows joined into one string are
    scanned at once); only a candidate is checked for its century, birth date and check digit, so
    eleven-digit numbers that are not codes (phone and most account numbers) pass.
    """
    return any(looks_like_personal_code(match.group().translate(_SEPARATORS))
               for match in _WRITTEN_CODE.finditer(text))


def _validate(text: object, *, today: date | None) -> PersonalCode | str:
    # Checks run in the documented order; today=None skips the future check.
    if not isinstance(text, str):
        return "code.format"
    code = text.strip()
    if not _DIGITS_11.fullmatch(code):
        return "code.format"
    century = _CENTURY_BASE.get(int(code[0]))
    if century is None:
        return "code.century"
    year = century + int(code[1:3])
    month, day = int(code[3:5]), int(code[5:7])
    if not _date_parts_valid(year, month, day):
        return "code.birth_date"
    if today is not None and _earliest_day(year, month, day) > today:
        return "code.future"
    if check_digit(code[:10]) != int(code[10]):
        return "code.checksum"
    birth_date = date(year, month, day) if month and day else None
    sex = "male" if int(code[0]) % 2 else "female"
    return PersonalCode(code=code, birth_year=year, birth_date=birth_date, sex=sex)


def _date_parts_valid(year: int, month: int, day: int) -> bool:
    # 00 marks an unknown part; an unknown month with a known day makes no sense.
    if month == 0:
        return day == 0
    if month > 12:
        return False
    return day <= calendar.monthrange(year, month)[1]


def _earliest_day(year: int, month: int, day: int) -> date:
    # With unknown parts the earliest possible day decides: a code is only "in the future"
    # when even that day has not come yet.
    return date(year, month or 1, day or 1)


def _weighted_remainder(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
