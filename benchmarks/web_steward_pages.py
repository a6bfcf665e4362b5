"""Render times of the steward console's pages on a national-size warehouse.

Builds (once; `--rebuild` to redo) a workspace shaped like all of Lithuania: 60 municipalities with
4 organisations each (240 in interchange.yaml, each owing a monthly drop), the persons, contacts and
person index of `benchmarks/indicators_national.py` (`--persons`, `--contacts`), and the steward's
bookkeeping of a year: a drop of each of 5 kinds per organisation and month (14,400 batches, with
a re-run for every tenth held one), `--held` held batches, `--quarantined` open quarantined rows
(and five times as many closed), `--pairs` open review pairs and as many decided, and two
publication versions (one approved) so that the status page checks their staleness against the
person index. Rows are written straight into the tables (ingest and linkage have their own
benchmarks).

Then times the pages over HTTP as `benchmarks/web_pages.py` does (`interchange serve` in a new
process, one steward session, `--repeat` requests a page): median and slowest per page.

    .venv/bin/python benchmarks/web_steward_pages.py [--dir /tmp/interchange-steward-national]
        [--persons 1000000] [--contacts 10000000] [--rebuild] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from indicators_national import MUNICIPALITIES, ORGS_PER_MUNICIPALITY, build
from web_pages import ensure_steward, page_times

from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS
from interchange.indicators.publications import (
    Span,
    approve_version,
    read_inputs,
    store_publication,
)
from interchange.warehouse.engine import warehouse
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

PAGES = ["/steward/", "/steward/review", "/steward/review/1", "/steward/quarantine", "/steward/batches",
         "/steward/publications", "/steward/publications/2025-Q4", "/steward/charts", "/ministry/"]
KINDS = ("person", "household", "contact", "group_session", "case")
ORGS = [f"m{m:02d}-org{k}" for m in range(MUNICIPALITIES) for k in range(ORGS_PER_MUNICIPALITY)]


def config_text() -> str:
    lines = ["config_version: 1", "database_url: sqlite:///warehouse.sqlite", "organisations:"]
    for index, code in enumerate(ORGS):
        lines += [f"  - code: {code}", f"    name: Organizacija {code}",
                  f"    municipality: LT-{index // ORGS_PER_MUNICIPALITY + 1:02d}",
                  "    sources:", "      - type: inbox", "        expected_drop: {every: month, by_day: 5}"]
    return "\n".join(lines) + "\n"


def bookkeeping(db: Path, *, held: int, quarantined: int, pairs: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    year = date(2025, 1, 1)
    batch_id = 1  # batch 1 is the national build's own
    rows = []
    held_ids = set(rng.choice(len(ORGS) * 12 * len(KINDS), size=held, replace=False).tolist())
    receipt_held = json.dumps({"expectations": [{"code": "batch.contact_person_known", "success": False,
                                                 "severity": "critical"}], "problem_summary": []})
    for n, (org, month, kind) in enumerate((o, m, k) for o in ORGS for m in range(12) for k in KINDS):
        batch_id += 1
        at = datetime(year.year, month + 1, 3, 8, tzinfo=UTC) + timedelta(minutes=int(rng.integers(0, 600)))
        read = int(rng.integers(50, 5000))
        status = "held" if n in held_ids else "loaded"
        rows.append((batch_id, org, kind, "inbox", f"{org}.{kind}.{month:02d}.csv", f"{batch_id:064x}", status,
                     at.isoformat(sep=" "), at.isoformat(sep=" "), read, 0 if status == "held" else read, 0,
                     read if status == "held" else 0, receipt_held if status == "held" else None))
    reruns = []
    for row in rows:  # a re-run of every tenth held batch, still held: the same drop, a later batch
        if row[6] == "held" and row[0] % 10 == 0:
            batch_id += 1
            reruns.append((batch_id, *row[1:]))
    con.executemany(
        "INSERT INTO batches (batch_id, org, kind, source, file_name, sha256, status, received_at, processed_at, "
        "rows_read, rows_inserted, rows_unchanged, rows_quarantined, rows_held, receipt, receipt_written, attempts) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 1, 1)", rows + reruns)
    loaded = [r for r in rows if r[6] == "loaded"]
    codes = ("value.date", "value.integer", "value.code", "row.unknown_person", "value.required")
    entries = []
    for number in range(quarantined * 6):
        head = loaded[int(rng.integers(0, len(loaded)))]
        closed = number >= quarantined
        entries.append((head[0], number + 2, f"R{number}", codes[number % len(codes)], "error", "", "",
                        "2025-12-20 10:00:00" if closed else None, "loaded" if closed else None))
    con.executemany("INSERT INTO quarantine (batch_id, row_number, record_id, code, severity, message_lt, "
                    "message_en, closed_at, closed_how) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", entries)
    agreements = json.dumps({"birth_year": "agree", "sex": "agree", "given_name_bloom": 0.82, "surname_bloom": 0.64,
                             "municipality": "missing"})
    con.executemany(
        "INSERT INTO review_pairs (pair_id, uid_l, uid_r, match_probability, method, agreements, status, decision, "
        "decided_at, decided_by, first_run, last_run) VALUES (?, ?, ?, ?, 'model', ?, ?, ?, ?, ?, 1, 1)",
        ((n + 1, f"{ORGS[n % len(ORGS)]}:P{n}", f"{ORGS[(n + 7) % len(ORGS)]}:P{n + 1_000_000}",
          float(rng.uniform(0.5, 0.95)), agreements, "open" if n < pairs else "decided",
          None if n < pairs else "same", None if n < pairs else "2025-12-01 09:00:00",
          None if n < pairs else "ona.steward") for n in range(2 * pairs)))
    con.executemany("INSERT INTO review_decisions (pair_id, decision, decided_at, decided_by, note) "
                    "VALUES (?, 'same', '2025-12-01 09:00:00', 'ona.steward', 'one birth record')",
                    ((n + 1,) for n in range(pairs, 2 * pairs)))
    con.commit()
    con.close()


def publications(root: Path) -> None:
    """2025-Q3 approved and 2025-Q4 a draft: 2 indicators x 240 organisations x sex."""
    workspace = Workspace(root)
    with warehouse(workspace.database_url) as engine:
        for label, start, end in (("2025-Q3", date(2025, 7, 1), date(2025, 9, 30)),
                                  ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31))):
            cells = []
            for indicator in ("dv_help_persons", "psychologist_child_persons"):
                for org in (ALL, *ORGS):
                    for sex in (ALL, "moteris", "vyras"):
                        value = float((hash((indicator, org, sex)) % 400) + 1)
                        small = value < 5
                        breakdown = "total" if org == ALL and sex == ALL else ("org" if sex == ALL else (
                            "sex" if org == ALL else "org_sex"))
                        cells.append({c: ALL for c in DIMENSIONS} | {
                            "indicator": indicator, "period": label, "breakdown": breakdown, "org": org, "sex": sex,
                            "value": value, "numerator": value, "denominator": float("nan"), "unit": "persons",
                            "sensitivity": "standard", "suppressed": small, "reason": "primary" if small else "",
                            "published_value": float("nan") if small else value})
            frame = pd.DataFrame(cells, columns=[*CELL_COLUMNS, "suppressed", "reason", "published_value"])
            store_publication(engine, Span(label, start, end), frame, inputs=read_inputs(engine),
                              catalogue_version="bench", rules={"min_count": 5, "dv_min_count": 10,
                                                                "consent": "exclude"}, created_by="bench")
        approve_version(engine, "2025-Q3", None, by="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("/tmp/interchange-steward-national"))
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--held", type=int, default=300)
    parser.add_argument("--quarantined", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=5_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = args.dir.resolve()
    if args.rebuild or not (root / "interchange.yaml").exists():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
        started = time.perf_counter()
        init_workspace(root, config_text=config_text())
        build(root / "warehouse.sqlite", args.persons, args.contacts)
        bookkeeping(root / "warehouse.sqlite", held=args.held, quarantined=args.quarantined, pairs=args.pairs)
        publications(root)
        print(f"built {root} in {time.perf_counter() - started:.0f} s")
    ensure_steward(root)
    timings = page_times(root, PAGES, args.repeat)
    for path, seconds in timings.items():
        print(f"  {path:<34} median {statistics.median(seconds) * 1000:8.1f} ms, "
              f"slowest {max(seconds) * 1000:8.1f} ms ({len(seconds)} requests)")


if __name__ == "__main__":
    main()
