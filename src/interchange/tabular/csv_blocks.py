"""A CSV file's body as columns: blocks of a few MiB parsed by Arrow's CSV reader.

The csv module makes a list and then a dict per record, a few microseconds each: most of the
time a million-row drop took to read. A block of lines without a quote character is parsed by
`pyarrow.csv` into one string array per column instead, in C++. What the csv module and
csv_reader.py would make of such a block is known exactly, so the block keeps their verdicts:

- every line is one record (no quote can hold a line break), and its row number is its line;
- a line with the wrong number of cells, a row whose cells together are longer than
  `max_cell_chars`, and a row that may be blank are read again by the csv module as single
  lines into RawRows (`ColumnBlock.rows`), so their problems (`row.cells`, `value.too_long`) are
  the reader's own, and blank rows are skipped by the same test;
- a block with a quote character, a NUL, a lone carriage return (a line break to the csv module)
  or a line longer than `max_line_chars` hands the file from its start on to the csv module: the
  rows, row numbers and problems from there are exactly the row reader's.

Files whose headers repeat a name or whose bytes are not all decodable never come here
(csv_reader.py decides); XLSX and JSON Lines keep the row readers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .limits import ReadLimits
from .table import RawRow

BLOCK_CHARS = 4 * 1024 * 1024  # characters per block: a few hundred MiB of Arrow at most, never the file
# A row whose every cell lacks a printable ASCII character other than a space may be blank: the
# csv module's test (every cell strips to nothing) decides for those few.
_NOT_PLAIN_TEXT = r"^[^!-~]*$"
_LONE_CR = re.compile("\r(?!\n)")


@dataclass
class ColumnBlock:
    """Rows read as columns: row `numbers[i]` has cell `columns[h][i]` under header h.

    `rows` are the rows of the same lines the csv module read one by one (see the module's
    docstring), in row order; together with `numbers` they are every row of the block.
    """

    numbers: list[int]
    columns: dict[str, pa.Array]
    rows: list[RawRow] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.numbers)

    def raw_row(self, index: int) -> RawRow:
        """Row `index` as the row reader would have made it (a row without a reading problem)."""
        return RawRow(number=self.numbers[index],
                      values={header: column[index].as_py() for header, column in self.columns.items()})

    def raw_rows(self) -> Iterator[RawRow]:
        """Every row of the block as RawRows, in row order."""
        extra = iter(self.rows)
        pending = next(extra, None)
        for index, number in enumerate(self.numbers):
            while pending is not None and pending.number < number:
                yield pending
                pending = next(extra, None)
            yield self.raw_row(index)
        while pending is not None:
            yield pending
            pending = next(extra, None)


RowMaker = Callable[[int, list[str]], "RawRow | None"]  # (row number, cells) -> RawRow, None when blank
RowReader = Callable[[TextIO, int], Iterator[RawRow]]  # (file at a line's start, its line number) -> rows


def read_blocks(f: TextIO, first_line: int, headers: list[str], delimiter: str, limits: ReadLimits,
                make_row: RowMaker, read_rows: RowReader) -> Iterator[ColumnBlock | RawRow]:
    """The rest of `f` (positioned at the start of line `first_line`) as column blocks, or as the
    csv module's rows from the first block that is not plain on."""
    line = first_line
    while True:
        start = f.tell()
        text = f.read(BLOCK_CHARS)
        if not text:
            return
        if not text.endswith("\n"):
            text += f.readline(limits.max_line_chars + 1)
        block = _parse(text, line, headers, delimiter, limits, make_row) if _plain(text) else None
        if block is None:
            f.seek(start)
            yield from read_rows(f, line)
            return
        yield block
        line += text.count("\n") + (not text.endswith("\n"))


def _plain(text: str) -> bool:
    # `in` finds a character at memchr's speed; the search for a carriage return not ending a line
    # is made only when there is one (one pass, where counting "\r" and "\r\n" took two)
    return '"' not in text and "\x00" not in text and ("\r" not in text or _LONE_CR.search(text) is None)


