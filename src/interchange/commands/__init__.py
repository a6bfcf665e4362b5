"""Command groups of the `interchange` command, one module each, registered by interchange.cli.

Every module here except ``common`` defines ``register(app: typer.Typer) -> None``; adding a
module adds its commands, without touching cli.py.
"""

from __future__ import annotations

import importlib
import pkgutil


def command_groups() -> list[str]:
    """The command-group modules, in name order (so help lists them stably)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "common")


def register_all(app: object) -> None:
    for name in command_groups():
        importlib.import_module(f"{__name__}.{name}").register(app)
