"""A large drop is read, validated and judged by a child process while its rows load
(interchange/ingest/overlap.py): the batch ends exactly as in one process, whatever the end of
the file turns out to hold, and a failure on either side leaves nothing half done."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import HUB_CONFIG
from drop_kit import (
    CONTACT_HEADER,
    PERSON_HEADER,
    SPC,
    batch_rows,
    contact_rows,
    counts,
    drop,
    ingest,
    person_rows,
    problems,
    receipts,
    records,
    run_child,
    versions,
)
from test_ingest_memory import hub_state, play_drops, two_hubs  # noqa: F401 - a fixture

from interchange.contract.manifest import Manifest, manifest_path
from interchange.contract.personal_code import check_digit
from interchange.contract.records import SCHEMA_VERSION
from interchange.contract.services import CATALOGUE_VERSION
from interchange.ingest import drops, expectations, overlap, spool
from interchange.ingest.run import ingest_workspace
from interchange.warehouse import load
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

PERSONS = [row[0] for row in person_rows(20)]


class CountedReading(overlap.ReadingProcess):
    """The real reading process, counting what it was asked for."""

    started = 0
    chunks_loaded = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        CountedReading.started += 1
        super().__init__(*args, **kwargs)

    def chunks(self) -> Iterator[Any]:
        for chunk in super().chunks():
            CountedReading.chunks_loaded += 1
            yield chunk


@pytest.fixture
def overlapped(monkeypatch: pytest.MonkeyPatch) -> type[CountedReading]:
    """Every drop read by a child, in chunks of a few rows, so a small drop crosses many of them."""
    monkeypatch.setenv(overlap.OVERLAP_ENV, "1")
    monkeypatch.setattr(overlap, "CHUNK_ROWS", 4)
    monkeypatch.setattr(spool, "CHUNK_ROWS", 10)  # the child's chunks judged two and three at a time
    for name in ("LOOKUP_CHUNK", "ARRAY_LOOKUP_CHUNK", "WRITE_CHUNK"):
        monkeypatch.setattr(load, name, 3)
    monkeypatch.setattr(expectations, "GX_ROWS", 25)
    monkeypatch.setattr(CountedReading, "started", 0)
    monkeypatch.setattr(CountedReading, "chunks_loaded", 0)
    monkeypatch.setattr(overlap, "ReadingProcess", CountedReading)
    return CountedReading


def persons_loaded(root: Path) -> None:
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(20)])
    ingest(root)


def test_a_batch_read_by_a_child_ends_as_the_same_batch_read_in_one_process(
        two_hubs: list[tuple[Path, str]], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    states = []
    for root, url in two_hubs:
        monkeypatch.setenv("INTERCHANGE_DATABASE_URL", url)
        init_workspace(root, config_text=HUB_CONFIG)
        if root.name == "many":
            counted = request.getfixturevalue("overlapped")
        else:
            monkeypatch.setenv(overlap.OVERLAP_ENV, "0")
        play_drops(root)
        states.append(hub_state(url))
    one, many = states
    # Loaded, updated and deleted, and held: each batch as the one process committed it.
    assert {(b["status"], b["rows_updated"] > 0, b["rows_deleted"]) for b in many["batches"]} == {
        ("loaded", False, 0), ("loaded", True, 1), ("held", False, 0)}
    assert many == one
    assert counted.started == 4 and counted.chunks_loaded > 20


def test_a_personal_code_in_the_last_row_refuses_the_file_after_its_first_rows_were_loaded(
        hub_root: Path, database_url: str, overlapped: type[CountedReading]) -> None:
    persons_loaded(hub_root)
    contacts = contact_rows(40, PERSONS)
    first_ten = "3850101123"
    contacts[-1][4] = first_ten + str(check_digit(first_ten))
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contacts])

    ingest(hub_root)

    receipt = only_receipt_of(hub_root, "kontaktai.contact.csv")
    assert receipt["status"] == "rejected"
    assert "file.personal_codes" in {code for code, _, _ in problems(receipt)}
    assert overlapped.chunks_loaded >= 9  # loaded, then rolled back
    assert records(database_url, "contact") == {}
    assert {v["kind"] for v in versions(database_url)} <= {"person"}
    assert list((hub_root / "archive").rglob("kontaktai*")) == []  # its copy is not kept


def test_a_held_batch_read_by_a_child_keeps_none_of_the_rows_it_loaded(
        hub_root: Path, database_url: str, overlapped: type[CountedReading]) -> None:
    persons_loaded(hub_root)
    contacts = contact_rows(40, PERSONS)
    contacts[30][0] = contacts[2][0]  # a record_id twice: the batch is held
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contacts])

    ingest(hub_root)

    receipt = only_receipt_of(hub_root, "kontaktai.contact.csv")
    assert receipt["status"] == "held"
    assert counts(receipt) == {"rows_read": 40, "held": 40}
    assert overlapped.chunks_loaded >= 9
    assert records(database_url, "contact") == {}
    [batch] = [b for b in batch_rows(database_url) if b["file_name"] == "kontaktai.contact.csv"]
    assert batch["rows_held"] == 40 and batch["rows_inserted"] == 0


def test_a_manifest_that_does_not_match_rejects_what_the_child_had_already_loaded(
        hub_root: Path, database_url: str, overlapped: type[CountedReading]) -> None:
    persons_loaded(hub_root)
    path = drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = Manifest(org=SPC, kind="contact", file_name=path.name, sha256=digest, row_count=31,
                        schema_version=SCHEMA_VERSION, service_catalogue_version=CATALOGUE_VERSION,
                        created_at=datetime(2026, 1, 1, tzinfo=UTC), generator="a partner's own tool")
    manifest_path(path).write_text(manifest.model_dump_json(), encoding="utf-8")

    ingest(hub_root)

    receipt = only_receipt_of(hub_root, "kontaktai.contact.csv")
    assert receipt["status"] == "rejected"
    assert problems(receipt) == [("manifest.row_count", None, None)]
    assert overlapped.chunks_loaded >= 7
    assert records(database_url, "contact") == {}


def failing_read(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("K000001 is not a record the hub may ever log")


def dying_read(*args: Any, **kwargs: Any) -> Any:
    os._exit(3)


def stuck_read(*args: Any, **kwargs: Any) -> Any:
    time.sleep(60)


@pytest.mark.parametrize(("read", "said"), [
    (failing_read, "ValueError"),
    (dying_read, "ended before it finished (exit code 3)"),
    (stuck_read, "said nothing for 1 s; it is stopped"),
])
def test_a_child_that_fails_dies_or_hangs_ends_its_batch_failed_and_the_next_drop_loads(
        hub_root: Path, database_url: str, overlapped: type[CountedReading], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture, read: Any, said: str) -> None:
    persons_loaded(hub_root)
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])
    original = drops.read_and_validate
    monkeypatch.setattr(drops, "read_and_validate", read)
    monkeypatch.setattr(overlap, "SILENCE_LIMIT", 1)

    with caplog.at_level(logging.ERROR):
        ingest(hub_root)

    receipt = only_receipt_of(hub_root, "kontaktai.contact.csv")
    assert receipt["status"] == "failed"
    assert records(database_url, "contact") == {}
    assert said in caplog.text
    assert "K000001" not in caplog.text  # a child's error is told by its class and frames only
    assert multiprocessing.active_children() == []

    monkeypatch.setattr(drops, "read_and_validate", original)
    drop(hub_root, "kontaktai-2.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])
    ingest(hub_root)
    assert only_receipt_of(hub_root, "kontaktai-2.contact.csv")["status"] == "loaded"
    assert len(records(database_url, "contact")) == 30


def test_a_load_that_fails_stops_the_child_and_the_batch_loads_on_the_next_run(
        hub_root: Path, database_url: str, overlapped: type[CountedReading], monkeypatch: pytest.MonkeyPatch) -> None:
    persons_loaded(hub_root)
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])
    monkeypatch.setenv("INTERCHANGE_FAILPOINT", "before_load:outage")  # the database went away

    summary = ingest_workspace(Workspace(hub_root))

    assert summary.failures[f"{SPC}/inbox"] == "OperationalError (see the flow run's log)"
    assert multiprocessing.active_children() == []
    assert [b["status"] for b in batch_rows(database_url)][-1] == "received"
    assert records(database_url, "contact") == {}
    monkeypatch.delenv("INTERCHANGE_FAILPOINT")
    ingest(hub_root)
    assert only_receipt_of(hub_root, "kontaktai.contact.csv")["status"] == "loaded"
    assert len(records(database_url, "contact")) == 30


def test_a_crash_while_the_child_reads_leaves_the_batch_to_the_next_run(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(overlap.OVERLAP_ENV, "1")  # reaches the ingest's process, as in production
    persons_loaded(hub_root)
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])

    crashed = run_child(hub_root, failpoint="after_load")

    assert crashed.returncode == 97, crashed.stderr[-2000:]
    assert [b["status"] for b in batch_rows(database_url)][-1] == "received"
    assert records(database_url, "contact") == {}
    ingest(hub_root)
    assert only_receipt_of(hub_root, "kontaktai.contact.csv")["status"] == "loaded"
    assert len(records(database_url, "contact")) == 30


def test_what_the_child_logs_reaches_this_process_s_loggers(
        hub_root: Path, overlapped: type[CountedReading], monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    persons_loaded(hub_root)
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(30, PERSONS)])
    original = drops.read_and_validate

    def logging_read(*args: Any, **kwargs: Any) -> Any:
        logging.getLogger("interchange.ingest.drops").warning("reading batch rows %d", 30)
        return original(*args, **kwargs)

    monkeypatch.setattr(drops, "read_and_validate", logging_read)
    with caplog.at_level(logging.INFO):
        ingest(hub_root)

    [record] = [r for r in caplog.records if r.getMessage() == "reading batch rows 30"]
    assert record.name == "interchange.ingest.drops" and record.levelno == logging.WARNING
    assert record.process != os.getpid()  # logged by the child, handled here
    assert only_receipt_of(hub_root, "kontaktai.contact.csv")["status"] == "loaded"


def test_only_large_drops_of_a_known_kind_are_read_by_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(overlap.OVERLAP_ENV, raising=False)
    monkeypatch.setattr(overlap, "_cores", lambda: 2)
    assert overlap.worthwhile(overlap.MIN_BYTES, "contact")
    assert not overlap.worthwhile(overlap.MIN_BYTES - 1, "contact")
    assert not overlap.worthwhile(overlap.MIN_BYTES, None)  # the kind is told from the headers, later
    monkeypatch.setattr(overlap, "_cores", lambda: 1)
    assert not overlap.worthwhile(overlap.MIN_BYTES * 10, "contact")  # no second core to read on
    monkeypatch.setenv(overlap.OVERLAP_ENV, "0")
    monkeypatch.setattr(overlap, "_cores", lambda: 2)
    assert not overlap.worthwhile(overlap.MIN_BYTES * 10, "contact")
    monkeypatch.setenv(overlap.OVERLAP_ENV, "1")
    assert overlap.worthwhile(1, "person")


def only_receipt_of(root: Path, name: str) -> dict[str, Any]:
    [receipt] = [r for r in receipts(root) if r["file_name"] == name]
    return receipt


