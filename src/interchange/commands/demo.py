"""`interchange demo`: the README's main command, the Kretinga partners end to end through Prefect."""

from __future__ import annotations

import logging
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    fail,
    flows_module,
    prepare_prefect,
    show_progress,
    steward_lang,
)
from interchange.i18n import say

if TYPE_CHECKING:
    from interchange.demo.scenario import Period
    from interchange.workspace.layout import Workspace


class Scale(StrEnum):
    KRETINGA = "kretinga"
    NATIONAL = "national"


def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo's files.")] = Path("demo-workspace"),
    persons: Annotated[int | None, typer.Option(
        help="--scale national only: distinct persons (default 1,000,000; ten contacts each). The Kretinga "
             "demo's population follows Kretinga's calibration.", hidden=True)] = None,
    lang: StewardLangOption = None,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", metavar="YYYY-MM-DD",
        help="Run the demo as on this day (default: today): its year is the 365 days before it. The same "
             "day gives byte-identical drops and the same figures.")] = None,
    scale: Annotated[Scale, typer.Option(
        help="kretinga: the end-to-end demo; national: only write a national-size data set (60 municipalities, "
             "~1M persons, ~10M contacts) as hub drops with its truth into --dir, for benchmarks.")] = Scale.KRETINGA,
) -> None:
    """Run the whole system on synthetic Kretinga data and check it against the generator's ground truth.

    Partners pseudonymise and check their extracts; the hub runs the Prefect `pipeline` flow
    (ingest → link) on a fresh SQLite workspace; a steward decides the review queue (the
    generator's ground truth plays the steward); the pipeline runs again (link with the
    decisions → publish); the steward approves the publications (exports to
    outbox/ministry/), and every receipt and published total is compared with the ground
    truth. Without PREFECT_API_URL a temporary local Prefect server
    runs for the demo. Every line is in Lithuanian or English (--lang); progress bars for the
    pipeline in a terminal only. Exit 0: everything as the ground truth says; 1: a mismatch.
    """
    language = steward_lang(lang)
    day = _day(as_of, language)
    if scale is Scale.NATIONAL:
        from interchange.demo.scenario import default_period

        _national(directory, persons or 1_000_000, default_period(day), language)
        return
    from prefect.settings import get_current_settings

    from interchange.demo.run import run_demo
    from interchange.ingest.run import configured_sources

    prepare_prefect(language)
    # Splink's notes on model training (levels not seen in a small sample) are for the linkage
    # engineer, not for someone trying the demo; errors still show.
    splink = logging.getLogger("splink")
    level = splink.level
    splink.setLevel(logging.ERROR)
    pipeline = flows_module("pipeline", language)

    def run_pipeline(workspace: Workspace, periods: list[str]) -> list:
        # The demo's held batch is deliberate (an old file sent again): publish without it.
        with show_progress(language, counted={"ingest.source": len(configured_sources(workspace))}):
            return pipeline.run_pipeline(str(workspace.root), periods, publish_incomplete=True).steps

    api = get_current_settings().api.url
    note = say("demo.prefect_server", language, api=api) if api else say("demo.prefect_temporary", language)
    try:
        code = run_demo(directory, persons=persons, echo=typer.echo, pipeline=run_pipeline, lang=language,
                        as_of=day, engine_label=say("demo.engine_prefect", language), prefect_note=note)
    finally:
        splink.setLevel(level)
    raise typer.Exit(code)


def _day(text: str | None, lang: str) -> date | None:
    from interchange.clock import ClockError, parse_day

    try:
        return None if text is None else parse_day(text, where="--as-of")
    except ClockError as exc:
        fail(lang, "steward.error", say("steward.not_a_day", lang, where=exc.where, text=exc.text), code=2)


def _national(directory: Path, persons: int, period: Period, lang: str) -> None:
    """The national data set only: generating it takes minutes; ingesting it is a benchmark's job."""
    from interchange.demo.national import describe_national, generate_national

    truth = generate_national(directory, persons=persons, contacts=10 * persons, period=period,
                              progress=typer.echo, lang=lang)
    typer.echo(describe_national(truth, directory, lang))


def register(app: typer.Typer) -> None:
    app.command()(demo)
