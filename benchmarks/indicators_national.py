"""The whole indicator catalogue over a national-scale warehouse: time and peak memory.

Builds (once; ``--rebuild`` to redo) a SQLite warehouse shaped like all of Lithuania in a
year: ``--persons`` (1,000,000) persons in 60 municipalities with 4 organisations each,
a fifth of them known to a second organisation (so ~1.2M person records, linked: the
benchmark writes person_links / household_links itself, as a linkage run would),
``--contacts`` (10,000,000) contacts in 2025, 100,000 group sessions with 3-8 registered
attendees, 300,000 cases and 100,000 households (40 % at social risk). Rows are written
straight into the warehouse tables (the ingest path has its own benchmark).

With ``--backend postgres`` the SQLite warehouse is copied (once; again after ``--rebuild``)
into the schema ``--schema`` (interchange_bench) of the local PostgreSQL database ``test``
(INTERCHANGE_BENCH_POSTGRES names another): a schema of its own, as the test suite shares that
database.

Then, in a fresh process, runs ``compute_indicators`` for the period 2025 and prints the
wall and CPU time (reading the warehouse + DuckDB work) of each stage and in all, the number of cells and the peak
RSS of that process, and the ratio to issue 18's target (<= 60 s wall, <= 2 GiB); then the
time of disclosure control (``protect``) on those cells.

    .venv/bin/python benchmarks/indicators_national.py [--persons 1000000] [--contacts 10000000]
        [--db /tmp/interchange-national.sqlite] [--rebuild] [--period 2025] [--memory-limit 1.5GB]
        [--backend sqlite|postgres] [--schema interchange_bench] [--cells FILE]

``--cells FILE`` writes the cells to FILE (Parquet) the first time and, when FILE exists,
compares the new cells with it and prints whether they are identical to the last bit: a
change to compute_indicators is checked on the national year, before against after.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from interchange.contract.codes import CaseType
from interchange.contract.services import SERVICES, Mode

MUNICIPALITIES = 60
ORGS_PER_MUNICIPALITY = 4
YEAR_START = date(2025, 1, 1)
TARGET_S = 60.0
TARGET_MIB = 2048


def build(db: Path, persons: int, contacts: int, seed: int = 1, sessions: int = 100_000, cases: int = 300_000) -> None:
    from interchange.warehouse.engine import warehouse

    db.unlink(missing_ok=True)
    with warehouse(f"sqlite:///{db}"):  # the schema, by the real migrations
        pass
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    now = datetime.now(UTC).isoformat(sep=" ")
    con.execute("INSERT INTO batches (batch_id, org, kind, source, sha256, status, received_at, receipt_written) "
                "VALUES (1, 'bench', 'person', 'inbox', ?, 'loaded', ?, 1)", ("0" * 64, now))
    con.execute("INSERT INTO linkage_runs (run_id, started_at, scorer, upper, lower) VALUES (1, ?, 'bench', 0.95, 0.5)",
                (now,))
    n_orgs = MUNICIPALITIES * ORGS_PER_MUNICIPALITY
    orgs = [f"m{m:02d}-org{k}" for m in range(MUNICIPALITIES) for k in range(ORGS_PER_MUNICIPALITY)]

    # households: at one organisation each
    n_households = max(persons // 10, 1)
    h_org = rng.integers(0, n_orgs, n_households)
    h_risk = rng.random(n_households) < 0.4
    h_from = [(YEAR_START - timedelta(days=int(d))).isoformat() for d in rng.integers(-300, 700, n_households)]
    con.executemany(
        "INSERT INTO household_records (org, record_id, deleted, household_pseudonym, municipality, social_risk_from, "
        "social_risk_to, children_count, version, content_hash, batch_id, row_number) "
        "VALUES (?, ?, 0, ?, ?, ?, NULL, ?, 1, 'x', 1, 1)",
        ((orgs[o], f"H{i}", f"{i:064x}", f"LT-{o // ORGS_PER_MUNICIPALITY + 1:02d}", h_from[i] if h_risk[i] else None,
          int(c)) for i, (o, c) in enumerate(zip(h_org, rng.integers(0, 5, n_households), strict=True))))
    con.executemany("INSERT INTO household_keys (household_key, created_at, created_by_run) VALUES (?, ?, 1)",
                    ((f"h-{i:016x}", now) for i in range(n_households)))
    con.executemany("INSERT INTO household_links (org, record_id, household_key, linked_at, run_id) "
                    "VALUES (?, ?, ?, ?, 1)",
                    ((orgs[o], f"H{i}", f"h-{i:016x}", now) for i, o in enumerate(h_org)))
    households_of_org: dict[int, np.ndarray] = {}
    order = np.argsort(h_org, kind="stable")
    bounds = np.searchsorted(h_org[order], np.arange(n_orgs + 1))
    for o in range(n_orgs):
        households_of_org[o] = order[bounds[o]:bounds[o + 1]]

    # person records: one per person, a fifth with a second record at another organisation
    municipality = rng.integers(0, MUNICIPALITIES, persons)
    first_org = municipality * ORGS_PER_MUNICIPALITY + rng.integers(0, ORGS_PER_MUNICIPALITY, persons)
    second = rng.random(persons) < 0.2
    second_org = municipality * ORGS_PER_MUNICIPALITY + (first_org + 1) % ORGS_PER_MUNICIPALITY
    rec_person = np.concatenate([np.arange(persons), np.flatnonzero(second)])
    rec_org = np.concatenate([first_org, second_org[second]])
    n_records = len(rec_person)
    birth = rng.integers(1930, 2025, persons)
    sex = np.where(rng.random(persons) < 0.52, "female", "male")
    consent = rng.random(persons) < 0.97
    dv = rng.random(persons) < 0.03
    with_household = rng.random(n_records) < 0.3

    def household_of(r: int) -> str | None:
        pool = households_of_org[int(rec_org[r])]
        if not with_household[r] or len(pool) == 0:
            return None
        return f"H{int(pool[r % len(pool)])}"

    con.executemany(
        "INSERT INTO person_records (org, record_id, deleted, person_pseudonym, birth_year, sex, municipality, "
        "household_record_id, dv_victim, social_risk_family, disability, addiction, consent_reporting, version, "
        "content_hash, batch_id, row_number) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, 1, 'x', 1, 1)",
        ((orgs[int(rec_org[r])], f"P{r}", f"{int(p):064x}", int(birth[p]), str(sex[p]),
          f"LT-{int(municipality[p]) + 1:02d}", household_of(r), bool(dv[p]), bool(consent[p]))
         for r, p in enumerate(rec_person)))
    con.executemany("INSERT INTO person_keys (person_key, created_at, created_by_run) VALUES (?, ?, 1)",
                    ((f"p-{p:016x}", now) for p in range(persons)))
    con.executemany("INSERT INTO person_links (org, record_id, person_key, linked_at, run_id) VALUES (?, ?, ?, ?, 1)",
                    ((orgs[int(rec_org[r])], f"P{r}", f"p-{int(p):016x}", now) for r, p in enumerate(rec_person)))
    con.commit()

    individual = [s.code for s in SERVICES if s.mode in (Mode.INDIVIDUAL, Mode.EITHER)]
    group = [s.code for s in SERVICES if s.mode in (Mode.GROUP, Mode.EITHER)]
    chunk = 1_000_000
    for start in range(0, contacts, chunk):
        size = min(chunk, contacts - start)
        rec = rng.integers(0, n_records, size)
        service = rng.integers(0, len(individual), size)
        day = rng.integers(0, 365, size)
        minutes = rng.integers(15, 120, size)
        con.executemany(
            "INSERT INTO contact_records (org, record_id, deleted, person_record_id, service_code, contact_date, "
            "duration_minutes, version, content_hash, batch_id, row_number) VALUES (?, ?, 0, ?, ?, ?, ?, 1, 'x', 1, 1)",
            ((orgs[int(rec_org[r])], f"K{start + i}", f"P{int(r)}", individual[int(s)],
              (YEAR_START + timedelta(days=int(d))).isoformat(), int(m))
             for i, (r, s, d, m) in enumerate(zip(rec, service, day, minutes, strict=True))))
        con.commit()

    records_of_org: dict[int, np.ndarray] = {}
    order = np.argsort(rec_org, kind="stable")
    bounds = np.searchsorted(rec_org[order], np.arange(n_orgs + 1))
    for o in range(n_orgs):
        records_of_org[o] = order[bounds[o]:bounds[o + 1]]

    def group_sessions() -> Iterator[tuple]:
        for i in range(sessions):
            o = int(rng.integers(0, n_orgs))
            pool = records_of_org[o]
            attendees = rng.choice(pool, size=min(int(rng.integers(3, 9)), len(pool)), replace=False)
            yield (orgs[o], f"G{i}", group[i % len(group)], (YEAR_START + timedelta(days=i % 365)).isoformat(), 90,
                   "[" + ",".join(f'"P{int(a)}"' for a in attendees) + "]", int(i % 3))

    con.executemany(
        "INSERT INTO group_session_records (org, record_id, deleted, service_code, session_date, duration_minutes, "
        "attendee_record_ids, unregistered_attendees, version, content_hash, batch_id, row_number) "
        "VALUES (?, ?, 0, ?, ?, ?, ?, ?, 1, 'x', 1, 1)", group_sessions())

    case_types = [str(t) for t in CaseType]
    n_cases = cases
    rec = rng.integers(0, n_records, n_cases)
    opened = rng.integers(-365, 365, n_cases)
    length = rng.integers(7, 400, n_cases)
    closed = rng.random(n_cases) < 0.5
    con.executemany(
        "INSERT INTO case_records (org, record_id, deleted, case_type, person_record_id, household_record_id, opened, "
        "closed, repeat_victimisation, children_in_family, version, content_hash, batch_id, row_number) "
        "VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, 1, 'x', 1, 1)",
        ((orgs[int(rec_org[r])], f"C{i}", case_types[i % len(case_types)], f"P{int(r)}", household_of(int(r)),
          (YEAR_START + timedelta(days=int(o))).isoformat(),
          (YEAR_START + timedelta(days=int(o + n))).isoformat() if c and o + n < 330 else None,
          bool(i % 3 == 0), int(i % 4))
         for i, (r, o, n, c) in enumerate(zip(rec, opened, length, closed, strict=True))))
    con.commit()
    con.close()
    _finish_linkage_run(db, now)


def _finish_linkage_run(db: Path, now: str) -> None:
    """Mark the benchmark's linkage run finished with the digest of the links it wrote, as link_persons does."""
    from sqlalchemy import update

    from interchange.linkage.store import index_digest_of
    from interchange.warehouse.engine import warehouse
    from interchange.warehouse.tables import linkage_runs

    with warehouse(f"sqlite:///{db}", upgrade=False) as engine, engine.begin() as connection:
        connection.execute(update(linkage_runs).where(linkage_runs.c.run_id == 1).values(
            finished_at=datetime.fromisoformat(now), index_sha256=index_digest_of(connection)))


