"""`interchange reprocess`: held batches and quarantined rows re-run from the archive after a fix.

What a steward relies on: a re-run reads the archived file (never the inbox), makes a new
batch with a new receipt, goes in arrival order, never loads a row over a newer version
that arrived later, settles what it re-ran (a second reprocess has nothing to do), and
counts add up for every batch: rows read = loaded + unchanged + quarantined (+ held).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
from drop_kit import (
    CONTACT_HEADER,
    PERSON_HEADER,
    SPC,
    TODAY,
    batch_rows,
    contact_rows,
    counts,
    drop,
    ingest,
    person_rows,
    problems,
    receipts,
    records,
    versions,
)
from typer.testing import CliRunner

from interchange.cli import app
from interchange.contract.services import SERVICES_BY_CODE, Mode, Service, Unit
from interchange.ingest.reprocess import ReprocessError, find_candidates, reprocess
from interchange.ingest.run import open_hub
from interchange.warehouse.tables import quarantine
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

runner = CliRunner()
NEW_SERVICE = "peer_support"


def run_reprocess(root: Path, **narrow: object) -> list:
    with open_hub(Workspace(root)) as hub:
        return reprocess(hub, find_candidates(hub.engine, **narrow))


def candidates(root: Path) -> list:
    with open_hub(Workspace(root)) as hub:
        return find_candidates(hub.engine)


def assert_every_batch_adds_up(url: str) -> None:
    for batch in batch_rows(url):
        if batch["status"] in ("loaded", "held"):
            loaded = batch["rows_inserted"] + batch["rows_updated"] + batch["rows_deleted"]
            assert batch["rows_read"] == (loaded + batch["rows_unchanged"] + batch["rows_quarantined"]
                                          + batch["rows_held"]), batch["batch_id"]


def open_quarantine(url: str) -> list[tuple[int, int, str]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(sqlalchemy.select(
                quarantine.c.batch_id, quarantine.c.row_number, quarantine.c.code).where(
                quarantine.c.resolved_by_batch.is_(None), quarantine.c.severity == "error")).tuples())
    finally:
        engine.dispose()


def add_new_service(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub's catalogue gains NEW_SERVICE (a new catalogue version)."""
    monkeypatch.setitem(SERVICES_BY_CODE, NEW_SERVICE, Service(
        NEW_SERVICE, "Savitarpio pagalba", "Peer support", Mode.INDIVIDUAL, Unit.CONSULTATION, "other"))


def relax_known_person_share(root: Path) -> None:
    """The steward's fix: contacts of persons not sent yet no longer hold a batch."""
    path = root / "interchange.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "expectations:\n  min_known_reference_share: 0.0\n",
                    encoding="utf-8")


def test_a_held_batch_loads_from_the_archive_after_the_config_is_fixed(hub_root: Path, database_url: str) -> None:
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(6, ["P000000", "P000001"])])
    ingest(hub_root)
    [held] = receipts(hub_root)
    assert held["status"] == "held"
    assert list((hub_root / "inbox" / SPC).iterdir()) == []  # only the archived copy is left

    relax_known_person_share(hub_root)
    dry = runner.invoke(app, ["reprocess", "--workspace", str(hub_root), "--dry-run", "--lang", "en"])
    assert dry.exit_code == 0, dry.output
    assert f"batch {held['batch_id']} ({SPC}, contact): the whole held file" in dry.output
    assert len(receipts(hub_root)) == 1  # a dry run changes nothing

    result = runner.invoke(app, ["reprocess", "--workspace", str(hub_root), "--lang", "en"])

    assert result.exit_code == 0, result.output
    first, rerun = receipts(hub_root)
    assert first == held  # the held batch's receipt stays as the partner got it
    assert rerun["batch_id"] > held["batch_id"]
    assert (rerun["status"], rerun["file_name"], rerun["sha256"]) == ("loaded", held["file_name"], held["sha256"])
    assert rerun["received_at"] == held["received_at"]  # the same drop, processed again
    assert counts(rerun) == {"rows_read": 6, "inserted": 6}
    assert len(records(database_url, "contact")) == 6
    assert f"batch {held['batch_id']} → new batch {rerun['batch_id']}: loaded" in result.output
    assert_every_batch_adds_up(database_url)

    again = runner.invoke(app, ["reprocess", "--workspace", str(hub_root), "--lang", "lt"])
    assert again.exit_code == 0 and "Nėra ko apdoroti iš naujo." in again.output
    assert len(receipts(hub_root)) == 2


