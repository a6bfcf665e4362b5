"""Nothing lost, nothing twice: a crash at any point of an inbox ingest, then a re-run, leaves the warehouse
and the receipts as an uninterrupted run would; ingests started together load every record once.

The crashing run is a real process that dies (os._exit) at a failpoint; the databases and files are real.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HUB_CONFIG, empty_warehouse, warehouse_state
from drop_kit import (
    CONTACT_HEADER,
    MIMC,
    PERSON_HEADER,
    SPC,
    batch_rows,
    contact_rows,
    drop,
    files_in,
    ingest,
    person_rows,
    receipt_summary,
    receipts,
    records,
    run_child,
    start_child,
    versions,
)

from interchange.ingest.run import IngestSummary, ingest_workspace
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

FAILPOINTS = ["after_claim", "before_commit", "before_load", "after_load", "after_commit"]
PERSONS = 3000


def _first_delivery(root: Path) -> list[list[str]]:
    rows = [PERSON_HEADER, *person_rows(PERSONS)]
    drop(root, "asmenys-1.person.csv", rows)
    return rows


def _second_delivery(root: Path, first: list[list[str]]) -> None:
    """Corrections, deletions and new persons in one big file, contacts, a re-sent file, another partner."""
    rows = [[*PERSON_HEADER, "deleted"]]
    for number, row in enumerate(person_rows(PERSONS + 200)):
        if number % 60 == 7:
            rows.append([row[0], "", "", "", "", "taip"])
        else:
            if number % 15 == 0:
                row[2] = str(int(row[2]) + 1)
            rows.append([*row, ""])
    drop(root, "asmenys-2.person.csv", rows)
    drop(root, "asmenys-1-kopija.person.csv", first)  # the same bytes again: a duplicate
    person_ids = [f"P{n:06d}" for n in range(PERSONS) if n % 60 != 7]
    contacts = [CONTACT_HEADER, *contact_rows(600, person_ids)]
    contacts.append(["K900000", "P000000", "legal_consultation", "not a date", "30"])
    drop(root, "kontaktai.contact.csv", contacts)
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(300, prefix="M")], org=MIMC)


@dataclass(frozen=True)
class Outcome:
    """What the uninterrupted run left: the warehouse, what the receipts say, how many batches."""

    warehouse: dict[str, list[tuple]]
    receipts: list[tuple]
    batches: int


@pytest.fixture(scope="module")
def uninterrupted_outcomes() -> dict[str, Outcome]:
    return {}


@pytest.fixture
def uninterrupted(database_url: str, uninterrupted_outcomes: dict[str, Outcome],
                  tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """Both deliveries ingested without a crash, in a warehouse of their own on the same kind of
    database: the same for every crash point, so it runs once per kind."""
    backend = database_url.split(":", 1)[0]
    if backend not in uninterrupted_outcomes:
        folder = tmp_path_factory.mktemp("uninterrupted")
        with empty_warehouse(backend, folder, "twin") as url, monkeypatch.context() as patch:
            patch.setenv("INTERCHANGE_DATABASE_URL", url)
            root = folder / "twin"
            init_workspace(root, config_text=HUB_CONFIG)
            first = _first_delivery(root)
            ingest(root)
            _second_delivery(root, first)
            ingest(root)
            uninterrupted_outcomes[backend] = Outcome(warehouse_state(url), receipt_summary(root), len(batch_rows(url)))
    return uninterrupted_outcomes[backend]


def _assert_finished(root: Path, url: str) -> None:
    assert files_in(root / "inbox" / SPC) == files_in(root / "inbox" / MIMC) == []
    assert all(b["status"] != "received" and b["receipt_written"] for b in batch_rows(url))
    assert [p.name for p in (root / "archive").rglob(".*")] == []  # no half-copied archive file


@pytest.mark.parametrize("failpoint", FAILPOINTS)
def test_crash_at_any_point_then_rerun_matches_an_uninterrupted_run(
        hub_root: Path, database_url: str, uninterrupted: Outcome, failpoint: str) -> None:
    first = _first_delivery(hub_root)
    ingest(hub_root)
    _second_delivery(hub_root, first)
    state_before = warehouse_state(database_url)

    crashed = run_child(hub_root, failpoint=failpoint)

    assert crashed.returncode == 97, crashed.stderr[-2000:]
    statuses = [b["status"] for b in batch_rows(database_url)]
    if failpoint == "after_commit":
        assert statuses[-1] == "loaded"  # committed whole, but its receipt is not written yet
        assert warehouse_state(database_url) != state_before
    else:
        assert statuses[-1] == "received"  # claimed, nothing of it committed
        assert warehouse_state(database_url) == state_before
    assert len(receipts(hub_root)) == 1  # only the first delivery's

    ingest(hub_root)

    assert warehouse_state(database_url) == uninterrupted.warehouse
    assert receipt_summary(hub_root) == uninterrupted.receipts
    assert len(batch_rows(database_url)) == uninterrupted.batches == 5
    _assert_finished(hub_root, database_url)
    summary = {(org, name): (status, dict(counts)) for org, name, _, status, counts, *_ in receipt_summary(hub_root)}
    assert summary[SPC, "asmenys-2.person.csv"] == ("loaded", {
        "rows_read": PERSONS + 200, "inserted": 196, "updated": 200, "deleted": 50, "unchanged": 2754,
        "quarantined": 0, "held": 0})
    assert summary[SPC, "asmenys-1-kopija.person.csv"][0] == "duplicate"
    assert summary[SPC, "kontaktai.contact.csv"] == ("loaded", {
        "rows_read": 601, "inserted": 600, "updated": 0, "deleted": 0, "unchanged": 0, "quarantined": 1, "held": 0})


@pytest.mark.parametrize("failpoint", ["before_commit", "after_commit"])
def test_crash_while_refusing_a_file_with_personal_codes_still_purges_its_copy(
        hub_root: Path, database_url: str, failpoint: str) -> None:
    drop(hub_root, "asmenys.person.csv", [["record_id", "asmens_kodas", "birth_year"], ["A1", "38703181745", "1987"]])

    crashed = run_child(hub_root, failpoint=failpoint)
    assert crashed.returncode == 97, crashed.stderr[-2000:]
    ingest(hub_root)

    [receipt] = receipts(hub_root)
    assert receipt["status"] == "rejected"
    assert [p["code"] for p in receipt["problems"]] == ["header.identifier", "file.identifiers_purged"]
    assert files_in(hub_root / "archive" / SPC) == []
    assert records(database_url) == {}
    _assert_finished(hub_root, database_url)


# --- ingests at the same time --------------------------------------------------------------------


def _assert_each_record_once(url: str, roots: list[Path], files: int, persons: int, contacts: int) -> None:
    assert len(records(url)) == persons
    assert len(records(url, "contact")) == contacts
    assert len(records(url, org=MIMC)) == 300
    history = versions(url)
    keys = [(v["kind"], v["org"], v["record_id"]) for v in history]
    assert len(keys) == len(set(keys)) == persons + contacts + 300  # one version each: loaded exactly once
    batches = batch_rows(url)
    assert len(batches) == files
    assert {b["status"] for b in batches} == {"loaded"}
    assert len({(b["org"], b["file_name"]) for b in batches}) == files
    written = [r for root in roots for org in (SPC, MIMC) for r in receipts(root, org)]
    assert sorted(r["batch_id"] for r in written) == sorted(b["batch_id"] for b in batches)


def _finish(run: subprocess.Popen) -> tuple[int, str]:
    _, err = run.communicate(timeout=120)
    return run.returncode, err


def _drops_for_two_runs(root: Path) -> None:
    drop(root, "asmenys-a.person.csv", [PERSON_HEADER, *person_rows(1500)])
    drop(root, "asmenys-b.person.csv", [PERSON_HEADER, *person_rows(1500, start=1500)])
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(800, [f"P{n:06d}" for n in range(3000)])])
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(300, prefix="M")], org=MIMC)


def test_two_ingests_started_together_load_every_record_once(hub_root: Path, database_url: str) -> None:
    _drops_for_two_runs(hub_root)

    runs = [start_child(hub_root), start_child(hub_root)]
    results = [_finish(run) for run in runs]

    assert [code for code, _ in results] == [0, 0], [err[-2000:] for _, err in results]
    _assert_each_record_once(database_url, [hub_root], files=4, persons=3000, contacts=800)
    _assert_finished(hub_root, database_url)


# Hosts share a PostgreSQL warehouse (SQLite lives on one host): the database's advisory lock, not the
# file lock in each host's workspace, keeps the two runs apart.
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_hosts_sharing_an_inbox_and_a_database_load_every_record_once(
        hub_root: Path, database_url: str, tmp_path: Path) -> None:
    # A second host: its own workspace folder and file locks, the same inbox (a shared mount) and database.
    other = tmp_path / "host-b"
    other.mkdir()
    (other / "interchange.yaml").write_text(HUB_CONFIG, encoding="utf-8")
    (other / "inbox").symlink_to(hub_root / "inbox", target_is_directory=True)
    _drops_for_two_runs(hub_root)

    runs = [start_child(hub_root), start_child(other)]
    results = [_finish(run) for run in runs]

    assert [code for code, _ in results] == [0, 0], [err[-2000:] for _, err in results]
    _assert_each_record_once(database_url, [hub_root, other], files=4, persons=3000, contacts=800)
    assert files_in(hub_root / "inbox" / SPC) == files_in(hub_root / "inbox" / MIMC) == []


# Scale-out (docs/scale-out.md): several workers, each ingesting its own organisations, into one PostgreSQL
# warehouse at the same time. Threads of one process, as a Prefect worker's flow runs would be processes:
# each run opens its own engine and connections either way, and a thread starts in no time.
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_workers_on_different_organisations_load_every_batch_once_into_one_warehouse(
        hub_root: Path, database_url: str) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(600)])
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(300, [f"P{n:06d}" for n in range(600)])])
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(600, prefix="M")], org=MIMC)
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(
        300, [f"M{n:06d}" for n in range(600)], prefix="MK")], org=MIMC)
    start = threading.Barrier(2)
    summaries: dict[str, IngestSummary] = {}
    failures: list[BaseException] = []

    def worker(org: str) -> None:
        try:
            start.wait(timeout=30)
            summaries[org] = ingest_workspace(Workspace(hub_root), orgs=[org])
        except BaseException as exc:  # the test thread asserts on it
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(org,)) for org in (SPC, MIMC)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == [] and summaries[SPC].failures == summaries[MIMC].failures == {}
    for org in (SPC, MIMC):  # each worker took its own organisation's drops, and only those
        assert [(r.org, r.status.value, r.counts.loaded) for r in summaries[org].receipts] == [
            (org, "loaded", 600), (org, "loaded", 300)]
    history = versions(database_url)
    keys = [(v["kind"], v["org"], v["record_id"]) for v in history]
    assert len(keys) == len(set(keys)) == 2 * (600 + 300)  # every record loaded exactly once
    assert len(records(database_url, org=SPC)) == len(records(database_url, org=MIMC)) == 600
    assert len(records(database_url, "contact", org=MIMC)) == 300
    batches = batch_rows(database_url)
    assert sorted((b["org"], b["file_name"], b["status"]) for b in batches) == sorted(
        (org, name, "loaded") for org in (SPC, MIMC) for name in ("asmenys.person.csv", "kontaktai.contact.csv"))
    for org in (SPC, MIMC):  # one receipt per batch, as the batch counted it
        assert [(r["batch_id"], r["counts"]["inserted"]) for r in receipts(hub_root, org)] == sorted(
            (r.batch_id, r.counts.inserted) for r in summaries[org].receipts)
    _assert_finished(hub_root, database_url)
