"""The warehouse loader on SQLite and PostgreSQL: idempotent upserts, history, every column type."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy
from conftest import empty_warehouse
from sqlalchemy import Engine, select

from interchange.ingest.batches import claim_batch
from interchange.warehouse import load
from interchange.warehouse.engine import warehouse
from interchange.warehouse.history import version_history
from interchange.warehouse.load import LoadCounts, Row, RowColumns, column_digests, content_hash, load_rows
from interchange.warehouse.tables import RECORD_TABLES, data_columns, record_versions
from interchange.warehouse.written_ids import WrittenIds

ORG = "kretingos-spc"


@pytest.fixture
def engine(database_url: str) -> Engine:
    with warehouse(database_url) as engine:
        yield engine


def contact(number: int, record_id: str, person: str = "P1", day: date = date(2026, 3, 4),
            minutes: int | None = 45, *, deleted: bool = False) -> Row:
    values = (None,) * 5 if deleted else (person, "legal_consultation", day, minutes, None)
    return Row(number, record_id, deleted, values)


def load_batch(engine: Engine, rows: list[Row], kind: str = "contact") -> LoadCounts:
    with engine.begin() as connection:
        batch_id = claim_batch(connection, org=ORG, source="inbox", file_name="drop.csv", sha256="0" * 64)
        return load_rows(connection, kind, ORG, batch_id, rows)


def records(engine: Engine, kind: str = "contact") -> dict[str, dict[str, Any]]:
    table = RECORD_TABLES[kind]
    with engine.connect() as connection:
        return {row.record_id: row._asdict() for row in connection.execute(select(table))}


def versions(engine: Engine) -> list[tuple[str, int, str, int]]:
    """Every version loaded, replaced or current (warehouse/history.py)."""
    history = version_history().subquery()
    with engine.connect() as connection:
        return sorted(connection.execute(select(history.c.record_id, history.c.version,
                                                history.c.action, history.c.row_number)).all())


def replaced(engine: Engine) -> list[tuple[str, int, str, int]]:
    """The rows of record_versions itself: the versions records no longer have."""
    with engine.connect() as connection:
        return sorted(connection.execute(select(record_versions.c.record_id, record_versions.c.version,
                                                record_versions.c.action, record_versions.c.row_number)).all())


def test_content_hash_stays_what_stored_records_were_hashed_with() -> None:
    # A changed digest would make every stored record look changed on its next re-send.
    assert content_hash(False, ("P1", "legal_consultation", date(2026, 1, 2), 45, None)) == (
        "6259abd8d33e5ea88f4b9f5a16308e8a")
    assert content_hash(True, (None,) * 5) == "4677d13580fc81459af850acc41930a7"


def test_column_digests_are_the_content_hash_of_each_row() -> None:
    # Re-sent and corrected rows are told by their digest: hashed a column at a time, a record
    # must hash as it always did, or every stored record would look changed.
    odd = ("a 'quoted' \\ \"text\"", "ąčęėįšųūž", "", 1.5, -3, True, False, ["a", "b"], [], {"k": 1})
    rows = [Row(n, f"K{n}", n % 7 == 0, (value, date(2026, 1, n % 3 + 1), n % 2 == 0, n, None))
            for n, value in enumerate(odd * 3 + (1, 1.0, True, None), start=2)]
    columns = RowColumns.from_rows(rows, 5)

    assert column_digests(columns) == [content_hash(r.deleted, r.values) for r in rows]
    one = [Row(2, "K2", False, ("x",)), Row(3, "K3", False, (None,)), Row(4, "K4", True, (None,))]
    assert column_digests(RowColumns.from_rows(one, 1)) == [content_hash(r.deleted, r.values) for r in one]
    assert RowColumns.from_rows(rows, 5).rows() == rows
    floats = [Row(n, f"K{n}", False, (value,)) for n, value in enumerate([0.0, -0.0, 0.0, 2.5, 2.5, None], start=2)]
    assert column_digests(RowColumns.from_rows(floats, 1)) == [content_hash(False, r.values) for r in floats]


def test_column_digests_are_the_content_hash_of_each_row_of_a_realistic_chunk() -> None:
    # A chunk as the spool hands it over: ids, repeating codes and Lithuanian text, dates (one column
    # empty over its first rows, one with a datetime among its dates), durations, mixed values, and
    # deletions in some chunks only: however it is hashed, each row must hash as content_hash does.
    rng = random.Random(18)
    services = ["supervision_visit", "legal_consultation", "šeimos_konferencija", "Žemaitė ąčęėįšųūž"]
    mixed = [1, 1.0, True, 0, 0.0, -0.0, False, "1", "Ėglė", None, date(2026, 1, 1), datetime(2026, 1, 1),
             ["a", "ą"], {"k": "š"}]

    def chunk(size: int, deletions: bool) -> list[Row]:
        rows = []
        for n in range(size):
            deleted = deletions and rng.random() < 0.05
            values = (
                f"P{rng.randrange(100_000):06d}", rng.choice(services),
                date(2026, 1, 1) + timedelta(days=rng.randrange(365)),
                None if n < 100 or rng.random() < 0.3 else date(2025, 1, 1) + timedelta(days=rng.randrange(30)),
                rng.choice([date(2026, 2, 1), datetime(2026, 2, 1), None]),
                rng.choice((30, 45, 60, 90, None)), rng.random() < 0.5, rng.choice(mixed),
                f"C{rng.randrange(100_000):06d}" if rng.random() < 0.3 else None,
            )
            rows.append(Row(n + 2, f"K{n}", deleted, (None,) * len(values) if deleted else values))
        return rows

    for rows in (chunk(3000, deletions=False), chunk(3000, deletions=True), chunk(1, deletions=True)):
        expected = [content_hash(r.deleted, r.values) for r in rows]
        assert column_digests(RowColumns.from_rows(rows, 9)) == expected
        for index in range(9):  # each column as a one-column kind's chunk
            one = [Row(r.number, r.record_id, r.deleted, r.values[index:index + 1]) for r in rows]
            assert column_digests(RowColumns.from_rows(one, 1)) == [content_hash(r.deleted, r.values) for r in one]
    assert column_digests(RowColumns([2, 3], ["K2", "K3"], [False, True], [])) == [
        content_hash(False, ()), content_hash(True, ())]
    assert column_digests(RowColumns.from_rows([], 9)) == []
    # Lithuanian letters are hashed as their UTF-8 bytes, as records stored before were.
    assert content_hash(False, ("Žemaitė ąčęėįšųūž", date(2026, 1, 2), None)) == "eb4578f790cec6ea22bb7d7c21152ec4"


def test_new_records_are_inserted_as_version_one_with_their_history(engine: Engine) -> None:
    counts = load_batch(engine, [contact(2, "K1"), contact(3, "K2", minutes=None)])

    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 0, 0)
    stored = records(engine)
    assert stored["K1"]["contact_date"] == date(2026, 3, 4)
    assert stored["K1"]["duration_minutes"] == 45
    assert stored["K2"]["duration_minutes"] is None
    assert (stored["K1"]["version"], stored["K1"]["row_number"], stored["K1"]["deleted"]) == (1, 2, False)
    assert versions(engine) == [("K1", 1, "insert", 2), ("K2", 1, "insert", 3)]
    assert replaced(engine) == []  # a new record's only version is its own row: written once


def test_the_same_records_again_write_nothing(engine: Engine) -> None:
    rows = [contact(2, "K1"), contact(3, "K2")]
    load_batch(engine, rows)
    first = records(engine)

    counts = load_batch(engine, rows)

    assert (counts.inserted, counts.updated, counts.unchanged, counts.loaded) == (0, 0, 2, 0)
    assert records(engine) == first
    assert len(versions(engine)) == 2


def test_a_changed_record_is_the_next_version_and_a_deletion_empties_it(engine: Engine) -> None:
    load_batch(engine, [contact(2, "K1"), contact(3, "K2"), contact(4, "K3")])

    counts = load_batch(engine, [contact(2, "K1", minutes=60), contact(3, "K2", deleted=True),
                                 contact(4, "K3"), contact(5, "K9", deleted=True)])

    assert (counts.inserted, counts.updated, counts.deleted, counts.unchanged) == (0, 1, 1, 2)
    assert counts.unknown_deletions == [(5, "K9")]
    stored = records(engine)
    assert (stored["K1"]["duration_minutes"], stored["K1"]["version"]) == (60, 2)
    assert stored["K2"]["deleted"] is True
    assert all(stored["K2"][name] is None for name in data_columns("contact"))
    assert stored["K3"]["version"] == 1
    assert "K9" not in stored
    assert ("K1", 2, "update", 2) in versions(engine)
    assert ("K2", 2, "delete", 3) in versions(engine)
    # The versions replaced keep the row and action that set them; K3, unchanged, has none.
    assert replaced(engine) == [("K1", 1, "insert", 2), ("K2", 1, "insert", 3)]


def test_a_record_repeated_in_one_batch_ends_at_its_last_version(engine: Engine) -> None:
    counts = load_batch(engine, [contact(2, "K1"), contact(3, "K1", minutes=90), contact(4, "K1", minutes=90)])

    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    assert (records(engine)["K1"]["duration_minutes"], records(engine)["K1"]["version"]) == (90, 2)
    assert versions(engine) == [("K1", 1, "insert", 2), ("K1", 2, "update", 3)]


def test_a_load_larger_than_its_chunks_keeps_every_rule(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LOOKUP_CHUNK", "ARRAY_LOOKUP_CHUNK", "WRITE_CHUNK"):
        monkeypatch.setattr(load, name, 3)
    monkeypatch.setattr(load, "STAGED_UPDATES", 2)  # PostgreSQL: a chunk's updates through a temporary table
    load_batch(engine, [contact(n, f"K{n}") for n in range(2, 12)])

    # Changes, repeats across chunk borders, deletions and unknown deletions, in one batch.
    rows = [contact(n, f"K{n}", minutes=n if n % 3 == 0 else 45) for n in range(2, 12)]
    rows += [contact(12, "K3", minutes=120), contact(13, "K4", deleted=True), contact(14, "K20"),
             contact(15, "K20", minutes=10), contact(16, "K99", deleted=True)]
    counts = load_batch(engine, rows)

    assert (counts.inserted, counts.updated, counts.deleted, counts.unchanged) == (1, 5, 1, 8)
    assert counts.unknown_deletions == [(16, "K99")]
    stored = records(engine)
    assert len(stored) == 11
    assert (stored["K3"]["duration_minutes"], stored["K3"]["version"], stored["K3"]["row_number"]) == (120, 3, 12)
    assert (stored["K4"]["deleted"], stored["K4"]["version"]) == (True, 2)
    assert (stored["K20"]["duration_minutes"], stored["K20"]["version"]) == (10, 2)
    assert len(versions(engine)) == 10 + 1 + 5 + 1


def test_a_version_replaced_in_a_later_chunk_keeps_its_row_and_action(engine: Engine,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A chunk of one row: each row's earlier version in the batch comes back from the database.
    for name in ("LOOKUP_CHUNK", "ARRAY_LOOKUP_CHUNK", "WRITE_CHUNK"):
        monkeypatch.setattr(load, name, 1)
    load_batch(engine, [contact(2, "K1"), contact(3, "K1", deleted=True), contact(4, "K1", minutes=30),
                        contact(5, "K2"), contact(6, "K2", minutes=60)])

    assert versions(engine) == [("K1", 1, "insert", 2), ("K1", 2, "delete", 3), ("K1", 3, "update", 4),
                                ("K2", 1, "insert", 5), ("K2", 2, "update", 6)]


def test_a_load_reads_its_rows_a_chunk_at_a_time(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # A national drop must not be held whole: each chunk is written before the next is read.
    monkeypatch.setattr(load, "WRITE_CHUNK", 4)
    stored_when_read: list[int] = []
    with engine.begin() as connection:
        batch_id = claim_batch(connection, org=ORG, source="inbox", file_name="drop.csv", sha256="0" * 64)

        def rows() -> Any:
            for number in range(2, 12):
                stored_when_read.append(connection.scalar(select(sqlalchemy.func.count()).select_from(
                    RECORD_TABLES["contact"])))
                yield contact(number, f"K{number}")

        counts = load_rows(connection, "contact", ORG, batch_id, rows())

    assert counts.inserted == 10
    assert stored_when_read == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]


def test_every_column_type_reads_back_as_written(engine: Engine) -> None:
    address = ("b" * 64, "B" * 171 + "=", "c" * 64, None, None, "d" * 64)  # street .. postcode
    name_pair = ("e" * 64, "E" * 171 + "=")  # token, Bloom filter
    person = ("a" * 64, None, None, None, None, "A" * 171 + "=", None, None, *name_pair, *address, 1984,
              "female", "LT-22", "H1", True, False, True, 40, False, None)
    session = ("therapeutic_group", date(2026, 2, 3), 90, ["P1", "P2"], 3)
    case = ("dv_specialised_help", "P1", None, date(2025, 12, 1), None, True, 2)
    for kind, values in (("person", person), ("group_session", session), ("case", case)):
        assert len(values) == len(data_columns(kind))
        load_batch(engine, [Row(2, "R1", False, values)], kind)

        stored = records(engine, kind)["R1"]

        assert tuple(stored[name] for name in data_columns(kind)) == values
        # The reloaded values hash as they did when written: a re-send is unchanged.
        assert load_batch(engine, [Row(2, "R1", False, values)], kind).unchanged == 1


def test_a_batch_that_fails_after_loading_leaves_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as connection:
        batch_id = claim_batch(connection, org=ORG, source="inbox", file_name="drop.csv", sha256="0" * 64)
        load_rows(connection, "contact", ORG, batch_id, [contact(2, "K1"), contact(3, "K2")])
        raise RuntimeError("power cut")

    assert records(engine) == {}
    assert versions(engine) == []
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT count(*) FROM batches")).scalar() == 0


def test_text_with_separators_and_lithuanian_letters_reads_back_as_written(engine: Engine) -> None:
    awkward = 'Ž\t"č"\\N;\ną,\\\r'  # COPY's own separators, escapes and NULL marker among them
    load_batch(engine, [contact(2, "K\\N", person=awkward), contact(3, "K\t2", person="")])

    stored = records(engine)
    assert stored["K\\N"]["person_record_id"] == awkward
    assert stored["K\t2"]["person_record_id"] == ""
    assert load_batch(engine, [contact(2, "K\\N", person=awkward)]).unchanged == 1


def test_written_ids_find_every_id_added_and_hardly_any_other() -> None:
    written = WrittenIds()
    added = [f"K{n:07d}" for n in range(0, 200_000, 2)]
    # A Bloom filter: an id never taken before is found now and then (each then costs a look-up
    # that finds nothing); with a hundred thousand ids in it, once in about 450,000.
    assert sum(len(written.take(added[start:start + 3_000])) for start in range(0, len(added), 3_000)) <= 5
    others = [f"K{n:07d}" for n in range(1, 200_000, 2)]
    assert len(written.take(others)) <= 5
    assert written.take(added[::-1]) == added[::-1]  # and every id taken before, whatever the order


def asked_ids(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every id the loads look up in the warehouse from now on."""
    asked: list[str] = []
    stored_versions = load._Writer.stored_versions

    def counting(self: Any, org: str, ids: list[str]) -> Any:
        asked.extend(ids)
        return stored_versions(self, org, ids)

    monkeypatch.setattr(load._Writer, "stored_versions", counting)
    return asked


