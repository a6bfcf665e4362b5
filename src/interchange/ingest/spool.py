"""A batch's validated rows, kept on disk in chunks, so that memory does not grow with the file.

As Python objects a validated row costs a few hundred bytes: a national drop of four million
contacts would need gigabytes before it is judged and loaded. The rows are appended here, one
by one or, where the column validator vouches for them, a stretch of columns at a time (`extend`:
no tuple is made per row); every full chunk is written, as columns (RowColumns: a list per
field, not a tuple per row), to an anonymous temporary file and read back, a chunk at a time,
as often as the batch needs them (expectations, then the load), as columns or as Rows. Only
the last, unfilled chunk stays in memory, so a small batch never touches the disk. Columns
pickle and unpickle several times faster than rows, and a chunk read back is a handful of
lists rather than a hundred thousand tuples for the cyclic garbage collector to rescan.

Each column is written apart, by `marshal` where it holds only the plain types marshal writes
exactly (str, int, bool, float, None, and lists and tuples of them: ids, numbers, codes), else
by pickle (dates, enums, named tuples): marshal does not remember every object it writes, as
pickle's memo does, which cost pickle most of its time on a column of distinct ids; objects that
appear more than once still come back shared. Both read back the same types and values.

The file is unlinked the moment it is made (`tempfile.TemporaryFile`): a process killed
mid-batch leaves no copy of the records behind, and the archive stays the only one.
"""

from __future__ import annotations

import marshal
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from interchange.warehouse.load import Row, RowColumns, column_digests

CHUNK_ROWS = 50_000  # rows written together: large enough to be fast, small enough to be flat
_MARSHAL, _PICKLE = b"m", b"p"  # how a column was written, its first byte


