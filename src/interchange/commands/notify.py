"""`interchange notify`: e-mail each partner, once, about its held batches, quarantined rows and overdue drops."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import StewardLangOption, WorkspaceOption, exit_on, open_workspace, steward_lang
from interchange.i18n import say

if TYPE_CHECKING:
    from interchange.operations.notify import NotifyReport


def notify(
    workspace: WorkspaceOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be sent.")] = False,
    lang: StewardLangOption = None,
) -> None:
    """E-mail each organisation what of theirs needs them, each event once (the ingest flow does it after every run).

    Through the SMTP server of `notifications: smtp:` in interchange.yaml (its password from the
    environment variable it names) to each organisation's `contacts:`. Counts and codes only.
    Exit 0: everything found was sent (or nothing to send); 1: a message could not be sent, or an
    organisation has no contacts (what was not sent is tried again next time); 2: the workspace
    or its notifications settings are wrong.
    """
    from interchange.operations.notify import notify_partners
    from interchange.warehouse.engine import warehouse
    from interchange.workspace import ConfigError

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with warehouse(found.database_url) as engine, exit_on(language, ConfigError, code=2):
        report = notify_partners(found, engine, dry_run=dry_run)
    typer.echo(render_notify(report, language))
    raise typer.Exit(0 if report.complete else 1)


def register(app: typer.Typer) -> None:
    app.command()(notify)


def render_notify(report: NotifyReport, lang: str) -> str:
    lines = [] if report.configured else [say("steward.notify_off", lang)]
    lines += [say("steward.notify_sent", lang, org=d.org, recipients=d.recipients, events=d.events())
              for d in report.sent]
    lines += [say("steward.notify_would", lang, org=d.org, events=d.events()) for d in report.pending]
    lines += [say("steward.notify_failed", lang, org=d.org, events=d.events(),
                  reason=d.error.message(lang) if d.error else "?") for d in report.failed]
    lines += [say("steward.notify_no_contact", lang, org=d.org, events=d.events()) for d in report.no_contact]
    if len(lines) == (0 if report.configured else 1):
        lines.append(say("steward.notify_nothing", lang))
    return "\n".join(lines)
