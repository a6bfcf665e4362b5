"""Which database a workspace's warehouse is, kept beside `interchange.yaml` so it cannot split in two.

`INTERCHANGE_DATABASE_URL` overrides `database_url`; a shell without the variable would
otherwise open (and create) another, empty warehouse and report "nothing received yet" while
the real one sits elsewhere. So the first use of a workspace records which database it is
(`warehouse.identity`: backend, host, port and database, or the SQLite file; never a user or
password), and a later command that would open a different database, or a recorded SQLite file
that is gone, is refused, naming both. `interchange database use` moves a workspace on
deliberately.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from interchange.errors import InterchangeError
from interchange.warehouse.address import identity, shown
from interchange.workspace.config import sqlite_file

if TYPE_CHECKING:
    from interchange.workspace.layout import Workspace

IDENTITY_FILE = "warehouse.identity"
_HEADER = ("# The database this workspace's warehouse is in (no user, no password).\n"
           "# Commands refuse to open another one; `interchange database use` changes it deliberately.\n")


class DatabaseChanged(InterchangeError):
    """A command would open a database other than the workspace's own, or its SQLite file is gone."""


def workspace_identity(workspace: Workspace) -> str:
    """The identity of the database the workspace's settings name now; a SQLite file inside the
    workspace by its path relative to it, so that a moved or restored workspace keeps its identity."""
    url = workspace.database_url
    file, root = sqlite_file(url), workspace.root.resolve()  # database_url resolves the file's path too
    if file is not None and file.is_relative_to(root):
        return f"sqlite:///{file.relative_to(root).as_posix()}"
    return identity(url)


def recorded_identity(workspace: Workspace) -> str | None:
    """The identity in the workspace's record, or None when it has none yet."""
    path = workspace.root / IDENTITY_FILE
    if not path.is_file():
        return None
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return next((line for line in lines if line and not line.startswith("#")), None)


def record_database(workspace: Workspace) -> str:
    """Make the database the settings name now the workspace's own; its URL as a person may read it."""
    (workspace.root / IDENTITY_FILE).write_text(f"{_HEADER}{workspace_identity(workspace)}\n", encoding="utf-8")
    return shown(workspace.database_url)


def confirm_database(workspace: Workspace) -> str:
    """The workspace's database URL (as a person may read it), after checking it is the one it has always
    used; the first use records it. DatabaseChanged when it is another, or its SQLite file is gone."""
    current = workspace_identity(workspace)
    recorded = recorded_identity(workspace)
    if recorded is None:
        return record_database(workspace)
    where = {"recorded": _readable(recorded, workspace.root), "record": workspace.root / IDENTITY_FILE,
             "root": workspace.root}
    if recorded != current:
        raise DatabaseChanged(key="error.database_switched", current=_readable(current, workspace.root), **where)
    file = sqlite_file(workspace.database_url)
    if file is not None and not file.exists():
        raise DatabaseChanged(key="error.warehouse_missing", **where)
    return shown(workspace.database_url)


def _readable(recorded: str, root: Path) -> str:
    """An identity as a steward compares it: a SQLite file inside the workspace by its full path."""
    relative = recorded.removeprefix("sqlite:///")
    if relative == recorded or relative.startswith("/"):
        return recorded
    return f"sqlite:///{root / relative}"
