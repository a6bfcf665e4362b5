"""A batch is validated, judged and loaded a chunk at a time: memory does not grow with the file,
and a batch in many chunks ends exactly as the same batch in one (issue 16 §7)."""

from __future__ import annotations

import enum
import os
import tempfile
import tracemalloc
from collections import namedtuple
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas
import pytest
import sqlalchemy
from conftest import HUB_CONFIG, empty_warehouse, warehouse_state
from drop_kit import CONTACT_HEADER, PERSON_HEADER, TODAY, contact_rows, drop, ingest, person_rows
from sqlalchemy import select

from interchange.contract.records import Kind
from interchange.ingest import expectations, spool, validate
from interchange.ingest.spool import SpooledRows
from interchange.tabular import csv_blocks
from interchange.warehouse import load
from interchange.warehouse.load import Row, RowColumns, column_digests
from interchange.warehouse.tables import batches, expectation_results, quarantine
from interchange.workspace.init import init_workspace


def rows(count: int) -> list[Row]:
    return [Row(n, f"K{n}", n % 5 == 0, ("P1", date(2026, 1, 1) + timedelta(days=n), n, None, ["a", "b"]))
            for n in range(2, count + 2)]


def test_spooled_rows_come_back_in_order_from_a_file_without_a_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spooled = SpooledRows(chunk_rows=3)
    for row in rows(10):
        spooled.append(row)

    assert spooled.spilled and len(spooled) == 10
    assert [len(chunk) for chunk in spooled.chunks()] == [3, 3, 3, 1]
    assert list(spooled) == list(spooled) == rows(10)  # read again as often as the batch needs
    assert [(a.number, b.number) for a, b in zip(spooled, spooled, strict=True)][-1] == (11, 11)
    # The records are on disk only in a file unlinked when made: a killed process leaves no copy.
    assert os.listdir(tmp_path) == []
    spooled.close()
    assert list(spooled) == [] and not spooled


def test_stretches_of_columns_and_single_rows_spool_in_row_order() -> None:
    # What the column validator hands over: stretches as columns between rows one by one.
    expected = rows(12)
    spooled = SpooledRows(chunk_rows=5)
    spooled.append(expected[0])
    spooled.extend(RowColumns.from_rows(expected[1:8], 5))  # fills a chunk, then most of the next
    spooled.append(expected[8])
    spooled.extend(RowColumns.from_rows(expected[9:12], 5))

    assert len(spooled) == 12 and [len(chunk) for chunk in spooled.column_chunks()] == [5, 5, 2]
    assert list(spooled) == expected
    assert [row for chunk in spooled.column_chunks() for row in chunk.rows()] == expected


def test_rows_spooled_with_their_digests_are_read_back_elsewhere_from_the_chunks_told() -> None:
    # How a reading child hands rows to the loading parent (ingest/overlap.py): a shared file,
    # the chunks told as they are written, the last unfilled one by flush.
    told: list[tuple[int, int, int]] = []
    with tempfile.TemporaryFile() as shared:
        spooled = SpooledRows(chunk_rows=4, file=shared, digests=True, on_spill=lambda *chunk: told.append(chunk))
        for row in rows(10):
            spooled.append(row)
        assert [count for _, _, count in told] == [4, 4]
        spooled.flush()

        elsewhere = SpooledRows.written(shared, told, digests=True)
        assert [count for _, _, count in told] == [4, 4, 2] and len(elsewhere) == 10
        assert list(elsewhere) == rows(10)
        chunks = list(elsewhere.column_chunks())
        assert [chunk.digests for chunk in chunks] == [column_digests(chunk) for chunk in chunks]
        assert [len(chunk.slice(1, 3).digests or []) for chunk in chunks] == [2, 2, 1]


