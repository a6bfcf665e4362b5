"""A workspace folder: its config, its folders, and how a command finds it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from interchange.workspace.config import (
    CONFIG_FILE,
    WORKSPACE_ENV,
    ConfigError,
    WorkspaceConfig,
    database_url,
    load_config,
    sqlite_file,
)


@dataclass(frozen=True)
class Workspace:
    root: Path

    @cached_property
    def config(self) -> WorkspaceConfig:
        return load_config(self.root)

    @property
    def database_url(self) -> str:
        return database_url(self.config, self.root)

    def inbox(self, org: str) -> Path:
        return self.root / "inbox" / org

    def receipts(self, org: str) -> Path:
        return self.root / "receipts" / org

    def archive(self, org: str) -> Path:
        return self.root / "archive" / org

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    @property
    def locks(self) -> Path:
        return self.root / ".locks"

    @property
    def expectations_dir(self) -> Path | None:
        folder = self.config.expectations.directory
        return None if folder is None else (self.root / folder)

    def make_folders(self) -> None:
        for org in self.config.organisations:
            for folder in (self.inbox(org.code), self.receipts(org.code), self.archive(org.code)):
                folder.mkdir(parents=True, exist_ok=True)
        self.outbox.mkdir(exist_ok=True)
        self.locks.mkdir(exist_ok=True)
        database = sqlite_file(self.database_url)
        if database is not None and database.is_relative_to(self.root.resolve()):
            database.parent.mkdir(parents=True, exist_ok=True)  # sqlite:///data/hub.sqlite needs data/


def find_workspace(option: Path | None = None) -> Workspace:
    """`--workspace DIR`, else $INTERCHANGE_WORKSPACE, else the current folder."""
    chosen = option or (Path(os.environ[WORKSPACE_ENV]) if os.environ.get(WORKSPACE_ENV) else Path.cwd())
    root = chosen.resolve()
    if not (root / CONFIG_FILE).is_file():
        raise ConfigError(key="error.workspace_missing", root=root, config_file=CONFIG_FILE, env=WORKSPACE_ENV)
    return Workspace(root)
