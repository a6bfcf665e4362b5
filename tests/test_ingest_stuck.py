"""Nothing stuck: a batch the hub cannot process ends `failed` with a receipt instead of holding up its
partner's later drops, an outage is resumed but not forever, a steward re-runs a failed batch after a fix,
only what may pass is retried, and `interchange status` says what needs a person (issue 16, §3 and §6).

Failures are real: the failpoint hook raises a bug (`before_commit:raise-once`) or meets a database
that cannot be opened (`before_commit:outage`); OS errors come from real files and folders.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, SPC, drop, ingest, person_rows, receipts, records
from typer.testing import CliRunner

from interchange.cli import app
from interchange.contract.receipt import BatchStatus
from interchange.errors import describe_failure, is_transient
from interchange.ingest import batches as batches_module
from interchange.ingest.batches import FAILPOINT_ENV
from interchange.ingest.drops import MAX_ATTEMPTS
from interchange.ingest.reprocess import find_candidates, reprocess
from interchange.ingest.run import ingest_workspace, open_hub, worth_retrying
from interchange.operations.status import (
    FAILING_RUNS,
    STUCK_AFTER,
    collect_status,
    rejected_files,
    stuck_batches,
)
from interchange.warehouse.engine import stored_utc, warehouse
from interchange.warehouse.tables import batches
from interchange.workspace.layout import Workspace

runner = CliRunner()
# What status reads is plain SQL over the batches: one database is enough for its tests (budget).
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def batch_states(url: str) -> dict[str, tuple[str, int]]:
    """file name -> (status, attempts) of the newest batch of each file."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sqlalchemy.select(batches.c.file_name, batches.c.status, batches.c.attempts)
                                      .order_by(batches.c.batch_id)).all()
    finally:
        engine.dispose()
    return {name: (status, attempts) for name, status, attempts in rows}


def two_person_drops(root: Path) -> None:
    """a.person.csv (P000000-1), then b.person.csv (P000002-3), in that order."""
    first = drop(root, "a.person.csv", [PERSON_HEADER, *person_rows(2)])
    drop(root, "b.person.csv", [PERSON_HEADER, *person_rows(2, start=2)])
    older = first.stat().st_mtime_ns - 10**9
    os.utime(first, ns=(older, older))


def status_cli(root: Path, lang: str = "en") -> tuple[int, str]:
    result = runner.invoke(app, ["status", "--workspace", str(root), "--lang", lang])
    return result.exit_code, result.output


# --- §3: a batch the hub cannot process ------------------------------------------------------------

def test_a_batch_the_hub_cannot_process_ends_failed_and_the_partners_next_drop_still_loads(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    two_person_drops(hub_root)
    monkeypatch.setattr(batches_module, "_RAISED", set())
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:raise-once")  # a bug, on the first batch only

    with caplog.at_level(logging.ERROR):
        summary = ingest(hub_root)  # the source itself does not fail

    assert batch_states(database_url) == {"a.person.csv": ("failed", 1), "b.person.csv": ("loaded", 1)}
    assert sorted(records(database_url)) == ["P000002", "P000003"]
    assert [r.status for r in summary.failed] == [BatchStatus.FAILED] and summary.exit_code == 1
    failed, loaded = receipts(hub_root)
    assert (failed["status"], failed["counts"]["rows_read"]) == ("failed", 0)
    assert [p["code"] for p in failed["problems"]] == ["batch.failed"]
    assert "could not process this file" in failed["problems"][0]["message_en"]
    assert "negalėjo apdoroti" in failed["problems"][0]["message_lt"]
    assert "FailpointError" not in json.dumps(failed)  # the class is the hub's business, not the partner's
    assert loaded["status"] == "loaded"
    hub_log = "\n".join(r.getMessage() for r in caplog.records)
    assert f"batch {failed['batch_id']} of hub could not be processed (FailpointError" in hub_log
    assert "P000000" not in hub_log

    assert ingest(hub_root).receipts == []  # not resumed, not retried: it waits for a steward
    assert batch_states(database_url)["a.person.csv"] == ("failed", 1)

    monkeypatch.delenv(FAILPOINT_ENV)  # the fix
    with open_hub(Workspace(hub_root)) as hub:
        candidates = find_candidates(hub.engine)
        assert [(c.batch_id, c.reason, c.rows) for c in candidates] == [(failed["batch_id"], "failed", None)]
        [rerun] = reprocess(hub, candidates)
        assert find_candidates(hub.engine) == []
    assert (rerun.receipt.status, rerun.receipt.counts.inserted) == (BatchStatus.LOADED, 2)
    assert sorted(records(database_url)) == ["P000000", "P000001", "P000002", "P000003"]


def test_an_outage_leaves_the_batch_for_the_next_run_but_not_forever(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *person_rows(2)])
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:outage")  # the warehouse cannot be reached mid-batch

    for attempt in range(1, MAX_ATTEMPTS):
        summary = ingest_workspace(Workspace(hub_root))
        assert summary.failures[f"{SPC}/inbox"] == "OperationalError (see the flow run's log)"
        assert batch_states(database_url) == {"a.person.csv": ("received", attempt)}
    summary = ingest_workspace(Workspace(hub_root))

    assert summary.failures == {}
    assert batch_states(database_url) == {"a.person.csv": ("failed", MAX_ATTEMPTS)}
    assert [r.problems[0].code for r in summary.failed] == ["batch.failed"]

    monkeypatch.delenv(FAILPOINT_ENV)
    with open_hub(Workspace(hub_root)) as hub:
        [rerun] = reprocess(hub, find_candidates(hub.engine))
    assert (rerun.receipt.status, rerun.receipt.counts.inserted) == (BatchStatus.LOADED, 2)


