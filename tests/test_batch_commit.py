"""A batch is committed once: a second committer (a misconfigured lock, a stray retry) changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy
from conftest import warehouse_state, write_csv
from sqlalchemy import func, select

from interchange.ingest import batches as batches_module
from interchange.ingest.drops import process_batch
from interchange.ingest.run import ingest_workspace, open_hub
from interchange.warehouse.tables import batches, quarantine
from interchange.workspace.layout import Workspace


def test_processing_a_batch_that_is_already_loaded_changes_nothing(hub_root: Path) -> None:
    write_csv(hub_root / "inbox/kretingos-spc/kretingos-spc.person.csv",
              [["record_id", "birth_year", "sex"], ["p1", "1980", "moteris"], ["p2", "1990", "vyras"]])
    summary = ingest_workspace(Workspace(hub_root))
    [receipt] = summary.receipts
    before = warehouse_state(os.environ["INTERCHANGE_DATABASE_URL"])
    with open_hub(Workspace(hub_root)) as hub:
        process_batch(hub, receipt.batch_id)
        with hub.engine.connect() as connection:
            row = connection.execute(select(batches).where(batches.c.batch_id == receipt.batch_id)).one()
    # The batch still says what its one real commit did, not what a replay would have found.
    assert (row.status, row.rows_inserted, row.rows_unchanged) == ("loaded", 2, 0)
    after = warehouse_state(os.environ["INTERCHANGE_DATABASE_URL"])
    assert after == before
    assert len(after["versions"]) == 2


def test_a_file_of_bad_rows_gets_a_readable_receipt_and_quarantine_keeps_every_problem(
        hub_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batches_module, "MAX_LISTED_PROBLEMS", 5)
    rows = [["record_id", "birth_year", "sex"], ["p0", "1980", "moteris"]]
    rows += [[f"p{n}", "sixty", "moteris"] for n in range(1, 13)]
    rows += [[f"q{n}", "1980", "kitas"] for n in range(1, 4)]
    write_csv(hub_root / "inbox/kretingos-spc/kretingos-spc.person.csv", rows)

    [receipt] = ingest_workspace(Workspace(hub_root)).receipts

    assert receipt.counts.quarantined == 15 and receipt.counts.inserted == 1
    assert [p.row for p in receipt.problems] == [3, 4, 5, 6, 7]
    assert receipt.problems_total == 15
    assert [(s.code, s.count, s.first_row) for s in receipt.problem_summary] == [
        ("value.integer", 12, 3), ("value.choice", 3, 15)]
    engine = sqlalchemy.create_engine(os.environ["INTERCHANGE_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(quarantine))
    finally:
        engine.dispose()
    assert stored == 15
    text = (hub_root / "receipts/kretingos-spc").glob("*.txt")
    english = next(text).read_text(encoding="utf-8")
    assert "value.integer (error) × 12 (first row 3)" in english


def test_a_file_whose_every_row_is_bad_is_rejected_not_loaded(hub_root: Path) -> None:
    write_csv(hub_root / "inbox/kretingos-spc/kretingos-spc.person.csv",
              [["record_id", "birth_year", "sex"], ["p1", "sixty", "moteris"], ["p2", "1980", "kitas"]])

    [receipt] = ingest_workspace(Workspace(hub_root)).receipts

    assert receipt.status.value == "rejected"
    assert (receipt.counts.rows_read, receipt.counts.quarantined, receipt.counts.loaded) == (2, 2, 0)
