"""Text folding shared by header matching and code-list look-ups."""

import re
import unicodedata
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Letters that NFKD does not decompose but that occur in names of people living in Lithuania
# (Polish ł in particular): without this table "Łukasz" would become "ukasz".
_EXTRA_FOLDS = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "ı": "i", "æ": "ae", "œ": "oe"})


@lru_cache(maxsize=65_536)  # partner files repeat the same names, flags and places
def fold(text: str) -> str:
    """Casefold and drop diacritics: 'Šarūnė' -> 'sarune'.

    Every Lithuanian letter (ą č ę ė į š ų ū ž) decomposes under NFKD into a Latin
    letter and a combining mark, so dropping the marks is enough.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_EXTRA_FOLDS)


def key_of(text: str) -> str:
    """A comparison key: folded, every run of non-alphanumerics one underscore.

    'Gimimo metai', 'gimimo_metai' and 'GIMIMO-METAI' share the key 'gimimo_metai'.
    """
    return _NON_ALNUM.sub("_", fold(text)).strip("_")


# C0 and C1 control characters other than tab, line feed and carriage return. No contract
# value holds one, PostgreSQL cannot store NUL in text, and a terminal may act on the others.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# What an identifier may not hold at all: every control (tab and line breaks too), format
# characters (BOM, zero-width, direction marks) and the Unicode line and paragraph separators.
_NOT_IN_IDENTIFIER = frozenset(("Cc", "Cf", "Zl", "Zp"))
# Invisible characters an editor or a concatenated export leaves around an identifier.
_INVISIBLE_EDGES = "\ufeff\u200b\u200c\u200d\u2060 \t\r\n"


def first_control(text: str) -> str | None:
    """The first control character in `text` that no value may hold (tab and line breaks may)."""
    if text.isprintable():  # no control at all: the common case, in C
        return None
    match = _CONTROL.search(text)
    return match[0] if match else None


def replace_controls(text: str) -> str:
    """`text` with every control character `first_control` finds shown as U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


def strip_invisible(text: str) -> str:
    """`text` without whitespace, BOMs and zero-width characters at either end."""
    return text.strip(_INVISIBLE_EDGES).strip()


def first_unprintable(text: str) -> str | None:
    """The first character an identifier may not hold: controls, format characters, line breaks."""
    if text.isprintable():  # the common case, in C
        return None
    for char in text:
        if unicodedata.category(char) in _NOT_IN_IDENTIFIER:
            return char
    return None


def escape_of(char: str) -> str:
    """How a problem names a character without printing it: 'U+0000'."""
    return f"U+{ord(char):04X}"
