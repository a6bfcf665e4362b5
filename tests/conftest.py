import csv
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy

from interchange.partner.keys import PseudonymKey, write_new_key

# Test modules import from the Prefect harness and the web fixtures before pytest loads them as plugins.
pytest.register_assert_rewrite("prefect_harness", "web_fixtures")


@pytest.fixture
def key(tmp_path: Path) -> PseudonymKey:
    return write_new_key(tmp_path / "partner.key")


@pytest.fixture
def key_file(tmp_path: Path, key: PseudonymKey) -> Path:
    return tmp_path / "partner.key"


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


def read_drop(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


# --- hub workspaces on SQLite and on the PostgreSQL at 127.0.0.1:5432 ----------------------

POSTGRES_URL = os.environ.get("INTERCHANGE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HUB_CONFIG = """\
config_version: 1
database_url: sqlite:///warehouse.sqlite
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
      - type: inbox
        settle_seconds: 0
"""


@contextmanager
def empty_warehouse(backend: str, tmp_path: Path, name: str = "warehouse") -> Iterator[str]:
    """The URL of a fresh, empty warehouse: a SQLite file, or a schema of its own on PostgreSQL."""
    if backend.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / f'{name}.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty warehouse on each backend in turn."""
    with empty_warehouse(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def hub_root(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace folder with two inbox partners (no settle time) on the parametrised database.

    The database URL reaches the hub as INTERCHANGE_DATABASE_URL, as in production, so
    subprocesses started by a test use it too.
    """
    from interchange.workspace.init import init_workspace

    root = tmp_path / "hub"
    monkeypatch.setenv("INTERCHANGE_DATABASE_URL", database_url)
    init_workspace(root, config_text=HUB_CONFIG)
    return root


def warehouse_state(url: str) -> dict[str, list[tuple]]:
    """Every record table and the record history, sorted: what a crash-and-rerun must reproduce."""
    from interchange.warehouse.history import version_history
    from interchange.warehouse.tables import RECORD_TABLES

    engine = sqlalchemy.create_engine(url)
    state = {}
    try:
        with engine.connect() as connection:
            for kind, table in RECORD_TABLES.items():
                columns = [c for c in table.columns if c.name != "batch_id"]
                state[kind] = sorted(tuple(row) for row in connection.execute(sqlalchemy.select(*columns)))
            history = version_history().subquery()
            versions = [c for c in history.columns if c.name != "batch_id"]
            state["versions"] = sorted(tuple(r) for r in connection.execute(sqlalchemy.select(*versions)))
    finally:
        engine.dispose()
    return state
