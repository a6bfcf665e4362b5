"""The warehouse schema: migrations build exactly the tables the code uses, on both databases."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select

from interchange import clock
from interchange.contract.records import MODELS
from interchange.warehouse import engine as engine_module
from interchange.warehouse.engine import schema_revision, stored_utc, upgrade_schema, warehouse
from interchange.warehouse.tables import (
    BOOKKEEPING,
    RECORD_TABLES,
    batches,
    data_columns,
    metadata,
    quarantine,
    review_decisions,
)


@dataclass(frozen=True)
class Migrations:
    """The warehouse's migrations, run on one connection inside its transaction."""

    config: Any

    def upgrade(self, revision: str) -> None:
        command.upgrade(self.config, revision)

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.config, revision)


@contextmanager
def at_revision(database_url: str, revision: str) -> Iterator[tuple[Connection, Migrations]]:
    """A new warehouse migrated only to `revision`, in one transaction, and the migrations to move it on."""
    with warehouse(database_url, upgrade=False) as engine:
        config = engine_module._alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            migrations = Migrations(config)
            migrations.upgrade(revision)
            yield connection, migrations


def test_migrations_build_exactly_the_tables_the_code_uses(database_url: str) -> None:
    with warehouse(database_url) as engine:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert differences == []
        assert schema_revision(engine) == _head_revision()


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
    with warehouse(database_url) as engine, engine.begin() as connection:
        connection.execute(batches.insert().values(
            org="kretingos-spc", source="inbox", sha256="a" * 64, status="loaded",
            received_at=clock.now(), receipt_written=True))
    with warehouse(database_url) as engine, engine.connect() as connection:
        assert connection.execute(select(batches.c.sha256)).scalars().all() == ["a" * 64]


