"""What every `interchange` command shares: options, opening the workspace, Prefect set-up.

Command groups live in their own modules under :mod:`interchange.commands` and register
themselves on the one Typer app in :mod:`interchange.cli`.
"""

from __future__ import annotations

import importlib
import os
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.workspace.layout import Workspace


class Lang(StrEnum):
    LT = "lt"
    EN = "en"
    BOTH = "both"


LangOption = Annotated[Lang, typer.Option(help="Language of the messages.")]
WorkspaceOption = Annotated[Path | None, typer.Option(
    "--workspace", "-w", help="The workspace folder; default: $INTERCHANGE_WORKSPACE, else the current folder.")]


def open_warehouse_of(workspace: Workspace) -> Engine:
    from interchange.warehouse.engine import open_warehouse

    return open_warehouse(workspace.database_url)


def login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container: say so rather than guess
        return "unknown"


def open_workspace(option: Path | None) -> Workspace:
    """The workspace with its config checked, before anything starts; exit 2 with the reason otherwise."""
    from interchange.workspace import ConfigError, find_workspace

    try:
        workspace = find_workspace(option)
        _ = workspace.config  # a wrong key stops the command here, naming the key
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return workspace


def prepare_prefect() -> None:
    """Prefect defaults for a command; a steward's own PREFECT_* settings win.

    No usage telemetry leaves the hub, and the console shows warnings and errors only:
    the summary is printed by the command, and every log line still reaches the Prefect
    API (the UI) at its own level.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        typer.echo("No PREFECT_API_URL: starting a temporary local Prefect server for this run ...", err=True)


def flows_module(name: str) -> ModuleType:
    """`flows.<name>`, imported from the checkout this package runs from.

    flows/ is not part of the installed package: nothing in src/interchange may import
    Prefect (DESIGN.md, Layers), a top-level package named `flows` in site-packages would
    be a name clash waiting to happen, and Prefect deployments name a flow by its path in
    the checkout (flows/ingest.py:ingest). The project is installed editable from that
    checkout, whose root is three folders above this module: it goes on sys.path.
    """
    root = Path(__file__).resolve().parents[3]
    if (root / "flows" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        return importlib.import_module(f"flows.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("flows", f"flows.{name}"):
            raise
        typer.echo(f"flows/{name}.py not found: run interchange from a checkout of the project "
                   f"(pip install -e .).", err=True)
        raise typer.Exit(2) from None