# --- §3: retry only what may pass --------------------------------------------------------------------

def _raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except BaseException as exc:  # the instance itself is what the test is about
        return exc
    raise AssertionError("nothing raised")


def test_errors_that_no_retry_mends_are_not_worth_retrying(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    is_a_folder = _raised(lambda: folder.open("rb"))
    missing = _raised(lambda: (tmp_path / "gone" / "x.csv").open("rb"))
    not_unicode = _raised(lambda: "bad\udcff.contact.csv".encode())
    disk_full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "archive"))
    read_only = OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "archive"))
    denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))

    for exc in (is_a_folder, missing, not_unicode, disk_full, read_only, denied, MemoryError(), KeyError("x")):
        assert not is_transient(exc), exc
        assert not worth_retrying(exc), exc
    for exc in (ConnectionResetError(errno.ECONNRESET, "reset"), TimeoutError(), OSError("a library's I/O")):
        assert worth_retrying(exc), exc
    assert describe_failure(is_a_folder) == f"IsADirectoryError (EISDIR): {folder} (see the flow run's log)"
    assert describe_failure(denied, "lt") == f"PermissionError (EACCES): {folder} (žr. srauto vykdymo žurnalą)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a folder whatever its mode")
def test_a_folder_the_hub_may_not_read_is_not_worth_a_retry_and_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir(mode=0o000)
    try:
        denied = _raised(lambda: list(folder.iterdir()))
    finally:
        folder.chmod(0o700)
    assert isinstance(denied, PermissionError) and not worth_retrying(denied)
    assert str(folder) in describe_failure(denied)


def test_a_path_with_control_characters_is_named_without_them(tmp_path: Path) -> None:
    name = tmp_path / "bad\x1b[31m\udcff.csv"
    shown = describe_failure(_raised(lambda: name.open("rb")))
    assert "\x1b" not in shown and "\\x1b[31m\\udcff.csv" in shown


def test_the_database_says_which_of_its_failures_may_pass(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = sqlalchemy.create_engine(url, connect_args={"timeout": 0})
    holder = sqlite3.connect(tmp_path / "w.sqlite")
    try:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
            connection.execute(sqlalchemy.text("INSERT INTO t VALUES (1)"))

        def insert_again() -> None:
            with engine.begin() as connection:
                connection.execute(sqlalchemy.text("INSERT INTO t VALUES (1)"))

        duplicate = _raised(insert_again)
        holder.execute("BEGIN EXCLUSIVE")
        locked = _raised(lambda: engine.connect().execute(sqlalchemy.text("SELECT * FROM t")).all())
        holder.rollback()
        unreachable = _raised(lambda: sqlalchemy.create_engine(
            f"sqlite:///{tmp_path / 'no-such-folder' / 'w.sqlite'}").connect())
    finally:
        holder.close()
        engine.dispose()

    assert type(duplicate).__name__ == "IntegrityError" and not is_transient(duplicate)
    assert type(locked).__name__ == "OperationalError" and is_transient(locked)  # database is locked
    assert type(unreachable).__name__ == "OperationalError" and is_transient(unreachable)


@pytest.mark.postgres
def test_bad_bytes_postgresql_refuses_are_not_worth_a_retry() -> None:
    from conftest import POSTGRES_URL

    engine = sqlalchemy.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            refused = _raised(lambda: connection.execute(sqlalchemy.text("SELECT CAST(:v AS text)"),
                                                         {"v": "a\x00b"}).all())
    finally:
        engine.dispose()
    assert type(refused).__name__ == "DataError" and not is_transient(refused)


# --- §6: status says what needs a person ------------------------------------------------------------

@ON_SQLITE
def test_status_needs_a_steward_for_a_batch_stuck_received(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *person_rows(2)])
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:outage")
    ingest_workspace(Workspace(hub_root))  # the batch stays received; the run of its source ended after
    monkeypatch.delenv(FAILPOINT_ENV)

    code, output = status_cli(hub_root)
    assert code == 1
    assert "Stuck batches (received, not processed)" in output and "1 stuck batches" in output
    assert "stuck batches: the hub's log says why" in output
    code, output = status_cli(hub_root, "lt")
    assert code == 1 and "Įstrigę paketai" in output
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        report = collect_status(workspace, engine)
        [stuck] = report.stuck
        arrived = stuck.received_at
        # Without a later run of its source, age alone makes it stuck.
        assert stuck_batches(engine, now=arrived + STUCK_AFTER + timedelta(minutes=1))
    assert (stuck.org, stuck.file_name, stuck.detail) == (SPC, "a.person.csv", f"1/{MAX_ATTEMPTS}")
    assert report.needs_attention


