"""`interchange database use`: move a workspace to another warehouse database, deliberately.

Every other command refuses a database the workspace has not recorded (interchange.workspace.database);
this one opens (and, if new, makes) the database the settings name now and records it.
"""

from __future__ import annotations

import typer

from interchange.commands.common import StewardLangOption, WorkspaceOption, exit_on, steward_lang

database_app = typer.Typer(help="The workspace's warehouse database.", no_args_is_help=True)


@database_app.command("use")
def use(workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """Make the database that INTERCHANGE_DATABASE_URL (else database_url) names this workspace's warehouse.

    It is opened first (made, if it is new, and brought to the newest schema); nothing is copied
    from the previous one. Exit 0: recorded; 1: it cannot be opened; 2: the workspace or its config is wrong.
    """
    from interchange.i18n import say
    from interchange.warehouse.engine import warehouse
    from interchange.workspace import ConfigError, find_workspace
    from interchange.workspace.database import IDENTITY_FILE, record_database

    language = steward_lang(lang)
    with exit_on(language, ConfigError, code=2):
        found = find_workspace(workspace)
        url = found.database_url
    found.make_folders()  # a SQLite file in a folder of its own needs the folder
    with exit_on(language, code=1), warehouse(url):
        pass
    shown = record_database(found)
    typer.echo(say("steward.database_used", language, root=found.root, url=shown, record=found.root / IDENTITY_FILE))


def register(app: typer.Typer) -> None:
    app.add_typer(database_app, name="database")
