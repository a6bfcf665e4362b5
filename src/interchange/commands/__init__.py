"""Command groups of the `interchange` command, one module each, registered by interchange.cli.

A module listed in COMMAND_GROUPS defines ``register(app: typer.Typer) -> None``.
"""

COMMAND_GROUPS: tuple[str, ...] = ()