@ON_SQLITE
def test_status_needs_a_steward_for_a_failed_batch_until_it_is_rerun(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *person_rows(2)])
    monkeypatch.setattr(batches_module, "_RAISED", set())
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:raise-once")
    ingest(hub_root)
    monkeypatch.delenv(FAILPOINT_ENV)

    code, output = status_cli(hub_root)
    assert code == 1
    assert "Failed batches (the hub could not process them; nothing loaded)" in output
    assert "after a fix, 'interchange reprocess'" in output

    assert runner.invoke(app, ["reprocess", "--workspace", str(hub_root), "--lang", "en"]).exit_code == 0
    code, output = status_cli(hub_root)
    assert code == 0, output


@ON_SQLITE
def test_status_needs_a_steward_for_a_rejected_file_until_a_good_drop_follows(
        hub_root: Path, database_url: str) -> None:
    drop(hub_root, "a.contact.csv", [CONTACT_HEADER[1:], ["P1", "legal_consultation", "2026-01-01", "30"]],
         org=MIMC)  # record_id missing: the whole file is refused
    ingest(hub_root)

    code, output = status_cli(hub_root)
    assert code == 1
    assert "Rejected files (nothing loaded; no good drop has followed yet)" in output
    assert "header.missing" in output and "1 rejected files" in output
    assert "ask the partner for a corrected drop" in output
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        [rejected] = rejected_files(engine)
        # After a fortnight it is the partner's to resend: the receipt told them.
        assert rejected_files(engine, now=stored_utc(rejected.received_at) + timedelta(days=15)) == []

    drop(hub_root, "b.person.csv", [PERSON_HEADER, *person_rows(1, prefix="M")], org=MIMC)
    ingest(hub_root)
    assert "Rejected files" in status_cli(hub_root)[1]  # a person drop does not answer a contact file
    drop(hub_root, "c.contact.csv", [CONTACT_HEADER, ["C1", "M000000", "legal_consultation",
                                                      (rejected.received_at.date() - timedelta(days=3)).isoformat(),
                                                      "30"]], org=MIMC)
    ingest(hub_root)
    code, output = status_cli(hub_root)
    assert "Rejected files" not in output and code == 0, output


@ON_SQLITE
def test_status_needs_a_steward_for_a_source_that_fails_on_every_run(hub_root: Path, database_url: str) -> None:
    lock = hub_root / ".locks" / f"{SPC}.inbox.lock"
    lock.mkdir(parents=True)  # a real, lasting OS error on every run of that source
    drop(hub_root, "b.person.csv", [PERSON_HEADER, *person_rows(1, prefix="M")], org=MIMC)

    for run in range(FAILING_RUNS):
        summary = ingest_workspace(Workspace(hub_root))
        assert summary.failures == {f"{SPC}/inbox": f"IsADirectoryError (EISDIR): {lock} (see the flow run's log)"}
        if run == FAILING_RUNS - 2:
            assert status_cli(hub_root)[0] == 0  # two failures may still be an outage passing
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        [failing] = collect_status(workspace, engine).failing_sources
    assert (failing.org, failing.source, failing.runs, failing.error_class) == (
        SPC, "inbox", FAILING_RUNS, "IsADirectoryError")

    code, output = status_cli(hub_root)
    assert code == 1
    assert "Sources that fail on every run" in output and "1 failing sources" in output
    assert "'interchange ingest' says why" in output

    lock.rmdir()
    ingest(hub_root)
    assert status_cli(hub_root)[0] == 0