_COPIED = ("batches", "linkage_runs", "household_keys", "household_records", "household_links", "person_records",
           "person_keys", "person_links", "contact_records", "group_session_records", "case_records")


def copy_to_postgres(db: Path, url: str) -> None:
    """The warehouse of SQLite file `db` into the (migrated, emptied) PostgreSQL warehouse at `url`.

    Each table travels as Arrow batches (the SQLite reader of interchange.warehouse.arrow_reader,
    every column as text) into a staging table by ADBC's bulk ingest (COPY), then into the real
    table with PostgreSQL's casts.
    """
    import adbc_driver_postgresql.dbapi
    from sqlalchemy import Text, cast, select, text

    from interchange.warehouse.arrow_reader import arrow_reader, arrow_uri
    from interchange.warehouse.engine import warehouse
    from interchange.warehouse.tables import metadata

    with warehouse(url) as target, warehouse(f"sqlite:///{db}") as source:  # either may be older
        with target.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(_COPIED)} CASCADE"))
        with arrow_reader(source) as reader, adbc_driver_postgresql.dbapi.connect(arrow_uri(target.url)) as pg:
            for name in _COPIED:
                table = metadata.tables[name]
                columns = [c.name for c in table.columns]
                batches = reader.read(name, select(*(cast(table.c[c], Text).label(c) for c in columns)),
                                      dict.fromkeys(columns, "text"))
                with pg.cursor() as cursor:
                    cursor.adbc_ingest(f"staging_{name}", batches, mode="replace")
                    casts = ", ".join(f"CAST({c} AS {table.c[c].type.compile(dialect=target.dialect)})"
                                      for c in columns)
                    cursor.execute(f"INSERT INTO {name} ({', '.join(columns)}) SELECT {casts} FROM staging_{name}")
                    cursor.execute(f"DROP TABLE staging_{name}")
                pg.commit()
            with pg.cursor() as cursor:
                cursor.execute("ANALYZE")
            pg.commit()


