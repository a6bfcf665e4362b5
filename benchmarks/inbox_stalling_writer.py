"""Issue 16 §2: a partner's export that stalls mid-file while the hub ingests again and again.

Per scenario: a writer process writes the header and half the person rows straight into
`inbox/<org>/`, pauses (longer than settle_seconds), writes the rest and closes; meanwhile the
hub runs `ingest_workspace` every second, and once more after the writer is done. Prints rows
written, records and record versions in the warehouse (each must equal rows written: every row
arrived, exactly once), the batches by status and whether a file was left in the inbox.

    .venv/bin/python benchmarks/inbox_stalling_writer.py                 # the issue's two runs
    .venv/bin/python benchmarks/inbox_stalling_writer.py --rows 600 --stall 2 --settle 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy

from interchange.ingest.run import ingest_workspace
from interchange.warehouse.history import version_history
from interchange.warehouse.tables import RECORD_TABLES, batches
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

ORG = "kretingos-spc"
CONFIG = f"""\
config_version: 1
database_url: sqlite:///warehouse.sqlite
organisations:
  - code: {ORG}
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
    sources:
      - type: inbox
        settle_seconds: {{settle}}
"""
WRITER = """\
import csv, os, sys, time
path, rows, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def row(n):
    return [f"P{n:06d}", format(n, "064x"), str(1940 + n % 60), ("moteris", "vyras")[n % 2], "LT-22"]
with open(path, "w", newline="", encoding="utf-8") as stream:
    writer = csv.writer(stream, lineterminator="\\r\\n")
    writer.writerow(["record_id", "person_pseudonym", "birth_year", "sex", "municipality"])
    for n in range(rows // 2):
        writer.writerow(row(n))
    stream.flush()
    os.fsync(stream.fileno())
    print("paused", flush=True)
    time.sleep(pause)
    for n in range(rows // 2, rows):
        writer.writerow(row(n))
"""
COLUMNS = ("rows written", "stall s", "settle s", "ingest runs", "records", "record versions", "batches",
           "left in inbox", "all arrived once")


def run_scenario(scratch: Path, rows: int, stall: float, settle: float) -> list[object]:
    root = scratch / f"hub-{rows}-{stall}-{settle}"
    init_workspace(root, config_text=CONFIG.format(settle=settle))
    workspace = Workspace(root)
    inbox = workspace.inbox(ORG)
    inbox.mkdir(parents=True, exist_ok=True)
    ingest_workspace(workspace)  # imports and schema first, so the runs below look at the file at once
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(inbox / "asmenys.person.csv"), str(rows),
                               str(stall)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    writer.stdout.readline()
    runs = 0
    while writer.poll() is None:
        ingest_workspace(Workspace(root))
        runs += 1
        time.sleep(1.0)
    time.sleep(settle + 1.0)
    ingest_workspace(Workspace(root))
    runs += 1
    engine = sqlalchemy.create_engine(workspace.database_url)
    with engine.connect() as connection:
        records = connection.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(RECORD_TABLES["person"]))
        history = version_history().subquery()  # every version loaded, replaced or current
        versions = connection.scalar(sqlalchemy.select(sqlalchemy.func.count()).select_from(history))
        statuses = Counter(connection.scalars(sqlalchemy.select(batches.c.status)))
    engine.dispose()
    left = len(os.listdir(inbox))
    shown = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())) or "none"
    return [rows, stall, settle, runs, records, versions, shown, left,
            "yes" if records == versions == rows and left == 0 else "NO"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="one scenario: rows to write")
    parser.add_argument("--stall", type=float, default=25.0, help="seconds the writer pauses mid-file")
    parser.add_argument("--settle", type=float, default=5.0, help="the inbox's settle_seconds")
    args = parser.parse_args()
    scenarios = [(args.rows, args.stall, args.settle)] if args.rows else [(6000, 25.0, 5.0), (7500, 25.0, 0.0)]
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    with tempfile.TemporaryDirectory() as scratch:
        for rows, stall, settle in scenarios:
            cells = run_scenario(Path(scratch), rows, stall, settle)
            print("| " + " | ".join(str(c) for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
