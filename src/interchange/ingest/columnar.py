"""Validating a chunk of rows column by column: the fast path of a large drop.

The pydantic models (contract/records.py) stay the reference for what is valid. This module
only decides, a column at a time, which rows they would accept unchanged and what values they
would make of them, by asking the models' own field types:

- a cell whose shape proves it valid and unchanged (an id of printable ASCII with a digit and
  fewer than eleven digits, a lowercase 64-digit hex pseudonym) is taken as it is, by one
  regular expression over the column;
- any other cell is validated by the field's own pydantic type, once per distinct value (a
  contact file has a few hundred dates, twenty service codes and a dozen durations), so the
  value is exactly what the model would store.

A row with a reading problem, a cell that fails, a cross-field rule the kind has, a deletion
flag, or an `org` cell that is neither blank nor the sending organisation's code (as the row
path compares them) goes to the row path (ingest/validate.py) whole, which gives it its exact
problems. So the rows this path accepts are a subset of what the row path accepts, with
the same values: tests/test_ingest_fast_path.py compares the two on files of many kinds of
bad rows. Group sessions always take the row path: their files are the smallest, and their
attendee lists are lists, which a value remembered per distinct cell would share between rows.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from enum import Enum
from typing import Annotated, Any, get_args

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import TypeAdapter, ValidationError

from interchange.contract.records import MODELS, Kind
from interchange.contract.rows import HeaderMap
from interchange.contract.text import first_control
from interchange.contract.values import BloomText, Hex64, RecordId
from interchange.tabular import RawRow
from interchange.tabular.csv_blocks import ColumnBlock
from interchange.warehouse.load import Row, RowColumns
from interchange.warehouse.tables import data_columns

_FAIL: Any = object()  # a cell the fast path does not vouch for: its row takes the row path
# Distinct values remembered per column; past this the memory is cleared, so a column of
# millions of distinct values (an id that fails the shape check) costs bounded memory.
_MAX_CACHED = 50_000

# Values a RecordId keeps as they are: printable ASCII without blanks (no control, no space, so
# nothing strip_invisible or the space rule would touch), at least one digit (so not a name:
# contract/values.py `_looks_like_name` needs letters only) and at most 64 characters. Fewer than
# eleven digits is checked apart: no personal code, written in any way, fits in fewer.
_PLAIN_ID = re.compile(r"[!-~]{0,63}[0-9][!-~]{0,63}")
_TEN_DIGITS_AT_MOST = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isdigit()))
_ARROW_PLAIN_ID = "^[!-/:-~]*(?:[0-9][!-/:-~]*){1,10}$"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BLOOM = re.compile(r"[A-Za-z0-9+/]{171}=")


# A cross-field rule over a chunk's data columns: the positions of the rows that break it.
RowRule = Callable[[Sequence[list[Any]]], Iterable[int]]


def _person_rule(names: list[str]) -> RowRule:
    level, disability = names.index("participation_level"), names.index("disability")

    def broken(columns: Sequence[list[Any]]) -> list[int]:  # Person._level_needs_disability
        return [index for index, (value, disabled) in enumerate(zip(columns[level], columns[disability], strict=True))
                if value is not None and not disabled]

    return broken


def _household_rule(names: list[str]) -> RowRule:
    start, end = names.index("social_risk_from"), names.index("social_risk_to")

    def broken(columns: Sequence[list[Any]]) -> list[int]:  # Household._risk_period_in_order
        return _out_of_order(columns[start], columns[end])

    return broken


def _case_rule(names: list[str]) -> RowRule:
    person, household = names.index("person_record_id"), names.index("household_record_id")
    opened, closed = names.index("opened"), names.index("closed")

    def broken(columns: Sequence[list[Any]]) -> list[int]:  # Case._subject_and_dates
        without_subject = [index for index, (one, other) in enumerate(zip(columns[person], columns[household],
                                                                             strict=True))
                           if one is None and other is None]
        return without_subject + _out_of_order(columns[opened], columns[closed])

    return broken


def _out_of_order(earlier: list[Any], later: list[Any]) -> list[int]:
    """Positions where both are dates and `later` comes first (records._check_order); a cell that
    failed (_FAIL) sends its row to the row path anyway."""
    return [index for index, (first, then) in enumerate(zip(earlier, later, strict=True))
            if isinstance(first, date) and isinstance(then, date) and then < first]


# Cross-field rules (the models' `model_validator`s) as checks on a chunk's values, made from the
# kind's data column names; None: the kind has none. A kind absent here takes the row path.
_ROW_RULES: dict[Kind, Callable[[list[str]], RowRule] | None] = {
    Kind.CONTACT: None,
    Kind.PERSON: _person_rule,
    Kind.HOUSEHOLD: _household_rule,
    Kind.CASE: _case_rule,
}


def _arrow_plain_id(array: pa.Array) -> pa.Array:
    # _plain_id in one pass of RE2 (printable ASCII, one to ten digits) rather than three: each
    # call costs about as much per cell as the matching; the length is read off the offsets.
    return pc.and_(pc.match_substring_regex(array, _ARROW_PLAIN_ID), pc.less_equal(pc.binary_length(array), 64))


def _arrow_hex64(array: pa.Array) -> pa.Array:
    return pc.match_substring_regex(array, "^[0-9a-f]{64}$")


def _arrow_bloom(array: pa.Array) -> pa.Array:
    return pc.match_substring_regex(array, "^[A-Za-z0-9+/]{171}=$")


def _plain_id(value: str) -> bool:
    return (len(value) <= 64 and _PLAIN_ID.fullmatch(value) is not None
            and len(value.translate(_TEN_DIGITS_AT_MOST)) < 11)


def _hex64(value: str) -> bool:
    return _HEX64.fullmatch(value) is not None


def _bloom(value: str) -> bool:
    return _BLOOM.fullmatch(value) is not None


class _Column:
    """One field: where its cells are, and how a stripped cell becomes the model's value."""

    def __init__(self, kind: Kind, name: str, header: str | None) -> None:
        info = MODELS[kind].model_fields[name]
        self.name = name
        self.header = header
        self.required = info.is_required()
        self.default = None if self.required else info.get_default(call_default_factory=True)
        self._adapter, self._shape = _field_checks(kind, name)
        # Per file, not per process: whether a date is valid depends on the day (PastDate).
        self._cache: dict[str, Any] = {}

    def values(self, cells: Sequence[object]) -> list[Any]:
        """The model's value for each cell, or _FAIL."""
        out: list[Any] = []
        append = out.append
        cache, shape, default, required = self._cache, self._shape, self.default, self.required
        for cell in cells:
            if cell is None:
                append(_FAIL if required else default)
                continue
            if type(cell) is not str:
                append(_FAIL)  # CSV cells are text; anything else is the row path's
                continue
            text = cell.strip()
            if not text:
                append(_FAIL if required else default)
            elif shape is not None and shape(text):
                append(text)
            else:
                value = cache.get(text, cache)
                if value is cache:
                    value = self._validate(text)
                    if len(cache) >= _MAX_CACHED:
                        cache.clear()
                    cache[text] = value
                append(value)
        return out

    def block_values(self, array: pa.Array | None, count: int) -> tuple[list[Any], list[int]]:
        """`values` of a column of a block, the checks made on the whole column where they can be;
        and the positions of the cells that fail (_FAIL)."""
        if array is None:
            return [_FAIL if self.required else self.default] * count, list(range(count)) if self.required else []
        arrow_shape = _ARROW_SHAPES.get(self._shape) if self._shape is not None else None
        # The Python values are made by numpy's C loops (taking, placing, converting to a list):
        # a million cells each went through a Python call or an Arrow scalar before.
        if arrow_shape is not None:
            # Cells of the shape are valid as they are; the others (blank ones, often most of an
            # optional column, too) are judged once per distinct value.
            cells = array.to_numpy(zero_copy_only=False, writable=True)
            others = pc.indices_nonzero(pc.invert(arrow_shape(array)))
            if not len(others):
                return cells.tolist(), []
            encoded = array.take(others).dictionary_encode()
            judged, fails = self._judged(encoded.dictionary)
            indices, positions = encoded.indices.to_numpy(), others.to_numpy()
            cells[positions] = judged[indices]
            return cells.tolist(), positions[fails[indices]].tolist()
        # Any other field has few distinct values in a block: each is judged once.
        encoded = array.dictionary_encode()
        judged, fails = self._judged(encoded.dictionary)
        indices = encoded.indices.to_numpy()
        return judged[indices].tolist(), np.flatnonzero(fails[indices]).tolist()

    def _judged(self, dictionary: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """`values` of a dictionary's cells as an array of objects, and where they are _FAIL."""
        judged = self.values(dictionary.to_pylist())
        # fromiter, not array: a value that is a sequence stays one object
        return (np.fromiter(judged, dtype=object, count=len(judged)),
                np.fromiter((value is _FAIL for value in judged), dtype=bool, count=len(judged)))

    def _validate(self, text: str) -> Any:
        if first_control(text) is not None:  # the row path names the character
            return _FAIL
        try:
            value = self._adapter.validate_python(text)
        except ValidationError:
            return _FAIL
        return value.value if isinstance(value, Enum) else value  # the models use enum values


@functools.cache
def _field_checks(kind: Kind, name: str) -> tuple[TypeAdapter[Any], Callable[[str], bool] | None]:
    """The field's own pydantic type and its shape check (_shape_of): built once per process, as
    building them costs more than validating a small file's distinct values."""
    info = MODELS[kind].model_fields[name]
    return TypeAdapter(_field_type(info.annotation, info.metadata)), _shape_of(info.annotation, info.metadata)


def _field_type(annotation: Any, metadata: list[Any]) -> Any:
    """The field's type with its constraints and validators, as the model validates it."""
    return Annotated[annotation, *metadata] if metadata else annotation


_ARROW_SHAPES: dict[Callable[[str], bool], Callable[[pa.Array], pa.Array]] = {
    _plain_id: _arrow_plain_id, _hex64: _arrow_hex64, _bloom: _arrow_bloom}


def _shape_of(annotation: Any, metadata: list[Any]) -> Callable[[str], bool] | None:
    """The shape check of a field typed RecordId, Hex64 or BloomText (optional or not), or None.

    The field must carry the type's own constraints and validators, and keep a sample of the shape
    as it is: a type changed in contract/values.py without this module falls back to the models.
    """
    probe = TypeAdapter(_field_type(annotation, metadata))
    for typ, shape, sample in ((RecordId, _plain_id, "A-1001"), (Hex64, _hex64, "0" * 64),
                               (BloomText, _bloom, "A" * 171 + "=")):
        if _annotates(annotation, metadata, typ):
            try:
                return shape if probe.validate_python(sample) == sample else None
            except ValidationError:
                return None
    return None


def _annotates(annotation: Any, metadata: list[Any], typ: Any) -> bool:
    wanted = get_args(typ)[1:]
    if list(metadata[: len(wanted)]) == list(wanted):
        return True
    return any(get_args(arg)[1:] == wanted for arg in get_args(annotation))


class ColumnValidator:
    """Sorts a chunk of raw rows into rows the models would accept (as warehouse Rows) and the rest."""

    def __init__(self, kind: Kind, header_map: HeaderMap, org: str | None = None) -> None:
        by_field = {name: header for header, name in header_map.columns.items()}
        self.kind = kind
        # An org or deleted column asks questions per row (whose org? a deletion?) that the row
        # path answers, but for the plain answers: a deleted cell that is empty is "not deleted",
        # an org cell empty or the sending organisation's code (`org`) is that organisation.
        self.enabled = kind in _ROW_RULES and ("org" not in by_field or org is not None)
        self._org = org
        self._org_header = by_field.get("org")
        self._deleted_header = by_field.get("deleted")
        self._id = _Column(kind, "record_id", by_field.get("record_id"))
        names = data_columns(kind)
        self._columns = [_Column(kind, name, by_field.get(name)) for name in names]
        make_rule = _ROW_RULES.get(kind)
        self._rule = make_rule(names) if make_rule is not None else None

    def split(self, raws: Sequence[RawRow]) -> list[Row | None]:
        """For each raw row, its Row when the fast path vouches for it, else None (the row path's)."""
        deleted = self._deleted_header
        ids = self._id.values(_cells(raws, self._id.header))
        columns = [column.values(_cells(raws, column.header)) for column in self._columns]
        broken = set(self._rule(columns)) if self._rule is not None else set()
        rows: list[Row | None] = []
        append = rows.append
        for index, (raw, record_id, values) in enumerate(zip(raws, ids, zip(*columns, strict=True), strict=True)):
            if (raw.problems or record_id is _FAIL or _FAIL in values
                    or (deleted is not None and not _blank(raw.values.get(deleted))) or index in broken
                    or (self._org_header is not None and not self._sender(raw.values.get(self._org_header)))):
                append(None)
            else:
                append(Row(raw.number, record_id, False, values))
        return rows

    def split_block(self, block: ColumnBlock) -> Iterator[RowColumns | RawRow]:
        """The block's rows in row order: each stretch of rows the fast path vouches for as columns
        (no tuple made per row), every other row as its RawRow."""
        count = len(block)
        ids, failing = self._id.block_values(block.columns.get(self._id.header) if self._id.header else None, count)
        rejected = set(failing)
        columns = []
        for column in self._columns:
            values, failing = column.block_values(block.columns.get(column.header) if column.header else None, count)
            columns.append(values)
            rejected.update(failing)
        if self._deleted_header is not None:
            rejected.update(_where_not(block.columns[self._deleted_header], _blank))
        if self._org_header is not None:
            rejected.update(_where_not(block.columns[self._org_header], self._sender))
        if self._rule is not None:
            rejected.update(self._rule(columns))
        # The rows the reader read apart (block.rows) go between the block's rows by their numbers.
        numbers = block.numbers
        apart: dict[int, list[RawRow]] = {}
        for raw in block.rows:
            apart.setdefault(bisect_left(numbers, raw.number), []).append(raw)
        start = 0
        # The end is a cut too, once: rows read apart after the block's last row are cut there.
        for cut in sorted({*rejected, *apart, count}):
            if cut > start:
                yield _stretch(numbers, ids, columns, start, cut, count)
            yield from apart.get(cut, ())
            if cut in rejected:
                yield block.raw_row(cut)
                start = cut + 1
            else:
                start = cut

    def _sender(self, cell: object) -> bool:
        """Whether an org cell names the sending organisation, or none (the row path's test)."""
        return cell is None or (isinstance(cell, str) and (not cell.strip() or cell.strip().lower() == self._org))


def _where_not(array: pa.Array, test: Callable[[object], bool]) -> list[int]:
    """Positions of the cells of `array` that fail `test`, which is asked once per distinct cell."""
    encoded = array.dictionary_encode()
    return _positions(encoded.indices, [code for code, cell in enumerate(encoded.dictionary.to_pylist())
                                        if not test(cell)])


def _positions(indices: pa.Array, codes: list[int]) -> list[int]:
    """Positions of a dictionary-encoded column's cells whose dictionary index is one of `codes`."""
    if not codes:
        return []
    return pc.indices_nonzero(pc.is_in(indices, pa.array(codes, indices.type))).to_pylist()


def _stretch(numbers: list[int], ids: list[Any], columns: list[list[Any]], start: int, stop: int,
             count: int) -> RowColumns:
    """Rows start..stop of a block as RowColumns (the block's own lists when it is all of it)."""
    if start == 0 and stop == count:
        return RowColumns(numbers, ids, [False] * count, columns)
    return RowColumns(numbers[start:stop], ids[start:stop], [False] * (stop - start),
                      [column[start:stop] for column in columns])


def _cells(raws: Sequence[RawRow], header: str | None) -> list[object]:
    if header is None:
        return [None] * len(raws)
    return [raw.values.get(header) for raw in raws]


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())
