"""`interchange demo`: the README's main command, the Kretinga partners end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interchange.commands.common import flows_module, prepare_prefect


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo's files.")] = Path("demo-workspace"),
    persons: Annotated[int, typer.Option(help="How many persons to generate.")] = 600,
) -> None:
    """Run the end-to-end demo on synthetic Kretinga data (what exists of it so far)."""
    from interchange.demo.run import run_demo

    prepare_prefect()
    # The hub side runs the real ingest flow, as `interchange ingest` does.
    code = run_demo(directory, persons=persons, echo=typer.echo, ingest=flows_module("ingest").run_ingest)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(demo)
