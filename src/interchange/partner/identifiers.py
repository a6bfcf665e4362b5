"""Direct identifiers a raw extract may hold, and only the pseudonymiser may read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from interchange.contract.records import Kind
from interchange.contract.text import key_of


@dataclass(frozen=True)
class IdentifierColumn:
    name: str  # English header
    header_lt: str
    description_en: str
    description_lt: str


PERSONAL_CODE = IdentifierColumn(
    "personal_code", "asmens_kodas", "Lithuanian personal code (11 digits).",
    "Lietuvos asmens kodas (11 skaitmenų).")
GIVEN_NAME = IdentifierColumn("given_name", "vardas", "Given name(s).", "Vardas (vardai).")
SURNAME = IdentifierColumn("surname", "pavarde", "Surname(s).", "Pavardė (pavardės).")
BIRTH_DATE = IdentifierColumn(
    "birth_date", "gimimo_data", "Birth date (YYYY-MM-DD) when the personal code is unknown.",
    "Gimimo data (MMMM-MM-DD), kai asmens kodas nežinomas.")
STREET = IdentifierColumn(
    "street", "gatve", "Street of residence (e.g. Vilniaus g.).",
    "Gyvenamosios vietos gatvė (pvz., Vilniaus g.).")
HOUSE_NUMBER = IdentifierColumn(
    "house_number", "namo_numeris", "House and flat number (e.g. 12A-5).",
    "Namo ir buto numeris (pvz., 12A-5).")
LOCALITY = IdentifierColumn(
    "locality", "gyvenamoji_vietove", "City, town or village of residence.",
    "Gyvenamoji vietovė (miestas, miestelis, kaimas).")
POSTCODE = IdentifierColumn("postcode", "pasto_kodas", "Postcode (e.g. LT-97111).",
                            "Pašto kodas (pvz., LT-97111).")
REFERENCE_CODE = IdentifierColumn(
    "reference_personal_code", "atstovo_asmens_kodas",
    "Personal code of the household's reference person.",
    "Namų ūkio atstovo asmens kodas.")

RAW_IDENTIFIERS: dict[Kind, tuple[IdentifierColumn, ...]] = {
    Kind.PERSON: (PERSONAL_CODE, GIVEN_NAME, SURNAME, BIRTH_DATE, STREET, HOUSE_NUMBER, LOCALITY,
                  POSTCODE),
    Kind.HOUSEHOLD: (REFERENCE_CODE,),
}
ALL_IDENTIFIERS = (PERSONAL_CODE, GIVEN_NAME, SURNAME, BIRTH_DATE, STREET, HOUSE_NUMBER, LOCALITY,
                   POSTCODE, REFERENCE_CODE)

# Headers partners commonly use for the same columns; matched after folding.
_MORE_ALIASES = {
    "personal_code": ("ak", "asmens_kodas", "personal_id", "national_id"),
    "given_name": ("vardai", "first_name"),
    "surname": ("pavardes", "last_name", "family_name"),
    "birth_date": ("date_of_birth", "gim_data"),
    "street": ("gatves_pavadinimas", "street_name"),
    "house_number": ("namo_nr", "namas", "house_no"),
    "locality": ("vietove", "miestas", "gyvenviete", "city", "town"),
    "postcode": ("pasto_indeksas", "post_code", "zip"),
}


def identifier_aliases(columns: tuple[IdentifierColumn, ...]) -> dict[str, str]:
    """Header spelling -> identifier name, for the header matcher."""
    aliases = {}
    for column in columns:
        for alias in (column.name, column.header_lt, *_MORE_ALIASES.get(column.name, ())):
            aliases[alias] = column.name
    return aliases


@lru_cache(maxsize=1)
def identifier_keys() -> frozenset[str]:
    """Folded header keys of every identifier column: such a column must never be in a drop."""
    return frozenset({key_of(alias) for alias in identifier_aliases(ALL_IDENTIFIERS)} | {
        "vardas_pavarde", "name", "full_name", "adresas", "address", "telefonas", "phone",
        "el_pastas", "email",
    })
