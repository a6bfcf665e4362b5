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
