"""Receipts: what a partner reads after every drop, in JSON and in Lithuanian and English."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from interchange.contract.problems import error
from interchange.contract.receipt import BatchStatus, Counts, ExpectationEntry, ProblemEntry, Receipt
from interchange.ingest.receipts import render_receipt, write_receipt

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "receipt.schema.json").read_text(encoding="utf-8"))


def _receipt(**changes: object) -> Receipt:
    values = {
        "batch_id": 7, "org": "kretingos-spc", "kind": "contact", "source": "inbox",
        "file_name": "kretingos-spc.contact.csv", "sha256": "ab" * 32, "size_bytes": 1234,
        "received_at": datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        "processed_at": datetime(2026, 11, 2, 9, 31, tzinfo=UTC),
        "status": BatchStatus.LOADED, "held": False,
        "counts": Counts(rows_read=5, inserted=3, unchanged=1, quarantined=1),
        "problems": [ProblemEntry(**error("value.date", row=4, column="data", record_id="K-3").as_dict())],
        "expectations": [ExpectationEntry(
            code="batch.supervision_visits_per_week", severity="warning", success=False, column="visits",
            element_count=4, unexpected_count=1, unexpected_rows=[2], message_lt="Per daug vizitų.",
            message_en="Too many visits.")],
    }
    return Receipt(**{**values, **changes})


def test_written_receipt_matches_its_published_schema(tmp_path: Path) -> None:
    path = write_receipt(tmp_path, _receipt())
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)
    assert path.with_suffix(".txt").is_file()


def test_counts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValidationError, match="rows accounted for"):
        Counts(rows_read=5, inserted=3)


def test_text_receipt_names_row_column_and_code_in_both_languages() -> None:
    receipt = _receipt()
    lithuanian, english = render_receipt(receipt, "lt"), render_receipt(receipt, "en")
    assert "eilutė 4, stulpelis 'data', record_id K-3" in lithuanian
    assert "Turi būti data formatu MMMM-MM-DD." in lithuanian
    assert "row 4, column 'data', record_id K-3" in english
    assert "[warning] batch.supervision_visits_per_week: Too many visits." in english
    assert "Perskaityta eilučių: 5" in lithuanian and "Rejected rows: 1" in english


def test_held_receipt_says_nothing_was_loaded() -> None:
    receipt = _receipt(status=BatchStatus.HELD, held=True, counts=Counts(rows_read=5, quarantined=1, held=4))
    assert "SULAIKYTA: niekas neįkelta" in render_receipt(receipt, "lt")
    assert "HELD: nothing was loaded" in render_receipt(receipt, "en")


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\evil.csv", "a/b/../c.csv", "....", "čia ir ten.csv"])
def test_receipt_files_stay_in_the_receipts_folder_whatever_the_drop_was_called(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "receipts" / "kretingos-spc"
    path = write_receipt(folder, _receipt(file_name=name))
    assert path.parent == folder
    assert sorted(p.parent for p in tmp_path.rglob("*.json")) == [folder]
