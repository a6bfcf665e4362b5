"""The PostgreSQL grants that let a ministry role read the protected tables and nothing else.

docs/publishing.md shows these statements; the tests run them against a real server and
check that the role can read ``ministry_cells`` and cannot read an unsuppressed figure.
"""

from __future__ import annotations

import re

from interchange.warehouse.tables import ministry_cells, ministry_indicators, ministry_publications

MINISTRY_TABLES = (ministry_publications.name, ministry_cells.name, ministry_indicators.name)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant_statements(role: str, schema: str = "public") -> list[str]:
    """SQL that gives `role` (an existing role) read access to the ministry tables of `schema` only.

    Tables in PostgreSQL are private to their owner unless granted, so the role sees nothing
    else; the REVOKE makes that explicit should someone have granted more before.
    """
    for name, value in (("role", role), ("schema", schema)):
        if not _IDENTIFIER.match(value):
            raise ValueError(f"{name} {value!r}: use lower-case letters, digits and _ (a plain SQL identifier)")
    tables = ", ".join(f"{schema}.{table}" for table in MINISTRY_TABLES)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT SELECT ON {tables} TO {role}",
    ]
