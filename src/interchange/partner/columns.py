"""A partner's own column names, mapped once to the contract's (`--columns my-columns.yaml`).

Partners' systems export their own headers ("Įrašo Nr.", "Kliento ID"); the contract knows only
its own names and Lithuanian labels and refuses any other header as unknown. A mapping file says,
once, which of the partner's headers is which contract column:

    Įrašo Nr.: record_id        # every record kind that has the column
    contact:                    # contact files only
      Data: contact_date

The same mapping serves `pseudonymise` and `check` on the partner's machine and, under the
organisation's `columns:` key in interchange.yaml, the hub's ingest. It is checked when read: a
column the contract does not have, a record kind it does not know, or two headers for one column
stop the work with the file and the key named, so a file is never read silently wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from interchange.contract.column_names import contract_header_keys
from interchange.contract.records import Kind, lithuanian_texts
from interchange.contract.text import key_of
from interchange.errors import InterchangeError
from interchange.partner.identifiers import ALL_IDENTIFIERS, RAW_IDENTIFIERS, identifier_keys


class ColumnMappingError(InterchangeError, ValueError):
    """A mapping file (or an organisation's `columns:`) that cannot be used; names the file and key.

    A ValueError too, so that pydantic reports it under the config key it belongs to."""


def targets(kind: Kind) -> dict[str, str]:
    """What a header may be mapped to for `kind`: folded name -> the column's English name.

    The kind's contract columns (by English name or Lithuanian label) and, for person and
    household extracts, the identifier columns only the pseudonymiser reads.
    """
    return dict(_targets(kind))


@cache
def _targets(kind: Kind) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for name, (header_lt, _) in lithuanian_texts(kind).items():
        found[key_of(name)] = name
        found.setdefault(key_of(header_lt), name)
    for column in RAW_IDENTIFIERS.get(kind, ()):
        found[key_of(column.name)] = column.name
        found.setdefault(key_of(column.header_lt), column.name)
    return tuple(found.items())


_IDENTIFIER_NAMES = frozenset(column.name for column in ALL_IDENTIFIERS)


class ColumnMapping(BaseModel):
    """The checked mapping: entries for every kind, and each kind's own section.

    Built from the file's shape (`{header: column, kind: {header: column}}`) by `load_column_mapping`, or by
    pydantic from the same shape under an organisation's `columns:` in interchange.yaml.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    common: dict[str, str] = {}  # header as written -> column, for every kind that has the column
    kinds: dict[Kind, dict[str, str]] = {}  # kind -> header as written -> column

    @model_validator(mode="before")
    @classmethod
    def _from_file_shape(cls, data: Any) -> Any:
        if isinstance(data, ColumnMapping):
            return data
        return _split_sections(data, origin=None)

    def aliases(self, kind: Kind) -> dict[str, str]:
        """The headers of `kind`'s files and their columns: its section over the entries for every kind."""
        known = {name for _, name in _targets(kind)}
        chosen = {key_of(h): (h, c) for h, c in self.common.items() if c in known}
        chosen |= {key_of(h): (h, c) for h, c in self.kinds.get(kind, {}).items()}
        return dict(chosen.values())

    def by_kind(self) -> dict[Kind, dict[str, str]]:
        return {kind: self.aliases(kind) for kind in Kind}

    def identifier_headers(self, headers: Iterable[str]) -> list[str]:
        """The headers this mapping names as a direct identifier (a personal code, a name, an address)."""
        named = {key_of(h) for section in (self.common, *self.kinds.values())
                 for h, c in section.items() if c in _IDENTIFIER_NAMES}
        return [h for h in headers if key_of(h) in named]

    def header_keys(self) -> frozenset[str]:
        """Comparison keys of every header this mapping names, for any kind."""
        return frozenset(key_of(h) for section in (self.common, *self.kinds.values()) for h in section)


def known_header_keys(columns: ColumnMapping | None = None) -> frozenset[str]:
    """Every column name the partner kit and the hub know (contract, identifiers, the mapping's):
    such a name may be quoted back, and never counts as data in a header row."""
    known = contract_header_keys() | identifier_keys()
    return known | columns.header_keys() if columns is not None else known


def load_column_mapping(path: Path) -> ColumnMapping:
    """The mapping in a YAML file; a ColumnMappingError naming the file (and key) when it is wrong."""
    if not path.is_file():
        raise ColumnMappingError(key="error.columns_missing", path=path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ColumnMappingError(key="error.columns_encoding", path=path) from None
    try:
        _refuse_repeats(yaml.compose(text, Loader=yaml.SafeLoader), str(path))
        data = yaml.safe_load(text)  # no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ColumnMappingError(key="error.columns_yaml", path=path,
                                 line=mark.line + 1 if mark else "?") from None
    return ColumnMapping.model_construct(**_split_sections(data, origin=str(path)))


def _refuse_repeats(node: yaml.Node | None, origin: str) -> None:
    """YAML keeps the last of a key written twice, so a header's first column would silently go."""
    if not isinstance(node, yaml.MappingNode):
        return
    written: set[str] = set()
    for key, value in node.value:
        if key.value in written:
            raise ColumnMappingError(key="error.columns_twice", where=origin, header=key.value)
        written.add(key.value)
        _refuse_repeats(value, origin)


def _split_sections(data: Any, *, origin: str | None) -> dict[str, Any]:
    """The file's shape checked and split into `common` and `kinds`; the first fault raised."""
    def where(*keys: object) -> str:
        path = ".".join(str(k) for k in keys)
        return f"{origin}, {path}" if origin and path else (origin or path or "columns")

    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ColumnMappingError(key="error.columns_shape", where=where())
    kinds_by_key = {key_of(k.value): k for k in Kind}
    common: dict[str, str] = {}
    kinds: dict[Kind, dict[str, str]] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            kind = kinds_by_key.get(key_of(str(key)))
            if kind is None:
                raise ColumnMappingError(key="error.columns_kind", where=where(key), kind=key,
                                         kinds=", ".join(k.value for k in Kind))
            kinds[kind] = {str(h): _column(c, [kind], where(key, h)) for h, c in (value or {}).items()}
        else:
            common[str(key)] = _column(value, list(Kind), where(key))
    for kind in Kind:
        _one_header_per_column(common, kinds.get(kind, {}), kind, where)
    return {"common": common, "kinds": kinds}


def _column(value: Any, kinds: list[Kind], where: str) -> str:
    """The contract column `value` names for one of `kinds`, by English name or Lithuanian label."""
    if not isinstance(value, str):
        raise ColumnMappingError(key="error.columns_shape", where=where)
    for kind in kinds:
        found = targets(kind).get(key_of(value))
        if found is not None:
            return found
    named = ", ".join(kind.value for kind in kinds)
    known = sorted({name for kind in kinds for _, name in _targets(kind)})
    raise ColumnMappingError(key="error.columns_unknown", where=where, column=value, kind=named,
                             known=", ".join(known))


def _one_header_per_column(common: dict[str, str], section: dict[str, str], kind: Kind,
                           where: Any) -> None:
    """Two headers of one file may not feed one column, nor one header (however spelt) two."""
    known = {name for _, name in _targets(kind)}
    effective: dict[str, tuple[tuple[str, ...], str]] = {}  # folded header -> (its keys, column)
    for prefix, entries in (((), common), ((kind.value,), section)):
        seen: set[str] = set()
        for header, column in entries.items():
            folded = key_of(header)
            if folded in seen:
                raise ColumnMappingError(key="error.columns_twice", where=where(*prefix, header), header=header)
            seen.add(folded)
            if prefix or column in known:
                effective[folded] = ((*prefix, header), column)  # the kind's own section wins
    by_column: dict[str, tuple[str, ...]] = {}
    for keys, column in effective.values():
        if column in by_column:
            raise ColumnMappingError(key="error.columns_same", where=where(*keys), column=column,
                                     other=".".join(by_column[column]))
        by_column[column] = keys