def _parse(text: str, line: int, headers: list[str], delimiter: str, limits: ReadLimits,
           make_row: RowMaker) -> ColumnBlock | None:
    invalid: list[tuple[int, str]] = []

    def keep_aside(row: pa_csv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(len(headers))]  # header names may be anything, even empty
    data = text.encode("utf-8")
    if text.startswith("\ufeff"):
        # Arrow skips a byte order mark at the start of its input, as at a file's; a block's first
        # line is not the file's, and the csv module keeps its mark: Arrow is given one to skip.
        data = "\ufeff".encode() + data
    table = pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False, block_size=len(text) * 4 + 1024),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False, double_quote=False,
                                          escape_char=False, newlines_in_values=False, ignore_empty_lines=False,
                                          invalid_row_handler=keep_aside),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                              strings_can_be_null=False, quoted_strings_can_be_null=False,
                                              check_utf8=False))  # Python's encoder wrote it
    columns = [table.column(name).combine_chunks() for name in names]
    if any(row_number is None for row_number, _ in invalid):
        return None
    # A cell has at least as many bytes as characters: rows short enough in bytes (read off the
    # offsets) are short enough, and their characters need no counting (a pass over the text).
    # (No maximum: every line of the block had the wrong number of cells, and was read apart.)
    lengths = _sum([pc.binary_length(column) for column in columns])
    if lengths is not None and (pc.max(lengths).as_py() or 0) > min(limits.max_line_chars - len(columns) - 1,
                                                                       limits.max_cell_chars):
        lengths = _sum([pc.utf8_length(column) for column in columns])
    else:
        lengths = None
    # The csv module reads a record's line with its terminator: cells, separators and "\r\n".
    if lengths is not None and pc.max(lengths).as_py() + len(columns) + 1 > limits.max_line_chars:
        return None
    if any(len(cells) + 2 > limits.max_line_chars for _, cells in invalid):
        return None
    aside = {number for number, _ in invalid}
    total = table.num_rows + len(invalid)
    numbers = [line + i for i in range(total) if i + 1 not in aside] if aside else list(range(line, line + total))
    extra: dict[int, RawRow | None] = {
        line + number - 1: make_row(line + number - 1, next(csv.reader([cells], delimiter=delimiter)))
        for number, cells in invalid}
    # Rows the csv module judges: cells too long together, or maybe blank.
    odd = pc.greater(lengths, limits.max_cell_chars) if lengths is not None else None
    maybe_blank = _maybe_blank(columns)
    odd = maybe_blank if odd is None else pc.or_(odd, maybe_blank) if maybe_blank is not None else odd
    if odd is not None and pc.any(odd).as_py():
        keep = pc.invert(odd)
        for index in pc.indices_nonzero(odd).to_pylist():
            number = numbers[index]
            extra[number] = make_row(number, [column[index].as_py() for column in columns])
        numbers = [n for n in numbers if n not in extra]
        columns = [pc.filter(column, keep) for column in columns]
    rows = [row for _, row in sorted(extra.items()) if row is not None]
    return ColumnBlock(numbers, dict(zip(headers, columns, strict=True)), rows)


def _sum(arrays: list[pa.Array]) -> pa.Array | None:
    total = None
    for array in arrays:
        total = array if total is None else pc.add(total, array)
    return total


def _maybe_blank(columns: list[pa.Array]) -> pa.Array | None:
    """Which rows have no cell with a printable ASCII character other than a space (None: no
    such row). A column is asked only about the rows every column before it left in doubt, as
    the first one (an id, most often) is usually enough to clear them all."""
    if not columns:
        return None
    doubtful = pc.indices_nonzero(pc.match_substring_regex(columns[0], _NOT_PLAIN_TEXT))
    for column in columns[1:]:
        if not len(doubtful):
            break
        doubtful = doubtful.filter(pc.match_substring_regex(column.take(doubtful), _NOT_PLAIN_TEXT))
    if not len(doubtful):
        return None
    mask = np.zeros(len(columns[0]), dtype=bool)
    mask[doubtful.to_numpy()] = True
    return pa.array(mask)
