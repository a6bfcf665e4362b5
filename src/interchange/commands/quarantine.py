"""`interchange quarantine list | dismiss`: the open quarantined rows, and closing them by hand with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    exit_on,
    login_name,
    open_workspace,
    section_lines,
    short_time,
    steward_lang,
)
from interchange.i18n import say

if TYPE_CHECKING:
    from interchange.ingest.quarantine import ClosedEntry, OpenRow

quarantine_app = typer.Typer(help="Quarantined rows: list the open ones, dismiss them with a reason.",
                             no_args_is_help=True)

OrgOption = Annotated[str | None, typer.Option(help="Only this organisation's rows.")]
BatchOption = Annotated[int | None, typer.Option("--batch", "-b", help="Only this batch's rows.")]


@quarantine_app.command("list")
def quarantine_list(
    org: OrgOption = None,
    batch: BatchOption = None,
    closed: Annotated[bool, typer.Option("--closed", help="Show the closing history instead: how, when, "
                                                          "by which batch or whom, and why.")] = False,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """The open quarantined rows by organisation, batch and row, with their problem codes (never a value).

    A row closes when a later batch of the organisation loads the same record, or with
    `interchange quarantine dismiss`. Exit 0: nothing open; 1: rows are open (as `status`).
    """
    from interchange.ingest.quarantine import closed_quarantine, open_quarantine
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    wanted = org.lower() if org else None
    with warehouse(open_workspace(workspace, language).database_url) as engine:
        if closed:
            typer.echo(render_closed(closed_quarantine(engine, org=wanted, batch_id=batch), language))
            return
        rows = open_quarantine(engine, org=wanted, batch_id=batch)
    typer.echo(render_open(rows, language))
    raise typer.Exit(1 if rows else 0)


@quarantine_app.command("dismiss")
def quarantine_dismiss(
    org: Annotated[str, typer.Option(help="The organisation that sent the batch.")],
    batch: Annotated[int, typer.Option("--batch", "-b", help="The batch (from `interchange quarantine list`).")],
    # Not a required option: its absence is refused in the house's words, not typer's usage box.
    reason: Annotated[str, typer.Option(help="Why the rows need no re-send: kept in the history (no personal "
                                             "data). Required.")] = "",
    row: Annotated[list[int] | None, typer.Option("--row", "-r", help="A row number (repeatable).")] = None,
    code: Annotated[str | None, typer.Option(help="Every open row with this problem code, e.g. value.invalid.")
                    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who dismisses; default: the login name.")] = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Close quarantined rows of one batch by hand: the rows given, or every row with a problem code.

    For rows that will never come again (a record the partner withdrew, a test row).
    Who, when and why are kept; `interchange quarantine list --closed` shows them.
    Exit 0: dismissed; 1: nothing open matched, or the reason or the rows are missing;
    2: the workspace is wrong.
    """
    from interchange.ingest.quarantine import QuarantineError, dismiss
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    with warehouse(open_workspace(workspace, language).database_url) as engine, \
            exit_on(language, QuarantineError, code=1, key="steward.refused"):
        done = dismiss(engine, org.lower(), batch, rows=row or (), code=code, by=by or login_name(), reason=reason)
    typer.echo(say("steward.quarantine_dismissed", language, org=done.org, batch=done.batch_id, rows=done.rows,
                   entries=done.entries, still_open=done.still_open))


def register(app: typer.Typer) -> None:
    app.add_typer(quarantine_app, name="quarantine")


# --- screens ---------------------------------------------------------------------------------------

_HOW = {"loaded": "steward.closed.loaded", "replaced": "steward.closed.replaced",
        "reprocessed": "steward.closed.reprocessed", "superseded": "steward.closed.superseded",
        "dismissed": "steward.closed.dismissed"}


def render_open(rows: list[OpenRow], lang: str) -> str:
    if not rows:
        return say("steward.quarantine_none", lang)
    title = say("steward.quarantine_open", lang, rows=len(rows), batches=len({r.batch_id for r in rows}))
    lines = section_lines(title, say("steward.quarantine_open_cols", lang), [
        [r.org, r.batch_id, r.kind or "", short_time(r.received_at), r.row_number, r.record_id or "",
         ", ".join(r.codes)] for r in rows], lang)
    return "\n".join([*lines, say("steward.quarantine_how_to_close", lang)])


def render_closed(entries: list[ClosedEntry], lang: str) -> str:
    title, columns = say("steward.quarantine_closed", lang), say("steward.quarantine_closed_cols", lang)
    return "\n".join(section_lines(title, columns, [
        [e.org, e.batch_id, e.row_number, e.code, short_time(e.closed_at),
         say(_HOW[e.how], lang) if e.how in _HOW else e.how, e.closed_by_batch, e.closed_by, e.reason]
        for e in entries], lang)).rstrip()

