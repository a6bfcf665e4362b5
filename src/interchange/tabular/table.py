"""The shape every reader returns: a header and a lazy stream of raw rows."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from interchange.contract.problems import Problem, error
from interchange.contract.text import replace_controls, strip_invisible

if TYPE_CHECKING:
    from .csv_blocks import ColumnBlock


@dataclass(slots=True)
class RawRow:
    """One record as read, before any value is interpreted.

    `number` is the row number as the partner sees it: the physical line where a CSV
    record starts (header = 1), the sheet row in XLSX, the line in JSON Lines.
    `values` maps each header to its cell; a row with a fatal reading problem has no
    values. When a header name is repeated, the first non-empty value of those columns
    is kept (the caller reports the repeated header).
    """

    number: int
    values: dict[str, object]
    problems: list[Problem] = field(default_factory=list)


class RowStream(Iterator[RawRow]):
    """Rows read lazily from an open file.

    The file is closed when the rows are exhausted, when reading fails, on `close()`,
    or when the stream is garbage-collected, whichever comes first.
    """

    def __init__(self, rows: Iterator[RawRow], on_close: Callable[[], None] | None = None):
        self._rows = rows
        # finalize (not __del__) so an abandoned, never-iterated stream still releases
        # the file without a ResourceWarning.
        self._finalizer = weakref.finalize(self, _release, rows, on_close)

    def __iter__(self) -> RowStream:
        return self

    def __next__(self) -> RawRow:
        try:
            return next(self._rows)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop reading and release the file; later iteration yields nothing."""
        self._finalizer()


def _release(rows: Iterator[RawRow], on_close: Callable[[], None] | None) -> None:
    try:
        close = getattr(rows, "close", None)
        if callable(close):
            close()
    finally:
        if on_close is not None:
            on_close()


@dataclass
class Table:
    """A partner file opened for reading.

    `rows` is lazy and holds the file open until it is exhausted; use the table as a
    context manager or call `close()` when stopping early.
    """

    path: Path
    format: str
    headers: list[str]
    rows: Iterator[RawRow]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    # CSV: the same rows as column blocks where the file allows (tabular/csv_blocks.py), as an
    # alternative to `rows` (read one or the other, never both); None for other formats.
    blocks: Callable[[], Iterator[ColumnBlock | RawRow]] | None = None

    def close(self) -> None:
        """Release the file behind `rows`; safe to call more than once."""
        close = getattr(self.rows, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def is_empty(value: object) -> bool:
    """True for a cell that holds nothing: None or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def put_value(values: dict[str, object], header: str, value: object) -> None:
    """Store a cell under its header; with a repeated header the first non-empty value wins."""
    if header not in values or is_empty(values[header]):
        values[header] = value


def clean_header(text: str) -> str:
    """A column name as matched and shown back: no BOM, zero-width or blank edges, and no control
    character (a NUL would stop PostgreSQL from storing the problem that names the column)."""
    return replace_controls(strip_invisible(text))


def drop_long_cells(row: RawRow, limit: int) -> None:
    """Report and empty every text cell longer than `limit` characters: a row problem, not the file's."""
    for header, value in row.values.items():
        if isinstance(value, str) and len(value) > limit:
            row.problems.append(error("value.too_long", row=row.number, column=header, limit=limit))
            row.values[header] = ""
