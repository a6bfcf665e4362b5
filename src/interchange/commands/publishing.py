"""The steward's publishing commands: publish, approve, reopen, publications, progress, and their screens.

Exit codes as everywhere: 0 done; 1 refused (a locked period, a version that cannot be
approved) or failed; 2 the workspace, its config or the period given is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    exit_on,
    flows_module,
    login_name,
    open_workspace,
    prepare_prefect,
    short_number,
    short_time,
    show_progress,
    steward_lang,
    stop,
    table_lines,
)
from interchange.errors import describe_failure
from interchange.i18n import name_of, say
from interchange.operations.reasons import Reason

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from interchange.indicators.lineage import InputBatch
    from interchange.indicators.publications import Publication, Staleness
    from interchange.workspace.layout import Workspace

PeriodOption = Annotated[str, typer.Option("--period", "-p", help="2026-Q3, 2026-09, 2026 or a programme code.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who does it; default: the login name.")]
AllowWithoutConsentOption = Annotated[bool, typer.Option(
    "--allow-without-consent",
    help="Publish even when no person of an organisation that sent data consents to reporting "
         "(recorded with the version).")]


def publish(period: PeriodOption, workspace: WorkspaceOption = None, by: ByOption = None,
            allow_without_consent: AllowWithoutConsentOption = False,
            provisional: Annotated[bool, typer.Option(
                "--provisional", help="A period in progress: a version to look at, never approved.")] = False,
            lang: StewardLangOption = None) -> None:
    """Compute a period's indicators, protect small cells and store them as its next version (the Prefect flow).

    Nothing leaves the hub until a steward approves the version (`interchange approve`).
    A period that has not ended is published only with --provisional, as a version that
    cannot be approved. Prints how many persons each organisation's figures left out for lack
    of consent. Exit 0: a new version; 1: refused (the period is locked, in progress or has no
    data, or an organisation that sent persons would count for nothing without consent and
    --allow-without-consent was not given) or failed; 2: the workspace or the period is wrong.
    """
    from interchange.indicators.periods import parse_period
    from interchange.indicators.publications import (
        PublicationError,
        check_publishable,
        render_consent,
        render_publication,
    )
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language)
    # Refused before the flow runs: one sentence, not a run that fails and logs a traceback.
    try:
        with warehouse(found.database_url) as engine:
            check_publishable(engine, parse_period(label, found.config), provisional=provisional)
    except PublicationError as exc:
        typer.echo(say("steward.refused", language, detail=exc.message(language)), err=True)
        _echo_late(found, label, language, err=True)
        stop(1)
    prepare_prefect(language)
    module = flows_module("publish", language)
    try:
        with show_progress(language):
            publication = module.run_publish(found, label, by=by or login_name(),
                                             allow_without_consent=allow_without_consent, provisional=provisional)
    except module.PublishFailed as exc:
        typer.echo(say("steward.refused" if exc.refused else "steward.publish_failed", language,
                       detail=describe_failure(exc, language)), err=True)
        _echo_late(found, label, language, err=True)
        stop(1)
    typer.echo(render_publication(publication, language))
    for line in render_consent(publication, language):
        typer.echo(f"  {line}")
    typer.echo(say("steward.publish_next", language, period=publication.period, version=publication.version,
                   root=found.root))


def approve(period: PeriodOption, version: Annotated[int | None, typer.Option(
        help="The version to approve; default: the latest.")] = None,
            despite: Annotated[list[Reason] | None, typer.Option(
                help="Approve although this reason holds (repeatable); kept with the version.")] = None,
            workspace: WorkspaceOption = None, by: ByOption = None, lang: StewardLangOption = None) -> None:
    """Approve a version: lock the period, fill the ministry tables, write the exports to the outbox.

    Refused while review pairs are open, batches are held or rows quarantined that may hold
    the period's records, every indicator is zero, or batches or the person index changed
    since the version was computed: each reason is listed with its count, and approving
    anyway takes `--despite <reason>` for each. Exit 0: approved and exported; 1: refused
    (such a reason, not the latest version, already approved, provisional, none published);
    2: the workspace or the period is wrong.
    """
    from interchange.operations.approval import approve_checked

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language)
    with _publications(found, language) as engine:
        publication, files = approve_checked(engine, found, label, version, by=by or login_name(),
                                             despite={r.value for r in despite or ()})
    typer.echo(say("steward.approved", language, period=publication.period, version=publication.version,
                   by=publication.approved_by))
    if publication.approved_despite:
        typer.echo(render_approved_with(publication, language))
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
    typer.echo(say("steward.reopened", language, period=publication.period, version=publication.version, late=len(late),
                   root=found.root))


def publications(workspace: WorkspaceOption = None, period: Annotated[str | None, typer.Option(
        "--period", "-p", help="Only this period.")] = None, lang: StewardLangOption = None) -> None:
    """Every publication version with its state, counts and who approved it; late data is flagged."""
    from interchange.indicators.publications import current_versions, list_publications, stale_versions

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    label = _period_label(found, period, language) if period else None
    with _publications(found, language) as engine:
        versions = list_publications(engine, label)
        late = {p: _late(engine, p) for p in sorted({v.period for v in versions})}
        stale = [s for s in stale_versions(engine, [p for p in current_versions(engine) if label in (None, p.period)])
                 if s.stale]
    if not versions:
        typer.echo(say("steward.publications_none_yet", language) if label is None
                   else say("steward.period_unpublished", language, period=label))
        return
    typer.echo(render_publications(versions, late, language, stale))


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
    from interchange.warehouse.engine import warehouse

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    # PublicationError: publishing.catalogue is wrong; UnlinkedRecordsError: `interchange link` first.
    with warehouse(found.database_url) as engine, \
            exit_on(language, ProgressError, PublicationError, code=2), \
            exit_on(language, UnlinkedRecordsError, code=1):
        table = programme_progress(engine, load_workspace_catalogue(found), found.config, programme)
    if table.empty:
        typer.echo(say("steward.no_targets", language, programme=programme))
        return
    typer.echo(render_programme(table, language))


def register(app: typer.Typer) -> None:
    for command in (publish, approve, reopen, publications, progress):
        app.command()(command)


# --- helpers -------------------------------------------------------------------------------------


def _period_label(workspace: Workspace, text: str, lang: str) -> str:
    """The canonical label ("2026-q3" -> "2026-Q3"); exit 2 with the accepted forms otherwise."""
    from interchange.indicators.periods import PeriodError, parse_period

    with exit_on(lang, PeriodError, code=2):
        return parse_period(text, workspace.config).label


@contextmanager
def _publications(workspace: Workspace, lang: str) -> Iterator[Engine]:
    """The workspace's warehouse; a refused operation becomes its message and exit 1."""
    from interchange.indicators.publications import PublicationError
    from interchange.warehouse.engine import warehouse

    with warehouse(workspace.database_url) as engine, \
            exit_on(lang, PublicationError, code=1, key="steward.refused"):
        yield engine


