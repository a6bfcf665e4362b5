"""Value types of the contract: how a partner's cell becomes a typed value.

Each failure raises a PydanticCustomError whose type is a problem code from
the catalogue (`problem.*`), so a rejected cell turns into a bilingual problem without a
translation table. No error text includes the value itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from interchange import clock
from interchange.contract.codes import (
    AMBIGUOUS_SEX,
    MUNICIPALITY_CODES,
    SEX_ALIASES,
    Sex,
    find_municipality,
)
from interchange.contract.personal_code import holds_personal_code, looks_like_personal_code
from interchange.contract.services import CATALOGUE_VERSION, SERVICES, Mode, find_service
from interchange.contract.text import escape_of, first_unprintable, fold, strip_invisible

# Bloom filters are 1024 bits; a drop made with other parameters cannot be compared.
BLOOM_FILTER_BYTES = 128
_BASE64_128_BYTES = r"^[A-Za-z0-9+/]{171}=$"

_TRUE = {"true", "taip", "yes", "1", "t", "y"}
_FALSE = {"false", "ne", "no", "0", "f", "n"}
_DATE = re.compile(r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[T ][0-9:.]+)?$")
# A number cell formatted with decimals, as a Lithuanian-locale spreadsheet writes it: 45,0.
# Only a zero fraction of one or two digits: "1,000" is a thousand to some and one to others.
_DECIMAL_COMMA_WHOLE = re.compile(r"^\s*([+-]?\d+),0{1,2}\s*$")
# A record id is a code of the partner's system: no spaces inside, never a name (contract docs).
_ID_SPACE = re.compile(r"\s")
_ID_JOINERS = re.compile(r"[-._]")


def _fail(code: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, code, ctx or None)


def _yes_no(value: object) -> object:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = fold(str(value)).strip()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _fail("value.boolean")


def _whole_number(value: object) -> object:
    if isinstance(value, str) and (match := _DECIMAL_COMMA_WHOLE.match(value)):
        return match[1]
    return value  # anything else (1,5 too) is judged by int parsing: value.integer


def _calendar_date(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or value is None:
        return value
    # Year first only: 03/04/2026 means March to some partners and April to others.
    match = _DATE.match(str(value).strip())
    if not match:
        raise _fail("value.date")
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        raise _fail("value.date") from None


def _not_in_future(value: date | None) -> date | None:
    if value is not None and value > clock.today():
        raise _fail("value.future")
    return value


def _past_year(value: int | None) -> int | None:
    if value is not None and value > clock.today().year:
        raise _fail("value.future")
    return value


def _sex(value: object) -> object:
    if value is None or isinstance(value, Sex):
        return value
    text = fold(str(value)).strip().rstrip(".")
    if text in AMBIGUOUS_SEX:
        raise _fail("value.sex_ambiguous")
    if text in SEX_ALIASES:
        return SEX_ALIASES[text]
    raise _fail("value.choice", expected="female, male (moteris, vyras)")


def _municipality(value: object) -> object:
    if value is None:
        return None
    code = find_municipality(str(value))
    if code is None:
        raise _fail("value.unknown_municipality")
    return code


def _service(mode: Mode) -> Callable[[object], object]:
    def check(value: object) -> object:
        if value is None:
            return None
        service = find_service(str(value))
        if service is None:
            raise _fail("value.unknown_service", version=CATALOGUE_VERSION)
        if service.mode not in (mode, Mode.EITHER):
            kind = "group_session" if service.mode is Mode.GROUP else "contact"
            raise _fail("value.invalid", expected=f"a service reported in {kind} rows")
        return service.code

    return check


def _no_personal_code(value: str) -> str:
    code = record_id_problem(value)
    if code == "value.personal_code":
        raise _fail(code)
    if code is not None:
        raise _fail(code, expected=FORMAT_HINTS["record_id"])
    return value


def _identifier(value: object) -> object:
    # A BOM or a zero-width space around an id is an editor's trace, not part of the id; inside
    # it (or a line break, a tab, a control) it would make two ids that look the same differ.
    if not isinstance(value, str) or value.isprintable():  # the common case, in C
        return value
    value = strip_invisible(value)
    char = first_unprintable(value)
    if char is not None:
        raise _fail("value.control_character", character=escape_of(char))
    return value


def record_id_problem(value: str) -> str | None:
    """Why `value` cannot be a record id (`value.personal_code`, `value.format`), or None.

    A personal code is found with spaces or dashes too ("387 0318 1745") and inside the id
    ("P-38703181745"); an id with spaces or made of capitalised words may be a name.
    """
    # A personal code takes eleven characters at least: most ids are shorter (checked per row).
    if len(value) >= 11 and (looks_like_personal_code(value) or holds_personal_code(value)):
        return "value.personal_code"
    if _ID_SPACE.search(value) or _looks_like_name(value):
        return "value.format"
    return None


def _looks_like_name(value: str) -> bool:
    """A capitalised word, or such words joined by '-', '.' or '_' (Zebediejus, Jonas-Petraitis)."""
    first, second = value[:1], value[1:2]
    if not (first.isupper() and second.isalpha() and not second.isupper()):  # "A-1001", "MIC-00001": no split
        return False
    parts = _ID_JOINERS.split(value)
    return all(len(p) > 1 and p.isalpha() and p[0].isupper() and p[1:].islower() for p in parts)


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        value = value.split("|")
    if isinstance(value, list | tuple):
        parts = [str(v).strip() for v in value if v is not None]
        return list(dict.fromkeys(p for p in parts if p))
    return value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


RecordId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    BeforeValidator(_identifier),
    AfterValidator(_no_personal_code),
]
OrgCode = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$"), BeforeValidator(_lower)
]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]
CalendarDate = Annotated[date, BeforeValidator(_calendar_date)]
PastDate = Annotated[date, BeforeValidator(_calendar_date), AfterValidator(_not_in_future)]
# Whole numbers with their limits inside the type, so the JSON Schema shows them as minimum/maximum.
Minutes = Annotated[int, Field(ge=1, le=1440), BeforeValidator(_whole_number)]
ChildCount = Annotated[int, Field(ge=0, le=30), BeforeValidator(_whole_number)]
ParticipationLevel = Annotated[int, Field(ge=0, le=55), BeforeValidator(_whole_number)]
AttendeeCount = Annotated[int, Field(ge=0, le=500), BeforeValidator(_whole_number)]
BirthYear = Annotated[int, Field(ge=1890), BeforeValidator(_whole_number), AfterValidator(_past_year)]
SexValue = Annotated[Sex, BeforeValidator(_sex)]
MunicipalityCode = Annotated[
    str, BeforeValidator(_municipality), Field(json_schema_extra={"enum": list(MUNICIPALITY_CODES)})
]
Hex64 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$"), BeforeValidator(_lower)]
BloomText = Annotated[str, StringConstraints(strip_whitespace=True, pattern=_BASE64_128_BYTES)]
IdList = Annotated[list[RecordId], BeforeValidator(_split_ids)]

_INDIVIDUAL_CODES = [s.code for s in SERVICES if s.mode is not Mode.GROUP]
_GROUP_CODES = [s.code for s in SERVICES if s.mode is not Mode.INDIVIDUAL]
IndividualService = Annotated[
    str, BeforeValidator(_service(Mode.INDIVIDUAL)), Field(json_schema_extra={"enum": _INDIVIDUAL_CODES})
]
GroupService = Annotated[
    str, BeforeValidator(_service(Mode.GROUP)), Field(json_schema_extra={"enum": _GROUP_CODES})
]

# Shown when a value does not match its pattern: says what was expected, not what came.
FORMAT_HINTS: dict[str, str] = {
    "org": "2–32 lowercase letters, digits, '-' or '_'",
    "record_id": "an id of your system without spaces, such as A-1001 (never a name or a personal code)",
    "pseudonym": "64 hexadecimal characters (made by 'interchange pseudonymise')",
    "bloom": f"base64 of {BLOOM_FILTER_BYTES} bytes (made by 'interchange pseudonymise')",
}
