"""Publication storage, diff, approval and export time for a national-scale cell table.

A protected cell table of `--cells` cells (default 50 000; the shipped catalogue's 34 indicators with
their listed breakdowns over 3 months, 60 municipalities, ~300 organisations, sex and age group
come to about 12 000 cells a quarter nationally) is stored as v1, stored again with every
tenth value changed as v2 (with its diff against v1), and v2 is approved: its cells copied
into the ministry tables and exported as CSV, JSON, XLSX, diff and metadata. Computation and
disclosure control are not timed here (benchmarks of their own).

Each step is timed around the library call; peak memory is this process's peak RSS
(`getrusage(RUSAGE_SELF).ru_maxrss`, interpreter and imports included).

    .venv/bin/python benchmarks/publish_throughput.py [--cells 50000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy

from interchange.indicators.cells import ALL, CELL_COLUMNS
from interchange.indicators.outbox import export_version
from interchange.indicators.publications import (
    Span,
    approve_version,
    read_inputs,
    store_publication,
)
from interchange.warehouse.engine import warehouse
from interchange.workspace.init import init_workspace

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PERIOD = Span("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
CONFIG = """\
config_version: 1
organisations:
  - code: kretingos-spc
    name: Kretingos socialinių paslaugų centras
    municipality: LT-22
"""


def cell_table(count: int, *, seed: int, changed_share: float = 0.0) -> pd.DataFrame:
    """`count` protected cells: indicators x municipalities x orgs, counts with a share of small ones."""
    rng = np.random.default_rng(0)
    n = np.arange(count)
    values = rng.integers(0, 400, count).astype("float64")
    if changed_share:
        changed = np.random.default_rng(seed).random(count) < changed_share
        values = np.where(changed, values + 1, values)
    frame = pd.DataFrame({
        "indicator": [f"indicator_{i:02d}" for i in n % 34],
        "period": PERIOD.label,
        "breakdown": "municipality+org",
        "month": ALL,
        "municipality": [f"LT-{m:02d}" for m in (n // 34) % 60],
        "org": [f"org-{o:05d}" for o in n // (34 * 60)],
        "sex": ALL,
        "age_group": ALL,
        "value": values,
        "numerator": values,
        "denominator": np.nan,
        "unit": "persons",
        "sensitivity": "standard",
    }, columns=list(CELL_COLUMNS))
    small = (frame["value"] > 0) & (frame["value"] < 5)
    frame["suppressed"] = small
    frame["reason"] = np.where(small, "primary", "")
    frame["published_value"] = frame["value"].where(~small)
    return frame


def timed(label: str, action) -> object:
    start = time.perf_counter()
    result = action()
    print(f"  {label:<34} {time.perf_counter() - start:8.1f} s")
    return result


def run(backend: str, cells: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "hub"
        schema = None
        if backend == "postgres":
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sqlalchemy.create_engine(POSTGRES_URL)
            with admin.begin() as connection:
                connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
            config = CONFIG + f"database_url: {url}\n"
        else:
            config = CONFIG
        try:
            workspace = init_workspace(root, config_text=config)
            with warehouse(workspace.database_url) as engine:
                print(f"{backend}: {cells} cells")
                first, second = cell_table(cells, seed=1), cell_table(cells, seed=2, changed_share=0.1)
                inputs = read_inputs(engine)

                def store(frame: pd.DataFrame) -> object:
                    return store_publication(engine, PERIOD, frame, inputs=inputs, catalogue_version="bench",
                                             rules={"min_count": 5}, created_by="bench")

                timed("store v1", lambda: store(first))
                v2 = timed("store v2 + diff against v1", lambda: store(second))
                print(f"  {'':<34} ({v2.changed_cells} changed cells)")
                timed("approve v2 (ministry tables)", lambda: approve_version(engine, PERIOD.label, 2, by="bench"))
                files = timed("exports (CSV, XLSX, diff, JSON)",
                              lambda: export_version(engine, workspace, PERIOD.label, 2))
                for path in files:
                    print(f"  {'':<34} {path.name}: {path.stat().st_size / 1e6:.1f} MB")
        finally:
            if schema:
                with admin.begin() as connection:
                    connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=50_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args(argv)
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(backend, args.cells)
    return 0


if __name__ == "__main__":
    sys.exit(main())
