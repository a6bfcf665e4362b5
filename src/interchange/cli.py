"""The `interchange` command: partner kit, contract tools, the hub's workspace and ingest, the demo."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands import register_all
from interchange.commands.common import (
    CommandGroup,
    Lang,
    LangOption,
    StewardLangOption,
    WorkspaceOption,
    exit_on,
    fail,
    flows_module,
    login_name,
    open_workspace,
    prepare_prefect,
    section_lines,
    short_time,
    show_progress,
    steward_lang,
)
from interchange.contract.problems import ProblemError
from interchange.contract.records import Kind
from interchange.i18n import default_lang, say

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.ingest.run import IngestSummary
    from interchange.linkage.index import LinkSummary
    from interchange.linkage.review import Decided, Outcome
    from interchange.partner.columns import ColumnMapping


app = typer.Typer(
    cls=CommandGroup,
    help="Interchange: pseudonymised social-services records exchanged between agencies.",
    no_args_is_help=True,
    add_completion=False,
)
schemas_app = typer.Typer(help="JSON Schemas of the record contract.", no_args_is_help=True)
templates_app = typer.Typer(help="CSV and XLSX templates for partners.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
app.add_typer(templates_app, name="templates")
review_app = typer.Typer(help="The review queue of uncertain person matches.", no_args_is_help=True)
app.add_typer(review_app, name="review")


JsonOption = Annotated[
    Path | None, typer.Option("--report", help="Also write every problem to this JSON file.")
]
LimitOption = Annotated[int, typer.Option(help="Print at most this many problems.")]
ColumnsOption = Annotated[Path | None, typer.Option(
    "--columns", help="YAML file mapping your own column names to the contract's "
                      "(`interchange columns suggest` writes a first one).")]


@app.callback()
def _before_every_command() -> None:
    # A log handler that fails (a closed stream, a full disk) makes the logging module print the
    # exception being handled at that moment to stderr, message and all; that exception may
    # quote a record. A command's own words already say what failed.
    logging.raiseExceptions = False
    # INTERCHANGE_TODAY sets the day for every command (interchange.clock): a wrong one stops
    # here with what was expected, not as a traceback from whichever command reads the day first.
    from interchange.clock import ClockError, today

    try:
        today()
    except ClockError as exc:
        lang = default_lang()
        fail(lang, "steward.error", say("steward.not_a_day", lang, where=exc.where, text=exc.text), code=2)


def _fail(exc: ProblemError, lang: Lang) -> None:
    for problem in exc.problems:
        for language in _languages(lang):
            typer.echo(say("partner.problem", language, code=problem.code, message=problem.message(language)), err=True)
    raise typer.Exit(2)


def _column_mapping(path: Path | None, lang: Lang) -> ColumnMapping | None:
    """The `--columns` file, checked; a wrong one ends the command (exit 2) naming the file and key."""
    from interchange.partner.columns import ColumnMappingError, load_column_mapping

    if path is None:
        return None
    try:
        return load_column_mapping(path)
    except ColumnMappingError as exc:
        for language in _languages(lang):
            typer.echo(say("steward.error", language, detail=exc.message(language)), err=True)
        raise typer.Exit(2) from None


def _partner_say(lang: Lang, key: str, *, err: bool = False, **params: object) -> None:
    """A partner-kit message in Lithuanian, English or (the kit's default) both."""
    for language in _languages(lang):
        typer.echo(say(key, language, **params), err=err)


def _languages(lang: Lang) -> tuple[str, ...]:
    return ("lt", "en") if lang is Lang.BOTH else (lang.value,)


@app.command()
def keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the new key.")],
    lang: StewardLangOption = None,
) -> None:
    """Make a new pseudonymisation key file and say how to share it safely."""
    from interchange.partner.keys import write_new_key

    language = steward_lang(lang)
    try:
        key = write_new_key(output)
    except FileExistsError:
        typer.echo(say("partner.key_exists", language, path=output), err=True)
        raise typer.Exit(2) from None
    except OSError:  # no such folder, or not ours to write in: nothing was written
        typer.echo(say("partner.key_unwritable", language, path=output), err=True)
        raise typer.Exit(2) from None
    typer.echo(say("partner.key_written", language, path=output, fingerprint=key.fingerprint))
    typer.echo(say("partner.key_share", language))


