"""JSON Lines: one JSON object per line, UTF-8.

Lines are read at most `max_line_chars` bytes at a time, so an endless line is refused, not held.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

from interchange.contract.problems import ProblemError, error

from .limits import DEFAULT_LIMITS, ReadLimits
from .table import RawRow, RowStream, Table, clean_header, drop_long_cells, put_value


def read_jsonl(path: Path, *, limits: ReadLimits = DEFAULT_LIMITS) -> Table:
    """Open a JSON Lines file: one pass collects the keys, the rows are read lazily after.

    Raises:
        ProblemError: `file.encoding`, `file.empty`, `file.line_too_long` or `file.too_many_columns`.
    """
    headers, has_bom = _collect_keys(path, limits)
    return Table(path=path, format="jsonl", headers=headers, rows=RowStream(_rows(path, limits)),
                 encoding="utf-8-sig" if has_bom else "utf-8")


def _collect_keys(path: Path, limits: ReadLimits) -> tuple[list[str], bool]:
    # A dict keeps first-appearance order and stays as small as the set of keys.
    keys: dict[str, None] = {}
    seen_line = False
    for _number, text in _lines(path, limits.max_line_chars):
        seen_line = True
        parsed = _parse(text, limits.max_json_depth)
        if isinstance(parsed, dict):
            keys.update((clean_header(key), None) for key in parsed)
            if len(keys) > limits.max_columns:
                raise ProblemError(error("file.too_many_columns", found=len(keys), limit=limits.max_columns))
    if not seen_line:
        raise ProblemError(error("file.empty"))
    with path.open("rb") as f:
        has_bom = f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    return list(keys), has_bom


def _rows(path: Path, limits: ReadLimits) -> Iterator[RawRow]:
    for number, text in _lines(path, limits.max_line_chars):
        parsed = _parse(text, limits.max_json_depth)
        if isinstance(parsed, str):
            problem = error("row.json", row=number, reason=parsed)
            yield RawRow(number=number, values={}, problems=[problem])
            continue
        values: dict[str, object] = {}
        for key, value in parsed.items():
            put_value(values, clean_header(key), value)
        row = RawRow(number=number, values=values, problems=[])
        drop_long_cells(row, limits.max_cell_chars)
        yield row


def _lines(path: Path, limit: int) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for every non-blank line."""
    with path.open("rb") as f:
        number = 0
        while raw := f.readline(limit + 1):
            number += 1
            if len(raw) > limit:
                raise ProblemError(error("file.line_too_long", line=number, limit=limit))
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProblemError(error("file.encoding", line=number)) from None
            if text.strip():
                yield number, text


def _parse(text: str, max_depth: int) -> dict[str, object] | str:
    """The line's object, or why it is not one (never quoting the line)."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return f"invalid JSON at character {exc.pos + 1}"
    except ValueError:
        return "NaN and Infinity are not valid JSON"
    except RecursionError:
        return "the JSON is nested too deeply"
    if not isinstance(value, dict):
        return "not an object"
    if _deeper_than(value, max_depth):
        return f"the JSON is nested more than {max_depth} levels deep"
    return value


def _deeper_than(value: object, limit: int) -> bool:
    """True when objects and lists nest more than `limit` levels (the line's object is level 1)."""
    level: list[object] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        inner: list[object] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            inner.extend(c for c in children if isinstance(c, dict | list))  # type: ignore[attr-defined]
        level = inner
    return False


def _reject_constant(name: str) -> object:
    raise ValueError("non-standard JSON constant")
