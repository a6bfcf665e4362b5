"""The warehouse schema: migrations build exactly the tables the code uses, on both databases."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from interchange import clock
from interchange.contract.records import MODELS
from interchange.warehouse.engine import open_warehouse, schema_revision
from interchange.warehouse.tables import BOOKKEEPING, RECORD_TABLES, batches, data_columns, metadata


def test_migrations_build_exactly_the_tables_the_code_uses(database_url: str) -> None:
    engine = open_warehouse(database_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert differences == []
        assert schema_revision(engine) == _head_revision()
    finally:
        engine.dispose()


def _head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from interchange.warehouse.engine import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    [head] = ScriptDirectory.from_config(config).get_heads()  # one head: migrations form a line
    return head


@pytest.mark.parametrize("kind", sorted(RECORD_TABLES))
def test_every_contract_field_has_a_column(kind: str) -> None:
    fields = set(MODELS[kind].model_fields) - {"org", "record_id", "deleted"}  # type: ignore[index]
    assert set(data_columns(kind)) == fields
    assert set(BOOKKEEPING) <= {c.name for c in RECORD_TABLES[kind].columns}


def test_reopening_an_existing_warehouse_keeps_its_data(database_url: str) -> None:
    engine = open_warehouse(database_url)
    with engine.begin() as connection:
        connection.execute(batches.insert().values(
            org="kretingos-spc", source="inbox", sha256="a" * 64, status="loaded",
            received_at=clock.now(), receipt_written=True))
    engine.dispose()
    engine = open_warehouse(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(select(batches.c.sha256)).scalars().all() == ["a" * 64]
    finally:
        engine.dispose()


def test_two_processes_opening_a_new_warehouse_at_once_both_succeed(database_url: str) -> None:
    code = "import sys; from interchange.warehouse.engine import open_warehouse; open_warehouse(sys.argv[1])"
    runs = [subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    engine = open_warehouse(database_url, upgrade=False)
    try:
        assert set(RECORD_TABLES[k].name for k in RECORD_TABLES) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
