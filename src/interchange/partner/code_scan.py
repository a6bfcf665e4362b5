"""Personal codes in any cell of any drop: `check` names the cells, the hub refuses the file and keeps no copy.

A personal code typed into a notes column, a record id or a nested JSON value is a direct
identifier at the hub. Quarantining the row would keep the raw file (and the code) in the
archive for a re-run, so one such value refuses the whole file, like an identifier column
does; the partner's `interchange check` finds the same cells first. The scan looks at every
value of every row as the rows stream past the validation, at the cost of one regular
expression search over the row joined into one string.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from interchange.contract.column_names import quotable
from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import Problem, error, warning
from interchange.tabular import RawRow
from interchange.tabular.csv_blocks import ColumnBlock

MAX_LISTED_CELLS = 100  # problems listed one by one; the file-level problem gives the count
_SHOWN_IN_MESSAGE = 10
_SEPARATOR = "\x1f"  # neither a digit, a letter, a space nor a dash: codes cannot run across two cells
_ROWS = "\x1e"
_CHUNK = 256
# Every digit becomes "0" and everything else "x" but spaces and dashes, which go: eleven zeros in a
# row are then the least a personal code leaves. One C pass over the bytes, where the regular
# expression that judges a code costs ten times more; most chunks of rows stop here.
_DIGITS_ONLY = bytes(48 if chr(b).isdigit() and b < 128 else 120 for b in range(256))
_ELEVEN = b"0" * 11
# The same test on a column (Arrow's RE2): eleven ASCII digits once spaces and dashes are gone.
_ELEVEN_DIGITS = "[0-9](?:[ -]*[0-9]){10}"


def _may_hold_code(text: str) -> bool:
    return _ELEVEN in text.encode("utf-8", "surrogatepass").translate(_DIGITS_ONLY, b" -")


def _column_may_hold_code(column: pa.Array) -> bool:
    """False when no cell of a string column can match _ELEVEN_DIGITS; the regular expression
    then need not run, at a cost per cell that the scan would otherwise pay on every column.

    A match is eleven characters at least, so eleven bytes: shorter cells are passed over by
    their lengths alone (ids, dates, numbers). The longer ones' bytes, end to end, go through
    _may_hold_code's translation: cells run together can only make more runs of digits, never
    fewer, so no cell that could match is missed; the regular expression judges the rest."""
    long = pc.greater_equal(pc.binary_length(column), 11)
    if not pc.any(long).as_py():
        return False
    cells = column if pc.all(long).as_py() else column.filter(long)
    if not pa.types.is_string(cells.type):
        return True
    offsets, values = cells.buffers()[1:3]
    (start,), (stop,) = (struct.unpack_from("<i", offsets, 4 * at) for at in (cells.offset, cells.offset + len(cells)))
    return _ELEVEN in values[start:stop].to_pybytes().translate(_DIGITS_ONLY, b" -")


@dataclass
class CodeScan:
    """Watches the rows of one file go by and remembers the cells that hold a personal code."""

    headers: list[str]
    ignored: frozenset[str] = frozenset()  # columns refused as a whole already (`header.identifier`)
    cells: list[tuple[int, int]] = field(default_factory=list)  # (row, column position), first ones
    found: int = 0
    rows: set[int] = field(default_factory=set)

    def watch(self, rows: Iterable[RawRow | ColumnBlock]) -> Iterator[RawRow | ColumnBlock]:
        """The rows, unchanged; they are scanned in chunks, many rows joined into one string, so that
        the regular expression (C) does the work and Python does one join per row. A CSV column
        block is scanned a column at a time (Arrow), and only its rows with eleven digits in a cell
        as rows."""
        ignored = self.ignored
        pending: list[RawRow] = []
        texts: list[str] = []
        try:
            for raw in rows:
                if isinstance(raw, ColumnBlock):
                    self._scan(pending, texts)
                    pending, texts = [], []
                    self._scan_block(raw)
                    yield raw
                    continue
                values = raw.values.values() if not ignored else [v for h, v in raw.values.items() if h not in ignored]
                try:
                    texts.append(_SEPARATOR.join(values))  # type: ignore[arg-type]  # CSV: every cell is a str
                except TypeError:
                    texts.append(_SEPARATOR.join(map(str, values)))
                pending.append(raw)
                if len(pending) == _CHUNK:
                    self._scan(pending, texts)
                    pending, texts = [], []
                yield raw
        finally:  # also when reading stops part-way: the rows read so far count
            self._scan(pending, texts)

    def drain(self, rows: Iterable[RawRow]) -> None:
        """Scan rows nothing else will read (a file refused before its rows were validated)."""
        for _ in self.watch(rows):
            pass

    def _scan_block(self, block: ColumnBlock) -> None:
        candidates = None
        for header, column in block.columns.items():
            if header not in self.ignored and _column_may_hold_code(column):
                found = pc.match_substring_regex(column, _ELEVEN_DIGITS)
                candidates = found if candidates is None else pc.or_(candidates, found)
        # The block's rows that may hold a code are taken from the columns as text; only one that
        # holds a code is made a RawRow (to name its cells). Rows read apart go by in row order.
        rows: list[RawRow | int] = list(block.rows)  # a RawRow, or a row's position in the block
        texts = [_SEPARATOR.join(str(v) for h, v in raw.values.items() if h not in self.ignored) for raw in block.rows]
        if candidates is not None and pc.any(candidates).as_py():
            positions = pc.indices_nonzero(candidates)
            cells = [column.take(positions).to_pylist() for header, column in block.columns.items()
                     if header not in self.ignored]
            indices = positions.to_pylist()
            rows += indices
            texts += [_SEPARATOR.join(map(str, row)) for row in zip(*cells, strict=True)]
            if block.rows:
                numbers = [raw.number for raw in block.rows] + [block.numbers[i] for i in indices]
                order = sorted(range(len(rows)), key=numbers.__getitem__)
                rows, texts = [rows[i] for i in order], [texts[i] for i in order]
        if rows:
            self._scan(rows, texts, block)

    def _scan(self, pending: Sequence[RawRow | int], texts: list[str], block: ColumnBlock | None = None) -> None:
        if pending and _may_hold_code(_ROWS.join(texts)):
            for raw, text in zip(pending, texts, strict=True):
                if _may_hold_code(text) and holds_personal_code(text):
                    if not isinstance(raw, RawRow):
                        assert block is not None  # a position comes with its block
                        raw = block.raw_row(raw)
                    self._locate(raw)

    def _locate(self, raw: RawRow) -> None:
        for position, header in enumerate(self.headers, start=1):
            value = None if header in self.ignored else raw.values.get(header)
            if value is not None and holds_personal_code(value if isinstance(value, str) else str(value)):
                self.found += 1
                self.rows.add(raw.number)
                if len(self.cells) < MAX_LISTED_CELLS:
                    self.cells.append((raw.number, position))

    def problems(self, known: Collection[str] = ()) -> list[Problem]:
        """What the partner is told: the file-level refusal, then each cell by row and column
        (a column by its name only when the name may be quoted, see contract/column_names.py)."""
        if not self.found:
            return []
        shown = ", ".join(f"{row}:{position}" for row, position in self.cells[:_SHOWN_IN_MESSAGE])
        more = "…" if self.found > _SHOWN_IN_MESSAGE else ""
        listed = [error("file.personal_codes", count=self.found, rows=len(self.rows), cells=shown + more)]
        for row, position in self.cells:
            header = self.headers[position - 1]
            listed.append(error("value.personal_code", row=row, column=header if quotable(header, known) else None))
        return listed


def refusal(scan: CodeScan, known: Collection[str]) -> list[Problem]:
    """The problems of a hub file refused for personal codes, the purge notice last."""
    return [*scan.problems(known), warning("file.identifiers_purged")]