def _late(engine: Engine, period: str) -> list[InputBatch]:
    from interchange.indicators.publications import late_batches

    return late_batches(engine, period)


def _echo_late(workspace: Workspace, period: str, lang: str, *, err: bool) -> None:
    from interchange.warehouse.engine import warehouse

    with warehouse(workspace.database_url) as engine:
        late = _late(engine, period)
    if late:
        typer.echo(render_late(period, late, lang), err=err)


# --- screens ---------------------------------------------------------------------------------------


def render_publications(versions: Sequence[Publication], late: Mapping[str, Sequence[InputBatch]],
                        lang: str, stale: Sequence[Staleness] = ()) -> str:
    """Every version: period, version, state, cells, suppressed, changed, created, approved; then what
    approvals were confirmed despite, late data and stale versions."""
    header = say("steward.publication_list_cols", lang).split("|")
    rows = [[p.period, str(p.version), name_of("steward.state", p.state.value, lang), str(p.cells),
             str(p.suppressed_cells), "" if p.changed_cells is None else str(p.changed_cells),
             short_time(p.created_at), f"{short_time(p.approved_at)} {p.approved_by}" if p.approved_at else ""]
            for p in versions]
    lines = table_lines(header, rows, numeric={1, 3, 4, 5})
    lines += [render_approved_with(p, lang) for p in versions if p.approved_despite]
    lines += [render_late(period, batches, lang) for period, batches in late.items() if batches]
    lines += [render_stale(s, lang) for s in stale]
    return "\n".join(lines)


def render_approved_with(p: Publication, lang: str) -> str:
    reasons = ", ".join(f"{reason} ({count})" for reason, count in (p.approved_despite or {}).items())
    return say("steward.approved_with", lang, period=p.period, version=p.version, reasons=reasons)


def render_stale(found: Staleness, lang: str) -> str:
    """STALE: a draft or approved version whose batches or person index changed since it was computed."""
    p = found.publication
    what = [say("steward.stale_batches", lang, count=len(found.batches))] if found.batches else []
    what += [say("steward.stale_index", lang)] if found.index_changed else []
    how = say("steward.stale_reopen", lang, period=p.period) if p.locked else ""
    return say("steward.stale", lang, period=p.period, version=p.version,
               state=name_of("steward.state", p.state.value, lang), what="; ".join(what), how=how)


def render_late(period: str, batches: Sequence[InputBatch], lang: str) -> str:
    ids = ", ".join(f"{b.batch_id} ({b.org} {b.kind})" for b in batches[:10])
    more = say("steward.and_more", lang, count=len(batches) - 10) if len(batches) > 10 else ""
    return say("steward.late_data", lang, period=period, count=len(batches), ids=ids, more=more)


def render_programme(table: pd.DataFrame, lang: str) -> str:
    """Progress against a programme's targets: indicator (in `lang`), service, figure, value, target, share."""
    name = "name_lt" if lang == "lt" else "name_en"
    rows = [[str(getattr(row, name)), row.service or "–", str(row.figure), short_number(row.value),
             short_number(row.target), "–" if math.isnan(row.share) else f"{row.share:.0%}"]
            for row in table.itertuples(index=False)]
    title = []
    if len(table):
        first = table.iloc[0]
        title = [say("steward.programme_title", lang, programme=first["programme"], period=first["period"]), ""]
    return "\n".join(title + table_lines(say("steward.progress_cols", lang).split("|"), rows, numeric={3, 4, 5}))
