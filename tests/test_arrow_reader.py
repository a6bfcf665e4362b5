"""Reading the warehouse as Arrow columns: SQLite's per-value types, its own reading process (the
hub's locks kept, a dead or silent one named), and failures said without secrets."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, insert, select

from interchange.warehouse import arrow_reader as arrow_reader_module
from interchange.warehouse import sqlite_reading
from interchange.warehouse.address import WarehouseUnreachable
from interchange.warehouse.arrow_reader import ArrowReadError, arrow_reader
from interchange.warehouse.engine import warehouse

_NOTES = Table("notes", MetaData(), Column("id", Integer), Column("note", String), Column("size", Integer))


def test_a_column_empty_for_its_first_batches_still_reads_as_text(tmp_path: Path) -> None:
    # SQLite's driver types a column by its first batch: all empty, it would take integers and
    # fail at the first text. The reader's probe row gives each column its kind first.
    db = tmp_path / "w.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER, note TEXT, size INTEGER)")
        connection.executemany("INSERT INTO notes VALUES (?, NULL, NULL)", [(n,) for n in range(70_000)])
        connection.execute("INSERT INTO notes VALUES (70000, 'late', 3)")
    engine = create_engine(f"sqlite:///{db}")
    with arrow_reader(engine) as reader:
        table = reader.read("notes", select(_NOTES), {"id": "integer", "note": "text", "size": "integer"}).read_all()
    assert table.num_rows == 70_001  # the probe row is not among them
    assert table.column("id").to_pylist()[:2] == [0, 1]
    assert table.column("note").to_pylist()[-2:] == [None, "late"]
    assert table.column("size").to_pylist()[-1] == 3


def test_row_number_gives_each_row_of_a_read_its_own_number(tmp_path: Path) -> None:
    # The indicators number contacts by it (their event_id) instead of reading their record ids.
    db = tmp_path / "w.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE notes (id INTEGER, note TEXT, size INTEGER)")
        connection.executemany("INSERT INTO notes VALUES (7, ?, 1)", [(f"n{n}",) for n in range(100)])
        connection.execute("DELETE FROM notes WHERE note = 'n3'")
    with arrow_reader(create_engine(f"sqlite:///{db}")) as reader:
        table = reader.read("notes", select(reader.row_number(_NOTES).label("n"), _NOTES.c.note).where(
            _NOTES.c.size == 1), {"n": "integer", "note": "text"}).read_all()
    numbers = table.column("n").to_pylist()
    assert len(numbers) == len(set(numbers)) == 99


@contextmanager
def _notes_in(url: str, rows: int) -> Iterator[Engine]:
    with warehouse(url) as engine:
        _NOTES.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(_NOTES), [{"id": n, "note": f"n{n}", "size": n % 7} for n in range(rows)])
        yield engine


def test_a_read_in_parts_on_two_connections_gives_every_row_once_with_a_number_of_its_own(database_url: str) -> None:
    # The indicators read the contacts so, on both cores; the parts must neither lose nor repeat a row.
    with _notes_in(database_url, 20_000) as engine, arrow_reader(engine, connections=2) as reader:
        parts = reader.split(_NOTES)
        statements = [select(part.row_number.label("n"), _NOTES.c.id).where(part.where, _NOTES.c.size < 6)
                      for part in parts]
        each = [reader.read("notes", statement, {"n": "integer", "id": "integer"}).read_all().num_rows
                for statement in statements]
        table = reader.read_parts("notes", statements, {"n": "integer", "id": "integer"}).read_all()
    ids = table.column("id").to_pylist()
    assert sorted(ids) == [n for n in range(20_000) if n % 7 < 6]
    assert len(set(table.column("n").to_pylist())) == len(ids)
    assert len(each) == 2 and min(each) > 0 and sum(each) == len(ids)  # two real parts, not one and nothing


def test_sqlite_read_in_this_process_where_locks_are_not_posix_gives_the_same_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows: file locks belong to a handle there, so the driver reads in the hub's process.
    monkeypatch.setattr(arrow_reader_module, "_reads_in_process", lambda url: True)
    sqlite_reading.stop_idle()
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    with _notes_in(url, 5_000) as engine, arrow_reader(engine, connections=2) as reader:
        table = reader.read_parts("notes", [select(_NOTES.c.id, _NOTES.c.note).where(part.where)
                                            for part in reader.split(_NOTES)], {"id": "integer", "note": "text"}
                                  ).read_all()
        assert not _reading_processes()
    assert sorted(table.column("id").to_pylist()) == list(range(5_000))


def test_two_connections_read_the_warehouse_as_it_was_when_the_reader_began(database_url: str) -> None:
    with _notes_in(database_url, 1_000) as engine, arrow_reader(engine, connections=2) as reader:
        with engine.begin() as connection:  # a load that commits while the reader is open
            connection.execute(insert(_NOTES), [{"id": 5_000 + n, "note": "late", "size": 1} for n in range(500)])
        table = reader.read_parts("notes", [select(_NOTES.c.id).where(part.where) for part in reader.split(_NOTES)],
                                  {"id": "integer"}).read_all()
    assert sorted(table.column("id").to_pylist()) == list(range(1_000))


def test_a_read_in_parts_that_stops_early_leaves_no_thread_reading(database_url: str) -> None:
    # DuckDB may stop consuming the stream on an error of its own; closing the reader must still end.
    with _notes_in(database_url, 200_000) as engine, arrow_reader(engine, connections=2) as reader:
        stream = reader.read_parts("notes", [select(_NOTES.c.id).where(part.where) for part in reader.split(_NOTES)],
                                   {"id": "integer"})
        assert stream.read_next_batch().num_rows > 0
    assert not [t for t in threading.enumerate() if t.name == "adbc read"]
    with arrow_reader(engine) as reader:  # and the warehouse reads as before
        assert reader.read("notes", select(_NOTES.c.id), {"id": "integer"}).read_all().num_rows == 200_000


def test_a_statement_the_database_refuses_is_named_and_the_next_reader_reads(database_url: str) -> None:
    ghosts = Table("ghosts", MetaData(), Column("id", Integer))
    with _notes_in(database_url, 10) as engine:
        with arrow_reader(engine) as reader, pytest.raises(ArrowReadError, match="reading ghosts from the "
                                                                                 "warehouse failed"):
            reader.read("ghosts", select(ghosts), {"id": "integer"}).read_all()
        with arrow_reader(engine) as reader:
            assert reader.read("notes", select(_NOTES.c.id), {"id": "integer"}).read_all().num_rows == 10


def test_reading_sqlite_keeps_the_write_lock_this_process_holds(tmp_path: Path) -> None:
    # SQLite's "How To Corrupt" 2.2.1: had the driver's own SQLite read in this process, closing its
    # file would drop the lock Python's sqlite3 holds, and another process could write at once.
    with _notes_in(f"sqlite:///{tmp_path / 'w.sqlite'}", 100) as engine, engine.begin():  # BEGIN IMMEDIATE
        with arrow_reader(engine) as reader:
            assert reader.read("notes", select(_NOTES.c.id), {"id": "integer"}).read_all().num_rows == 100
        other = subprocess.run([sys.executable, "-c", (
            "import sqlite3, sys\n"
            "other = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
            "try:\n    other.execute('BEGIN IMMEDIATE')\nexcept sqlite3.OperationalError as e:\n    print(e)\n"
            "else:\n    print('took the write lock')\n"), str(tmp_path / "w.sqlite")],
            capture_output=True, text=True, check=True)
    assert other.stdout.strip() == "database is locked"


def _reading_processes() -> list[int]:
    """This process's SQLite reading processes (warehouse/sqlite_reading.py), by pid (the tests that
    look for one let the idle ones go first)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and \
                    b"sqlite_read_process" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the reading process in /proc")
