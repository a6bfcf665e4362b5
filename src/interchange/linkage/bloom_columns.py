"""Bloom filters as fixed-width integer columns, and their Dice similarity in SQL.

The partner kit ships each filter as base64 text of 128 bytes. SQL engines have no portable
"popcount of a blob", but DuckDB and Spark both have ``bit_count`` on 64-bit integers, so each
filter is decoded once, in Python, into 16 signed BIGINT words plus its number of set bits.
The Dice coefficient ``2|A∩B| / (|A| + |B|)`` is then one SQL expression that runs unchanged
on Splink's DuckDB and Spark backends (``PORTABLE``).

On DuckDB the same words travel as one STRUCT column per filter and the Dice expression is a
macro over two of them (``PACKED``): DuckDB computes exactly the same popcounts, but Splink
parses and re-renders every query it builds with sqlglot, and 17 columns per filter (102 for
the six filters) spelled out in every level and every query were much of its training and
scoring CPU. Which of the two an engine gets is the backend's choice
(``linkage.backends``), in one attribute.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

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
    raw, present = _decode_base64(texts)
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


def _decode_base64(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(n x BLOOM_FILTER_BYTES bytes, which rows hold a valid filter).

    One strict base64 decode per cell, but the bytes are copied into the array in one go:
    assigning row by row into numpy costs more than the decoding itself at a million rows.
    """
    n = len(texts)
    raw = np.zeros((n, BLOOM_FILTER_BYTES), dtype=np.uint8)
    present = np.zeros(n, dtype=bool)
    decoded = [_decode(text) for text in texts.to_numpy(dtype=object, na_value=None)]
    rows = [i for i, value in enumerate(decoded) if value is not None]
    if rows:
        block = b"".join(decoded[i] for i in rows)  # type: ignore[misc]
        raw[rows] = np.frombuffer(block, dtype=np.uint8).reshape(len(rows), BLOOM_FILTER_BYTES)
        present[rows] = True
    return raw, present


def _decode(text: object) -> bytes | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        value = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return value if len(value) == BLOOM_FILTER_BYTES else None


def dice_sql(field: str) -> str:
    """SQL for the Dice similarity of the field's filters on the left and right record.

    Written with ``bit_count`` and ``&`` only, which DuckDB and Spark SQL both provide. NULL
    when either side has no filter (so comparisons test for that in their null level first).
    """
    return _dice_of_words([f"{c}_l" for c in word_columns(field)], [f"{c}_r" for c in word_columns(field)],
                          f"{bits_column(field)}_l", f"{bits_column(field)}_r")


def _dice_of_words(left: list[str], right: list[str], bits_l: str, bits_r: str) -> str:
    # DuckDB's bit_count returns a TINYINT; summing 16 of them would overflow without the cast.
    common = " + ".join(f"CAST(bit_count({a} & {b}) AS INTEGER)" for a, b in zip(left, right, strict=True))
    return f"(2.0 * ({common}) / nullif({bits_l} + {bits_r}, 0))"


DICE_MACRO = "interchange_dice"


def packed_column(field: str) -> str:
    """Name of the STRUCT column (``w0`` … ``w15``, ``bits``) holding a field's filter on DuckDB."""
    return f"{field}_filter"


def packed_dice_sql(field: str) -> str:
    """The Dice similarity of the field's packed filters: ``dice_sql``'s expression, as a macro call."""
    column = packed_column(field)
    return f"{DICE_MACRO}({column}_l, {column}_r)"


def dice_macro_sql() -> str:
    """DuckDB statement creating the macro of ``packed_dice_sql``: ``dice_sql`` on struct fields."""
    words = [f"w{i}" for i in range(WORDS)]
    return (f"CREATE OR REPLACE TEMP MACRO {DICE_MACRO}(a, b) AS "
            + _dice_of_words([f"a.{w}" for w in words], [f"b.{w}" for w in words], "a.bits", "b.bits"))


def packed_select(field: str) -> str:
    """Select-list item packing a field's word and bit-count columns into its STRUCT column."""
    members = [f"w{i} := {column}" for i, column in enumerate(word_columns(field))]
    return f"struct_pack({', '.join(members)}, bits := {bits_column(field)}) AS {packed_column(field)}"


@dataclass(frozen=True)
class FilterSql:
    """How one SQL engine holds the Bloom filters and writes their Dice similarity."""

    packed: bool

    def dice(self, field: str) -> str:
        return packed_dice_sql(field) if self.packed else dice_sql(field)

    def columns(self, field: str) -> list[str]:
        """The engine's table columns that hold the field's filter."""
        return [packed_column(field)] if self.packed else [*word_columns(field), bits_column(field)]


PORTABLE = FilterSql(packed=False)  # 16 BIGINT words and a bit count: DuckDB and Spark SQL
PACKED = FilterSql(packed=True)  # one STRUCT column and a macro: DuckDB only