@app.command()
def pseudonymise(
    raw: Annotated[Path, typer.Argument(help="Raw extract with personal codes and names.")],
    org: Annotated[str, typer.Option(help="Your organisation's code, as the hub knows it.")],
    key_file: Annotated[Path, typer.Option(help="The shared pseudonymisation key file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Drop file to write (.csv or .jsonl).")],
    kind: Annotated[Kind, typer.Option(help="Record kind in the extract.")] = Kind.PERSON,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding.")] = None,
    columns: ColumnsOption = None,
    report: JsonOption = None,
    lang: LangOption = Lang.BOTH,
    limit: LimitOption = 100,
) -> None:
    """Replace personal codes and names by keyed pseudonyms; write a drop file and manifest."""
    from interchange.partner.keys import load_key
    from interchange.partner.pseudonymise import pseudonymise_file

    if output.resolve() == raw.resolve():
        _partner_say(lang, "partner.overwrite", err=True)
        raise typer.Exit(2)
    if output.suffix not in (".csv", ".jsonl"):
        _partner_say(lang, "partner.suffix", err=True)
        raise typer.Exit(2)
    if not output.parent.is_dir():  # found before the key is read and the extract pseudonymised
        _partner_say(lang, "partner.output_folder", err=True, folder=output.parent)
        raise typer.Exit(2)
    mapping = _column_mapping(columns, lang)
    try:
        key = load_key(key_file)
    except ProblemError as exc:
        _fail(exc, lang)
    result = pseudonymise_file(raw, output, org=org.lower(), kind=kind, key=key, encoding=encoding,
                               columns=mapping)
    typer.echo(result.render(lang=lang.value, limit=limit))
    if result.output:
        _partner_say(lang, "partner.wrote", path=result.output, rows=result.rows_accepted, manifest=result.manifest)
        _partner_say(lang, "partner.send_order")
    else:
        _partner_say(lang, "partner.nothing")
    if report:
        result.write_json(report)
    raise typer.Exit(result.exit_code)


@app.command()
def check(
    drop: Annotated[Path, typer.Argument(help="Drop file to check (.csv, .xlsx or .jsonl).")],
    kind: Annotated[Kind | None, typer.Option(help="Record kind; default: from the manifest or header.")] = None,
    org: Annotated[str | None, typer.Option(help="Sending organisation; default: from the manifest.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding.")] = None,
    columns: ColumnsOption = None,
    report: JsonOption = None,
    lang: LangOption = Lang.BOTH,
    limit: LimitOption = 100,
) -> None:
    """Check a drop against the contract without a hub; exit 0 only when it is clean."""
    from interchange.partner.check import check_drop

    mapping = _column_mapping(columns, lang)
    result = check_drop(drop, kind=kind, org=org.lower() if org else None, encoding=encoding, columns=mapping)
    typer.echo(result.render(lang=lang.value, limit=limit))
    if mapping is not None:  # the hub reads the file by the contract's names unless told the same
        _partner_say(lang, "partner.columns_hub", path=columns)
    if report:
        result.write_json(report)
    raise typer.Exit(result.exit_code)


@app.command()
def codes(
    which: Annotated[str, typer.Argument(help="services, municipalities or case-types")] = "services",
    lang: StewardLangOption = None,
) -> None:
    """Print a code list of the contract with Lithuanian and English names."""
    from interchange.contract.codes import CASE_TYPE_NAMES, MUNICIPALITIES
    from interchange.contract.services import CATALOGUE_VERSION, SERVICES

    language = steward_lang(lang)
    rows: list[tuple[str, str, str]]
    if which == "services":
        typer.echo(say("partner.service_catalogue", language, version=CATALOGUE_VERSION))
        rows = [(s.code, s.name_lt, s.name_en) for s in SERVICES if not s.retired]
    elif which == "municipalities":
        rows = [(m.code, m.name_lt, m.name_en) for m in MUNICIPALITIES]
    elif which == "case-types":
        rows = [(t.value, lt, en) for t, (lt, en) in CASE_TYPE_NAMES.items()]
    else:
        typer.echo(say("partner.choose_code_list", language), err=True)
        raise typer.Exit(2)
    width = max(len(r[0]) for r in rows)
    for code, lt, en in rows:
        typer.echo(f"{code:<{width}}  {lt} | {en}")


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the schemas live.")] = Path("schemas"),
    check_only: Annotated[bool, typer.Option("--check", help="Only report drift; write nothing.")] = False,
    lang: StewardLangOption = None,
) -> None:
    """Write the JSON Schema of every record kind and the manifest (or check them)."""
    from interchange.contract.schema_export import export_schemas, schema_drift

    language = steward_lang(lang)
    if check_only:
        drift = schema_drift(directory)
        for name in drift:
            typer.echo(say("partner.out_of_date", language, path=directory / name), err=True)
        raise typer.Exit(1 if drift else 0)
    for path in export_schemas(directory):
        typer.echo(say("partner.file_written", language, path=path))


