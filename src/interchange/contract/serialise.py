"""Records as drop-file cells: the one written form every reader accepts back."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from interchange.contract.records import MODELS, Kind, Record


def field_names(kind: Kind) -> list[str]:
    return list(MODELS[kind].model_fields)


def to_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def to_cells(record: Record, kind: Kind) -> list[str]:
    """A record in the column order of `field_names(kind)`; a deletion fills only its ids."""
    return [to_cell(getattr(record, name, None)) for name in field_names(kind)]


def to_json(record: Record) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude_none=True)
