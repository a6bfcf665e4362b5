"""Keyed pseudonyms for people and households, and exact-match tokens for fields.

Every value is HMAC-SHA256 under its own subkey (see :class:`PseudonymKey.subkey`), written as
64 lower-case hex characters. Without the key, a pseudonym cannot be linked back to a code;
with it, the 11-digit space can be enumerated, which is why the key stays with the partners.
"""

from __future__ import annotations

import hashlib
import hmac

from interchange.contract.personal_code import PersonalCode
from interchange.partner.keys import PseudonymKey

PERSON_PURPOSE = "person_pseudonym"
HOUSEHOLD_PURPOSE = "household_pseudonym"


def person_pseudonym(key: PseudonymKey, code: PersonalCode) -> str:
    """The person's pseudonym: hex HMAC-SHA256(subkey "person_pseudonym", code)."""
    return _hmac_hex(key.subkey(PERSON_PURPOSE), code.code)


def household_pseudonym(key: PseudonymKey, code: PersonalCode) -> str:
    """The household's pseudonym, from its reference person's code under its own subkey.

    A different subkey from :func:`person_pseudonym`, so the hub cannot tell which person is a
    household's reference person by comparing the two.
    """
    return _hmac_hex(key.subkey(HOUSEHOLD_PURPOSE), code.code)


def field_token(key: PseudonymKey, field: str, normalised: str) -> str | None:
    """The exact-match token of a normalised field value; None when the value is empty.

    The subkey is "token/<field>", so the token of "jonas" as a given name and as a surname
    differ and fields cannot be cross-matched.
    """
    if not normalised:
        return None
    return _hmac_hex(key.subkey(f"token/{field}"), normalised)


def _hmac_hex(subkey: bytes, value: str) -> str:
    # hmac.digest is the one-shot C path: several times faster than hmac.new per value.
    return hmac.digest(subkey, value.encode("utf-8"), hashlib.sha256).hex()