def test_a_reading_process_that_dies_fails_its_read_by_name_and_the_next_reader_has_a_new_one(
        tmp_path: Path) -> None:
    sqlite_reading.stop_idle()
    with _notes_in(f"sqlite:///{tmp_path / 'w.sqlite'}", 200_000) as engine:
        with arrow_reader(engine) as reader:
            stream = reader.read("notes", select(_NOTES.c.id), {"id": "integer"})
            assert stream.read_next_batch().num_rows > 0
            (pid,) = set(_reading_processes())
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(ArrowReadError, match=r"the process reading notes from the warehouse ended before "
                                                     r"it finished \(exit code -9\)"):
                stream.read_all()
        with arrow_reader(engine) as reader:
            assert reader.read("notes", select(_NOTES.c.id), {"id": "integer"}).read_all().num_rows == 200_000


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the reading process in /proc")
def test_a_reading_process_that_says_nothing_is_stopped_and_named(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_reading, "SILENCE_LIMIT", 1.0)
    sqlite_reading.stop_idle()
    with _notes_in(f"sqlite:///{tmp_path / 'w.sqlite'}", 100) as engine:
        with arrow_reader(engine) as reader:
            for pid in _reading_processes():
                os.kill(pid, signal.SIGSTOP)  # stuck, as on a lock that is never let go
            with pytest.raises(ArrowReadError, match="the process reading notes from the warehouse said nothing "
                                                     "for 1 s and was stopped"):
                reader.read("notes", select(_NOTES.c.id), {"id": "integer"})
        with arrow_reader(engine) as reader:
            assert reader.read("notes", select(_NOTES.c.id), {"id": "integer"}).read_all().num_rows == 100


def test_a_warehouse_file_that_is_not_there_is_named(tmp_path: Path) -> None:
    with pytest.raises(ArrowReadError, match=r"the warehouse file .*nowhere\.sqlite cannot be opened for reading"), \
            arrow_reader(create_engine(f"sqlite:///{tmp_path / 'nowhere.sqlite'}")):
        pass


def test_an_in_memory_warehouse_is_refused_by_name() -> None:
    with pytest.raises(ArrowReadError, match="in-memory SQLite warehouse"), arrow_reader(create_engine("sqlite://")):
        pass


def test_a_server_that_cannot_be_reached_is_said_without_the_password() -> None:
    engine = create_engine("postgresql+psycopg://nobody:Sl4ptas-Zodis-91@127.0.0.1:1/warehouse")
    with pytest.raises(WarehouseUnreachable) as caught, arrow_reader(engine):
        pass
    assert "127.0.0.1:1" in str(caught.value)
    assert "Sl4ptas" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no driver text behind it


def test_a_reading_process_that_cannot_start_is_said_as_such_not_as_an_unreadable_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_reading.stop_idle()
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with _notes_in(f"sqlite:///{tmp_path / 'w.sqlite'}", 10) as engine, \
            pytest.raises(ArrowReadError, match=r"the process that reads the warehouse could not be started "
                                                r"\(FileNotFoundError\)"), arrow_reader(engine):
        pass