@templates_app.command("export")
def templates_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the templates live.")] = Path("schemas/templates"),
    lang: StewardLangOption = None,
) -> None:
    """Write CSV and XLSX templates for every record kind, generated from the contract."""
    from interchange.partner.templates import export_templates

    language = steward_lang(lang)
    for path in export_templates(directory):
        typer.echo(say("partner.file_written", language, path=path))


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace; made if missing.")],
    lang: StewardLangOption = None,
) -> None:
    """Create a workspace for the Kretinga partners: interchange.yaml, folders and the warehouse."""
    from interchange.warehouse.address import shown
    from interchange.workspace.init import init_workspace

    language = steward_lang(lang)
    try:
        workspace = init_workspace(directory)
    except FileExistsError as exc:
        typer.echo(say("steward.init_exists", language, path=exc.args[0]), err=True)
        raise typer.Exit(2) from None
    config = workspace.config
    typer.echo(say("steward.init_created", language, root=workspace.root))
    typer.echo(say("steward.init_config", language, path=workspace.root / "interchange.yaml",
                   count=len(config.organisations)))
    typer.echo(say("steward.init_warehouse", language, url=shown(workspace.database_url)))
    for org in config.organisations:
        typer.echo(say("steward.init_drops", language, path=workspace.inbox(org.code), name=org.name))
    typer.echo(say("steward.init_receipts", language, path=workspace.root / "receipts"))
    typer.echo(say("steward.init_next", language, directory=directory))


@app.command()
def ingest(workspace: WorkspaceOption = None, lang: StewardLangOption = None,
           org: Annotated[list[str] | None, typer.Option(
               "--org", metavar="CODE",
               help="Only this organisation's sources (its code; repeat for more). Default: every one.",
           )] = None) -> None:
    """Ingest every configured source once (the Prefect flow) and print what happened.

    Drops come from inbox/<org>/, pulls from partner APIs; receipts go to receipts/<org>/.
    Exit 0: every source ran and nothing is held; 1: a batch is held or a source failed
    (see the receipts); 2: the workspace or its config is wrong, or --org names an
    organisation it does not have.
    """
    from interchange.ingest.run import UnknownOrganisations, configured_sources, settling_files

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with exit_on(language, UnknownOrganisations, code=2):  # before Prefect starts: a typo costs nothing
        sources = configured_sources(found, org)
    prepare_prefect(language)
    module = flows_module("ingest", language)
    with show_progress(language, counted={"ingest.source": len(sources)}):
        summary = module.run_ingest(found, org or None)
    typer.echo(render_ingest(summary, str(found.root / "receipts"), language, settling_files(found)))
    raise typer.Exit(summary.exit_code)


