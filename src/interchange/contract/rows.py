"""From a partner's header and cells to contract records or problems.

Headers match in Lithuanian or English, case- and diacritics-insensitively. Cells are
validated one row at a time; a bad row yields problems naming its row number and
column and never stops the rows after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from interchange.contract.column_names import contract_header_keys, quotable
from interchange.contract.problems import Problem, Severity, error, warning
from interchange.contract.records import MODELS, Deletion, Kind, Record, lithuanian_texts
from interchange.contract.text import escape_of, first_control, first_unprintable, key_of, strip_invisible
from interchange.contract.values import FORMAT_HINTS, YesNo, record_id_problem
from interchange.i18n import has

_LIMIT_CODES = {
    "greater_than_equal": ("value.too_small", "ge"),
    "greater_than": ("value.too_small", "gt"),
    "less_than_equal": ("value.too_large", "le"),
    "less_than": ("value.too_large", "lt"),
}
_TYPE_CODES = {
    "missing": "value.required",
    "string_too_short": "value.required",
    "int_parsing": "value.integer",
    "int_type": "value.integer",
    "int_from_float": "value.integer",
    "float_parsing": "value.number",
    "bool_parsing": "value.boolean",
    "date_parsing": "value.date",
    "date_from_datetime_parsing": "value.date",
    "list_type": "value.invalid",
}


def field_headers(kind: Kind) -> dict[str, tuple[str, str]]:
    """For each field of a kind: (English header, Lithuanian header)."""
    return {name: (name, header_lt) for name, (header_lt, _) in lithuanian_texts(kind).items()}


def required_fields(kind: Kind) -> list[str]:
    return [name for name, info in MODELS[kind].model_fields.items() if info.is_required()]


@dataclass
class HeaderMap:
    """Which column of a file feeds which field of a kind."""

    kind: Kind
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> field
    problems: list[Problem] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        """True when no row can be read correctly (a required or a repeated column)."""
        return any(p.code in ("header.missing", "header.duplicate")
                   and p.severity is Severity.ERROR for p in self.problems)

    def column_of(self, field_name: str) -> str:
        for column, name in self.columns.items():
            if name == field_name:
                return column
        return field_name


def map_headers(kind: Kind, headers: Iterable[str], *, supplied: Iterable[str] = (),
                extra_aliases: Mapping[str, str] | None = None) -> HeaderMap:
    """Match a file's headers to a kind's fields.

    Args:
        kind: the record kind the file holds.
        headers: the headers as written in the file.
        supplied: fields whose values come from elsewhere (e.g. `org` from the sender),
            so their column is not required.
        extra_aliases: more header names (any spelling) for a field, or for a name that
            is not a contract field at all (the pseudonymiser's identifier columns).
    """
    aliases: dict[str, str] = {}
    for name, (en, lt) in field_headers(kind).items():
        aliases[key_of(en)] = name
        aliases[key_of(lt)] = name
    for alias, name in (extra_aliases or {}).items():
        aliases[key_of(alias)] = name

    result = HeaderMap(kind)
    seen: dict[str, list[str]] = {}
    for position, header in enumerate(headers, start=1):
        if not header.strip():
            result.problems.append(error("header.blank", position=position))
            continue
        field_name = aliases.get(key_of(header))
        if field_name is None:
            # Named only when the name cannot be a record's data (contract/column_names.py).
            shown = header if quotable(header, contract_header_keys()) else None
            result.problems.append(error("header.unknown", column=shown, position=position))
            continue
        seen.setdefault(field_name, []).append(header)
        result.columns[header] = field_name
    for name, columns in seen.items():
        if len(columns) > 1:
            result.problems.append(error("header.duplicate", column=columns[1], field=name,
                                         columns=", ".join(f"'{c}'" for c in columns)))
    # A file with a deleted column may hold deletions only, which need no other column:
    # then a missing column is a warning and each row that needs it fails on its own.
    missing = warning if "deleted" in seen else error
    for name in required_fields(kind):
        if name not in seen and name not in set(supplied):
            en, lt = field_headers(kind)[name]
            result.problems.append(missing("header.missing", column=lt, column_en=en))
    return result


def guess_kind(headers: list[str], supplied: Iterable[str] = (),
               extra_aliases: Mapping[Kind, Mapping[str, str]] | None = None) -> Kind | None:
    """The one kind whose required columns are all there and which leaves fewest unknown.

    `extra_aliases` gives each kind's more header names (a partner's own column names).
    """
    fits = []
    for kind in Kind:
        mapped = map_headers(kind, headers, supplied=list(supplied),
                             extra_aliases=(extra_aliases or {}).get(kind))
        if not mapped.fatal:
            fits.append((sum(p.code == "header.unknown" for p in mapped.problems), kind))
    fits.sort()
    if not fits or (len(fits) > 1 and fits[0][0] == fits[1][0]):
        return None
    return fits[0][1]


@dataclass
class RowResult:
    row: int
    record: Record | None
    problems: list[Problem]

    @property
    def record_id(self) -> str | None:
        return self.record.record_id if self.record is not None else None


class RecordIds:
    """Remembers the row where each record_id of a file first appeared."""

    def __init__(self) -> None:
        self._first_row: dict[str, int] = {}

    def repeat(self, result: RowResult, column: str) -> Problem | None:
        """A duplicate_id problem when `result`'s record_id was already used in the file."""
        if result.record is None:
            return None
        first = self._first_row.setdefault(result.record.record_id, result.row)
        if first == result.row:
            return None
        return error("value.duplicate_id", row=result.row, column=column,
                     record_id=result.record.record_id, first_row=first)


