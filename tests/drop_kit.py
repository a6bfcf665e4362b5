"""Partner drops for inbox-ingestion tests, and what the hub made of them (warehouse, receipts)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from conftest import write_csv

from interchange import clock
from interchange.contract.receipt import Receipt
from interchange.ingest.run import IngestSummary, ingest_workspace
from interchange.warehouse.history import version_history
from interchange.warehouse.tables import RECORD_TABLES, batches, quarantine
from interchange.workspace.layout import Workspace

SPC = "kretingos-spc"
MIMC = "kretingos-mimc"
TODAY = clock.today()
PERSON_HEADER = ["record_id", "person_pseudonym", "birth_year", "sex", "municipality"]
CONTACT_HEADER = ["record_id", "person_record_id", "service_code", "contact_date", "duration_minutes"]

# A child process that runs one ingest over the workspace given as argv[1], as the CLI would.
CHILD = (
    "import sys; from pathlib import Path; "
    "from interchange.ingest.run import ingest_workspace; from interchange.workspace.layout import Workspace; "
    "summary = ingest_workspace(Workspace(Path(sys.argv[1]))); "
    "sys.exit(3 if summary.failures else 0)"
)


def pseudonym(seed: object) -> str:
    return hashlib.sha256(f"pseudonym-{seed}".encode()).hexdigest()


def person_rows(count: int, *, start: int = 0, prefix: str = "P", year_shift: int = 0) -> list[list[str]]:
    """Valid person rows (no header): ids P000000.., a pseudonym each, birth years 1940-1999."""
    return [[f"{prefix}{n:06d}", pseudonym(f"{prefix}{n}"), str(1940 + (n + year_shift) % 60),
             ("moteris", "vyras")[n % 2], "LT-22"] for n in range(start, start + count)]


def contact_rows(count: int, person_ids: list[str], *, prefix: str = "K") -> list[list[str]]:
    """Valid contacts (no header) dated within the last 100 days, spread over `person_ids`."""
    services = ("legal_consultation", "psychotherapist_adult", "addiction_counsellor")
    return [[f"{prefix}{n:06d}", person_ids[n % len(person_ids)], services[n % 3],
             (TODAY - timedelta(days=1 + n % 100)).isoformat(), str((30, 45, 60)[n % 3])]
            for n in range(count)]


def drop(root: Path, name: str, rows: list[list[str]], *, org: str = SPC, encoding: str = "utf-8",
         delimiter: str = ",") -> Path:
    """Write a CSV drop straight into `inbox/<org>/`."""
    folder = root / "inbox" / org
    folder.mkdir(parents=True, exist_ok=True)
    return write_csv(folder / name, rows, encoding=encoding, delimiter=delimiter)


def ingest(root: Path, *, today: date = TODAY) -> IngestSummary:
    """One ingest of every source; no source may fail as a whole."""
    summary = ingest_workspace(Workspace(root), today=today)
    assert summary.failures == {}
    return summary


def steward_scene(root: Path) -> None:
    """Two things for a steward: SPC persons loaded with one bad row (quarantined); MIMC
    contacts of persons it never sent (the batch is held)."""
    rows = person_rows(3)
    rows[1][2] = "19x0"
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *rows])
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(4, ["M1", "M2"])], org=MIMC)
    ingest(root)


def run_child(root: Path, *, failpoint: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """An ingest in a fresh process (database URL from the environment, as in production)."""
    env = {k: v for k, v in os.environ.items() if k != "INTERCHANGE_FAILPOINT"}
    if failpoint is not None:
        env["INTERCHANGE_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, "-c", CHILD, str(root)], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def start_child(root: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "INTERCHANGE_FAILPOINT"}
    return subprocess.Popen([sys.executable, "-c", CHILD, str(root)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# --- receipts --------------------------------------------------------------------------------


def receipts(root: Path, org: str = SPC) -> list[dict[str, Any]]:
    """Every JSON receipt in `receipts/<org>/`, oldest batch first, each checked as a partner reads it.

    Checked: the receipt model accepts it (so its counts add up), the counts add up again here,
    and the text receipt beside it is there in Lithuanian and English.
    """
    folder = root / "receipts" / org
    found = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        Receipt.model_validate(data)
        counts = data["counts"]
        assert counts["rows_read"] == sum(counts[k] for k in (
            "inserted", "updated", "deleted", "unchanged", "quarantined", "held")), counts
        text = path.with_suffix(".txt").read_text(encoding="utf-8")
        assert "KVITAS" in text and "RECEIPT" in text
        assert f"-b{data['batch_id']:06d}-" in path.name
        found.append(data)
    return sorted(found, key=lambda r: r["batch_id"])


def only_receipt(root: Path, org: str = SPC) -> dict[str, Any]:
    [receipt] = receipts(root, org)
    return receipt


def counts(receipt: dict[str, Any]) -> dict[str, int]:
    """The non-zero counts of a receipt (rows_read always)."""
    return {k: v for k, v in receipt["counts"].items() if v or k == "rows_read"}


def problems(receipt: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    return [(p["code"], p["row"], p["column"]) for p in receipt["problems"]]


def failed_expectations(receipt: dict[str, Any]) -> dict[str, tuple[str, list[int]]]:
    return {e["code"]: (e["severity"], e["unexpected_rows"]) for e in receipt["expectations"] if not e["success"]}


def receipt_summary(root: Path, orgs: Iterable[str] = (SPC, MIMC)) -> list[tuple]:
    """What a partner learns from the receipts, without batch ids and times: to compare two runs."""
    found = []
    for org in orgs:
        for r in receipts(root, org):
            found.append((org, r["file_name"], r["kind"], r["status"], tuple(sorted(r["counts"].items())),
                          tuple((p["code"], p["row"], p["column"], p["record_id"]) for p in r["problems"]),
                          tuple((e["code"], e["success"], e["unexpected_count"]) for e in r["expectations"])))
    return sorted(found)


# --- warehouse -------------------------------------------------------------------------------


def _query(url: str, statement: Any) -> list[dict[str, Any]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(statement)]
    finally:
        engine.dispose()


def records(url: str, kind: str = "person", org: str = SPC) -> dict[str, dict[str, Any]]:
    """record_id -> the stored record of `kind` sent by `org`."""
    table = RECORD_TABLES[kind]
    return {row["record_id"]: row for row in _query(url, sqlalchemy.select(table).where(table.c.org == org))}


def versions(url: str) -> list[dict[str, Any]]:
    """Every version loaded, replaced or current (warehouse/history.py), in key order."""
    history = version_history().subquery()
    return _query(url, sqlalchemy.select(history).order_by(
        history.c.kind, history.c.org, history.c.record_id, history.c.version))


def batch_rows(url: str) -> list[dict[str, Any]]:
    return _query(url, sqlalchemy.select(batches).order_by(batches.c.batch_id))


def quarantine_rows(url: str, batch_id: int) -> list[tuple[int | None, str | None, str, str]]:
    rows = _query(url, sqlalchemy.select(quarantine).where(quarantine.c.batch_id == batch_id)
                  .order_by(quarantine.c.quarantine_id))
    return [(r["row_number"], r["column_name"], r["code"], r["severity"]) for r in rows]


def table_text(url: str, table: Any) -> str:
    """A whole table as text, to search it for values that must never be stored."""
    return json.dumps(_query(url, sqlalchemy.select(table)), default=str, ensure_ascii=False)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def owe_monthly_drops(root: Path) -> None:
    """Both partners owe a drop each month by the 5th."""
    path = root / "interchange.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "        settle_seconds: 0\n", "        settle_seconds: 0\n        expected_drop: {every: month, by_day: 5}\n")
    path.write_text(text, encoding="utf-8")
