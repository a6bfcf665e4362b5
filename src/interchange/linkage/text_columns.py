"""Fixed-width text cells (hex tokens, base64 filters) as rows of a byte matrix, without a
Python object per cell.

A national run reads a million records whose tokens (64 hex characters) and Bloom filters
(172 base64 characters) arrive as Arrow strings. Turning each cell into a Python ``str`` and
``bytes`` to decode it cost 12 s CPU and ~0.3 GB of short-lived objects per column; when every
cell of an Arrow chunk is either missing/empty or exactly ``width`` bytes long, the chunk's
data buffer already is an (n x width) matrix of bytes, decoded here with a few numpy
operations. Any other chunk (a cell of another length) is left to the caller's per-cell path,
which keeps the exact behaviour for malformed values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Distinct", "FixedWidth", "decode_distinct", "dictionary_chunks", "fixed_width_chunks"]


@dataclass
class FixedWidth:
    """One stretch of a column: rows ``start`` … ``start + length - 1``.

    ``matrix`` holds the bytes of the rows whose cell is ``width`` bytes long (``rows``, relative
    to ``start``, in order); ``None`` when some cell has another length, and then ``values`` are
    the stretch's cells as Python objects for the per-cell path.
    """

    start: int
    length: int
    rows: np.ndarray
    matrix: np.ndarray | None
    values: np.ndarray | None = None


def fixed_width_chunks(texts: pd.Series, width: int) -> Iterator[FixedWidth]:
    """The column in stretches (its Arrow chunks), each as a byte matrix where it can be one."""
    start = 0
    for chunk in _arrow_chunks(texts):
        n = len(chunk)
        lengths = pc.fill_null(pc.binary_length(chunk), 0).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(lengths == width)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64, count=n + 1, offset=chunk.offset * 8)
        # Only empty cells and cells of `width` bytes, and nothing else in the data buffer (Arrow
        # allows a null cell to keep bytes): the data between the first and last offset is
        # exactly the long cells, back to back.
        if np.all((lengths == 0) | (lengths == width)) and offsets[-1] - offsets[0] == len(rows) * width:
            data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8) if len(rows) else np.zeros(0, np.uint8)
            yield FixedWidth(start, n, rows, data[offsets[0]:offsets[-1]].reshape(len(rows), width))
        else:
            yield FixedWidth(start, n, rows, None, chunk.to_numpy(zero_copy_only=False))
        start += n


@dataclass
class Distinct:
    """One stretch of a dictionary-encoded column: rows ``start`` … ``start + len(index) - 1``,
    its distinct ``values`` and each row's position among them (-1 where the row has none)."""

    start: int
    values: pd.Series
    index: np.ndarray


def dictionary_chunks(texts: pd.Series) -> list[Distinct] | None:
    """A column read dictionary-encoded (``pd.ArrowDtype(pa.dictionary(...))``) by its distinct
    values, so that each is decoded once; None for any other column.

    Names, birth dates and places repeat: a million records' given-name filters are a few
    thousand distinct texts, 10 MB as a dictionary where plain strings take 180 MB.
    """
    if not isinstance(texts.dtype, pd.ArrowDtype) or not pa.types.is_dictionary(texts.dtype.pyarrow_dtype):
        return None
    arrow = texts.array.__arrow_array__()
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    found, start = [], 0
    for chunk in chunks:
        index = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        values = pd.Series(pd.arrays.ArrowExtensionArray(chunk.dictionary.cast(pa.large_string())))
        found.append(Distinct(start, values, index))
        start += len(chunk)
    return found


def decode_distinct(texts: pd.Series, decode: Callable[[pd.Series], tuple[np.ndarray, np.ndarray]],
                    out: np.ndarray, present: np.ndarray) -> bool:
    """Where ``texts`` is dictionary-encoded, each distinct value decoded once by ``decode``
    (which returns its values and which of them are present) and spread over the rows of
    ``out`` and ``present``; False, with nothing written, for any other column."""
    distinct = dictionary_chunks(texts)
    if distinct is None:
        return False
    for part in distinct:
        values_out, values_present = decode(part.values)
        known = part.index >= 0
        rows = part.start + np.flatnonzero(known)
        out[rows], present[rows] = values_out[part.index[known]], values_present[part.index[known]]
    return True


def _arrow_chunks(texts: pd.Series) -> list[pa.LargeStringArray]:
    arrow: pa.Array | pa.ChunkedArray | None = None
    if texts.dtype != object and hasattr(texts.array, "__arrow_array__"):
        candidate = texts.array.__arrow_array__()
        if pa.types.is_string(candidate.type) or pa.types.is_large_string(candidate.type):
            arrow = candidate
    if arrow is None:
        # Any other cell (a number, a float NaN) is "no value", as the per-cell decoders read it.
        cells = [value if isinstance(value, str) else None for value in texts.to_numpy(dtype=object)]
        arrow = pa.array(cells, type=pa.large_string())
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    return [chunk.cast(pa.large_string()) for chunk in chunks]
