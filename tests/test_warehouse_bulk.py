"""Bulk inserts through the driver store what a Core insert stores, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import empty_warehouse
from sqlalchemy import Connection, Table, select

from interchange.warehouse.bulk import insert_columns
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import linkage_events, linkage_runs, person_keys, person_links, review_pairs

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
Insert = Callable[[Connection, Table, Mapping[str, Sequence[Any]]], None]

# A linkage run's rows: a repeated timestamp, text with quotes, tabs and Lithuanian letters,
# JSON arrays (empty, as tuples and as lists), an empty JSON cell, floats, infinities and NULLs.
ROWS: dict[Table, dict[str, list[Any]]] = {
    person_keys: {"person_key": ["p-1", "p-2", "p-3"], "created_at": [NOW] * 3, "created_by_run": [1] * 3},
    person_links: {"org": ["spc", "spc", "mimc"], "record_id": ["a:1", "b\t'2'", "ž\\3"],
                   "person_key": ["p-1", "p-1", "p-2"], "linked_at": [NOW] * 3, "run_id": [1] * 3},
    linkage_events: {"run_id": [1] * 4, "entity": ["person"] * 4, "kind": ["new", "merge", "split", "new"],
                     "entity_key": ["p-1", "p-2", "p-3", "p-4"], "other_keys": [(), ("p-9", "p-8"), ["p-2"], []],
                     "records": [2, 1, 0, 1], "reason": ["2 record(s)", 'model linked "x"', "cut\nhere", "ąčę"]},
    review_pairs: {"uid_l": ["a:1", "a:2"], "uid_r": ["b:1", "b:2"], "match_probability": [0.5, None],
                   "match_weight": [-1.25, None], "method": ["model", None],
                   "agreements": [{"sex": "agree", "surname_bloom": 0.83}, None],
                   "status": ["open", "open"], "first_run": [1, 1], "last_run": [1, 1]},
}


def core_insert(connection: Connection, table: Table, columns: Mapping[str, Sequence[Any]]) -> None:
    rows = [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    connection.execute(table.insert(), rows)


@pytest.fixture
def stored(tmp_path: Path, database_url: str) -> Iterator[Callable[[Insert, str], dict[str, list[tuple[Any, ...]]]]]:
    backend = "postgres" if database_url.startswith("postgresql") else "sqlite"

    def store(insert: Insert, name: str) -> dict[str, list[tuple[Any, ...]]]:
        with empty_warehouse(backend, tmp_path, name) as url, warehouse(url) as engine:
            with engine.begin() as connection:
                connection.execute(linkage_runs.insert().values(run_id=1, started_at=NOW, scorer="test",
                                                                upper=0.95, lower=0.5))
                for table, columns in ROWS.items():
                    insert(connection, table, columns)
            with engine.connect() as connection:
                return {table.name: [tuple(row) for row in
                                     connection.execute(select(table).order_by(*table.primary_key))]
                        for table in ROWS}

    yield store


def test_a_bulk_insert_stores_what_a_core_insert_stores(stored: Callable[[Insert, str], Any]) -> None:
    by_core, in_bulk = stored(core_insert, "core"), stored(insert_columns, "bulk")
    assert in_bulk == by_core
    assert by_core["linkage_events"][1][5] == ["p-9", "p-8"]  # read back as JSON, not as text


def test_a_bulk_insert_of_no_rows_writes_nothing(database_url: str) -> None:
    with warehouse(database_url) as engine, engine.begin() as connection:
        insert_columns(connection, person_keys, {"person_key": [], "created_at": [], "created_by_run": []})
        assert connection.execute(select(person_keys)).all() == []


def test_columns_of_different_lengths_are_refused(database_url: str) -> None:
    with warehouse(database_url) as engine, engine.begin() as connection, pytest.raises(ValueError):
        insert_columns(connection, person_keys, {"person_key": ["p-1"], "created_at": [], "created_by_run": [1]})
