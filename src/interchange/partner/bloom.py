"""Per-field keyed Bloom filters of bigrams, for fuzzy linkage of names and birth dates.

Construction (field-level Bloom filters after Schnell, Bachteler & Reiher 2009, with keyed
random hashing instead of double hashing; docs/pseudonyms.md has it byte by byte):

* the normalised value is padded as ``"_" + value + "_"`` so the first and last letters form
  bigrams of their own, and split into overlapping bigrams (inner spaces are characters);
* each distinct bigram sets HASHES bit positions in a filter of BITS bits; the positions are
  the first HASHES big-endian 16-bit words of HMAC-SHA512(subkey "bloom/<field>", bigram),
  each taken mod BITS;
* similarity of two filters is the Dice coefficient of their set bits.

Known attacks on Bloom-filter encodings, and what is done about them:

* Frequency and pattern-mining attacks (Kroll & Steinmetzer 2015; Christen, Schnell,
  Vatsalan & Ranbaduge 2017; Christen, Ranbaduge, Vatsalan & Schnell 2018; Vidanage et al.
  2019): frequent names set frequent bit patterns, and an attacker who knows the name
  distribution can align the two and then recover bigrams bit by bit. Field-level filters,
  as used here, are more exposed to this than record-level ones.
* Cryptanalysis of double hashing (Niedermeyer, Steinmetzer, Kroll & Schnell 2014): with
  positions ``h1 + i*h2`` the bit pattern of a bigram is structured and can be recognised
  without knowing the key.

Mitigations chosen here:

* the key is held only by the partners; the hub and the ministry never have it, so nobody
  else can compute which bits a bigram sets or build a dictionary of encoded names;
* per-field subkeys, so the filters of different fields cannot be correlated with each other;
* random hashing: positions are a PRF of the bigram, so there is no double-hashing pattern;
* exact-match tokens alongside, so most links do not need the filters at all.

Residual risk, stated plainly: whoever holds the key AND the data can re-identify people. A
hub insider without the key can still attempt a frequency attack on the most common given
names; that is why the filters stay inside the hub and never go to the ministry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from functools import lru_cache

from interchange.contract.values import BLOOM_FILTER_BYTES
from interchange.partner.keys import PseudonymKey

# A name of ~7 letters padded gives ~8 bigrams; 8 x 20 positions set ~150 of 1024 bits,
# about 15 % fill. At that fill few bigrams share bits, so the Dice coefficient of two
# filters stays close to the Dice coefficient of their bigram sets. Longer filters cost bytes
# in every row (1024 bits = 172 base64 characters); shorter ones, or more hashes, fill up
# and collisions blur distinct names together.
BITS = BLOOM_FILTER_BYTES * 8  # 1024: the contract fixes the length, see values.py
HASHES = 20

_WORDS_PER_DIGEST = 32  # HMAC-SHA512 gives 64 bytes = 32 sixteen-bit words
_MAX_BITS = 1 << 16  # positions come from 16-bit words
_VALUE_CACHE = 65_536
_BIGRAM_CACHE = 8_192  # normalised names use 28 symbols, at most 784 bigrams


class BloomEncoder:
    """Encodes normalised values of one field into keyed Bloom filters.

    Positions per bigram and whole encoded values are cached, because both repeat heavily:
    a file of 100,000 people has a few thousand distinct names and a few hundred bigrams.
    """

    def __init__(self, key: PseudonymKey, field: str, bits: int = BITS,
                 hashes: int = HASHES) -> None:
        if bits <= 0 or bits % 8 or bits > _MAX_BITS:
            raise ValueError("bits must be a positive multiple of 8, at most 65536")
        if not 0 < hashes <= _WORDS_PER_DIGEST:
            raise ValueError(f"hashes must be between 1 and {_WORDS_PER_DIGEST}")
        self.field = field
        self.bits = bits
        self.hashes = hashes
        self._subkey = key.subkey(f"bloom/{field}")
        self._positions = lru_cache(maxsize=_BIGRAM_CACHE)(self._compute_positions)
        self._encode = lru_cache(maxsize=_VALUE_CACHE)(self._compute_filter)

    def __repr__(self) -> str:
        return f"BloomEncoder(field={self.field!r}, bits={self.bits}, hashes={self.hashes})"

    def encode(self, normalised: str) -> bytes | None:
        """The filter of a normalised value, as bits/8 big-endian bytes; None when empty.

        Position p is bit ``0x80 >> (p % 8)`` of byte ``p // 8``, i.e. the filter read as a
        string of bits left to right.
        """
        if not normalised:
            return None
        return self._encode(normalised)

    def positions(self, bigram: str) -> tuple[int, ...]:
        """The bit positions a bigram sets (for documentation and tests)."""
        return self._positions(bigram)

    def _compute_filter(self, normalised: str) -> bytes:
        top = self.bits - 1
        acc = 0
        for bigram in bigrams(normalised):
            for position in self._positions(bigram):
                acc |= 1 << (top - position)
        return acc.to_bytes(self.bits // 8, "big")

    def _compute_positions(self, bigram: str) -> tuple[int, ...]:
        digest = hmac.digest(self._subkey, bigram.encode("utf-8"), hashlib.sha512)
        return tuple(
            int.from_bytes(digest[2 * i: 2 * i + 2], "big") % self.bits
            for i in range(self.hashes)
        )


def bigrams(normalised: str) -> list[str]:
    """The distinct bigrams of ``"_" + value + "_"``, in order of first appearance."""
    padded = f"_{normalised}_"
    return list(dict.fromkeys(padded[i: i + 2] for i in range(len(padded) - 1)))


def to_text(bits: bytes) -> str:
    """Standard base64 with padding and no newlines."""
    return base64.b64encode(bits).decode("ascii")


def from_text(text: str) -> bytes:
    """Inverse of :func:`to_text`.

    Raises:
        ValueError: when ``text`` is not valid base64 (the message does not quote it).
    """
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a base64 Bloom filter") from None


def dice(a: bytes, b: bytes) -> float:
    """Dice coefficient 2|A∩B| / (|A| + |B|) of two filters of the same length.

    Two empty filters score 0.0: no evidence is not a match.
    """
    if len(a) != len(b):
        raise ValueError("filters of different lengths cannot be compared")
    x, y = int.from_bytes(a, "big"), int.from_bytes(b, "big")
    total = x.bit_count() + y.bit_count()
    if total == 0:
        return 0.0
    return 2 * (x & y).bit_count() / total
