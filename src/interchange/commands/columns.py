"""`interchange columns suggest`: a first mapping of a partner's own column names to the contract's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from interchange.commands.common import Lang, LangOption
from interchange.contract.records import Kind
from interchange.i18n import say

columns_app = typer.Typer(help="Your own column names mapped to the contract's (--columns).",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(columns_app, name="columns")


@columns_app.command("suggest")
def suggest(
    extract: Annotated[Path, typer.Argument(help="An extract from your system (.csv, .xlsx or .jsonl).")],
    kind: Annotated[Kind, typer.Option(help="Record kind in the extract.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Mapping file to write (YAML); default: print it.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing --out file.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force the CSV encoding.")] = None,
    lang: LangOption = Lang.BOTH,
) -> None:
    """Map the extract's headers to the contract's columns; list the headers it could not place.

    Exit 0: every header placed and every required column found; 1: the mapping was written
    but needs you (headers not placed, required columns missing); 2: nothing written.
    """
    from interchange.contract.problems import ProblemError
    from interchange.partner.column_suggest import suggest_columns
    from interchange.tabular import read_table

    languages = ("lt", "en") if lang is Lang.BOTH else (lang.value,)
    if out is not None and out.resolve() == extract.resolve():
        _say(languages, "partner.columns_onto_extract")
        raise typer.Exit(2)
    if out is not None and out.exists() and not force:
        _say(languages, "partner.columns_exists", path=out)
        raise typer.Exit(2)
    try:
        with read_table(extract, encoding=encoding) as table:
            suggestion = suggest_columns(kind, table.headers)
    except ProblemError as exc:
        for problem in exc.problems:
            for language in languages:
                typer.echo(say("partner.problem", language, code=problem.code, message=problem.message(language)),
                           err=True)
        raise typer.Exit(2) from None
    comment = [say("partner.columns_comment", language, extract=extract.name, kind=kind.value)
               for language in languages]
    text = suggestion.yaml_text(comment)
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError:
            _say(languages, "partner.columns_unwritable", path=out)
            raise typer.Exit(2) from None
        _say(languages, "partner.file_written", path=out)
    _say(languages, "partner.columns_placed", placed=len(suggestion.mapped), headers=suggestion.headers,
         kind=kind.value)
    if suggestion.unplaced:
        _say(languages, "partner.columns_unplaced", headers=_quoted(suggestion.unplaced))
    for header, (column, other) in suggestion.repeats.items():
        _say(languages, "partner.columns_repeat", header=header, column=column, other=other)
    if suggestion.missing:
        _say(languages, "partner.columns_missing", kind=kind.value, columns=", ".join(suggestion.missing))
    if suggestion.unfed:
        _say(languages, "partner.columns_unfed", columns=", ".join(suggestion.unfed))
    raise typer.Exit(0 if suggestion.complete else 1)


def _say(languages: tuple[str, ...], key: str, **params: object) -> None:
    """On stderr, so that a mapping printed on stdout can be redirected into a file as it is."""
    for language in languages:
        typer.echo(say(key, language, **params), err=True)


def _quoted(headers: list[str]) -> str:
    return ", ".join(f"'{h}'" for h in headers)
