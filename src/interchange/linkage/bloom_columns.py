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
from typing import Any

import numpy as np
import pandas as pd

from interchange.contract.values import BLOOM_FILTER_BYTES
from interchange.linkage.text_columns import decode_distinct, fixed_width_chunks

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
    # Column by column from a view of the bytes: one copy of each word, none of the matrix.
    big_endian = raw.view(">u8")
    columns: dict[str, Any] = {name: big_endian[:, i].astype(np.int64)
                               for i, name in enumerate(word_columns(field))}
    # Popcount per byte, not np.unpackbits: that would hold 1,024 bytes per record (1 GB for
    # a million records) just to count bits.
    counts = pd.array(np.bitwise_count(raw).sum(axis=1, dtype=np.int64), dtype="Int64")
    counts[~present] = pd.NA
    columns[bits_column(field)] = counts
    return pd.DataFrame(columns, index=texts.index)


def _decode_base64(texts: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(n x BLOOM_FILTER_BYTES bytes, which rows hold a valid filter).

    Vectorised where every cell of a stretch is missing, empty or of a filter's length
    (``text_columns``); a stretch with a cell of any other length is decoded cell by cell.
    """
    raw = np.zeros((len(texts), BLOOM_FILTER_BYTES), dtype=np.uint8)
    present = np.zeros(len(texts), dtype=bool)
    if decode_distinct(texts, _decode_base64, raw, present):  # each distinct filter decoded once
        return raw, present
    for stretch in fixed_width_chunks(texts, _TEXT_LENGTH):
        if stretch.matrix is not None:
            # In blocks, so the decoding's temporary arrays stay a few MB at a million rows.
            for block in range(0, len(stretch.rows), _BLOCK_ROWS):
                rows = stretch.start + stretch.rows[block:block + _BLOCK_ROWS]
                raw[rows], valid = _decode_matrix(stretch.matrix[block:block + _BLOCK_ROWS])
                present[rows] = valid
                raw[rows[~valid]] = 0
        else:
            assert stretch.values is not None
            _decode_cells(stretch.values, raw[stretch.start:stretch.start + stretch.length],
                          present[stretch.start:stretch.start + stretch.length])
    return raw, present


# A filter's base64 text: 4 characters per 3 bytes, the last group padded with "=".
_TEXT_LENGTH = 4 * -(-BLOOM_FILTER_BYTES // 3)
_PADDING = (3 - BLOOM_FILTER_BYTES % 3) % 3
_BLOCK_ROWS = 16_384
_SEXTETS = np.full(256, 255, dtype=np.uint8)
_SEXTETS[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", dtype=np.uint8)] = (
    np.arange(64, dtype=np.uint8))


def _decode_matrix(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Base64 rows of ``_TEXT_LENGTH`` bytes: (decoded bytes, which rows are valid).

    Valid is what ``binascii.a2b_base64(strict_mode=True)`` accepts with a filter's length:
    alphabet characters, then exactly the padding a filter's length needs.
    """
    sextets = _SEXTETS[chars]
    data = _TEXT_LENGTH - _PADDING
    valid = (sextets[:, :data] != 255).all(axis=1) & (chars[:, data:] == ord("=")).all(axis=1)
    sextets[:, data:] = 0
    groups = sextets.reshape(len(chars), -1, 4)
    decoded = np.empty((len(chars), groups.shape[1], 3), dtype=np.uint8)
    decoded[:, :, 0] = (groups[:, :, 0] << 2) | (groups[:, :, 1] >> 4)
    decoded[:, :, 1] = ((groups[:, :, 1] & 0x0F) << 4) | (groups[:, :, 2] >> 2)
    decoded[:, :, 2] = ((groups[:, :, 2] & 0x03) << 6) | groups[:, :, 3]
    return decoded.reshape(len(chars), -1)[:, :BLOOM_FILTER_BYTES], valid


def _decode_cells(values: np.ndarray, raw: np.ndarray, present: np.ndarray) -> None:
    """Cell by cell into ``raw`` and ``present`` (views of the caller's arrays)."""
    decoded = [_decode(text) for text in values]
    rows = [i for i, value in enumerate(decoded) if value is not None]
    if rows:
        # The bytes copied in one go: row by row into numpy costs more than the decoding.
        block = b"".join(decoded[i] for i in rows)  # type: ignore[misc]
        raw[rows] = np.frombuffer(block, dtype=np.uint8).reshape(len(rows), BLOOM_FILTER_BYTES)
        present[rows] = True


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


WIDE_DICE_MACRO = "interchange_dice_wide"


def wide_dice_macro_sql() -> str:
    """DuckDB statement creating the macro of Dice over ``widened_select``'s eight 128-bit words.

    The same popcounts in half the operations: the u estimate's Dice over a few million random
    pairs is most of a small run's training. ``bit_count`` of a HUGEINT returns a TINYINT that
    reads -128 when all 128 bits are set, hence the ``& 255`` after widening it to an INTEGER.
    """
    common = " + ".join(f"(CAST(bit_count(a.h{i} & b.h{i}) AS INTEGER) & 255)" for i in range(WORDS // 2))
    return (f"CREATE OR REPLACE TEMP MACRO {WIDE_DICE_MACRO}(a, b) AS "
            f"(2.0 * ({common}) / nullif(a.bits + b.bits, 0))")


def widened_select(field: str) -> str:
    """Select-list item replacing a packed filter column by one of eight HUGEINT words (``h0`` …
    ``h7``, each two of its 64-bit words with every bit in place) and its bit count."""
    column = packed_column(field)
    halves = [_hugeint_sql(f"{column}.w{2 * i}", f"{column}.w{2 * i + 1}") for i in range(WORDS // 2)]
    members = ", ".join(f"h{i} := {sql}" for i, sql in enumerate(halves))
    return f"struct_pack({members}, bits := {column}.bits) AS {column}"


def _hugeint_sql(high: str, low: str) -> str:
    # Bits 0-63 from `low`, 64-127 from `high`, sign bits included, without a shift or product
    # that DuckDB would call an overflow (its HUGEINT is signed).
    return (f"((({high} & 9223372036854775807)::HUGEINT << 64) + ({low} & 9223372036854775807)::HUGEINT"
            f" + CASE WHEN {low} < 0 THEN 9223372036854775808::HUGEINT ELSE 0::HUGEINT END"
            f" + CASE WHEN {high} < 0 THEN -170141183460469231731687303715884105727::HUGEINT - 1"
            f" ELSE 0::HUGEINT END)")


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