def test_an_organisation_s_first_batch_looks_up_only_the_ids_it_wrote_itself(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "WRITE_CHUNK", 3)
    with engine.begin() as connection:  # another organisation's records do not count
        batch_id = claim_batch(connection, org="kretingos-mimc", source="inbox", file_name="x.csv", sha256="1" * 64)
        load_rows(connection, "contact", "kretingos-mimc", batch_id, [contact(2, "K2"), contact(3, "K3")])
    asked = asked_ids(monkeypatch)

    counts = load_batch(engine, [contact(n, f"K{n}") for n in range(2, 9)]
                        + [contact(9, "K4", minutes=120), contact(10, "K99", deleted=True), contact(11, "K5")])

    assert asked == ["K4", "K5"]  # a record written by an earlier chunk of the batch, and a repeat
    assert (counts.inserted, counts.updated, counts.unchanged, counts.unknown_deletions) == (7, 1, 2, [(10, "K99")])
    assert (records(engine)["K4"]["duration_minutes"], records(engine)["K4"]["version"]) == (120, 2)

    asked.clear()
    load_batch(engine, [contact(n, f"K{n}") for n in range(2, 6)])
    assert asked == ["K2", "K3", "K4", "K5"]  # the organisation has records now: every id is asked for


@pytest.mark.postgres
def test_a_value_the_server_refuses_fails_the_load_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # On PostgreSQL records go in by COPY on the driver's own cursor: a refused value (a record_id
    # over its 64 characters; SQLite takes any text) must fail the load, the transaction must roll
    # back, and the connection must serve the next load.
    monkeypatch.setattr(load, "WRITE_CHUNK", 2)
    rows = [contact(n, f"K{n}") for n in range(2, 7)] + [contact(7, "K" * 70)] + [contact(8, "K8")]
    with empty_warehouse("postgres", tmp_path) as url, warehouse(url) as engine:
        with pytest.raises(psycopg.errors.DataError), engine.begin() as connection:
            batch_id = claim_batch(connection, org=ORG, source="inbox", file_name="drop.csv", sha256="0" * 64)
            load_rows(connection, "contact", ORG, batch_id, rows)

        assert records(engine) == {}
        assert (load_batch(engine, rows[:5]).inserted, len(records(engine))) == (5, 5)
