"""Every version of every record: the replaced ones in `record_versions`, the current one on the
record's own row (warehouse/load.py writes a version's history only when it is replaced)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, literal, select, union_all

from interchange.warehouse.tables import RECORD_TABLES, record_versions

HISTORY_COLUMNS = ("kind", "org", "record_id", "version", "batch_id", "row_number", "action", "content_hash")


def version_history() -> Select[tuple[str, str, str, int, int, int, str, str]]:
    """A select of every version ever loaded, one row per (kind, org, record_id, version), in the
    columns of `record_versions`; filter or order it like a table (`.subquery()`)."""
    current = []
    for kind, table in sorted(RECORD_TABLES.items()):
        current.append(select(
            literal(kind, String).label("kind"), table.c.org, table.c.record_id, table.c.version, table.c.batch_id,
            table.c.row_number, stored_action(table).label("action"), table.c.content_hash))
    replaced = select(*(record_versions.c[name] for name in HISTORY_COLUMNS))
    everything = union_all(replaced, *current).subquery("version_history")
    return select(*(everything.c[name] for name in HISTORY_COLUMNS))


def stored_action(table: Any) -> ColumnElement[str]:
    """What set a record table's current version (`table`, or an alias of it): insert, update or delete."""
    return case((table.c.version == 1, "insert"), (table.c.deleted, "delete"), else_="update")