def validate_row(kind: Kind, row: int, values: Mapping[str, Any], headers: HeaderMap, *,
                 org: str | None = None) -> RowResult:
    """Turn one row's cells into a record of `kind`, or into problems.

    `values` maps headers as written to cells; columns the header map does not know
    are ignored (they were reported once, for the file). When `org` is given it fills
    an absent org column and must equal a present one.
    """
    data = _field_values(values, headers)
    controls = _control_problems(data, row, headers)
    if controls:
        return RowResult(row, None, controls)
    if org is not None:
        given = data.get("org")
        if given is not None and str(given).strip().lower() != org:
            problem = error("value.invalid", row=row, column=headers.column_of("org"),
                            record_id=safe_record_id(data.get("record_id")),
                            expected=f"the sending organisation's code '{org}'")
            return RowResult(row, None, [problem])
        data["org"] = org
    model = Deletion if _is_deletion(data) else MODELS[kind]
    if model is Deletion:
        data = {k: v for k, v in data.items() if k in Deletion.model_fields}
    try:
        return RowResult(row, model.model_validate(data), [])
    except ValidationError as exc:
        return RowResult(row, None, problems_from(exc, row=row, headers=headers,
                                                  record_id=safe_record_id(data.get("record_id"))))


def safe_record_id(value: Any) -> str | None:
    """The record id for messages, unless it is not one (a personal code, a name) or holds a
    character a message must not print (a control, a line break); at most 64 characters."""
    if not isinstance(value, str):
        return None
    value = strip_invisible(value)
    if record_id_problem(value) is not None or first_unprintable(value) is not None:
        return None
    return value[:64] or None


def _control_problems(data: Mapping[str, Any], row: int, headers: HeaderMap) -> list[Problem]:
    """A control character (NUL above all) in any value: the row is refused, the value never shown."""
    try:
        joined = "".join(data.values())  # one search per row; CSV and XLSX cells are all text
    except TypeError:
        joined = "".join(map(_text_of, data.values()))
    if first_control(joined) is None:
        return []
    found = []
    for name, value in data.items():
        char = first_control(_text_of(value))
        if char is not None:
            found.append(error("value.control_character", row=row, column=headers.column_of(name),
                               record_id=safe_record_id(data.get("record_id")), character=escape_of(char)))
    return found


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):  # a JSON list of ids
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _field_values(values: Mapping[str, Any], headers: HeaderMap) -> dict[str, Any]:
    # Runs once per row: walks the mapped columns only, so unknown columns cost nothing.
    data: dict[str, Any] = {}
    for column, name in headers.columns.items():
        value = values.get(column)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value:
                continue
        data[name] = value
    return data


_YES_NO = TypeAdapter(YesNo)


def _is_deletion(data: Mapping[str, Any]) -> bool:
    if "deleted" not in data:
        return False
    try:
        return _YES_NO.validate_python(data.get("deleted", False)) is True
    except ValidationError:
        return False  # the full model reports the bad flag with its row and column


def problems_from(exc: ValidationError, *, row: int | None, headers: HeaderMap,
                  record_id: str | None) -> list[Problem]:
    """Bilingual problems from a pydantic error, without the rejected values."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False):
        ctx = dict(err.get("ctx") or {})
        loc = [part for part in err["loc"] if isinstance(part, str)]
        field_name = loc[0] if loc else ctx.pop("field", None)
        column = headers.column_of(field_name) if field_name else None
        code, params = _code_and_params(err["type"], ctx, field_name, headers)
        problems.append(error(code, row=row, column=column, record_id=record_id, **params))
    return problems


def _code_and_params(kind: str, ctx: dict[str, Any], field_name: str | None,
                     headers: HeaderMap) -> tuple[str, dict[str, Any]]:
    if has(f"problem.{kind}"):
        if kind == "value.order":
            ctx["other"] = headers.column_of(ctx["other"])
        return kind, {k: v for k, v in ctx.items() if k != "field"}
    if kind in _LIMIT_CODES:
        code, key = _LIMIT_CODES[kind]
        return code, {"limit": ctx.get(key)}
    if kind == "string_too_long":
        return "value.too_long", {"limit": ctx.get("max_length")}
    if kind in ("enum", "literal_error"):
        return "value.choice", {"expected": ctx.get("expected", "")}
    if kind == "string_pattern_mismatch":
        return "value.format", {"expected": _format_hint(field_name, headers)}
    if kind == "extra_forbidden":
        return "value.invalid", {"expected": "no value in a deletion row"}
    if kind in _TYPE_CODES:
        return _TYPE_CODES[kind], {"expected": "a valid value"}
    return "value.invalid", {"expected": "a value as described in the template"}


def _format_hint(field_name: str | None, headers: HeaderMap) -> str:
    if field_name == "org":
        return FORMAT_HINTS["org"]
    if field_name and field_name.endswith("_bloom"):
        return FORMAT_HINTS["bloom"]
    return FORMAT_HINTS["pseudonym"]


