"""On PostgreSQL, the ministry's read-only role sees the protected tables and nothing else.

The grants are the ones docs/publishing.md tells an administrator to run; the analyst's
query from docs/data-dictionary.md gives the published figure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError
from test_publications import PERIOD, RULES, V1, cells

from interchange.indicators.ministry_access import MINISTRY_TABLES, grant_statements
from interchange.indicators.publications import approve_version, read_inputs, store_publication
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import metadata

postgres_only = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                        indirect=True)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with warehouse(database_url) as engine:
        store_publication(engine, PERIOD, cells(V1), inputs=read_inputs(engine), catalogue_version="2026.1",
                          rules=RULES, created_by="steward")
        approve_version(engine, PERIOD.label, 1, by="ona")
        yield engine


@pytest.fixture
def ministry_role(engine: Engine) -> Iterator[str]:
    role = f"ministry_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f"CREATE ROLE {role} NOLOGIN"))
        for statement in grant_statements(role, schema):
            connection.execute(text(statement))
    yield role
    with engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))


def as_role(engine: Engine, role: str, query: str) -> list[tuple]:
    with engine.connect() as connection:
        connection.execute(text(f"SET ROLE {role}"))
        try:
            return [tuple(row) for row in connection.execute(text(query))]
        finally:
            connection.rollback()


@postgres_only
def test_ministry_role_reads_the_protected_tables_only(engine: Engine, ministry_role: str) -> None:
    query = """
        SELECT c.value, c.suppressed FROM ministry_cells c
        JOIN (SELECT period, MAX(version) AS version FROM ministry_publications GROUP BY period) cur
          ON cur.period = c.period AND cur.version = c.version
        WHERE c.period = '2026-Q3' AND c.indicator = 'dv_persons' AND c.breakdown = 'total'"""
    assert as_role(engine, ministry_role, query) == [(266.0, False)]
    assert as_role(engine, ministry_role, "SELECT value FROM ministry_cells WHERE suppressed") == [(None,)]
    assert as_role(engine, ministry_role, "SELECT count(*) FROM ministry_indicators") == [(0,)]  # none stored here
    for table in metadata.sorted_tables:  # every other table of the warehouse is closed to the role
        if table.name not in MINISTRY_TABLES:
            with pytest.raises(ProgrammingError, match="permission denied"):
                as_role(engine, ministry_role, f"SELECT * FROM {table.name}")


def test_grant_statements_take_plain_identifiers_only() -> None:
    assert grant_statements("ministry_reader") == [
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ministry_reader",
        "GRANT USAGE ON SCHEMA public TO ministry_reader",
        "GRANT SELECT ON public.ministry_publications, public.ministry_cells, public.ministry_indicators "
        "TO ministry_reader",
    ]
    with pytest.raises(ValueError, match="role 'x; DROP TABLE batches'"):
        grant_statements("x; DROP TABLE batches")
