"""HTTP pulls into the warehouse, against a real partner API on 127.0.0.1, on SQLite and PostgreSQL.

Each test checks what a steward relies on: the records in the warehouse, the receipt,
and the cursor the next pull starts from.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy
from conftest import empty_warehouse, warehouse_state, write_csv
from http_partner import PartnerApi, page_body

from interchange.contract.receipt import BatchStatus
from interchange.ingest.run import IngestSummary, ingest_workspace
from interchange.warehouse.history import version_history
from interchange.warehouse.tables import (
    RECORD_TABLES,
    batches,
    quarantine,
    source_cursors,
)
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

SPC = "kretingos-spc"  # sends drop files
MIMC = "kretingos-mimc"  # exposes an API
SOURCE = "http:api"
LABEL = f"{MIMC}/{SOURCE}"
TOKEN_ENV = "MIMC_API_TOKEN"
TODAY = date(2026, 11, 1)  # contact dates below lie in the month before
HISTORY = version_history().subquery()  # every version loaded, replaced or current
SECRET = "SECRET-BODY"

CONFIG = """\
config_version: 1
organisations:
  - code: kretingos-spc
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
    sources:
      - type: inbox
        settle_seconds: 0
  - code: kretingos-mimc
    name: Kretingos moterų informacijos ir mokymo centras
    municipality: LT-22
    sources:
      - type: http
        name: api
        base_url: {base_url}
        kinds: [person, contact]
        token_env: MIMC_API_TOKEN
        page_size: {page_size}
        timeout_s: 5
        max_attempts: 3
        backoff_s: 0.01
