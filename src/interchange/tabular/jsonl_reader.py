"""JSON Lines: one JSON object per line, UTF-8."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

from interchange.contract.problems import ProblemError, error

from .table import RawRow, RowStream, Table, put_value


def read_jsonl(path: Path) -> Table:
    """Open a JSON Lines file: one pass collects the keys, the rows are read lazily after.

    Raises:
        ProblemError: `file.encoding` or `file.empty`.
    """
    headers, has_bom = _collect_keys(path)
    return Table(path=path, format="jsonl", headers=headers, rows=RowStream(_rows(path)),
                 encoding="utf-8-sig" if has_bom else "utf-8")


def _collect_keys(path: Path) -> tuple[list[str], bool]:
    # A dict keeps first-appearance order and stays as small as the set of keys.
    keys: dict[str, None] = {}
    seen_line = False
    for _number, text in _lines(path):
        seen_line = True
        parsed = _parse(text)
        if isinstance(parsed, dict):
            keys.update((key.strip(), None) for key in parsed)
    if not seen_line:
        raise ProblemError(error("file.empty"))
    with path.open("rb") as f:
        has_bom = f.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    return list(keys), has_bom


def _rows(path: Path) -> Iterator[RawRow]:
    for number, text in _lines(path):
        parsed = _parse(text)
        if isinstance(parsed, str):
            problem = error("row.json", row=number, reason=parsed)
            yield RawRow(number=number, values={}, problems=[problem])
            continue
        values: dict[str, object] = {}
        for key, value in parsed.items():
            put_value(values, key.strip(), value)
        yield RawRow(number=number, values=values, problems=[])


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for every non-blank line."""
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ProblemError(error("file.encoding", line=number)) from None
            if text.strip():
                yield number, text


def _parse(text: str) -> dict[str, object] | str:
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
    return value


def _reject_constant(name: str) -> object:
    raise ValueError("non-standard JSON constant")
