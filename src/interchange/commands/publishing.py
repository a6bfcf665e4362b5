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
    WorkspaceOption,
    flows_module,
    login_name,
    open_warehouse_of,
    open_workspace,
    prepare_prefect,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.indicators.lineage import InputBatch
    from interchange.indicators.publications import Publication
    from interchange.workspace.layout import Workspace

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="2026-Q3, 2026-09, 2026 or a programme code.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does it; default: the login name.")]


def publish(period: PeriodOption, workspace: WorkspaceOption = None, by: ByOption = None) -> None:
    """Compute a period's indicators, protect small cells and store them as its next version (the Prefect flow).

    Nothing leaves the hub until a steward approves the version (`interchange approve`).
    Exit 0: a new version; 1: refused (the period is approved and locked) or failed;
    2: the workspace or the period is wrong.
    """
    found = open_workspace(workspace)
    label = _period_label(found, period)
    prepare_prefect()
    module = flows_module("publish")
    try:
        publication = module.run_publish(found, label, by=by or login_name())
    except module.PublishFailed as exc:
        typer.echo(f"{'refused' if exc.refused else 'publish failed, nothing stored'}: {exc}", err=True)
        _echo_late(found, label, err=True)
        raise typer.Exit(1) from None
    typer.echo(_describe(publication))
    typer.echo(f"Check it, then approve and export: interchange approve --period {publication.period} "
               f"--version {publication.version} --workspace {found.root}")


def approve(period: PeriodOption, version: Annotated[int | None, typer.Option(
        help="The version to approve; default: the latest.")] = None,
            workspace: WorkspaceOption = None, by: ByOption = None) -> None:
    """Approve a version: lock the period, fill the ministry tables, write the exports to the outbox.

    Exit 0: approved and exported; 1: refused (not the latest version, already approved, none
    published); 2: the workspace or the period is wrong.
    """
    from interchange.indicators.publications import approve as approve_version

    found = open_workspace(workspace)
    label = _period_label(found, period)
    with _publications(found) as engine:
        publication, files = approve_version(engine, found, label, version, by=by or login_name())
    typer.echo(f"{publication.period} v{publication.version} approved by {publication.approved_by}; "
               f"the period is locked. Exported:")
    for path in files:
        typer.echo(f"  {path}")


def reopen(period: PeriodOption, reason: Annotated[str, typer.Option(
        help="Why (kept with the version; no personal data).")],
           workspace: WorkspaceOption = None, by: ByOption = None) -> None:
    """Re-open an approved period so corrections and late data go into a new version.

    The approved version and its exports stay; `interchange publish` then makes the next
    version. Exit 0: re-opened; 1: refused (not approved); 2: the workspace or period is wrong.
    """
    from interchange.indicators.publications import reopen as reopen_period

    found = open_workspace(workspace)
    label = _period_label(found, period)
    with _publications(found) as engine:
        publication = reopen_period(engine, label, by=by or login_name(), reason=reason)
        late = _late(engine, label)
    typer.echo(f"{publication.period} re-opened (v{publication.version} stays as approved and exported). "
               f"{len(late)} late batches will be in the next version: "
               f"interchange publish --period {publication.period} --workspace {found.root}")


def publications(workspace: WorkspaceOption = None, period: Annotated[str | None, typer.Option(
        "--period", "-p", help="Only this period.")] = None) -> None:
    """Every publication version with its state, counts and who approved it; late data is flagged."""
    from interchange.indicators.publications import list_publications

    found = open_workspace(workspace)
    label = _period_label(found, period) if period else None
    with _publications(found) as engine:
        versions = list_publications(engine, label)
        late = {p: _late(engine, p) for p in sorted({v.period for v in versions})}
    if not versions:
        typer.echo("No publications yet: interchange publish --period 2026-Q3" if label is None
                   else f"{label} has no publication yet: interchange publish --period {label}")
        return
    typer.echo(f"{'period':<22} {'ver':>3}  {'state':<10} {'cells':>7} {'suppr.':>7} {'changed':>7}  "
               f"{'created':<16}  approved")
    for p in versions:
        approved = f"{p.approved_at:%Y-%m-%d %H:%M} {p.approved_by}" if p.approved_at else ""
        changed = "" if p.changed_cells is None else str(p.changed_cells)
        typer.echo(f"{p.period:<22} {p.version:>3}  {p.state.value:<10} {p.cells:>7} {p.suppressed_cells:>7} "
                   f"{changed:>7}  {p.created_at:%Y-%m-%d %H:%M}  {approved}")
    for name, batches in late.items():
        if batches:
            typer.echo(f"LATE DATA: {_late_line(name, batches)}")


def progress(programme: Annotated[str, typer.Option(help="Programme code from interchange.yaml.")],
             workspace: WorkspaceOption = None) -> None:
    """Progress of a programme against its targets: value, target and share achieved, per service.

    Inside the hub, for stewards: the values are not disclosure-protected. Exit 0: shown;
    1: records are not linked yet; 2: no such programme in interchange.yaml, or a target
    names an unknown service.
    """
    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.compute import UnlinkedRecordsError
    from interchange.indicators.progress import ProgressError, programme_progress, render_progress

    found = open_workspace(workspace)
    engine = open_warehouse_of(found)
    try:
        table = programme_progress(engine, load_catalogue(), found.config, programme)
    except ProgressError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except UnlinkedRecordsError as exc:  # counts only: no record in the message
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    if table.empty:
        typer.echo(f"{programme}: no targets in interchange.yaml")
        return
    typer.echo(render_progress(table, markdown=False))


def register(app: typer.Typer) -> None:
    for command in (publish, approve, reopen, publications, progress):
        app.command()(command)


# --- helpers -------------------------------------------------------------------------------------


def _period_label(workspace: Workspace, text: str) -> str:
    """The canonical label ("2026-q3" -> "2026-Q3"); exit 2 with the accepted forms otherwise."""
    from interchange.indicators.periods import PeriodError, parse_period

    try:
        return parse_period(text, workspace.config).label
    except PeriodError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _publications(workspace: Workspace) -> Iterator[Engine]:
    """The workspace's warehouse; a refused operation becomes its message and exit 1."""
    from interchange.indicators.publications import PublicationError

    engine = open_warehouse_of(workspace)
    try:
        yield engine
    except PublicationError as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _late(engine: Engine, period: str) -> list[InputBatch]:
    from interchange.indicators.publications import late_batches

    return late_batches(engine, period)


def _late_line(period: str, batches: list[InputBatch]) -> str:
    ids = ", ".join(f"{b.batch_id} ({b.org} {b.kind})" for b in batches[:10])
    more = f" and {len(batches) - 10} more" if len(batches) > 10 else ""
    return (f"{period}: {len(batches)} batches loaded after approval have records in the period: {ids}{more}. "
            f"They go into the next version after: interchange reopen --period {period} --reason \"...\"")


def _echo_late(workspace: Workspace, period: str, *, err: bool) -> None:
    engine = open_warehouse_of(workspace)
    try:
        late = _late(engine, period)
    finally:
        engine.dispose()
    if late:
        typer.echo(f"LATE DATA: {_late_line(period, late)}", err=err)


def _describe(p: Publication) -> str:
    changed = "first version" if p.changed_cells is None else f"{p.changed_cells} cells changed since v{p.version - 1}"
    return (f"{p.period} v{p.version} ({p.state.value}): {p.cells} cells, {p.suppressed_cells} suppressed, "
            f"{changed}; from {len(p.input_batches)} loaded batches, linkage run {p.linkage_run_id}")