def test_quarantined_rows_load_after_the_fix_and_the_rest_of_the_file_is_not_touched(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    people = [p[0] for p in person_rows(3)]
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    ingest(hub_root)
    contacts = contact_rows(8, people)
    contacts[2][2] = NEW_SERVICE  # rows 4 and 7 name a service the hub does not know yet
    contacts[5][2] = NEW_SERVICE
    contacts[6][4] = "a while"  # row 8: a duration that is not a number, still wrong after the fix
    drop(hub_root, "kontaktai.contact.csv", [CONTACT_HEADER, *contacts])
    ingest(hub_root)
    _, first = receipts(hub_root)
    assert counts(first) == {"rows_read": 8, "inserted": 5, "quarantined": 3}
    history_before = versions(database_url)

    # The hub's catalogue gains the service (a new catalogue version): rows 4 and 7 are valid now.
    add_new_service(monkeypatch)
    [candidate] = candidates(hub_root)
    assert (candidate.batch_id, candidate.reason, sorted(candidate.rows)) == (first["batch_id"], "quarantined",
                                                                               [4, 7, 8])
    [rerun] = run_reprocess(hub_root)

    receipt = receipts(hub_root)[-1]
    assert receipt["batch_id"] == rerun.receipt.batch_id
    assert counts(receipt) == {"rows_read": 3, "inserted": 2, "quarantined": 1}
    assert [(code, row) for code, row, _ in problems(receipt)] == [("value.integer", 8)]
    stored = records(database_url, "contact")
    assert len(stored) == 7 and stored[contacts[2][0]]["row_number"] == 4  # the line in the archived file
    # Rows loaded the first time keep their single version; only the two new records were added.
    assert [v for v in versions(database_url) if v in history_before] == history_before
    assert len(versions(database_url)) == len(history_before) + 2
    # What stays open: row 8, now quarantined by the re-run batch.
    assert open_quarantine(database_url) == [(receipt["batch_id"], 8, "value.integer")]
    assert_every_batch_adds_up(database_url)


def test_a_row_is_never_loaded_over_a_newer_version_that_arrived_later(hub_root: Path, database_url: str) -> None:
    people = [p[0] for p in person_rows(2)]
    old = contact_rows(2, people)
    drop(hub_root, "senas.contact.csv", [CONTACT_HEADER, *old])  # contacts of persons not sent yet: held
    ingest(hub_root)
    [held] = receipts(hub_root)
    assert held["status"] == "held"
    # Later come the persons, and the same contact again, corrected: that version must win.
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)
    newer = [old[0][0], people[1], "legal_consultation", TODAY.isoformat(), "90"]
    drop(hub_root, "naujas.contact.csv", [CONTACT_HEADER, newer])
    ingest(hub_root)
    later = receipts(hub_root)[-1]
    assert counts(later) == {"rows_read": 1, "inserted": 1}

    [rerun] = run_reprocess(hub_root)  # the held file, its persons now known

    assert counts(rerun.receipt.model_dump(mode="json")) == {"rows_read": 2, "inserted": 1, "quarantined": 1}
    assert [(p.code, p.row) for p in rerun.receipt.problems] == [("row.superseded", 2)]
    assert f"(batch {later['batch_id']})" in rerun.receipt.problems[0].message_en
    stored = records(database_url, "contact")[old[0][0]]
    assert (stored["service_code"], stored["duration_minutes"], stored["batch_id"]) == (
        "legal_consultation", 90, later["batch_id"])
    assert open_quarantine(database_url) == []  # superseded is settled, not a task for the steward
    assert_every_batch_adds_up(database_url)


def test_a_corrected_resend_settles_a_quarantined_row_so_reprocess_has_nothing_to_do(
        hub_root: Path, database_url: str) -> None:
    people = [p[0] for p in person_rows(2)]
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)
    old = contact_rows(2, people)
    old[0][2] = NEW_SERVICE  # not in the hub's catalogue: quarantined
    drop(hub_root, "senas.contact.csv", [CONTACT_HEADER, *old])
    ingest(hub_root)
    assert len(open_quarantine(database_url)) == 1
    drop(hub_root, "naujas.contact.csv", [CONTACT_HEADER, [old[0][0], people[1], "legal_consultation",
                                                          TODAY.isoformat(), "90"]])
    ingest(hub_root)

    assert open_quarantine(database_url) == []
    assert candidates(hub_root) == []


def test_a_batch_with_nothing_to_rerun_is_refused_by_id(hub_root: Path) -> None:
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    ingest(hub_root)
    [loaded] = receipts(hub_root)
    with (open_hub(Workspace(hub_root)) as hub,
          pytest.raises(ReprocessError, match=f"batch {loaded['batch_id']}: nothing to re-run")):
        find_candidates(hub.engine, batch_ids=[loaded["batch_id"]])
    result = runner.invoke(app, ["reprocess", "--workspace", str(hub_root), "--batch", str(loaded["batch_id"])])
    assert result.exit_code == 2 and "nothing to re-run" in result.output


def test_a_file_whose_unknown_columns_were_stripped_reprocesses_from_the_stripped_copy(
        hub_root: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The archive keeps only the columns the hub loads (issue 16 §4); re-running its quarantined
    # rows after a fix must give what re-running the file as sent would have given.
    people = [p[0] for p in person_rows(3)]
    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(3)])
    contacts = contact_rows(8, people)
    contacts[2][2] = NEW_SERVICE
    contacts[5][2] = NEW_SERVICE
    contacts[6][4] = "a while"
    drop(hub_root, "kontaktai.contact.csv", [[*CONTACT_HEADER, "Pastabos"],
                                             *([*row, "Zebediejus Kvarcauskas"] for row in contacts)])
    ingest(hub_root)
    _, first = receipts(hub_root)
    assert counts(first) == {"rows_read": 8, "inserted": 5, "quarantined": 3}
    archived = [p.read_text(encoding="utf-8") for p in (hub_root / "archive" / SPC).iterdir()]
    assert len(archived) == 2 and not [text for text in archived if "Kvarcauskas" in text]

    add_new_service(monkeypatch)
    [rerun] = run_reprocess(hub_root)

    receipt = receipts(hub_root)[-1]
    assert receipt["batch_id"] == rerun.receipt.batch_id
    assert counts(receipt) == {"rows_read": 3, "inserted": 2, "quarantined": 1}
    assert [(code, row) for code, row, _ in problems(receipt)] == [("value.integer", 8)]
    assert records(database_url, "contact")[contacts[2][0]]["row_number"] == 4
    assert open_quarantine(database_url) == [(receipt["batch_id"], 8, "value.integer")]