"""


# ---- helpers ---------------------------------------------------------------------------------

def person(record_id: str, updated_at: str, *, birth_year: int = 1980, **extra: object) -> dict:
    return {"record_id": record_id, "org": MIMC, "birth_year": birth_year, "sex": "female",
            "updated_at": updated_at, **extra}


def contact(record_id: str, person_id: str, updated_at: str, *, day: int = 15, **extra: object) -> dict:
    return {"record_id": record_id, "org": MIMC, "person_record_id": person_id,
            "service_code": "psychologist_child", "contact_date": f"2026-10-{day:02d}",
            "duration_minutes": 45, "updated_at": updated_at, **extra}


def stamp(minute: int) -> str:
    return f"2026-10-01T10:{minute:02d}:00Z"


def make_hub(root: Path, database_url: str, api: PartnerApi, *, page_size: int = 2) -> Workspace:
    # The database reaches the hub through INTERCHANGE_DATABASE_URL (set by the caller).
    return init_workspace(root, config_text=CONFIG.format(base_url=api.base_url, page_size=page_size))


def ingest(workspace: Workspace) -> IngestSummary:
    return ingest_workspace(Workspace(workspace.root), today=TODAY)


def rows(url: str, table: sqlalchemy.FromClause, *where: object) -> list:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sqlalchemy.select(table).where(*where)))
    finally:
        engine.dispose()


def records(url: str, kind: str) -> dict[str, object]:
    return {row.record_id: row for row in rows(url, RECORD_TABLES[kind], RECORD_TABLES[kind].c.org == MIMC)}


def cursor(url: str, kind: str) -> str | None:
    found = rows(url, source_cursors, source_cursors.c.org == MIMC, source_cursors.c.source == SOURCE,
                 source_cursors.c.kind == kind)
    return found[0].updated_since if found else None


def pull_batches(url: str) -> list:
    return sorted(rows(url, batches, batches.c.org == MIMC), key=lambda b: b.batch_id)


def receipt_files(workspace: Workspace, org: str = MIMC) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(workspace.receipts(org).glob("*.json"))]


def queries(api: PartnerApi, kind: str) -> list[dict[str, str]]:
    return [seen["query"] for seen in api.requests_seen if seen["path"].endswith(f"/{kind}")]


@pytest.fixture
def api() -> Iterator[PartnerApi]:
    with PartnerApi(token="tok-7f3a9c-very-secret") as server:
        yield server


@pytest.fixture
def hub(tmp_path: Path, database_url: str, api: PartnerApi, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", database_url)
    monkeypatch.setenv(TOKEN_ENV, api.token)
    monkeypatch.delenv("INTERCHANGE_FAILPOINT", raising=False)
    return make_hub(tmp_path / "hub", database_url, api)


PERSONS = [person(f"p{i}", stamp(i), birth_year=1970 + i) for i in range(1, 6)]
CONTACTS = [contact(f"c{i}", f"p{i}", stamp(10 + i), day=10 + i) for i in range(1, 4)]


# ---- paging and the cursor ------------------------------------------------------------------

def test_paged_pull_loads_every_record_once_and_moves_the_cursor(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS)
    api.set_records("contact", CONTACTS)

    summary = ingest(hub)

    assert summary.failures == {}
    persons, contacts = records(database_url, "person"), records(database_url, "contact")
    assert sorted(persons) == ["p1", "p2", "p3", "p4", "p5"]
    assert {p.birth_year for p in persons.values()} == {1971, 1972, 1973, 1974, 1975}
    assert {p.version for p in persons.values()} == {1}
    assert sorted(contacts) == ["c1", "c2", "c3"]
    assert contacts["c2"].person_record_id == "p2" and contacts["c2"].contact_date == date(2026, 10, 12)
    # Three pages of persons and two of contacts were asked for, none of them twice.
    assert [q.get("page_token") for q in queries(api, "person")] == [None, "2", "4"]
    assert [q.get("page_token") for q in queries(api, "contact")] == [None, "2"]
    assert all("updated_since" not in q for q in queries(api, "person") + queries(api, "contact"))
    # One batch per kind, both loaded, with the pages archived and the cursor range recorded.
    person_batch, contact_batch = pull_batches(database_url)
    assert (person_batch.kind, person_batch.source, person_batch.status) == ("person", SOURCE, "loaded")
    assert (contact_batch.kind, contact_batch.status) == ("contact", "loaded")
    assert (person_batch.rows_read, person_batch.rows_inserted) == (5, 5)
    assert person_batch.cursor_from is None and person_batch.cursor_to == stamp(5)
    assert len(person_batch.parts) == 3 and len(contact_batch.parts) == 2
    archived = {p.stem for p in (hub.archive(MIMC) / "http").glob("*.json")}
    assert set(person_batch.parts) | set(contact_batch.parts) == archived
    # The cursor is the largest updated_at of each kind.
    assert cursor(database_url, "person") == stamp(5)
    assert cursor(database_url, "contact") == stamp(13)
    # A receipt per batch, on disk and in the summary.
    files = receipt_files(hub)
    assert [(r["kind"], r["status"], r["counts"]["inserted"]) for r in files] == [
        ("person", "loaded", 5), ("contact", "loaded", 3)]
    assert [r.batch_id for r in summary.receipts] == [person_batch.batch_id, contact_batch.batch_id]
    assert all(r["source"] == SOURCE and r["cursor_to"] for r in files)


def test_next_pull_starts_at_the_cursor_and_a_repeat_changes_nothing(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS)
    ingest(hub)
    before = warehouse_state(database_url)
    api.requests_seen.clear()

    summary = ingest(hub)

    # updated_since is inclusive: the record at the cursor comes again and changes nothing.
    assert [q.get("updated_since") for q in queries(api, "person")] == [stamp(5)]
    [receipt] = summary.receipts
    assert receipt.kind == "person" and receipt.status is BatchStatus.LOADED
    assert (receipt.counts.rows_read, receipt.counts.unchanged, receipt.counts.loaded) == (1, 1, 0)
    assert receipt.cursor_from == stamp(5) and receipt.cursor_to == stamp(5)
    assert warehouse_state(database_url) == before
    assert cursor(database_url, "person") == stamp(5)
    # Contacts were empty both times: no batch, no receipt, no cursor.
    assert cursor(database_url, "contact") is None
    assert all(b.kind == "person" for b in pull_batches(database_url))


def test_a_record_updated_after_the_pull_becomes_version_2(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS)
    ingest(hub)
    changed = person("p2", stamp(30), birth_year=1990)
    api.set_records("person", [p for p in PERSONS if p["record_id"] != "p2"] + [changed])
    api.requests_seen.clear()

    summary = ingest(hub)

    [receipt] = summary.receipts
    # p5 (at the old cursor) again, unchanged, and p2 changed.
    assert (receipt.counts.rows_read, receipt.counts.updated, receipt.counts.unchanged) == (2, 1, 1)
    persons = records(database_url, "person")
    assert (persons["p2"].birth_year, persons["p2"].version) == (1990, 2)
    assert {p.version for k, p in persons.items() if k != "p2"} == {1}
    history = rows(database_url, HISTORY, HISTORY.c.record_id == "p2")
    assert sorted((v.version, v.action) for v in history) == [(1, "insert"), (2, "update")]
    assert cursor(database_url, "person") == stamp(30)


def test_a_cursor_compares_as_an_instant_and_is_stored_as_written(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # 12:30+03:00 is 09:30Z, before 10:05Z; 13:30+03:00 is 10:30Z, the latest.
    api.set_records("person", [person("p1", "2026-10-01T12:30:00+03:00"), person("p2", stamp(5)),
                               person("p3", "2026-10-01T13:30:00+03:00")])
    ingest(hub)
    assert cursor(database_url, "person") == "2026-10-01T13:30:00+03:00"
    api.requests_seen.clear()
    ingest(hub)
    assert [q.get("updated_since") for q in queries(api, "person")] == ["2026-10-01T13:30:00+03:00"]
    assert sorted(records(database_url, "person")) == ["p1", "p2", "p3"]


# ---- failures -------------------------------------------------------------------------------

def test_a_503_is_retried_and_the_pull_loads(hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS)
    api.fail_next = [503]

    summary = ingest(hub)

    assert summary.failures == {}
    assert [seen["status"] for seen in api.requests_seen][:2] == [503, 200]
    assert sorted(records(database_url, "person")) == ["p1", "p2", "p3", "p4", "p5"]
    assert cursor(database_url, "person") == stamp(5)
    assert [r.status for r in summary.receipts] == [BatchStatus.LOADED]


def _drop_persons(workspace: Workspace) -> None:
    write_csv(workspace.inbox(SPC) / f"{SPC}.person.csv",
              [["record_id", "birth_year", "sex"], ["s1", "1960", "male"], ["s2", "1961", "female"]])


def test_a_refused_token_fails_that_source_only(
        hub: Workspace, api: PartnerApi, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api.set_records("person", PERSONS)
    ingest(hub)
    before = warehouse_state(database_url)
    api.set_records("person", [*PERSONS, person("p6", stamp(6))])
    _drop_persons(hub)
    monkeypatch.setenv(TOKEN_ENV, "tok-expired")
    api.requests_seen.clear()

    summary = ingest(hub)

    assert list(summary.failures) == [LABEL]
    assert summary.failures[LABEL].startswith("http.unauthorized")
    assert [seen["status"] for seen in api.requests_seen] == [401]  # not retried
    # Nothing of the API's changed: one batch (the first run's), same cursor, no p6.
    assert len(pull_batches(database_url)) == 1 and "p6" not in records(database_url, "person")
    assert cursor(database_url, "person") == stamp(5)
    assert len(receipt_files(hub)) == 1
    # The inbox partner in the same run is not affected.
    [receipt] = summary.receipts
    assert (receipt.org, receipt.status, receipt.counts.inserted) == (SPC, BatchStatus.LOADED, 2)
    assert len(receipt_files(hub, SPC)) == 1
    after = warehouse_state(database_url)
    assert after["person"] != before["person"]
    assert [r for r in after["person"] if r[0] == MIMC] == [r for r in before["person"] if r[0] == MIMC]


def test_a_missing_token_variable_fails_before_any_request(
        hub: Workspace, api: PartnerApi, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api.set_records("person", PERSONS)
    _drop_persons(hub)
    monkeypatch.delenv(TOKEN_ENV)

    summary = ingest(hub)

    assert summary.failures[LABEL].startswith("http.token_missing")
    assert TOKEN_ENV in summary.failures[LABEL]
    assert api.requests_seen == []
    assert pull_batches(database_url) == [] and cursor(database_url, "person") is None
    assert [r.org for r in summary.receipts] == [SPC]


def test_an_unusable_token_is_named_by_its_variable_and_never_echoed(
        hub: Workspace, api: PartnerApi, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api.set_records("person", PERSONS)
    monkeypatch.setenv(TOKEN_ENV, "Bearer tok-7f3a9c pasted with a space")

    summary = ingest(hub)

    assert summary.failures[LABEL].startswith("http.token_invalid")
    assert TOKEN_ENV in summary.failures[LABEL] and "7f3a9c" not in summary.failures[LABEL]
    assert api.requests_seen == []
    assert pull_batches(database_url) == []


def test_a_token_resolver_replaces_the_environment(
        hub: Workspace, api: PartnerApi, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    api.set_records("person", PERSONS[:1])
    monkeypatch.delenv(TOKEN_ENV)
    asked = []

    def token_for(source: object) -> str:
        asked.append(source)
        return api.token

    summary = ingest_workspace(Workspace(hub.root), token_for=token_for, today=TODAY)

    assert summary.failures == {} and len(asked) == 1
    assert sorted(records(database_url, "person")) == ["p1"]


def test_a_failure_in_a_later_kind_keeps_the_earlier_kinds_batch_and_receipt(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # Persons come in one page; the contacts' page is not JSON at all.
    api.respond_next = [page_body(PERSONS[:2], None), b"<html>" + SECRET.encode() + b"</html>"]

    summary = ingest(hub)

    assert summary.failures[LABEL].startswith("http.bad_response")
    assert sorted(records(database_url, "person")) == ["p1", "p2"]
    assert cursor(database_url, "person") == stamp(2) and cursor(database_url, "contact") is None
    # The persons' batch is committed, so its receipt is on disk now, not after some later run.
    assert [(r["kind"], r["status"]) for r in receipt_files(hub)] == [("person", "loaded")]


# ---- crash between pages --------------------------------------------------------------------

_RUN = """\
import sys
from datetime import date
from pathlib import Path
from interchange.ingest.run import ingest_workspace
from interchange.workspace.layout import Workspace
summary = ingest_workspace(Workspace(Path(sys.argv[1])), today=date(2026, 11, 1))
sys.exit(1 if summary.failures else 0)
"""


def test_a_crash_between_pages_commits_nothing_and_a_rerun_equals_a_clean_run(
        hub: Workspace, api: PartnerApi, database_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    api.set_records("person", PERSONS)
    api.set_records("contact", CONTACTS)

    crashed = subprocess.run([sys.executable, "-c", _RUN, str(hub.root)], capture_output=True, text=True,
                             timeout=120, env={**_environ(), "INTERCHANGE_FAILPOINT": "between_pages"})

    assert crashed.returncode == 97, crashed.stderr
    assert [q.get("page_token") for q in queries(api, "person")] == [None]  # died after page 1
    assert len(list((hub.archive(MIMC) / "http").glob("*.json"))) == 1  # page 1 was archived
    assert pull_batches(database_url) == []
    assert cursor(database_url, "person") is None
    assert records(database_url, "person") == {} and receipt_files(hub) == []

    summary = ingest(hub)

    assert summary.failures == {}
    assert [q.get("updated_since") for q in queries(api, "person")] == [None, None, None, None]
    with empty_warehouse(database_url, tmp_path, 'clean') as clean_url:
        monkeypatch.setenv("INTERCHANGE_DATABASE_URL", clean_url)
        clean = make_hub(tmp_path / "clean", clean_url, api)
        assert ingest(clean).failures == {}
        assert warehouse_state(database_url) == warehouse_state(clean_url)
        assert cursor(database_url, "person") == cursor(clean_url, "person") == stamp(5)
        assert cursor(database_url, "contact") == cursor(clean_url, "contact") == stamp(13)
    assert [(r["kind"], r["counts"]["inserted"]) for r in receipt_files(hub)] == [("person", 5), ("contact", 3)]


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


# ---- what a pull holds ----------------------------------------------------------------------

def test_a_record_repeated_across_pages_loads_once_in_its_last_version(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # p1 was updated while the hub paged: it shows up again on page 2 with its new content.
    api.respond_next = [
        page_body([person("p1", stamp(1), birth_year=1971), person("p2", stamp(2))], "next"),
        page_body([person("p3", stamp(3)), person("p1", stamp(4), birth_year=1991)], None),
    ]

    summary = ingest(hub)

    assert summary.failures == {}
    persons = records(database_url, "person")
    assert sorted(persons) == ["p1", "p2", "p3"]
    assert (persons["p1"].birth_year, persons["p1"].version) == (1991, 1)
    assert len(rows(database_url, HISTORY, HISTORY.c.record_id == "p1")) == 1
    [receipt] = summary.receipts
    assert receipt.counts.inserted == 3
    [warning] = [p for p in receipt.problems if p.code == "pull.duplicate_id"]
    assert (warning.severity, warning.record_id) == ("warning", "p1")
    assert "2 times" in warning.message_en
    assert cursor(database_url, "person") == stamp(4)


def test_records_without_a_record_id_are_each_quarantined_not_merged(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    no_id = [{"org": MIMC, "birth_year": 1980 + i, "sex": "female", "updated_at": stamp(i)} for i in (1, 2)]
    api.respond_next = [page_body([no_id[0], person("p3", stamp(3)), no_id[1]], None)]

    summary = ingest(hub)

    [receipt] = summary.receipts
    # Every record the partner sent is accounted for: one loaded, two quarantined.
    assert (receipt.counts.rows_read, receipt.counts.inserted, receipt.counts.quarantined) == (3, 1, 2)
    assert not [p for p in receipt.problems if p.code == "pull.duplicate_id"]
    assert sorted((p.row, p.code) for p in receipt.problems) == [(1, "value.required"), (3, "value.required")]


def test_a_bad_row_is_quarantined_with_its_row_and_code_and_the_rest_loads(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", [person("p1", stamp(1)), person("p2", stamp(2), birth_year="nineteen"),
                               person("p3", stamp(3)), person("p4", stamp(4), sex="x")])

    summary = ingest(hub)

    [receipt] = summary.receipts
    assert receipt.status is BatchStatus.LOADED
    assert (receipt.counts.rows_read, receipt.counts.inserted, receipt.counts.quarantined) == (4, 2, 2)
    assert sorted(records(database_url, "person")) == ["p1", "p3"]
    [batch] = pull_batches(database_url)
    stored = rows(database_url, quarantine, quarantine.c.batch_id == batch.batch_id)
    assert sorted((q.row_number, q.record_id, q.column_name, q.code) for q in stored) == [
        (2, "p2", "birth_year", "value.integer"), (4, "p4", "sex", "value.choice")]
    on_disk = receipt_files(hub)[0]
    assert sorted((p["row"], p["code"]) for p in on_disk["problems"]) == [(2, "value.integer"),
                                                                          (4, "value.choice")]
    # The pull was committed: the cursor moves past the bad rows too (they come again when fixed).
    assert cursor(database_url, "person") == stamp(4)


def test_a_later_pull_of_the_fixed_record_closes_its_quarantined_row(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    from typer.testing import CliRunner

    from interchange.cli import app

    api.set_records("person", [person("p1", stamp(1)), person("p2", stamp(2), birth_year="nineteen"),
                               person("p3", stamp(3), sex="x")])
    ingest(hub)
    replan = CliRunner().invoke(app, ["reprocess", "--workspace", str(hub.root), "--lang", "en"])
    assert replan.exit_code == 0
    assert replan.output == ("Nothing to re-run.\n2 quarantined rows stay open that cannot be re-run from here "
                             "(pulled, or their file is no longer archived): a later batch with the same records "
                             f"closes them, or interchange quarantine dismiss.\nWarehouse: {database_url}\n")

    api.set_records("person", [person("p2", stamp(20), birth_year=1979)])  # the partner fixed p2 only
    ingest(hub)

    still = rows(database_url, quarantine, quarantine.c.closed_at.is_(None))
    assert [(q.record_id, q.code) for q in still] == [("p3", "value.choice")]
    [closed] = rows(database_url, quarantine, quarantine.c.record_id == "p2")
    assert (closed.closed_how, closed.resolved_by_batch) == ("loaded", pull_batches(database_url)[-1].batch_id)


def test_a_held_pull_loads_nothing_and_keeps_the_cursor(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # Contacts whose persons the hub does not know: the whole batch is held.
    api.set_records("contact", CONTACTS)

    summary = ingest(hub)

    [receipt] = summary.receipts
    assert (receipt.kind, receipt.status, receipt.held) == ("contact", BatchStatus.HELD, True)
    assert (receipt.counts.held, receipt.counts.loaded) == (3, 0)
    assert records(database_url, "contact") == {}
    assert cursor(database_url, "contact") is None
    assert [r["status"] for r in receipt_files(hub)] == ["held"]

    # The next pull asks from the same place; once the persons are there, everything loads.
    api.set_records("person", PERSONS)
    api.requests_seen.clear()
    summary = ingest(hub)

    assert [q.get("updated_since") for q in queries(api, "contact")] == [None, None]
    assert [(r.kind, r.status) for r in summary.receipts] == [("person", BatchStatus.LOADED),
                                                             ("contact", BatchStatus.LOADED)]
    assert sorted(records(database_url, "contact")) == ["c1", "c2", "c3"]
    assert cursor(database_url, "contact") == stamp(13)


def test_a_held_pull_after_a_loaded_one_keeps_the_old_cursor(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS)
    api.set_records("contact", CONTACTS[:1])
    ingest(hub)
    assert cursor(database_url, "contact") == stamp(11)
    api.set_records("contact", [contact(f"x{i}", f"ghost{i}", stamp(40 + i)) for i in range(4)])

    summary = ingest(hub)

    assert [(r.kind, r.status) for r in summary.receipts] == [("person", BatchStatus.LOADED),
                                                             ("contact", BatchStatus.HELD)]
    assert sorted(records(database_url, "contact")) == ["c1"]
    assert cursor(database_url, "contact") == stamp(11)


# ---- nothing secret in failures or logs ------------------------------------------------------

def test_failures_and_logs_hold_no_token_body_or_record_value(
        hub: Workspace, api: PartnerApi, database_url: str, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    marker = "VALUE-zq81"
    caplog.set_level(logging.DEBUG)
    # 1. a refused token (the server's 401 body holds SECRET-BODY)
    monkeypatch.setenv(TOKEN_ENV, "tok-wrong-4411")
    failures = [ingest(hub).failures[LABEL]]
    # 2. a server that keeps failing (bodies hold SECRET-BODY)
    monkeypatch.setenv(TOKEN_ENV, api.token)
    api.fail_next = [503, 503, 503]
    failures.append(ingest(hub).failures[LABEL])
    # 3. a body that is not what the contract says, quoting a record value
    api.respond_next = [b'{"records": [{"record_id": "' + marker.encode() + b'"}], "next_page_token": null}']
    failures.append(ingest(hub).failures[LABEL])
    # 4. a pull that loads, then one that fails on its second page, carrying record values
    api.set_records("person", [person(marker, stamp(1), person_pseudonym="ab" * 32), person("p2", stamp(2)),
                               person("p3", stamp(3))])
    assert ingest(hub).failures == {}
    api.respond_next = [page_body([person(marker, stamp(5))], "t1"), b"not json " + marker.encode()]
    failures.append(ingest(hub).failures[LABEL])

    assert [f.split(":")[0] for f in failures] == ["http.unauthorized", "http.unavailable", "http.bad_response",
                                                   "http.bad_response"]
    logged = [record.getMessage() for record in caplog.records]
    logged += [repr(record.args) for record in caplog.records]
    logged += [record.exc_text or "" for record in caplog.records]
    assert any(LABEL in line for line in logged)  # the failures were logged, by source
    for secret in (api.token, "tok-wrong-4411", SECRET, marker, "ab" * 32, "updated_since=", "page_token="):
        for text in failures + logged:
            assert secret not in text, (secret, text)


def test_a_deletion_in_a_pull_deletes_the_record(hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", PERSONS[:2])
    ingest(hub)
    api.set_records("person", [PERSONS[0], {"record_id": "p2", "org": MIMC, "deleted": True,
                                            "updated_at": stamp(20)}])

    [receipt] = ingest(hub).receipts

    assert (receipt.counts.deleted, receipt.counts.unchanged) == (1, 0)
    persons = records(database_url, "person")
    assert (persons["p2"].deleted, persons["p2"].version, persons["p2"].birth_year) == (True, 2, None)
    assert not persons["p1"].deleted
    assert cursor(database_url, "person") == stamp(20)


def test_records_of_another_organisation_are_quarantined(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", [person("p1", stamp(1)), {**person("p2", stamp(2)), "org": SPC}])

    [receipt] = ingest(hub).receipts

    assert (receipt.counts.inserted, receipt.counts.quarantined) == (1, 1)
    assert [(p.row, p.column, p.code) for p in receipt.problems] == [(2, "org", "value.invalid")]
    assert sorted(records(database_url, "person")) == ["p1"]
    engine = sqlalchemy.create_engine(database_url)
    with engine.connect() as connection:
        spc_rows = connection.execute(sqlalchemy.select(RECORD_TABLES["person"]).where(
            RECORD_TABLES["person"].c.org == SPC)).all()
    engine.dispose()
    assert spc_rows == []


def test_a_pull_with_direct_identifiers_is_refused_and_its_pages_are_not_kept(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    api.set_records("person", [person("p1", stamp(1)), person("p2", stamp(2), asmens_kodas="39001010000"),
                               person("p3", stamp(3))])

    [receipt] = ingest(hub).receipts

    assert receipt.status is BatchStatus.REJECTED
    assert {p.code for p in receipt.problems} >= {"header.identifier", "file.identifiers_purged"}
    assert records(database_url, "person") == {}
    assert cursor(database_url, "person") is None
    # Neither page of the pull (the one with the code, nor the one without) stays in the archive.
    [batch] = pull_batches(database_url)
    assert len(batch.parts) == 2
    kept = {p.stem for p in (hub.archive(MIMC) / "http").iterdir()}
    assert kept.isdisjoint(batch.parts)
    assert "39001010000" not in json.dumps(receipt_files(hub))


def test_a_pull_of_only_deletions_deletes(hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # As the contract says, a deletion carries only record_id, org and deleted: no contact columns.
    api.set_records("person", PERSONS)
    api.set_records("contact", CONTACTS)
    ingest(hub)
    api.set_records("contact", [{"record_id": "c2", "org": MIMC, "deleted": True, "updated_at": stamp(50)}])

    summary = ingest(hub)

    [contact_receipt] = [r for r in summary.receipts if r.kind == "contact"]
    assert contact_receipt.status is BatchStatus.LOADED, [p.code for p in contact_receipt.problems]
    assert contact_receipt.counts.deleted == 1
    contacts = records(database_url, "contact")
    assert (contacts["c2"].deleted, contacts["c2"].version) == (True, 2)
    assert cursor(database_url, "contact") == stamp(50)


@pytest.mark.parametrize("bad_id", ["39001010000", "x" * 70], ids=["personal_code", "too_long"])
def test_a_repeated_bad_record_id_is_quarantined_and_never_copied_into_the_receipt(
        hub: Workspace, api: PartnerApi, database_url: str, bad_id: str) -> None:
    api.respond_next = [page_body([person(bad_id, stamp(1)), person("p2", stamp(2))], "next"),
                        page_body([person(bad_id, stamp(3), birth_year=1990)], None)]

    summary = ingest(hub)

    assert summary.failures == {}
    [receipt] = summary.receipts
    assert {p.code for p in receipt.problems} >= {"pull.duplicate_id"}
    if bad_id.isdigit():  # a personal code refuses the whole pull, whose pages are not kept (issue 16 §4)
        assert (receipt.status, receipt.counts.inserted, receipt.counts.quarantined) == (BatchStatus.REJECTED, 0, 2)
        assert {p.code for p in receipt.problems} >= {"file.personal_codes", "file.identifiers_purged"}
        assert records(database_url, "person") == {}
    else:
        assert (receipt.counts.inserted, receipt.counts.quarantined) == (1, 1)
        assert sorted(records(database_url, "person")) == ["p2"]
    assert bad_id not in json.dumps(receipt_files(hub)) + render_text(hub)


def render_text(workspace: Workspace) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in workspace.receipts(MIMC).glob("*.txt"))


def test_lithuanian_field_names_are_read_and_repeats_still_found(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # Records use the contract's Lithuanian names, as drop files may.
    def asmuo(record_id: str, updated_at: str, year: int) -> dict:
        return {"įrašo_id": record_id, "organizacija": MIMC, "gimimo_metai": year, "lytis": "moteris",
                "updated_at": updated_at}

    api.respond_next = [page_body([asmuo("p1", stamp(1), 1971), asmuo("p2", stamp(2), 1972)], "next"),
                        page_body([asmuo("p1", stamp(3), 1991)], None)]

    [receipt] = ingest(hub).receipts

    assert (receipt.counts.rows_read, receipt.counts.inserted, receipt.counts.quarantined) == (2, 2, 0)
    assert [(p.code, p.record_id) for p in receipt.problems] == [("pull.duplicate_id", "p1")]
    persons = records(database_url, "person")
    assert (persons["p1"].birth_year, persons["p1"].version, persons["p2"].sex) == (1991, 1, "female")


def test_an_identifier_in_a_superseded_version_still_refuses_the_pull(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    # p1's first version carried a personal code; the version that replaced it in the same pull does not.
    api.respond_next = [page_body([person("p1", stamp(1), asmens_kodas="39001010000")], "next"),
                        page_body([person("p1", stamp(2))], None)]

    [receipt] = ingest(hub).receipts

    assert receipt.status is BatchStatus.REJECTED
    assert "header.identifier" in {p.code for p in receipt.problems}
    assert records(database_url, "person") == {} and cursor(database_url, "person") is None
    [batch] = pull_batches(database_url)
    assert {p.stem for p in (hub.archive(MIMC) / "http").iterdir()}.isdisjoint(batch.parts)


def test_an_organisations_own_field_names_are_read_through_its_columns(
        hub: Workspace, api: PartnerApi, database_url: str) -> None:
    config = hub.root / "interchange.yaml"
    http_source = "    sources:\n      - type: http"
    config.write_text(config.read_text(encoding="utf-8").replace(
        http_source, "    columns:\n      Įrašo Nr.: record_id\n" + http_source), encoding="utf-8")
    own = [{("Įrašo Nr." if k == "record_id" else k): v for k, v in record.items()}
           for record in (person("p1", stamp(1), birth_year=1971), person("p2", stamp(2)),
                          person("p1", stamp(3), birth_year=1991))]
    api.respond_next = [page_body(own, None)]

    summary = ingest(hub)

    assert summary.failures == {}
    persons = records(database_url, "person")
    assert {rid: p.birth_year for rid, p in persons.items()} == {"p1": 1991, "p2": 1980}  # p1's last version
    [receipt] = summary.receipts
    assert (receipt.status, receipt.counts.inserted) == ("loaded", 2)


def test_records_the_hub_cannot_process_end_a_failed_pull_that_a_steward_reruns(
        hub: Workspace, api: PartnerApi, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.ingest import batches as batches_module
    from interchange.ingest.reprocess import find_candidates, reprocess
    from interchange.ingest.run import open_hub

    api.set_records("person", PERSONS)
    monkeypatch.setattr(batches_module, "_RAISED", set())
    monkeypatch.setenv("INTERCHANGE_FAILPOINT", "before_load:raise")  # a bug while loading the pull

    summary = ingest(hub)

    assert summary.failures == {}  # the source goes on; the batch says what happened
    [receipt] = summary.receipts
    assert (receipt.kind, receipt.status, [p.code for p in receipt.problems]) == (
        "person", BatchStatus.FAILED, ["batch.failed"])
    assert records(database_url, "person") == {} and cursor(database_url, "person") is None
    # The same pages again are not tried again every run: the failed batch waits for a steward.
    assert ingest(hub).receipts == [] and len(pull_batches(database_url)) == 1

    monkeypatch.delenv("INTERCHANGE_FAILPOINT")  # the fix
    api.requests_seen.clear()
    with open_hub(Workspace(hub.root), today=TODAY) as opened:
        [rerun] = reprocess(opened, find_candidates(opened.engine))

    assert api.requests_seen == []  # from the archived pages
    assert (rerun.receipt.status, rerun.receipt.counts.inserted) == (BatchStatus.LOADED, 5)
    assert cursor(database_url, "person") == stamp(5)
