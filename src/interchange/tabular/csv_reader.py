"""CSV files as partners send them: `,`, `;` or tab, UTF-8 or Windows-1257."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from interchange.contract.problems import Problem, ProblemError, error

from .encoding import UNDECODABLE, TextEncoding, choose_encoding
from .table import RawRow, RowStream, Table, put_value

# Order breaks ties: header names such as "Suma, EUR" hold commas, hardly ever a
# semicolon and never a tab.
_DELIMITERS = ("\t", ";", ",")
_NOT_CONTENT = frozenset(' \t;,"\r\n\ufeff')

_CSV_FORMAT = "CSV"


class _Reader(Protocol):
    """What csv.reader returns: rows plus the count of physical lines consumed."""

    line_num: int

    def __next__(self) -> list[str]: ...


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Table:
    """Open a CSV file, read its header and return its rows lazily.

    Raises:
        ProblemError: `file.encoding`, `file.empty` or `file.unreadable`.
    """
    text = choose_encoding(path, encoding)
    if delimiter is None:
        delimiter = _detect_delimiter(path, text)
    f = path.open(encoding=text.name, errors=text.errors, newline="")
    try:
        reader = csv.reader(f, delimiter=delimiter)
        header = _read_header(reader)
    except BaseException:
        f.close()
        raise
    headers = _clean_headers(header, text)
    rows = RowStream(_rows(reader, headers, text.flags_cells), f.close)
    return Table(path=path, format="csv", headers=headers, rows=rows,
                 encoding=text.name, delimiter=delimiter)


def _detect_delimiter(path: Path, text: TextEncoding) -> str:
    with path.open(encoding=text.name, errors=text.errors, newline="") as f:
        for line in f:
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


def _read_header(reader: _Reader) -> list[str]:
    for _number, cells in _records(reader):
        if not _blank(cells):
            return cells
    raise ProblemError(error("file.empty"))


def _clean_headers(cells: list[str], text: TextEncoding) -> list[str]:
    headers = [cell.strip() for cell in cells]
    # A BOM survives when utf-8 was forced on a utf-8-sig file.
    headers[0] = headers[0].lstrip("\ufeff").strip()
    if text.flags_cells:
        # Column names are not personal data, but lone surrogates cannot be printed.
        headers = [UNDECODABLE.sub("\ufffd", h) for h in headers]
    return headers


def _records(reader: _Reader) -> Iterator[tuple[int, list[str]]]:
    """Yield (physical line where the record starts, cells)."""
    line_num = reader.line_num
    while True:
        start = line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ProblemError(error("file.unreadable", format=_CSV_FORMAT,
                                     reason=_csv_error_reason(exc, start))) from None
        line_num = reader.line_num
        yield start, cells


def _csv_error_reason(exc: csv.Error, start: int) -> str:
    # csv.Error text may quote the data; only our own wording goes into the problem.
    if "field larger than field limit" in str(exc):
        return (f"a cell of the record starting on line {start} is longer than "
                f"{csv.field_size_limit()} characters (probably an unclosed quote)")
    return f"the record starting on line {start} is not valid CSV"


def _rows(reader: _Reader, headers: list[str], flags_cells: bool
          ) -> Iterator[RawRow]:
    unique = len(set(headers)) == len(headers)
    for number, cells in _records(reader):
        joined = "".join(cells)  # one string per row keeps the per-cell checks off the hot path
        if not joined.strip():
            continue
        undecodable = flags_cells and UNDECODABLE.search(joined) is not None
        yield _raw_row(number, cells, headers, unique=unique, undecodable=undecodable)


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