def test_two_processes_opening_a_new_warehouse_at_once_both_succeed(database_url: str) -> None:
    code = "import sys\nfrom interchange.warehouse.engine import warehouse\nwith warehouse(sys.argv[1]): pass"
    runs = [subprocess.Popen([sys.executable, "-c", code, database_url], stderr=subprocess.PIPE) for _ in range(2)]
    errors = [run.communicate(timeout=120)[1].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    with warehouse(database_url, upgrade=False) as engine:
        assert set(RECORD_TABLES[k].name for k in RECORD_TABLES) <= set(inspect(engine).get_table_names())


def test_a_process_upgrades_a_database_once_and_again_when_it_is_made_anew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrades = []
    real_upgrade = engine_module.upgrade_schema
    monkeypatch.setattr(engine_module, "upgrade_schema", lambda engine: (upgrades.append(1), real_upgrade(engine)))
    url = f"sqlite:///{tmp_path / 'again.sqlite'}"
    for _ in range(3):
        with warehouse(url) as engine:
            assert schema_revision(engine) == _head_revision()
    assert len(upgrades) == 1
    (tmp_path / "again.sqlite").unlink()  # a demo or a test starting over at the same path
    with warehouse(url) as engine:
        assert schema_revision(engine) == _head_revision()
        assert "batches" in inspect(engine).get_table_names()
    assert len(upgrades) == 2


def test_the_closing_history_migration_keeps_what_was_closed_and_every_decision_taken(database_url: str) -> None:
    from sqlalchemy import text

    with warehouse(database_url, upgrade=False) as engine:
        config = engine_module._alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
            connection.execute(text(
                "INSERT INTO batches (batch_id, org, source, sha256, status, received_at, processed_at, "
                "receipt_written) VALUES (1, 'o', 'inbox', 'a', 'loaded', :t, :t, true), "
                "(2, 'o', 'inbox', 'a', 'loaded', :t, :later, true)"),
                {"t": datetime(2026, 3, 1, 9, tzinfo=UTC), "later": datetime(2026, 3, 2, 9, tzinfo=UTC)})
            connection.execute(text(
                "INSERT INTO quarantine (batch_id, row_number, code, severity, message_lt, message_en, "
                "resolved_by_batch) VALUES (1, 2, 'value.integer', 'error', '', '', 2), "
                "(1, 3, 'value.integer', 'error', '', '', NULL)"))
            connection.execute(text(
                "INSERT INTO review_pairs (uid_l, uid_r, status, decision, decided_at, decided_by, note) "
                "VALUES ('o:1', 'o:2', 'decided', 'same', :t, 'ona.s', 'one birth record')"),
                {"t": datetime(2026, 3, 3, 9, tzinfo=UTC)})
        upgrade_schema(engine)
        with engine.connect() as connection:
            closed = connection.execute(select(quarantine.c.row_number, quarantine.c.closed_at,
                                               quarantine.c.closed_how).order_by(quarantine.c.row_number)).all()
            decided = connection.execute(select(review_decisions.c.decision, review_decisions.c.decided_by,
                                                review_decisions.c.note)).all()
    assert [(row, stored_utc(at) if at else None, how) for row, at, how in closed] == [
        (2, datetime(2026, 3, 2, 9, tzinfo=UTC), "reprocessed"), (3, None, None)]
    assert [tuple(d) for d in decided] == [("same", "ona.s", "one birth record")]


def test_the_attempts_and_source_runs_migration_keeps_batches_both_ways(database_url: str) -> None:
    from sqlalchemy import text

    with at_revision(database_url, "0009") as (connection, migrations):
        connection.execute(text(
            "INSERT INTO batches (batch_id, org, source, sha256, status, received_at, receipt_written) "
            "VALUES (1, 'o', 'inbox', 'a', 'received', :t, false)"), {"t": datetime(2026, 3, 1, 9, tzinfo=UTC)})
        migrations.upgrade("0010")
        assert connection.execute(text("SELECT batch_id, attempts FROM batches")).all() == [(1, 0)]
        assert inspect(connection).has_table("source_runs")
        migrations.downgrade("0009")
        assert not inspect(connection).has_table("source_runs")
        assert "attempts" not in {c["name"] for c in inspect(connection).get_columns("batches")}
        assert connection.execute(text("SELECT batch_id, status FROM batches")).all() == [(1, "received")]


def test_the_web_accounts_migration_adds_its_tables_and_takes_them_away_keeping_batches(database_url: str) -> None:
    from sqlalchemy import text

    web_tables = {"web_users", "web_sessions", "api_tokens", "login_attempts", "audit_events"}
    with at_revision(database_url, "0010") as (connection, migrations):
        connection.execute(text(
            "INSERT INTO batches (batch_id, org, source, sha256, status, received_at, receipt_written) "
            "VALUES (1, 'o', 'inbox', 'a', 'loaded', :t, true)"), {"t": datetime(2026, 3, 1, 9, tzinfo=UTC)})
        migrations.upgrade("0012")
        assert web_tables <= set(inspect(connection).get_table_names())
        connection.execute(text(
            "INSERT INTO web_users (login, role, password_hash, created_at, password_set_at) "
            "VALUES ('ona', 'steward', 'x', :t, :t)"), {"t": datetime(2026, 3, 1, 9, tzinfo=UTC)})
        migrations.downgrade("0010")
        assert not web_tables & set(inspect(connection).get_table_names())
        assert connection.execute(text("SELECT batch_id, status FROM batches")).all() == [(1, "loaded")]


def test_the_ministry_tables_stop_saying_which_suppressed_cells_are_small(database_url: str) -> None:
    # Issue 16, case 1: a published "primary" tells a reader the hidden cell is 1..4.
    from sqlalchemy import text

    with at_revision(database_url, "0014") as (connection, migrations):
        connection.execute(text(
            "INSERT INTO ministry_cells (period, version, indicator, breakdown, month, municipality, org, sex, "
            "age_group, unit, suppressed, reason) VALUES "
            "('2026-Q3', 1, 'x', 'sex', '*', '*', '*', 'F', '*', 'persons', true, 'primary'), "
            "('2026-Q3', 1, 'x', 'sex', '*', '*', '*', 'M', '*', 'persons', true, 'secondary'), "
            "('2026-Q3', 1, 'x', 'total', '*', '*', '*', '*', '*', 'persons', false, '')"))
        migrations.upgrade("0015")
        reasons = connection.execute(text("SELECT sex, reason FROM ministry_cells ORDER BY sex")).all()
        migrations.downgrade("0014")
        migrations.upgrade("head")
    assert [tuple(r) for r in reasons] == [("*", ""), ("F", "suppressed"), ("M", "suppressed")]


def test_the_bulk_tables_lose_their_row_triggers_and_keep_every_row_both_ways(database_url: str) -> None:
    # Issue 18: a foreign key is a trigger per inserted row on PostgreSQL; the bulk tables' batch
    # and run references are written in the same transaction as the row they name.
    from sqlalchemy import text

    t = {"t": datetime(2026, 3, 1, 9, tzinfo=UTC)}
    with at_revision(database_url, "0015") as (connection, migrations):
        connection.execute(text(
            "INSERT INTO batches (batch_id, org, source, sha256, status, received_at, receipt_written) "
            "VALUES (1, 'o', 'inbox', 'a', 'loaded', :t, true)"), t)
        connection.execute(text(
            "INSERT INTO contact_records (org, record_id, deleted, person_record_id, service_code, contact_date, "
            "version, content_hash, batch_id, row_number) VALUES ('o', 'c1', false, 'p1', 'S', '2026-02-01', "
            "1, 'h', 1, 2)"))
        connection.execute(text(
            "INSERT INTO record_versions (kind, org, record_id, version, batch_id, row_number, action, "
            "content_hash) VALUES ('contact', 'o', 'c1', 1, 1, 2, 'insert', 'h')"))
        connection.execute(text("INSERT INTO linkage_runs (run_id, started_at, scorer, upper, lower) "
                                "VALUES (1, :t, 's', 0.9, 0.5)"), t)
        connection.execute(text("INSERT INTO person_keys (person_key, created_at, created_by_run) "
                                "VALUES ('k1', :t, 1)"), t)
        connection.execute(text("INSERT INTO person_links (org, record_id, person_key, linked_at, run_id) "
                                "VALUES ('o', 'p1', 'k1', :t, 1)"), t)

        def references(table: str) -> set[str]:
            return {fk["referred_table"] for fk in inspect(connection).get_foreign_keys(table)}

        def kept() -> list[tuple[object, ...]]:
            return [tuple(connection.execute(text(query)).one()) for query in (
                "SELECT record_id, batch_id FROM contact_records",
                "SELECT record_id, batch_id FROM record_versions",
                "SELECT person_key, created_by_run FROM person_keys",
                "SELECT record_id, person_key, run_id FROM person_links")]

        before = kept()
        assert "batches" in references("contact_records") and "linkage_runs" in references("person_links")
        migrations.upgrade("0016")
        assert kept() == before
        assert references("contact_records") == references("record_versions") == set()
        assert references("person_links") == {"person_keys"}  # between two bulk tables: kept
        assert references("person_keys") == {"person_keys", "linkage_runs"}  # written once per new person
        migrations.downgrade("0015")
        assert kept() == before
        assert references("contact_records") == {"batches"}
        assert references("person_links") == {"person_keys", "linkage_runs"}
        migrations.upgrade("head")
    assert before == [("c1", 1), ("c1", 1), ("k1", 1), ("p1", "k1", 1)]


def test_the_history_keeps_only_replaced_versions_and_gives_the_current_ones_back_on_downgrade(
        database_url: str) -> None:
    # Issue 18: a record's current version is on its own row; record_versions had it a second time.
    from sqlalchemy import text

    def history(connection: object) -> list[tuple[object, ...]]:
        return sorted(tuple(r) for r in connection.execute(text(  # type: ignore[attr-defined]
            "SELECT record_id, version, batch_id, row_number, action FROM record_versions")))

    with at_revision(database_url, "0016") as (connection, migrations):
        connection.execute(text(
            "INSERT INTO batches (batch_id, org, source, sha256, status, received_at, receipt_written) "
            "VALUES (1, 'o', 'inbox', 'a', 'loaded', :t, true), (2, 'o', 'inbox', 'b', 'loaded', :t, true)"),
            {"t": datetime(2026, 3, 1, 9, tzinfo=UTC)})
        # c1 loaded by batch 1, changed by batch 2; c2 loaded by batch 1 only; c3 deleted by batch 2.
        connection.execute(text(
            "INSERT INTO contact_records (org, record_id, deleted, person_record_id, service_code, contact_date, "
            "version, content_hash, batch_id, row_number) VALUES "
            "('o', 'c1', false, 'p1', 'S', '2026-02-01', 2, 'h2', 2, 5), "
            "('o', 'c2', false, 'p1', 'S', '2026-02-02', 1, 'h1', 1, 3), "
            "('o', 'c3', true, NULL, NULL, NULL, 2, 'hd', 2, 6)"))
        connection.execute(text(
            "INSERT INTO record_versions (kind, org, record_id, version, batch_id, row_number, action, "
            "content_hash) VALUES ('contact', 'o', 'c1', 1, 1, 2, 'insert', 'h1'), "
            "('contact', 'o', 'c1', 2, 2, 5, 'update', 'h2'), ('contact', 'o', 'c2', 1, 1, 3, 'insert', 'h1'), "
            "('contact', 'o', 'c3', 1, 1, 4, 'insert', 'h3'), ('contact', 'o', 'c3', 2, 2, 6, 'delete', 'hd')"))
        every_version = history(connection)
        migrations.upgrade("0017")
        assert history(connection) == [("c1", 1, 1, 2, "insert"), ("c3", 1, 1, 4, "insert")]
        assert "ix_contact_records_batch_id" in {i["name"] for i in inspect(connection).get_indexes(
            "contact_records")}
        migrations.downgrade("0016")
        assert history(connection) == every_version
        migrations.upgrade("head")


def test_a_batch_s_records_are_found_by_a_brin_index_on_postgresql_and_a_b_tree_on_sqlite_both_ways(
        database_url: str) -> None:
    # Issue 18: lineage's index on batch_id cost a national load more than any other (migration 0018).
    from sqlalchemy import text

    def kinds(connection: Connection) -> set[str]:
        if connection.dialect.name != "postgresql":
            return {"btree"} if "ix_contact_records_batch_id" in {
                i["name"] for i in inspect(connection).get_indexes("contact_records")} else set()
        return {row[0] for row in connection.execute(text(
            "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
            "WHERE c.relname LIKE 'ix\\_%\\_records\\_batch\\_id' "
            "AND c.relnamespace = current_schema()::regnamespace"))}  # other tests' schemas share the database

    brin = {"brin"} if database_url.startswith("postgresql") else {"btree"}
    with at_revision(database_url, "0017") as (connection, migrations):
        assert kinds(connection) == {"btree"}
        connection.execute(text(
            "INSERT INTO contact_records (org, record_id, deleted, person_record_id, service_code, contact_date, "
            "version, content_hash, batch_id, row_number) VALUES ('o', 'c1', false, 'p1', 'S', '2026-02-01', 1, "
            "'h1', 7, 2), ('o', 'c2', false, 'p1', 'S', '2026-02-02', 1, 'h2', 8, 2)"))
        migrations.upgrade("0018")
        assert kinds(connection) == brin
        assert connection.execute(text("SELECT record_id FROM contact_records WHERE batch_id = 8")).all() == [("c2",)]
        migrations.downgrade("0017")
        assert kinds(connection) == {"btree"}
        migrations.upgrade("head")