@app.command()
def link(workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """Link person records into the master person index (the Prefect flow); run it after ingest.

    Exit 0: the index is up to date (pairs may await review: see `interchange review list`);
    1: the run failed and changed nothing; 2: the workspace or its config is wrong.
    """
    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    prepare_prefect(language)
    module = flows_module("link", language)
    with exit_on(language, module.LinkFailed, code=1, key="steward.link_failed"), show_progress(language):
        summary = module.run_link(found)
    typer.echo(render_link(summary, language))
    if summary.pairs_for_review:
        typer.echo(say("steward.link_review_hint", language, root=found.root))


def render_ingest(summary: IngestSummary, receipts_root: str, lang: str,
                  settling: dict[str, tuple[int, float]] | None = None) -> str:
    """What one ingest did: totals, a line per batch, failed sources, files left for the next run
    (too fresh to take), where the receipts are."""
    from interchange.ingest.receipts import render_batch_line

    receipts = summary.receipts
    lines = [say("steward.ingest_summary", lang, batches=len(receipts), loaded=summary.rows_loaded,
                 unchanged=sum(r.counts.unchanged for r in receipts), quarantined=summary.rows_quarantined,
                 held=len(summary.held))]
    lines += [render_batch_line(r, lang) for r in receipts]
    lines += [say("steward.ingest_failed", lang, label=label, detail=detail)
              for label, detail in summary.failures.items()]
    lines += [say("steward.ingest_settling", lang, org=org, count=count, seconds=f"{seconds:g}")
              for org, (count, seconds) in (settling or {}).items()]
    lines.append(say("steward.receipts", lang, root=receipts_root))
    return "\n".join(lines)


def render_link(summary: LinkSummary, lang: str) -> str:
    return say("steward.link_summary", lang, run=summary.run_id, records=summary.records, persons=summary.persons,
               linked=summary.records_linked, new=summary.new_persons, merges=summary.merges,
               splits=summary.splits, retired=summary.retired, pairs=summary.pairs_for_review,
               households=summary.households) + (
        "" if summary.household_share is None
        else "\n" + say("steward.link_household_share", lang, share=f"{summary.household_share:.3f}"))


class Verdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"


NoteOption = Annotated[str | None, typer.Option(
    "--note", "--reason", help="Why: kept with the decision (no personal data); required with --change.")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who decides; default: the login name.")]
ChangeOption = Annotated[bool, typer.Option(
    "--change", help="Change the pair's earlier decision (with --reason); the earlier one stays in its history.")]


@review_app.command("list")
def review_list(
    workspace: WorkspaceOption = None,
    limit: Annotated[int, typer.Option(help="Print at most this many pairs.")] = 100,
    lang: StewardLangOption = None,
) -> None:
    """The open pairs, most uncertain first: pair id, both records, probability, which fields agree."""
    from interchange.linkage.review import open_pairs, render_review

    language = steward_lang(lang)
    with _review_warehouse(workspace, language) as engine:
        pairs = open_pairs(engine)
    typer.echo(render_review(pairs, limit, language))


@review_app.command("decide")
def review_decide(
    pair: Annotated[int, typer.Argument(help="Pair id from `interchange review list`.")],
    decision: Annotated[Verdict, typer.Argument(help="same or different.")],
    note: NoteOption = None,
    change: ChangeOption = False,
    by: ByOption = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Decide a pair; the decision overrides the model from the next `interchange link` on.

    A pair decided otherwise before is changed only with --change --reason "..." (exit 1
    without them, naming the earlier decision, who took it and when); every decision is
    kept in `interchange review history`.
    """
    from interchange.linkage.review import Decision, decide_pair

    language = steward_lang(lang)
    with _review_warehouse(workspace, language) as engine:
        outcome = decide_pair(engine, pair, Decision(decision.value), decided_by=by or login_name(), note=note,
                              change=change)
    typer.echo(_decided(outcome, language))


@review_app.command("decide-records")
def review_decide_records(
    first: Annotated[str, typer.Argument(help="A person record as org:record_id.")],
    second: Annotated[str, typer.Argument(help="Another person record as org:record_id.")],
    decision: Annotated[Verdict, typer.Argument(help="same or different.")],
    note: NoteOption = None,
    change: ChangeOption = False,
    by: ByOption = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Decide about any two records, e.g. `different` to cut a link the model made (--change as for decide)."""
    from interchange.linkage.records import existing_person_records
    from interchange.linkage.review import Decision, decide_records

    language = steward_lang(lang)
    with _review_warehouse(workspace, language) as engine:
        with engine.connect() as connection:
            known = existing_person_records(connection, (first, second))
        outcome = decide_records(engine, first, second, Decision(decision.value), decided_by=by or login_name(),
                                 note=note, known=known, change=change)
    typer.echo(_decided(outcome, language))


@review_app.command("history")
def review_history(
    pair: Annotated[int | None, typer.Argument(help="Only this pair; default: every decided pair.")] = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Every decision taken, oldest first: pair, records, verdict, when (UTC), by whom, why, what it changed."""
    from interchange.linkage.review import decision_history

    language = steward_lang(lang)
    with _review_warehouse(workspace, language) as engine:
        history = decision_history(engine, pair)
    typer.echo(render_history(history, language))


def render_history(history: list[Decided], lang: str) -> str:
    if not history:
        return say("steward.review_history_none", lang)
    return "\n".join(section_lines(say("steward.review_history", lang), say("steward.review_history_cols", lang), [
        [d.pair_id, f"{d.uid_l} {d.uid_r}", d.decision, short_time(d.decided_at), d.decided_by, d.note,
         d.replaces] for d in history], lang)).rstrip()


def _decided(outcome: Outcome, lang: str) -> str:
    pair, before = outcome.pair, outcome.before
    if not outcome.recorded and before is not None:
        return say("steward.review_unchanged", lang, pair=pair.pair_id, decision=before.decision, by=before.decided_by,
                   at=before.decided_at.strftime("%Y-%m-%d %H:%M"))
    if before is not None:
        return say("steward.review_changed", lang, pair=pair.pair_id, left=pair.uid_l, right=pair.uid_r,
                   before=before.decision, decision=pair.decision)
    return say("steward.review_decided", lang, pair=pair.pair_id, left=pair.uid_l, right=pair.uid_r,
               decision=pair.decision)


@contextmanager
def _review_warehouse(option: Path | None, lang: str) -> Iterator[Engine]:
    """The workspace's warehouse for a review command; a ReviewError becomes its message and exit 2,
    a refused change of an earlier decision exit 1."""
    from interchange.linkage.review import DecisionRefused, ReviewError
    from interchange.warehouse.engine import warehouse

    with warehouse(open_workspace(option, lang).database_url) as engine, exit_on(lang, ReviewError, code=2), \
            exit_on(lang, DecisionRefused, code=1, key="steward.refused"):
        yield engine


# Command groups kept in their own modules (interchange.commands.*) add their commands here.
register_all(app)
