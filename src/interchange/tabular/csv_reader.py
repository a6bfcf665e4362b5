"""CSV files as partners send them: `,`, `;` or tab, UTF-8, UTF-16 or Windows-1257.

Lines reach the csv module through `_BoundedLines`, so a file of one endless line (or of millions
of columns) is refused after `max_line_chars` characters, never held whole.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from interchange.contract.problems import Problem, ProblemError, error

from .csv_blocks import ColumnBlock, read_blocks
from .encoding import UNDECODABLE, TextEncoding, choose_encoding
from .limits import DEFAULT_LIMITS, ReadLimits
from .table import RawRow, RowStream, Table, clean_header, drop_long_cells, put_value

# Order breaks ties: header names such as "Suma, EUR" hold commas, hardly ever a
# semicolon and never a tab.
_DELIMITERS = ("\t", ";", ",")
_NOT_CONTENT = frozenset(' \t;,"\r\n\ufeff')

_CSV_FORMAT = "CSV"


class _BoundedLines:
    """The file's lines for csv.reader, refusing a record longer than the limit before holding it.

    csv.reader asks for lines only while a record is unfinished, so the characters handed out since
    `start_record()` are the record's. A quoted line break cannot smuggle a longer record in.
    """

    def __init__(self, f: TextIO, limit: int, first_line: int = 1):
        self._f = f
        self._limit = limit
        self._lines = first_line - 1
        self._start = first_line
        self._used = 0

    @property
    def lines_read(self) -> int:
        return self._lines

    def start_record(self) -> None:
        self._start = self._lines + 1
        self._used = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self._f.readline(self._limit - self._used + 1)
        if not line:
            raise StopIteration
        self._lines += 1
        self._used += len(line)
        if self._used > self._limit:
            raise ProblemError(error("file.line_too_long", line=self._start, limit=self._limit))
        return line


class _Records:
    """csv.reader over bounded lines, with the physical line where each record starts."""

    def __init__(self, f: TextIO, delimiter: str, limit: int, first_line: int = 1):
        self._lines = _BoundedLines(f, limit, first_line)
        self._reader = csv.reader(self._lines, delimiter=delimiter)
        self._offset = first_line - 1

    @property
    def lines_read(self) -> int:
        return self._lines.lines_read

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            start = self._offset + self._reader.line_num + 1
            self._lines.start_record()
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ProblemError(error("file.unreadable", format=_CSV_FORMAT,
                                         reason=_csv_error_reason(exc, start))) from None
            yield start, cells


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
             limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """Open a CSV file, read its header and return its rows lazily.

    Raises:
        ProblemError: `file.encoding`, `file.empty`, `file.unreadable`, `file.line_too_long`
            or `file.too_many_columns`.
    """
    text = choose_encoding(path, encoding)
    if delimiter is None:
        delimiter = _detect_delimiter(path, text, limits.max_line_chars)
    f = path.open(encoding=text.name, errors=text.errors, newline="")
    try:
        reader = _Records(f, delimiter, limits.max_line_chars)
        records = iter(reader)
        header = _read_header(records)
        if len(header) > limits.max_columns:
            raise ProblemError(error("file.too_many_columns", found=len(header), limit=limits.max_columns))
    except BaseException:
        f.close()
        raise
    headers = _clean_headers(header, text)
    make_row = _row_maker(headers, text.flags_cells, limits.max_cell_chars)
    rows = RowStream(_rows(records, make_row), f.close)
    blocks = None
    if not text.flags_cells and len(set(headers)) == len(headers):
        # Either the rows or the blocks are read, never both: they share the open file.
        def read_rows(f: TextIO, first_line: int) -> Iterator[RawRow]:
            return _rows(iter(_Records(f, delimiter, limits.max_line_chars, first_line)), make_row)

        def blocks() -> Iterator[ColumnBlock | RawRow]:
            try:
                yield from read_blocks(f, reader.lines_read + 1, headers, delimiter, limits, make_row, read_rows)
            finally:
                f.close()
    return Table(path=path, format="csv", headers=headers, rows=rows,
                 encoding=text.name, delimiter=delimiter, blocks=blocks)


def _detect_delimiter(path: Path, text: TextEncoding, limit: int) -> str:
    with path.open(encoding=text.name, errors=text.errors, newline="") as f:
        number = 0
        while line := f.readline(limit + 1):
            number += 1
            if len(line) > limit:
                raise ProblemError(error("file.line_too_long", line=number, limit=limit))
            if not _NOT_CONTENT.issuperset(line):
                return _most_frequent_delimiter(line)
    # Only separators, quotes and whitespace: whatever the delimiter, there is no header.
    raise ProblemError(error("file.empty"))


def _most_frequent_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else ","


def _read_header(records: Iterator[tuple[int, list[str]]]) -> list[str]:
    for _number, cells in records:
        if not _blank(cells):
            return cells
    raise ProblemError(error("file.empty"))


def _clean_headers(cells: list[str], text: TextEncoding) -> list[str]:
    # clean_header also drops a BOM left when utf-8 was forced on a utf-8-sig file.
    headers = [clean_header(cell) for cell in cells]
    if text.flags_cells:
        # Column names are not personal data, but lone surrogates cannot be printed.
        headers = [UNDECODABLE.sub("\ufffd", h) for h in headers]
    return headers


def _csv_error_reason(exc: csv.Error, start: int) -> str:
    # csv.Error text may quote the data; only our own wording goes into the problem.
    if "field larger than field limit" in str(exc):
        return (f"a cell of the record starting on line {start} is longer than "
                f"{csv.field_size_limit()} characters (probably an unclosed quote)")
    return f"the record starting on line {start} is not valid CSV"


def _row_maker(headers: list[str], flags_cells: bool, max_cell_chars: int) -> Callable[[int, list[str]], RawRow | None]:
    """(row number, cells) -> the row as read, or None for a blank record (skipped)."""
    unique = len(set(headers)) == len(headers)

    def make_row(number: int, cells: list[str]) -> RawRow | None:
        joined = "".join(cells)  # one string per row keeps the per-cell checks off the hot path
        if not joined.strip():
            return None
        undecodable = flags_cells and UNDECODABLE.search(joined) is not None
        row = _raw_row(number, cells, headers, unique=unique, undecodable=undecodable)
        if len(joined) > max_cell_chars:
            drop_long_cells(row, max_cell_chars)
        return row

    return make_row


def _rows(records: Iterator[tuple[int, list[str]]], make_row: Callable[[int, list[str]], RawRow | None],
          ) -> Iterator[RawRow]:
    for number, cells in records:
        row = make_row(number, cells)
        if row is not None:
            yield row


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _raw_row(number: int, cells: list[str], headers: list[str], *, unique: bool,
             undecodable: bool) -> RawRow:
    problems: list[Problem] = []
    expected = len(headers)
    if len(cells) != expected:
        problems.append(error("row.cells", row=number, found=len(cells), expected=expected))
        cells = cells[:expected] + [""] * (expected - len(cells))
    if undecodable:
        cells = _drop_undecodable(number, cells, headers, problems)
    if unique:
        values: dict[str, object] = dict(zip(headers, cells, strict=True))
    else:
        values = {}
        for header, cell in zip(headers, cells, strict=True):
            put_value(values, header, cell)
    return RawRow(number=number, values=values, problems=problems)


def _drop_undecodable(number: int, cells: list[str], headers: list[str],
                      problems: list[Problem]) -> list[str]:
    kept = []
    for header, cell in zip(headers, cells, strict=True):
        if UNDECODABLE.search(cell):
            problems.append(error("row.encoding", row=number, column=header, encoding="UTF-8"))
            cell = ""  # never pass mojibake on
        kept.append(cell)
    return kept
