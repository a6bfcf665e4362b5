"""The steward's publishing commands: publish, approve, reopen, publications, progress.

Exit codes as everywhere: 0 done; 1 refused (a locked period, a version that cannot be
approved) or failed; 2 the workspace, its config or the period given is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    fail,
    flows_module,
    login_name,
    open_warehouse_of,
    open_workspace,
    prepare_prefect,
    show_progress,
    steward_lang,
)
from interchange.operations.messages import say

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.indicators.lineage import InputBatch
    from interchange.workspace.layout import Workspace

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="2026-Q3, 2026-09, 2026 or a programme code.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does it; default: the login name.")]


def publish(period: PeriodOption, workspace: WorkspaceOption = None, by: ByOption = None,
            lang: StewardLangOption = None) -> None:
    """Compute a period's indicators, protect small cells and store them as its next version (the Prefect flow).

    Nothing leaves the hub until a steward approves the version (`interchange approve`).
    Exit 0: a new version; 1: refused (the period is approved and locked) or failed;
    2: the workspace or the period is wrong.
    """
    from interchange.operations.messages import render_publication

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language)
    prepare_prefect(language)
    module = flows_module("publish", language)
    try:
        with show_progress(language):
            publication = module.run_publish(found, label, by=by or login_name())
    except module.PublishFailed as exc:
        if exc.refused:
            typer.echo(say("refused", language, detail=exc), err=True)
        else:
            typer.echo(say("publish_failed", language, detail=exc), err=True)
        _echo_late(found, label, language, err=True)
        raise typer.Exit(1) from None
    typer.echo(render_publication(publication, language))
    typer.echo(say("publish_next", language, period=publication.period, version=publication.version,
                   root=found.root))


def approve(period: PeriodOption, version: Annotated[int | None, typer.Option(
        help="The version to approve; default: the latest.")] = None,
            workspace: WorkspaceOption = None, by: ByOption = None, lang: StewardLangOption = None) -> None:
    """Approve a version: lock the period, fill the ministry tables, write the exports to the outbox.

    Exit 0: approved and exported; 1: refused (not the latest version, already approved, none
    published); 2: the workspace or the period is wrong.
    """
    from interchange.indicators.outbox import approve as approve_version

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language)
    with _publications(found, language) as engine:
        publication, files = approve_version(engine, found, label, version, by=by or login_name())
    typer.echo(say("approved", language, period=publication.period, version=publication.version,
                   by=publication.approved_by))
    for path in files:
        typer.echo(f"  {path}")


def reopen(period: PeriodOption, reason: Annotated[str, typer.Option(
        help="Why (kept with the version; no personal data).")],
           workspace: WorkspaceOption = None, by: ByOption = None, lang: StewardLangOption = None) -> None:
    """Re-open an approved period so corrections and late data go into a new version.

    The approved version and its exports stay; `interchange publish` then makes the next
    version. Exit 0: re-opened; 1: refused (not approved); 2: the workspace or period is wrong.
    """
    from interchange.indicators.publications import reopen as reopen_period

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language)
    with _publications(found, language) as engine:
        publication = reopen_period(engine, label, by=by or login_name(), reason=reason)
        late = _late(engine, label)
    typer.echo(say("reopened", language, period=publication.period, version=publication.version, late=len(late),
                   root=found.root))


def publications(workspace: WorkspaceOption = None, period: Annotated[str | None, typer.Option(
        "--period", "-p", help="Only this period.")] = None, lang: StewardLangOption = None) -> None:
    """Every publication version with its state, counts and who approved it; late data is flagged."""
    from interchange.indicators.publications import list_publications
    from interchange.operations.messages import render_publications

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language) if period else None
    with _publications(found, language) as engine:
        versions = list_publications(engine, label)
        late = {p: _late(engine, p) for p in sorted({v.period for v in versions})}
    if not versions:
        typer.echo(say("publications_none_yet", language) if label is None
                   else say("period_unpublished", language, period=label))
        return
    typer.echo(render_publications(versions, late, language))


def progress(programme: Annotated[str, typer.Option(help="Programme code from interchange.yaml.")],
             workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """Progress of a programme against its targets: value, target and share achieved, per service.

    Inside the hub, for stewards: the values are not disclosure-protected. Exit 0: shown;
    1: records are not linked yet; 2: no such programme in interchange.yaml, or a target
    names an unknown service.
    """
    from interchange.indicators.compute import UnlinkedRecordsError
    from interchange.indicators.progress import ProgressError, programme_progress
    from interchange.indicators.publications import PublicationError, load_workspace_catalogue
    from interchange.operations.messages import render_programme

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    engine = open_warehouse_of(found)
    try:
        table = programme_progress(engine, load_workspace_catalogue(found), found.config, programme)
    except (ProgressError, PublicationError) as exc:  # PublicationError: publishing.catalogue is wrong
        fail(language, "error", exc, code=2)
    except UnlinkedRecordsError as exc:  # counts only: no record in the message
        fail(language, "error", exc, code=1)
    finally:
        engine.dispose()
    if table.empty:
        typer.echo(say("no_targets", language, programme=programme))
        return
    typer.echo(render_programme(table, language))


def register(app: typer.Typer) -> None:
    for command in (publish, approve, reopen, publications, progress):
        app.command()(command)


# --- helpers -------------------------------------------------------------------------------------


def _period_label(workspace: Workspace, text: str, lang: str) -> str:
    """The canonical label ("2026-q3" -> "2026-Q3"); exit 2 with the accepted forms otherwise."""
    from interchange.indicators.periods import PeriodError, parse_period

    try:
        return parse_period(text, workspace.config).label
    except PeriodError as exc:
        fail(lang, "error", exc, code=2)


@contextmanager
def _publications(workspace: Workspace, lang: str) -> Iterator[Engine]:
    """The workspace's warehouse; a refused operation becomes its message and exit 1."""
    from interchange.indicators.publications import PublicationError

    engine = open_warehouse_of(workspace)
    try:
        yield engine
    except PublicationError as exc:
        fail(lang, "refused", exc, code=1)
    finally:
        engine.dispose()


def _late(engine: Engine, period: str) -> list[InputBatch]:
    from interchange.indicators.publications import late_batches

    return late_batches(engine, period)


def _echo_late(workspace: Workspace, period: str, lang: str, *, err: bool) -> None:
    from interchange.operations.messages import render_late

    engine = open_warehouse_of(workspace)
    try:
        late = _late(engine, period)
    finally:
        engine.dispose()
    if late:
        typer.echo(render_late(period, late, lang), err=err)