def postgres_url(schema: str) -> str:
    """The benchmark's PostgreSQL warehouse: a schema of its own in INTERCHANGE_BENCH_POSTGRES's database
    (default: the local `test` database, which the test suite shares: hence the schema)."""
    import os

    import sqlalchemy

    base = os.environ.get("INTERCHANGE_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    admin = sqlalchemy.create_engine(base)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    return f"{base}?options=-csearch_path%3D{schema}"


def compare_cells(cells: pd.DataFrame, path: Path) -> None:
    """Write `cells` to `path`, or (when it exists) print whether they equal the cells saved there, bit for bit."""
    if not path.exists():
        cells.to_parquet(path, index=False)
        print(f"  cells written to {path}")
        return
    saved = pd.read_parquet(path)
    for column in cells.columns:  # Parquet gives text back as strings; the cells hold Python objects
        if cells[column].dtype == object:
            saved[column] = saved[column].astype(object)
    try:
        pd.testing.assert_frame_equal(cells.reset_index(drop=True), saved, check_exact=True)
    except AssertionError as difference:
        print(f"  cells DIFFER from {path}: {difference}")
        return
    print(f"  cells identical to {path} ({len(saved)} cells, every value to the last bit)")


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def compute(url: str, period: str, memory_limit: str, cells_file: Path | None = None) -> None:
    import logging

    stages = logging.getLogger("interchange.indicators.stages")  # each stage's wall and CPU time
    stages.setLevel(logging.DEBUG)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    stages.addHandler(handler)
    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.compute import compute_indicators
    from interchange.indicators.periods import parse_period
    from interchange.warehouse.engine import warehouse
    from interchange.warehouse.sqlite_reading import stop_idle

    catalogue = load_catalogue()
    with warehouse(url, upgrade=False) as engine:
        started, cpu_started = time.perf_counter(), _cpu()
        cells = compute_indicators(engine, catalogue, parse_period(period), memory_limit=memory_limit)
        elapsed = time.perf_counter() - started
        stop_idle()  # SQLite's reading process: its CPU counts once it has been waited for
        cpu = _cpu() - cpu_started
    peak_mib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    total = cells[cells["breakdown"] == "total"].set_index("indicator")["value"]
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(f"compute_indicators({period!r}, memory_limit={memory_limit!r}) on {backend}: {elapsed:.1f} s wall, "
          f"{cpu:.1f} s CPU (all threads and the SQLite reading process), {len(cells)} cells, {total.size} indicators, "
          f"peak RSS {peak_mib:.0f} MiB")
    # Issue 18's target for the national year: <= 60 s wall and <= 2 GiB (2048 MiB) peak.
    print(f"  target: wall {elapsed:.1f} / {TARGET_S:.0f} s = {elapsed / TARGET_S:.2f}x "
          f"({'met' if elapsed <= TARGET_S else 'NOT met'}), peak {peak_mib:.0f} / {TARGET_MIB} MiB = "
          f"{peak_mib / TARGET_MIB:.2f}x ({'met' if peak_mib <= TARGET_MIB else 'NOT met'})")
    print(f"  persons_served {total['persons_served']:.0f}, multi_org_persons {total['multi_org_persons']:.0f}, "
          f"supervised_families {total['supervised_families']:.0f}")
    if cells_file is not None:
        compare_cells(cells, cells_file)
    # What publish does next: disclosure control on these cells (its own benchmark: disclosure.py).
    from interchange.indicators.disclosure import protect

    started, cpu_started = time.perf_counter(), time.process_time()
    present = set(cells["indicator"])
    linked = [(i.code, part) for i in catalogue.indicators if i.unit == "ratio" and i.code in present
              for part in (i.numerator, i.denominator) if part in present]  # as publish() links them
    protected = protect(cells, linked_indicators=linked)
    print(f"protect(): {time.perf_counter() - started:.1f} s wall, {time.process_time() - cpu_started:.1f} s CPU, "
          f"{int(protected['suppressed'].sum())} of {len(protected)} cells suppressed, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/interchange-national.sqlite"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--period", default="2025")
    parser.add_argument("--memory-limit", default="1.5GB", help="DuckDB's memory limit (compute_indicators)")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: copy the SQLite warehouse into the schema --schema (once; --rebuild "
                             "to redo) and compute there")
    parser.add_argument("--schema", default="interchange_bench", help="the PostgreSQL schema (--backend postgres)")
    parser.add_argument("--cells", type=Path, metavar="FILE",
                        help="write the cells to FILE (Parquet); when it exists, compare the new cells with it")
    parser.add_argument("--compute-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compute_only:
        compute(args.compute_only, args.period, args.memory_limit, args.cells)
        return
    rebuilt = args.rebuild or not args.db.exists()
    if rebuilt:
        started = time.perf_counter()
        build(args.db, args.persons, args.contacts)
        print(f"built {args.db} ({args.persons} persons, {args.contacts} contacts) in "
              f"{time.perf_counter() - started:.0f} s")
    url = f"sqlite:///{args.db}"
    if args.backend == "postgres":
        url = postgres_url(args.schema)
        if rebuilt or not _copied(url):
            started = time.perf_counter()
            copy_to_postgres(args.db, url)
            print(f"copied {args.db} into PostgreSQL schema {args.schema} in {time.perf_counter() - started:.0f} s")
    # A fresh process, so the peak memory is the computation's own.
    subprocess.run([sys.executable, __file__, "--compute-only", url, "--period", args.period,
                    "--memory-limit", args.memory_limit, *(["--cells", str(args.cells)] if args.cells else [])],
                   check=True)


def _copied(url: str) -> bool:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            if connection.execute(sqlalchemy.text("SELECT to_regclass('contact_records')")).scalar() is None:
                return False
            return bool(connection.execute(sqlalchemy.text("SELECT EXISTS (SELECT 1 FROM contact_records)")).scalar())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