def test_small_chunks_are_read_back_joined_when_asked_for_at_least_some_rows() -> None:
    spooled = SpooledRows(rows(11), chunk_rows=2)

    assert [len(chunk) for chunk in spooled.column_chunks()] == [2, 2, 2, 2, 2, 1]
    assert [len(chunk) for chunk in spooled.column_chunks(at_least=5)] == [6, 5]
    assert [len(chunk) for chunk in spooled.column_chunks(at_least=2)] == [2, 2, 2, 2, 2, 1]
    assert [row for chunk in spooled.column_chunks(at_least=5) for row in chunk.rows()] == rows(11)


class Level(enum.StrEnum):
    HIGH = "high"


class Count(enum.IntEnum):
    ONE = 1


Pair = namedtuple("Pair", "a b")  # any tuple subclass


def test_a_spilled_chunk_comes_back_with_the_same_types_and_values() -> None:
    # Columns of plain types are written by marshal, the others by pickle: every value must come
    # back as it went, an enum as the enum, a named tuple as itself, a str that is one as a str.
    cells: list[tuple[Any, ...]] = [
        ("P1", 1, True, None, 1.5, date(2026, 1, 1), Level.HIGH, Count.ONE, ["a", "b"], ("x", 1)),
        ("P\udc80", 10**30, False, None, -0.0, None, "high", 1, [], Pair(1, 2)),
        ("", -1, True, "x", float("inf"), date(2026, 1, 2), None, True, ["c"], ()),
    ]
    expected = [Row(n, f"K{n}", n % 2 == 0, values) for n, values in enumerate(cells * 3, start=2)]
    spooled = SpooledRows(chunk_rows=4)
    for row in expected:
        spooled.append(row)

    assert spooled.spilled
    back = list(spooled)
    assert back == expected
    assert [[type(v) for v in row.values] for row in back] == [[type(v) for v in row.values] for row in expected]


