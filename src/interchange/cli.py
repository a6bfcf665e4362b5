"""The `interchange` command: partner kit, contract tools and the demo."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from interchange.contract.problems import ProblemError
from interchange.contract.records import Kind

app = typer.Typer(
    help="Interchange: pseudonymised social-services records exchanged between agencies.",
    no_args_is_help=True,
    add_completion=False,
)
schemas_app = typer.Typer(help="JSON Schemas of the record contract.", no_args_is_help=True)
templates_app = typer.Typer(help="CSV and XLSX templates for partners.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")
app.add_typer(templates_app, name="templates")


class Lang(StrEnum):
    LT = "lt"
    EN = "en"
    BOTH = "both"


LangOption = Annotated[Lang, typer.Option(help="Language of the messages.")]
JsonOption = Annotated[
    Path | None, typer.Option("--report", help="Also write every problem to this JSON file.")
]
LimitOption = Annotated[int, typer.Option(help="Print at most this many problems.")]


def _fail(exc: ProblemError, lang: Lang) -> None:
    for problem in exc.problems:
        if lang in (Lang.LT, Lang.BOTH):
            typer.echo(f"klaida [{problem.code}]: {problem.message_lt}", err=True)
        if lang in (Lang.EN, Lang.BOTH):
            typer.echo(f"error [{problem.code}]: {problem.message_en}", err=True)
    raise typer.Exit(2)


@app.command()
def keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the new key.")],
) -> None:
    """Make a new pseudonymisation key file and say how to share it safely."""
    from interchange.partner.keys import write_new_key

    try:
        key = write_new_key(output)
    except FileExistsError:
        typer.echo(f"{output} already exists: a key is never overwritten.", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Wrote {output} (256-bit key, fingerprint {key.fingerprint}, readable only by you).")
    typer.echo(
        "Share it once, out of band, with every partner that must produce linkable pseudonyms:\n"
        "  - hand it over on encrypted media, or in a password-protected archive whose password\n"
        "    goes by another channel (phone);\n"
        "  - never by plain e-mail, never into a shared folder, never to the hub;\n"
        "  - partners compare fingerprints, not keys, to confirm they hold the same one."
    )


@app.command()
def pseudonymise(
    raw: Annotated[Path, typer.Argument(help="Raw extract with personal codes and names.")],
    org: Annotated[str, typer.Option(help="Your organisation's code, as the hub knows it.")],
    key_file: Annotated[Path, typer.Option(help="The shared pseudonymisation key file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Drop file to write (.csv or .jsonl).")],
    kind: Annotated[Kind, typer.Option(help="Record kind in the extract.")] = Kind.PERSON,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding.")] = None,
    report: JsonOption = None,
    lang: LangOption = Lang.BOTH,
    limit: LimitOption = 100,
) -> None:
    """Replace personal codes and names by keyed pseudonyms; write a drop file and manifest."""
    from interchange.partner.keys import load_key
    from interchange.partner.pseudonymise import pseudonymise_file

    if output.resolve() == raw.resolve():
        typer.echo("The drop must not overwrite the raw extract: choose another --output.", err=True)
        raise typer.Exit(2)
    if output.suffix not in (".csv", ".jsonl"):
        typer.echo("The drop file must end in .csv or .jsonl.", err=True)
        raise typer.Exit(2)
    try:
        key = load_key(key_file)
    except ProblemError as exc:
        _fail(exc, lang)
    result = pseudonymise_file(raw, output, org=org.lower(), kind=kind, key=key, encoding=encoding)
    typer.echo(result.render(lang=lang.value, limit=limit))
    if result.output:
        typer.echo(f"→ {result.output} ({result.rows_accepted} rows), manifest {result.manifest}")
    else:
        typer.echo("→ no drop written: no row could be accepted.")
    if report:
        result.write_json(report)
    raise typer.Exit(result.exit_code)


@app.command()
def check(
    drop: Annotated[Path, typer.Argument(help="Drop file to check (.csv, .xlsx or .jsonl).")],
    kind: Annotated[Kind | None, typer.Option(help="Record kind; default: from the manifest or header.")] = None,
    org: Annotated[str | None, typer.Option(help="Sending organisation; default: from the manifest.")] = None,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding.")] = None,
    report: JsonOption = None,
    lang: LangOption = Lang.BOTH,
    limit: LimitOption = 100,
) -> None:
    """Check a drop against the contract without a hub; exit 0 only when it is clean."""
    from interchange.partner.check import check_drop

    result = check_drop(drop, kind=kind, org=org.lower() if org else None, encoding=encoding)
    typer.echo(result.render(lang=lang.value, limit=limit))
    if report:
        result.write_json(report)
    raise typer.Exit(result.exit_code)


@app.command()
def codes(
    which: Annotated[str, typer.Argument(help="services, municipalities or case-types")] = "services",
) -> None:
    """Print a code list of the contract with Lithuanian and English names."""
    from interchange.contract.codes import CASE_TYPE_NAMES, MUNICIPALITIES
    from interchange.contract.services import CATALOGUE_VERSION, SERVICES

    rows: list[tuple[str, str, str]]
    if which == "services":
        typer.echo(f"# service catalogue {CATALOGUE_VERSION}")
        rows = [(s.code, s.name_lt, s.name_en) for s in SERVICES if not s.retired]
    elif which == "municipalities":
        rows = [(m.code, m.name_lt, m.name_en) for m in MUNICIPALITIES]
    elif which == "case-types":
        rows = [(t.value, lt, en) for t, (lt, en) in CASE_TYPE_NAMES.items()]
    else:
        typer.echo("Choose services, municipalities or case-types.", err=True)
        raise typer.Exit(2)
    width = max(len(r[0]) for r in rows)
    for code, lt, en in rows:
        typer.echo(f"{code:<{width}}  {lt} | {en}")


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the schemas live.")] = Path("schemas"),
    check_only: Annotated[bool, typer.Option("--check", help="Only report drift; write nothing.")] = False,
) -> None:
    """Write the JSON Schema of every record kind and the manifest (or check them)."""
    from interchange.contract.schema_export import export_schemas, schema_drift

    if check_only:
        drift = schema_drift(directory)
        for name in drift:
            typer.echo(f"out of date: {directory / name}", err=True)
        raise typer.Exit(1 if drift else 0)
    for path in export_schemas(directory):
        typer.echo(f"wrote {path}")


@templates_app.command("export")
def templates_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the templates live.")] = Path("schemas/templates"),
) -> None:
    """Write CSV and XLSX templates for every record kind, generated from the contract."""
    from interchange.partner.templates import export_templates

    for path in export_templates(directory):
        typer.echo(f"wrote {path}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo's files.")] = Path("demo-workspace"),
    persons: Annotated[int, typer.Option(help="How many persons to generate.")] = 600,
) -> None:
    """Run the end-to-end demo on synthetic Kretinga data (what exists of it so far)."""
    from interchange.demo.run import run_demo

    code = run_demo(directory, persons=persons, echo=typer.echo)
    raise typer.Exit(code)
