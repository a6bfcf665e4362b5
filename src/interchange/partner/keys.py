"""The pseudonymisation key shared by the partners, and the subkeys derived from it.

The key never reaches the hub: whoever holds it can enumerate the whole personal-code space
(about 10^9 plausible codes) in minutes and undo every pseudonym. Errors therefore carry only
problem codes, and nothing here prints, logs or reprs the key material.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from interchange.contract.problems import ProblemError, error

MINIMUM_BITS = 256
_SUBKEY_PREFIX = b"interchange/v1/subkey/"
_FINGERPRINT_LABEL = b"interchange/v1/fingerprint"
_HEX = re.compile(r"[0-9a-fA-F]+")

_HEADER = """\
# Interchange pseudonymisation key (HMAC-SHA256 master key, 256 bits, hexadecimal).
#
# SECRET. Never send this file to the hub, never attach it to a drop, never commit it.
# Whoever holds it together with the pseudonymised data can recover personal codes.
#
# How it is shared: the key custodian generates it once ('interchange keygen') and hands it
# to each partner out of band - in person on encrypted media, or in a password-protected
# archive whose password goes by another channel (e.g. read out over the phone). Never by
# plain e-mail. Every partner must use the same key, or their pseudonyms will not link.
#
# Store it readable only by the account that runs the pseudonymiser (chmod 600).
# Lines starting with '#' are comments; the first other line is the key.
"""


class PseudonymKey:
    """The master secret and its per-purpose subkeys.

    Every use gets its own subkey (person pseudonym, household pseudonym, each field's token,
    each field's Bloom filter), so values made for different purposes can never be compared.
    """

    __slots__ = ("_fingerprint", "_master", "_subkeys")

    def __init__(self, master: bytes) -> None:
        if len(master) * 8 < MINIMUM_BITS:
            raise ProblemError(error("key.too_short", bits=len(master) * 8, minimum=MINIMUM_BITS))
        self._master = bytes(master)
        self._subkeys: dict[str, bytes] = {}
        digest = hmac.new(self._master, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
        self._fingerprint = digest[:16]

    @property
    def fingerprint(self) -> str:
        """16 hex chars that tell two partners' keys apart without revealing either."""
        return self._fingerprint

    @property
    def bits(self) -> int:
        """Length of the master secret in bits."""
        return len(self._master) * 8

    def subkey(self, purpose: str) -> bytes:
        """HMAC-SHA256(master, b"interchange/v1/subkey/" + purpose), cached per purpose."""
        cached = self._subkeys.get(purpose)
        if cached is None:
            message = _SUBKEY_PREFIX + purpose.encode("utf-8")
            cached = hmac.new(self._master, message, hashlib.sha256).digest()
            self._subkeys[purpose] = cached
        return cached

    def __repr__(self) -> str:
        return f"PseudonymKey(fingerprint={self._fingerprint!r}, bits={self.bits})"


def generate_key_text(secret: bytes | None = None) -> str:
    """A new key file body: the explanatory comment header and 64 fresh hex characters (or `secret`'s)."""
    return _HEADER + (secret.hex() if secret is not None else secrets.token_hex(MINIMUM_BITS // 8)) + "\n"


def write_new_key(path: Path, *, secret: bytes | None = None) -> PseudonymKey:
    """Create a new key file readable only by its owner.

    `secret` is for the demo and tests, whose drops must be reproducible; a real key is
    always fresh from the operating system's random source.

    Raises:
        FileExistsError: when ``path`` already exists; an existing key is never replaced,
            because every pseudonym made with it would stop linking.
    """
    text = generate_key_text(secret)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only remove bits, but be explicit
        os.write(fd, text.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _key_from_text(text)


def load_key(path: Path) -> PseudonymKey:
    """Read a key file.

    Raises:
        ProblemError: ``key.missing``, ``key.empty``, ``key.format`` or ``key.too_short``.
    """
    try:
        raw = Path(path).read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise ProblemError(error("key.missing")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProblemError(error("key.format")) from None
    return _key_from_text(text)


def _key_from_text(text: str) -> PseudonymKey:
    line = _first_key_line(text)
    if line is None:
        raise ProblemError(error("key.empty"))
    if not _HEX.fullmatch(line) or len(line) % 2:
        raise ProblemError(error("key.format"))
    bits = len(line) * 4
    if bits < MINIMUM_BITS:
        raise ProblemError(error("key.too_short", bits=bits, minimum=MINIMUM_BITS))
    return PseudonymKey(bytes.fromhex(line))


def _first_key_line(text: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return None