@pytest.fixture
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few rows, so that the small drops of a test cross many chunk borders."""
    monkeypatch.setattr(spool, "CHUNK_ROWS", 4)
    for name in ("LOOKUP_CHUNK", "ARRAY_LOOKUP_CHUNK", "WRITE_CHUNK"):
        monkeypatch.setattr(load, name, 3)
    monkeypatch.setattr(expectations, "GX_ROWS", 25)


def play_drops(root: Path) -> None:
    """Persons with bad rows; contacts with bad rows, unknown deletions and a busy week, then
    changed; a file whose repeated record_id holds it."""
    people = person_rows(30)
    people[4][2] = "19x0"
    people[17][3] = "kitas"
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *people])
    ingest(root)
    ids = [row[0] for row in people]
    contacts = contact_rows(45, ids)
    monday = TODAY - timedelta(days=TODAY.weekday() + 14)
    for i in range(5, 40, 4):  # nine visits to one person in one ISO week
        contacts[i][1:4] = [ids[3], "supervision_visit", (monday + timedelta(days=i % 5)).isoformat()]
    contacts[11][2] = "palm_reading"
    contacts += [["K900001", "", "", "", ""], ["K900002", ids[1], "legal_consultation", "2099-01-01", "45"]]
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *contacts])
    ingest(root)
    changed = [[*row, ""] for row in contacts]
    for row in changed[::3]:
        row[4] = "120"
    changed[1] = [changed[1][0], "", "", "", "", "taip"]
    changed.append(["K999999", "", "", "", "", "taip"])
    drop(root, "kontaktai-2.contact.csv", [[*CONTACT_HEADER, "deleted"], *changed])
    ingest(root)
    contacts[30][0] = contacts[2][0]
    drop(root, "kontaktai-3.contact.csv", [CONTACT_HEADER, *contacts])
    ingest(root)


def hub_state(url: str) -> dict[str, Any]:
    """The warehouse, the quarantine, the expectation results and the batches with their receipts, without times."""
    state: dict[str, Any] = warehouse_state(url)
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            for name, table in (("quarantine", quarantine), ("expectations", expectation_results)):
                columns = [c for c in table.columns if c.name not in ("quarantine_id", "closed_at")]
                state[name] = sorted((row._asdict() for row in connection.execute(select(*columns))), key=str)
            timeless = [c for c in batches.columns
                        if c.name not in ("received_at", "processed_at", "mtime_ns", "archive_path")]
            state["batches"] = [row._asdict() for row in connection.execute(
                select(*timeless).order_by(batches.c.batch_id))]
    finally:
        engine.dispose()
    for batch in state["batches"]:
        for moment in ("received_at", "processed_at"):
            batch["receipt"].pop(moment, None)
    return state


@pytest.fixture
def two_hubs(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Path, str]]]:
    backend = database_url.split(":", 1)[0]
    with empty_warehouse(backend, tmp_path, "second") as second:
        yield [(tmp_path / "one", database_url), (tmp_path / "many", second)]


def test_a_batch_in_many_chunks_ends_as_the_same_batch_in_one(
        two_hubs: list[tuple[Path, str]], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    states = []
    for root, url in two_hubs:
        monkeypatch.setenv("INTERCHANGE_DATABASE_URL", url)
        init_workspace(root, config_text=HUB_CONFIG)
        if root.name == "many":
            request.getfixturevalue("tiny_chunks")
        play_drops(root)
        states.append(hub_state(url))
    one, many = states
    assert {(b["status"], b["rows_updated"] > 0, b["rows_deleted"]) for b in one["batches"]} == {
        ("loaded", False, 0), ("loaded", True, 1), ("held", False, 0)}
    failed = {e["code"] for e in one["expectations"] if not e["success"]}
    assert failed == {"batch.record_id_unique", "batch.supervision_visits_per_week"}, failed
    assert {q["code"] for q in one["quarantine"]} >= {"value.integer", "value.choice", "delete.unknown"}
    assert many == one


def peak_bytes(root: Path, persons: int) -> int:
    """Peak bytes Python allocated while one person drop of `persons` rows was ingested."""
    drop(root, f"asmenys-{persons}.person.csv", [PERSON_HEADER, *person_rows(persons, prefix=f"S{persons}-")])
    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        ingest(root)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - baseline


def test_the_memory_a_batch_takes_does_not_grow_with_its_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spool, "CHUNK_ROWS", 500)
    monkeypatch.setattr(load, "WRITE_CHUNK", 500)
    monkeypatch.setattr(expectations, "GX_ROWS", 2000)
    monkeypatch.setattr(csv_blocks, "BLOCK_CHARS", 16 * 1024)  # about 150 rows a CSV column block
    monkeypatch.setattr(validate, "FAST_CHUNK", 500)
    with empty_warehouse("sqlite", tmp_path) as url:
        monkeypatch.setenv("INTERCHANGE_DATABASE_URL", url)
        root = tmp_path / "hub"
        init_workspace(root, config_text=HUB_CONFIG)
        peak_bytes(root, 50)  # imports, Great Expectations' context, the warehouse's first batch
        small, large = peak_bytes(root, 3000), peak_bytes(root, 12000)
    # Held whole, a person row cost ~940 bytes here; chunked, ~200 (digests, and GX's bookkeeping
    # of one run per 2000 rows, which at the real GX_ROWS is about a byte a row).
    assert (large - small) / 9000 < 400, (small, large)


def test_a_chunk_read_as_columns_is_judged_as_the_same_frame_as_its_rows() -> None:
    # The expectations see the frame made from the spool's columns; it must be the rows' frame.
    batch = rows(9)
    made = validate.columns_frame(Kind.CONTACT, RowColumns.from_rows(batch, 5))
    pandas.testing.assert_frame_equal(made, validate.rows_frame(Kind.CONTACT, batch))
    empty = validate.columns_frame(Kind.CONTACT, RowColumns.from_rows([], 5))
    assert list(empty.columns) == list(validate.rows_frame(Kind.CONTACT, []).columns) and len(empty) == 0