class SpooledRows:
    """Validated rows in their batch order: `append`, `len`, and iteration row by row or chunk by chunk."""

    def __init__(self, rows: Iterable[Row] = (), *, chunk_rows: int | None = None, file: IO[bytes] | None = None,
                 on_spill: Callable[[int, int, int], None] | None = None, digests: bool = False) -> None:
        """`file` is where chunks go (a temporary file by default), and `on_spill(offset, size, rows)`
        is told of each chunk once it is there: how another process loads them as they come.
        With `digests`, each chunk is written with its rows' column_digests, which the load then
        does not make (spent by the process that spools, not the one that loads)."""
        self._digests = digests
        self.chunk_rows = chunk_rows if chunk_rows is not None else CHUNK_ROWS
        if self.chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        self._on_spill = on_spill
        # The unfilled chunk: parts already as columns, then the rows appended one by one since.
        self._parts: list[RowColumns] = []
        self._tail: list[Row] = []
        self._tail_length = 0
        self._spilled: list[tuple[int, int]] = []  # (offset, size) of each chunk written
        self._file = file
        self._end = 0
        self._length = 0
        for row in rows:
            self.append(row)

    def append(self, row: Row) -> None:
        self._tail.append(row)
        self._length += 1
        self._tail_length += 1
        if self._tail_length >= self.chunk_rows:
            self._spill()

    def extend(self, columns: RowColumns) -> None:
        """Append the rows of `columns` (consecutive rows, as columns): no Row is made for them."""
        start, count = 0, len(columns)
        while start < count:
            room = self.chunk_rows - self._tail_length
            part = columns if start == 0 and count <= room else columns.slice(start, start + room)
            self._gather_rows()
            self._parts.append(part)
            self._length += len(part)
            self._tail_length += len(part)
            start += len(part)
            if self._tail_length >= self.chunk_rows:
                self._spill()

    def _gather_rows(self) -> None:
        """The rows appended one by one, as one more part (so that parts stay in row order)."""
        if self._tail:
            self._parts.append(RowColumns.from_rows(self._tail, len(self._tail[0].values)))
            self._tail = []

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0

    def __iter__(self) -> Iterator[Row]:
        for chunk in self.chunks():
            yield from chunk

    def chunks(self) -> Iterator[list[Row]]:
        """The rows in order, at most `chunk_rows` at a time; each chunk is a new list."""
        for offset, size in self._spilled:
            yield self._read(offset, size).rows()
        if self._tail_length:
            yield self._tail_columns().rows()

    def column_chunks(self, *, at_least: int = 0) -> Iterator[RowColumns]:
        """The rows in order as columns, at most `chunk_rows` rows at a time; or, with `at_least`,
        consecutive chunks joined until they hold that many (the last may hold fewer)."""
        chunks = self._column_chunks()
        if at_least <= self.chunk_rows:
            yield from chunks
            return
        parts: list[RowColumns] = []
        held = 0
        for chunk in chunks:
            parts.append(chunk)
            held += len(chunk)
            if held >= at_least:
                yield RowColumns.joined(parts) if len(parts) > 1 else parts[0]
                parts, held = [], 0
        if parts:
            yield RowColumns.joined(parts) if len(parts) > 1 else parts[0]

    def _column_chunks(self) -> Iterator[RowColumns]:
        for offset, size in self._spilled:
            yield self._read(offset, size)
        if self._tail_length:
            yield self._tail_columns()

    def _read(self, offset: int, size: int) -> RowColumns:
        assert self._file is not None
        return read_chunk(self._file, offset, size, digests=self._digests)

    @classmethod
    def written(cls, file: IO[bytes], chunks: Iterable[tuple[int, int, int]], *, digests: bool = False) -> SpooledRows:
        """The rows another process spooled into `file`, as the chunks (offset, size, rows) it told of."""
        spooled = cls(file=file, digests=digests)
        for offset, size, rows in chunks:
            spooled._spilled.append((offset, size))
            spooled._length += rows
            spooled._end = max(spooled._end, offset + size)
        return spooled

    def flush(self) -> None:
        """Write the unfilled chunk too, so that every row is in the file (for another process)."""
        if self._tail_length:
            self._spill()

    def _tail_columns(self) -> RowColumns:
        self._gather_rows()  # the tail is never empty here
        if len(self._parts) > 1:
            self._parts = [RowColumns.joined(self._parts)]
        return self._parts[0]

    @property
    def spilled(self) -> bool:
        """Whether any chunk went to disk (for tests and benchmarks)."""
        return bool(self._spilled)

    def close(self) -> None:
        """Let go of the temporary file now rather than when the batch is collected."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._spilled.clear()
        self._tail = []
        self._parts = []
        self._length = self._tail_length = 0

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="interchange-batch-")  # noqa: SIM115 - lives as long as the rows
        columns = self._tail_columns()
        parts: list[list[Any]] = [columns.numbers, columns.record_ids, columns.deleted, *columns.values]
        if self._digests:
            parts.append(column_digests(columns))
        data = marshal.dumps(tuple(map(_dumps, parts)))
        view = memoryview(data)
        while view:  # a regular file takes all at once, but the call may say otherwise
            written = os.pwrite(self._file.fileno(), view, self._end + len(data) - len(view))
            view = view[written:]
        self._spilled.append((self._end, len(data)))
        if self._on_spill is not None:
            self._on_spill(self._end, len(data), len(columns))
        self._end += len(data)
        self._parts = []
        self._tail_length = 0


def read_chunk(file: IO[bytes], offset: int, size: int, *, digests: bool = False) -> RowColumns:
    """The chunk written at `offset` of a spool's `file` (with its digests, for a spool that writes them)."""
    # pread, not seek and read: two walks over the rows (or two processes) may be interleaved.
    numbers, record_ids, deleted, *values = map(_loads, marshal.loads(os.pread(file.fileno(), size, offset)))
    return RowColumns(numbers, record_ids, deleted, values[:-1], values[-1]) if digests else \
        RowColumns(numbers, record_ids, deleted, values)


def _dumps(column: list[Any]) -> bytes:
    try:
        return _MARSHAL + marshal.dumps(column)
    except ValueError:  # a type marshal does not write (it writes only the exact built-in types)
        return _PICKLE + pickle.dumps(column, protocol=pickle.HIGHEST_PROTOCOL)


def _loads(data: bytes) -> list[Any]:
    body = memoryview(data)[1:]
    loaded: list[Any] = marshal.loads(body) if data[:1] == _MARSHAL else pickle.loads(body)
    return loaded
