"""Which column names may be quoted back to a person, and when a "header" is really a row of data.

A file sent without its header row has its first record read as column names: a person's name,
birth date and (mistyped) personal code would then be echoed as "Unknown column 'Zebediejus'" in
receipts, the quarantine table and the partner's check report, which may be e-mailed to the hub.
So a column name is quoted only when it is a known name (a contract header in any spelling, an
identifier column's name, an organisation's configured name) or has the shape of a column name
and of nothing else: ASCII lowercase snake_case, at most 40 characters, no long run of digits.
Every other name is reported by its position. Deliberately conservative: a partner's `Pastabos`
is reported as "column 4", never a `Zebediejus` as a name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from functools import lru_cache

from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import Problem
from interchange.contract.records import Kind, lithuanian_texts
from interchange.contract.text import fold, key_of

_COLUMN_SHAPE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_LONG_DIGITS = re.compile(r"[0-9]{5}")
# What a cell of data looks like and a column name never does.
_DATE = re.compile(r"\d{4}[-./]\d{1,2}[-./]\d{1,2}(?:[T ][0-9:.]+)?|\d{1,2}[-./]\d{1,2}[-./]\d{2,4}")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_DIGITS = re.compile(r"\d")
_HEX = re.compile(r"[0-9a-fA-F]{32,}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A name, a street or a place as a case system writes it: capitalised words of letters.
_PROPER = re.compile(r"[^\W\d_][^\W\d_'’.-]*(?:[ '’.-]+[^\W\d_][^\W\d_'’.-]*)*\.?")
_FLAG_WORDS = frozenset({"taip", "ne", "true", "false", "yes", "no", "moteris", "vyras", "female", "male"})


def quotable(header: str, known: Collection[str] = ()) -> bool:
    """May `header` be shown as written? `known` holds the comparison keys (`key_of`) of names
    the hub knows (contract and identifier headers, an organisation's own names)."""
    if key_of(header) in known:
        return True
    return _COLUMN_SHAPE.fullmatch(header) is not None and not _LONG_DIGITS.search(header)


def quotable_headers(headers: Iterable[str], known: Collection[str] = ()) -> set[str]:
    return {header for header in headers if quotable(header, known)}


def header_row_is_data(headers: list[str], known: Collection[str] = ()) -> bool:
    """True when the header row looks like a record: the file was sent without its header row.

    Cells known as column names never count. A row counts as data when two of its cells look
    like values (a date, a number, a personal code, a yes/no or sex word, a hash, an e-mail,
    a record id with digits), or one does and another is a capitalised name, or when it holds
    two names and a blank cell before the last name and not one known name (a record whose code
    is empty).
    """
    values = names = blanks = recognised = 0
    last = max((position for position, header in enumerate(headers) if header.strip()), default=-1)
    for position, header in enumerate(headers):
        text = header.strip()
        if not text:
            blanks += position < last  # trailing blank columns are a spreadsheet's, not an empty code
        elif key_of(text) in known:
            recognised += 1
        elif _looks_like_value(text):
            values += 1
        elif _PROPER.fullmatch(text) and text[0].isupper() and not text.isupper():
            names += 1
    return values >= 2 or (values >= 1 and names >= 1) or (names >= 2 and blanks >= 1 and not recognised)


def _looks_like_value(text: str) -> bool:
    if _DATE.fullmatch(text) or _NUMBER.fullmatch(text) or _HEX.fullmatch(text) or _EMAIL.fullmatch(text):
        return True
    if fold(text) in _FLAG_WORDS or holds_personal_code(text):
        return True
    # A record id or a mistyped code: a short token without spaces holding three or more digits.
    return " " not in text and len(text) <= 40 and len(_DIGITS.findall(text)) >= 3


@lru_cache(maxsize=1)
def contract_header_keys() -> frozenset[str]:
    """Comparison keys of every contract header (English and Lithuanian) of every kind."""
    keys = set()
    for kind in Kind:
        for name, (header_lt, _) in lithuanian_texts(kind).items():
            keys |= {key_of(name), key_of(header_lt)}
    return frozenset(keys)


def hide_unquotable(problems: list[Problem], headers: Iterable[str], known: Collection[str] = ()) -> list[Problem]:
    """`problems` with every column the file names but that may not be quoted taken out (the row
    still says where); a reader's problem (`row.encoding`) names any column it met."""
    hidden = {header for header in headers if not quotable(header, known)}
    if not hidden:
        return problems
    return [p.model_copy(update={"column": None}) if p.column in hidden else p for p in problems]
