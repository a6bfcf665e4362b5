"""Bloom filters as fixed-width integer columns, and their Dice similarity in SQL.

The partner kit ships each filter as base64 text of 128 bytes. SQL engines have no portable
"popcount of a blob", but DuckDB and Spark both have ``bit_count`` on 64-bit integers, so each
filter is decoded once, in Python, into 16 signed BIGINT words plus its number of set bits.
The Dice coefficient ``2|A∩B| / (|A| + |B|)`` is then one SQL expression that runs unchanged
on Splink's DuckDB and Spark backends.
"""

from __future__ import annotations

import base64
import binascii

import numpy as np
import pandas as pd

from interchange.contract.values import BLOOM_FILTER_BYTES

WORDS = BLOOM_FILTER_BYTES // 8  # 16 words of 64 bits


def word_columns(field: str) -> list[str]:
    """Names of the integer columns that hold a field's filter: ``<field>_w0`` … ``_w15``."""
    return [f"{field}_w{i}" for i in range(WORDS)]


def bits_column(field: str) -> str:
    """Name of the column with the number of set bits (NULL when the record has no filter)."""
    return f"{field}_bits"


def decode_blooms(texts: pd.Series, field: str) -> pd.DataFrame:
    """Decode a column of base64 filters into word columns and a set-bit count.

    A missing, malformed or wrong-length filter becomes "no filter" (bit count NULL, words 0):
    one bad cell must not stop a whole linkage run, and the comparison treats it as unknown.
    """
    n = len(texts)
    raw = np.zeros((n, BLOOM_FILTER_BYTES), dtype=np.uint8)
    present = np.zeros(n, dtype=bool)
    for i, text in enumerate(texts.tolist()):
        if not isinstance(text, str) or not text:
            continue
        try:
            decoded = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(decoded) != BLOOM_FILTER_BYTES:
            continue
        raw[i] = np.frombuffer(decoded, dtype=np.uint8)
        present[i] = True
    # Big-endian words keep "bit 0 = most significant bit of byte 0"; the order of bits inside
    # a word does not matter for popcounts, only that both sides use the same layout.
    unsigned = raw.view(">u8").astype(np.uint64)
    words = unsigned.view(np.int64)
    # Popcount per word, not np.unpackbits: that would hold 1,024 bytes per record (1 GB for
    # a million records) just to count bits.
    counts = pd.array(np.bitwise_count(unsigned).sum(axis=1, dtype=np.int64), dtype="Int64")
    counts[~present] = pd.NA
    frame = pd.DataFrame(words, columns=word_columns(field), index=texts.index)
    frame[bits_column(field)] = counts
    return frame


def dice_sql(field: str) -> str:
    """SQL for the Dice similarity of the field's filters on the left and right record.

    Written with ``bit_count`` and ``&`` only, which DuckDB and Spark SQL both provide. NULL
    when either side has no filter (so comparisons test for that in their null level first).
    """
    # DuckDB's bit_count returns a TINYINT; summing 16 of them would overflow without the cast.
    common = " + ".join(f"CAST(bit_count({c}_l & {c}_r) AS INTEGER)" for c in word_columns(field))
    bits = bits_column(field)
    return f"(2.0 * ({common}) / nullif({bits}_l + {bits}_r, 0))"
