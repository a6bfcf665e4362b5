"""The demo: the Kretinga partners' year, from raw extracts to approved ministry exports.

Each partner's raw extracts (the social services centre's Windows-1257 CSV, the women's
centre's XLSX, the day-activity centre's and the social support division's UTF-8 CSV) are
generated with their ground truth, pseudonymised and checked on the "partner's machine".
The hub then runs ingest → link on a fresh SQLite workspace (the CLI passes the Prefect
`pipeline` flow as a callable); a steward works through the review queue, with the ground
truth playing the steward who knows the families; the pipeline runs again to link with
those decisions and publish; the steward approves the publications, which writes the
ministry's exports; and the demo checks itself against the ground truth: every receipt
(rows read, loaded, quarantined by row, held) and every published indicator total.
Nothing here imports Prefect.

The demo runs as on one day (`as_of`, default today): its year is the 365 days before it,
and the whole run reads "today" from that day (interchange.clock), so the same seed and
day give byte-identical drops and the same figures on any machine and any date.

Every line it prints comes from the message catalogue (interchange.i18n,
keys `demo.*`) in Lithuanian or English, through the steward commands' own renderers where
the demo shows the same thing (ingest totals and batches, publications, the programme's title;
pipeline steps and outcomes by the same words as `interchange pipeline`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from interchange import clock
from interchange.contract.records import Kind
from interchange.demo.scenario import PROGRAMME_CODE, default_period, seeded_secret
from interchange.demo.synthetic import DEMO_SEED, TRUTH_FILE, generate_demo_data
from interchange.i18n import name_of, say
from interchange.indicators.publications import render_publication
from interchange.ingest.receipts import render_batch_line
from interchange.linkage.review import render_review
from interchange.partner.check import check_drop
from interchange.partner.keys import PseudonymKey, write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy import Engine

    from interchange.contract.receipt import Receipt
    from interchange.demo.extracts import ExtractFile
    from interchange.demo.truth import GroundTruth
    from interchange.indicators.publications import Publication
    from interchange.linkage.index import LinkSummary
    from interchange.workspace.layout import Workspace

Echo = Callable[[str], object]
STEWARD = "demo-steward"


class StepReport(Protocol):
    """One step of the hub's run as the pipeline reports it (flows/pipeline.py's Step); read-only,
    as both the flow's steps and the demo's own are frozen."""

    @property
    def name(self) -> str: ...

    @property
    def outcome(self) -> str: ...  # ran, failed, skipped

    @property
    def detail(self) -> str: ...

    @property
    def summary(self) -> Any: ...  # the step's IngestSummary / LinkSummary when it ran, else None


Pipeline = Callable[["Workspace", list[str]], Sequence[StepReport]]
"""Runs ingest → link, then publish of the periods (none: no publish step), even with a held batch."""


@dataclass(frozen=True)
class Review:
    """What the review step found and decided: the steward's workload on this day."""

    persons_linked: int  # persons the model gave more than one record on its own
    records_linked: int  # the records of those persons
    same: int  # open pairs the steward (the truth) decided to be one person
    different: int  # ... and two persons

    @property
    def pairs(self) -> int:
        return self.same + self.different


@dataclass(frozen=True)
class DemoResult:
    """How one run of the demo ended: its verdict, the day, and what the steward's review took."""

    ok: bool
    as_of: date
    true_persons: int  # distinct persons behind the person records, per the ground truth
    persons: int | None  # persons in the index after the last link run (None: linkage did not run)
    review: Review | None  # None: the review step was not reached
    published: list[Published]


@dataclass(frozen=True)
class Published:
    """A period's approved publication and what checking it against the ground truth found."""

    publication: Publication
    exports: list[Path]
    equal: int  # indicators whose published total is the true figure
    suppressed: int  # totals suppressed for the ministry whose hub value is the true figure
    wrong: dict[str, tuple[object, object]]  # indicator -> (true figure, published or hub value)


def run_demo(directory: Path, *, echo: Echo, pipeline: Pipeline, persons: int | None = None,
             seed: int = DEMO_SEED, as_of: date | None = None, lang: str = "en", engine_label: str | None = None,
             prefect_note: str | None = None) -> int:
    """Run the demo in `directory` as on `as_of`; 0 when every step did what the ground truth says, else 1.

    `play_demo` takes the same arguments and returns what the run found (DemoResult).

    Args:
        directory: The demo's folder (partner files, drops, the hub's workspace in hub/).
        echo: Where the lines for the user go.
        pipeline: Runs the hub's ingest → link (→ publish) (the CLI passes the Prefect flow).
        persons: Not used: the population follows Kretinga's calibration (kept for the CLI option).
        seed: The generator's seed; the same seed and day give the same files.
        as_of: The day the demo runs as if it were today (default: the clock's today).
        lang: The language of every line: "lt" or "en".
        engine_label: How the hub's steps run, for the user (default: "the pipeline" in `lang`).
        prefect_note: Where to see the flow runs, for the last step's list.
    """
    del persons
    result = play_demo(directory, echo=echo, pipeline=pipeline, seed=seed, as_of=as_of, lang=lang,
                       engine_label=engine_label, prefect_note=prefect_note)
    return 0 if result.ok else 1


def play_demo(directory: Path, *, echo: Echo, pipeline: Pipeline, seed: int = DEMO_SEED, as_of: date | None = None,
              lang: str = "en", engine_label: str | None = None, prefect_note: str | None = None) -> DemoResult:
    """The demo as `run_demo` runs it, returning what it found (for the calendar test and benchmark)."""
    day = as_of or clock.today()
    with clock.pinned(day):
        return _run_demo(directory.resolve(), echo=echo, pipeline=pipeline, seed=seed, day=day, lang=lang,
                         label=engine_label or say("demo.engine_default", lang), prefect_note=prefect_note)


def _run_demo(directory: Path, *, echo: Echo, pipeline: Pipeline, seed: int, day: date, lang: str, label: str,
              prefect_note: str | None) -> DemoResult:
    partner = directory / "partner"  # stands for the partners' own machines
    drops = directory / "drops"
    for stale in (drops, partner / "extracts"):  # the demo's own folders: nothing of another day stays behind
        shutil.rmtree(stale, ignore_errors=True)
    for folder in (partner, drops):
        folder.mkdir(parents=True, exist_ok=True)
    key_path = partner / "kretinga.key"
    key = demo_key(key_path, seed)

    truth = generate_demo_data(partner / "extracts", seed=seed, period=default_period(day),
                               truth_path=directory / TRUTH_FILE)
    period = truth.scenario.period
    echo(say("demo.title", lang, as_of=day, start=period.start, end=period.end, seed=seed, directory=directory))
    echo(render_heading(1, lang, files=len(truth.files), persons=len(truth.scenario.people)))
    made_at = drops_made_at(day)
    partner_ok = all([_partner_step(extract, drops, key, made_at, echo, lang) for extract in truth.files])
    if partner_ok:
        _echo_partners(truth, echo, lang)

    root = directory / "hub"
    workspace = _fresh_hub(root, truth, drops)
    periods = publish_periods(truth)
    echo(render_heading(2, lang, engine=label))
    echo(say("demo.held_note", lang))
    steps = list(pipeline(workspace, []))
    linked = bool(steps) and all(step.outcome == "ran" for step in steps)
    receipts = read_receipts(workspace)

    from interchange.warehouse.engine import warehouse

    with warehouse(workspace.database_url) as engine:
        if steps:
            echo(render_hub_steps(_in_words(steps, engine, [], lang), lang))
        echo(render_heading(3, lang, count=len(receipts)))
        receipts_ok = check_receipts(truth, receipts, echo, lang)
        review = None
        if linked:
            review = review_as_steward(engine, truth, _link_summary(steps), echo, lang)
            echo(say("demo.relink", lang, engine=label, periods=say("demo.and", lang).join(periods)))
            steps = list(pipeline(workspace, periods))
            echo(render_hub_steps(_in_words(steps, engine, periods, lang), lang))
        hub_ok = review is not None and all(step.outcome == "ran" for step in steps)
        published = [] if not hub_ok else approve_and_check(engine, workspace, truth, periods, echo, lang)
        figures_ok = hub_ok and len(published) == len(periods) and all(not p.wrong for p in published)
        progress = _progress_text(engine, workspace, lang) if hub_ok else ""
    if progress:
        echo(render_heading(7, lang))
        echo(_indent(progress.rstrip()))
        echo(say("demo.progress_hint", lang, programme=PROGRAMME_CODE, root=workspace.root))
    echo(render_heading(8, lang))
    echo(render_where(_where(directory, workspace, key_path, receipts, published, prefect_note, lang), lang))
    ok = partner_ok and hub_ok and receipts_ok and figures_ok
    echo("\n" + say("demo.passed" if ok else "demo.failed", lang))
    last_link = _link_summary(steps)
    return DemoResult(ok, day, true_persons=len({record.pid for record in truth.records}),
                      persons=last_link.persons if last_link else None, review=review, published=published)


def demo_key(path: Path, seed: int) -> PseudonymKey:
    """The partners' key of the demo, derived from the seed so that the same seed gives the same drops.

    A real key is never derived from anything: `interchange keygen` draws it from the
    operating system's random source.
    """
    path.unlink(missing_ok=True)  # the demo's own folder
    return write_new_key(path, secret=seeded_secret("interchange-demo", seed))


def drops_made_at(day: date) -> datetime:
    """When the demo's partners made their drops: the evening before `day` (their year ends that day)."""
    return datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(hours=17)


def _link_summary(steps: Sequence[StepReport]) -> LinkSummary | None:
    return next((step.summary for step in steps if step.name == "link"), None)


def review_as_steward(engine: Engine, truth: GroundTruth, linked: LinkSummary | None, echo: Echo,
                      lang: str = "en") -> Review:
    """Step 4: the open review queue as `interchange review list` shows it, each pair decided as the truth says.

    The ground truth plays a steward who knows the families: two records are the same
    person exactly when the generator made them from one person.
    """
    from interchange.linkage.records import split_uid
    from interchange.linkage.review import Decision, decide_pair, open_pairs

    echo(render_heading(4, lang))
    pairs = open_pairs(engine)
    echo(_indent(render_review(pairs, len(pairs), lang)))
    decisions = []
    for pair in pairs:
        one = truth.person_of(*split_uid(pair.uid_l)) == truth.person_of(*split_uid(pair.uid_r))
        decision = Decision.SAME if one else Decision.DIFFERENT
        decide_pair(engine, pair.pair_id, decision, decided_by=STEWARD, note="demo: the generator's ground truth")
        decisions.append(decision)
        echo(say("demo.review_decided", lang, pair=pair.pair_id, decision=decision.value,
                 truth=say("demo.truth_same" if one else "demo.truth_different", lang)))
    same = decisions.count(Decision.SAME)
    review = Review(persons_linked=linked.persons_linked if linked else 0,
                    records_linked=linked.records_linked if linked else 0, same=same, different=len(decisions) - same)
    echo(say("demo.review_workload", lang, linked=review.persons_linked, records=review.records_linked,
             pairs=review.pairs, same=review.same, different=review.different))
    return review


@dataclass(frozen=True)
class _Step:
    name: str
    outcome: str
    detail: str
    summary: Any = None


def direct_pipeline(workspace: Workspace, periods: list[str]) -> list[_Step]:
    """The hub's ingest → link → publish as plain function calls: the demo without Prefect.

    The same library functions the flows wrap, in the same order, for tests and benchmarks
    that run the demo many times (tests/test_demo_calendar.py, benchmarks/demo_calendar.py);
    a step that raises stops the run, as a failed flow would.
    """
    from interchange.indicators.periods import parse_period
    from interchange.indicators.publications import publish
    from interchange.ingest.run import ingest_workspace
    from interchange.linkage.index import link_persons
    from interchange.linkage.scorers import configured_scorer
    from interchange.warehouse.engine import warehouse

    ingested = ingest_workspace(workspace)
    steps = [_Step("ingest", "ran", ingested.counts_line(), ingested)]
    settings = workspace.config.linkage
    with warehouse(workspace.database_url) as engine:
        with configured_scorer(settings.spark_master, settings.spark_config) as (name, scorer):
            linked = link_persons(engine, scorer=scorer, scorer_name=name, upper=settings.upper,
                                  lower=settings.lower)
        steps.append(_Step("link", "ran", linked.render(), linked))
        for period in periods:
            published = publish(engine, workspace, parse_period(period, workspace.config), by=STEWARD)
            steps.append(_Step("publish", "ran", f"{published.period} v{published.version}"))
    return steps


def _in_words(steps: Sequence[StepReport], engine: Engine, periods: list[str], lang: str) -> list[_Step]:
    """The steps with what each ran step did in `lang`, read back from the warehouse.

    The flows' own details are their Prefect state messages, in English: a step that failed
    or was skipped keeps its reason as the flow wrote it (as `interchange pipeline` shows it).
    """
    from interchange.indicators.publications import get_publication

    publishing = iter(periods)  # the pipeline publishes the periods in the order given
    worded = []
    for step in steps:
        detail = step.detail
        period = next(publishing, None) if step.name == "publish" else None
        if step.outcome == "ran" and step.name == "ingest" and step.summary is not None:
            run = step.summary  # this run's batches only (the second run finds none)
            detail = say("demo.ingest_detail", lang, batches=len(run.receipts), loaded=run.rows_loaded,
                         quarantined=run.rows_quarantined, held=len(run.held))
        elif step.outcome == "ran" and step.name == "link" and step.summary is not None:
            run = step.summary
            detail = say("demo.link_detail", lang, persons=run.persons, new=run.new_persons, merges=run.merges,
                         splits=run.splits, pairs=run.pairs_for_review)
        elif step.outcome == "ran" and period is not None:
            p = get_publication(engine, period)
            detail = say("demo.publish_detail", lang, period=p.period, version=p.version, cells=p.cells,
                         suppressed=p.suppressed_cells)
        worded.append(_Step(step.name, step.outcome, detail))
    return worded


def render_hub_steps(steps: Sequence[StepReport], lang: str) -> str:
    """Step 2's lines: each pipeline step and its outcome in `lang` (as `interchange pipeline` names them), aligned."""
    names = [name_of("steward.step", step.name, lang) for step in steps]
    outcomes = [name_of("steward.outcome", step.outcome, lang) for step in steps]
    name_width = max(map(len, names), default=0) + 2
    outcome_width = max(map(len, outcomes), default=0) + 2
    return "\n".join(f"   {name.ljust(name_width)}{outcome.ljust(outcome_width)}{step.detail}"
                     for name, outcome, step in zip(names, outcomes, steps, strict=True))


def render_heading(step: int, lang: str, **values: object) -> str:
    """The numbered heading of one of the demo's eight steps, after a blank line."""
    return "\n" + say(f"demo.step{step}", lang, **values)


def render_where(places: Sequence[tuple[str, dict[str, object]]], lang: str) -> str:
    """Step 8's list: each place's label (`demo.where.<name>`), aligned, then its note with the values."""
    labels = [say(f"demo.where.{name}", lang) for name, _ in places]
    width = max((len(label) for label in labels), default=0) + 2
    return "\n".join(f"   {label.ljust(width)}{say(f'demo.where.{name}_note', lang, **values)}"
                     for label, (name, values) in zip(labels, places, strict=True))


def render_progress_table(table: pd.DataFrame, lang: str) -> str:
    """The programme's progress, narrow enough for a terminal: service, figure, value, target, achieved.

    `interchange progress` shows the same with the indicators' names (about 200 characters wide).
    """
    rows = [tuple(say("demo.progress_cols", lang).split("|"))]
    for row in table.itertuples(index=False):
        achieved = "–" if row.share != row.share else f"{row.share:.0%}"
        service = row.service if isinstance(row.service, str) and row.service else say("demo.whole_programme", lang)
        rows.append((service, str(row.figure), f"{row.value:g}",
                     f"{row.target:g}", achieved))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    first = table.iloc[0] if len(table) else None
    title = (say("steward.programme_title", lang, programme=first["programme"], period=first["period"])
             if first is not None else PROGRAMME_CODE)
    return "\n".join([title, *lines])


def publish_periods(truth: GroundTruth) -> list[str]:
    """The last whole quarter of the demo's year, and the programme (both have known true figures)."""
    labels = truth.by_period
    quarters = [label for label in labels if "-Q" in label]
    return [*quarters[-1:], PROGRAMME_CODE]


def _partner_step(extract: ExtractFile, drops: Path, key: PseudonymKey, made_at: datetime, echo: Echo,
                  lang: str) -> bool:
    """Pseudonymise (unless the file has no identifiers) and check one extract; True when as expected."""
    folder = drops / extract.org
    folder.mkdir(parents=True, exist_ok=True)
    drop = folder / extract.drop_name
    if extract.pseudonymise:
        made = pseudonymise_file(extract.path, drop, org=extract.org, kind=Kind(extract.kind), key=key,
                                 created_at=made_at)
        made_ok = made.rows_accepted == extract.expected_accepted and not made.errors
    else:
        shutil.copy2(extract.path, drop)
        made_ok = True
    checked = check_drop(drop, org=extract.org)
    bad = sorted({p.row for p in checked.errors if p.row is not None})
    ok = made_ok and bad == extract.bad_rows and checked.rows_read == extract.rows - (
        0 if not extract.pseudonymise else len(extract.bad_rows))
    if not ok:
        echo(say("demo.partner_mismatch", lang, org=extract.org, name=extract.path.name, bad=bad,
                 planted=extract.bad_rows))
    return ok


def _echo_partners(truth: GroundTruth, echo: Echo, lang: str) -> None:
    by_org: dict[str, list[ExtractFile]] = {}
    for extract in truth.files:
        by_org.setdefault(extract.org, []).append(extract)
    for org, files in by_org.items():
        names = ", ".join(f.path.name for f in files)
        echo(say("demo.org_files", lang, org=org, names=names, rows=sum(f.rows for f in files)))
    for extract in truth.files:
        if extract.bad_rows:
            echo(say("demo.unidentified", lang, org=extract.org, name=extract.path.name,
                     rows=", ".join(map(str, extract.bad_rows))))


def _fresh_hub(root: Path, truth: GroundTruth, drops: Path) -> Workspace:
    """A new hub workspace with every drop in its inbox, as if uploaded a minute ago."""
    from interchange.workspace.init import EXAMPLE_CONFIG, init_workspace

    if root.exists():
        shutil.rmtree(root)  # the demo's own folder: every run starts from an empty hub
    workspace = init_workspace(root, config_text=EXAMPLE_CONFIG.replace("settle_seconds: 5", "settle_seconds: 0"))
    settled = time.time() - 60  # inboxes wait for files to settle
    for extract in truth.files:
        drop = drops / extract.org / extract.drop_name
        for path in (drop, drop.with_name(drop.name + ".manifest.json")):
            if path.exists():
                copy = Path(shutil.copy2(path, workspace.inbox(extract.org) / path.name))
                os.utime(copy, (settled, settled))
    return workspace


def read_receipts(workspace: Workspace) -> list[Receipt]:
    """Every receipt the hub wrote for the partners (receipts/<org>/*.json), in batch order."""
    from interchange.contract.receipt import Receipt

    found = [Receipt.model_validate_json(path.read_text(encoding="utf-8"))
             for path in (workspace.root / "receipts").glob("*/*.json")]
    return sorted(found, key=lambda r: r.batch_id)


def check_receipts(truth: GroundTruth, receipts: list[Receipt], echo: Echo, lang: str = "en") -> bool:
    """Each extract has one receipt, and it says what the ground truth expects; prints the notable ones.

    The totals and each notable batch (held, or with quarantined rows) are printed as
    `interchange ingest` prints them, then what the ground truth planted there.
    """
    by_file = {(r.org, r.file_name): r for r in receipts}
    ok = len(by_file) == len(receipts) == len(truth.files)
    notable: list[str] = []
    for extract in truth.files:
        receipt = by_file.get((extract.org, extract.drop_name))
        expected_read = extract.rows if not extract.pseudonymise else extract.expected_accepted
        held = extract.held_by is not None
        quarantined = sorted({p.row for p in receipt.problems if p.severity == "error" and p.row}) if receipt else []
        fine = (receipt is not None and receipt.counts.rows_read == expected_read and receipt.held == held
                and receipt.counts.loaded == (0 if held else extract.expected_accepted)
                and (not held or extract.held_by in {e.code for e in receipt.expectations if not e.success})
                and quarantined == (extract.bad_rows if not extract.pseudonymise else []))
        if not fine:
            echo(say("demo.receipt_mismatch", lang, org=extract.org, name=extract.drop_name, read=expected_read,
                     loaded=0 if held else extract.expected_accepted, rows=extract.bad_rows,
                     held=say("demo.yes" if held else "demo.no", lang)))
        elif receipt is not None and (held or quarantined):
            notable.append(" " + render_batch_line(receipt, lang))
            notable.append(say("demo.held_by", lang, check=extract.held_by) if held
                           else say("demo.quarantined_rows", lang, rows=", ".join(map(str, quarantined))))
        ok = ok and fine
    echo("   " + say("steward.ingest_summary", lang, batches=len(receipts),
                     loaded=sum(r.counts.loaded for r in receipts), unchanged=sum(r.counts.unchanged for r in receipts),
                     quarantined=sum(r.counts.quarantined for r in receipts), held=sum(r.held for r in receipts)))
    for line in notable:
        echo(line)
    echo(say("demo.receipts_ok" if ok else "demo.receipts_mismatch", lang))
    return ok


def approve_and_check(engine: Engine, workspace: Workspace, truth: GroundTruth, periods: list[str],
                      echo: Echo, lang: str = "en") -> list[Published]:
    """Approve each period's latest version as a steward (writing the exports), then check its totals."""
    approved = []
    echo(render_heading(5, lang))
    for period in periods:
        found = _approve_as_steward(engine, workspace, period, echo, lang)
        if found is None:
            continue
        publication, exports = found
        approved.append((publication, exports))
        echo("   " + render_publication(publication, lang))
        echo(say("demo.exports", lang, count=len(exports),
                 folder=exports[0].parent if exports else say("demo.no_exports", lang)))
    echo(render_heading(6, lang))
    checked = []
    for publication, exports in approved:
        result = check_publication(engine, truth, publication, exports)
        checked.append(result)
        echo(render_totals(result, lang))
    return checked


# What the demo plants and step 3 shows (a file of last year's contacts sent again, bad rows of
# attendance that are not real): a steward who has read those receipts approves despite them.
PLANTED_REASONS = frozenset({"held-batches", "open-quarantine"})


def _approve_as_steward(engine: Engine, workspace: Workspace, period: str, echo: Echo,
                        lang: str) -> tuple[Any, list[Path]] | None:
    """Approve as `interchange approve` does; refused for the planted problems only, confirm them and
    approve again (None: refused for another reason, which the demo prints and fails on)."""
    from interchange.indicators.publications import get_publication
    from interchange.operations.approval import ApprovalRefused, approve_checked

    version = get_publication(engine, period).version
    try:
        return approve_checked(engine, workspace, period, version, by=STEWARD)
    except ApprovalRefused as refused:
        echo(_indent(refused.message(lang)))
        reasons = {b.reason.value for b in refused.unconfirmed}
        if not reasons <= PLANTED_REASONS:
            return None
        echo(say("demo.approve_despite", lang, despite=" ".join(f"--despite {r}" for r in sorted(reasons))))
        return approve_checked(engine, workspace, period, version, by=STEWARD, despite=reasons)


def render_totals(result: Published, lang: str) -> str:
    """Step 6's line for one publication: how many totals equal the truth, or what differs."""
    period = result.publication.period
    if result.wrong:
        return say("demo.totals_mismatch", lang, period=period, items="; ".join(
            say("demo.total_wrong", lang, code=code, want=want, got=got)
            for code, (want, got) in sorted(result.wrong.items())))
    return say("demo.totals_ok", lang, period=period, equal=result.equal, suppressed=result.suppressed)


def check_publication(engine: Engine, truth: GroundTruth, publication: Publication,
                      exports: list[Path]) -> Published:
    """Compare a version's total cells with the truth: the ministry's value, or the hub's where suppressed."""
    from interchange.indicators.outbox import ministry_frame
    from interchange.indicators.publications import publication_cells_frame

    def totals(frame: object) -> dict[str, float | None]:
        total = frame[frame["breakdown"] == "total"]  # type: ignore[index]
        return {code: (None if value != value else float(value))
                for code, value in zip(total["indicator"], total["value"], strict=True)}

    ministry = ministry_frame(engine, publication.period, publication.version)
    published = totals(ministry)
    hub = totals(publication_cells_frame(engine, publication.period, publication.version))
    suppressed = set(ministry.loc[(ministry["breakdown"] == "total") & ministry["suppressed"].astype(bool),
                                  "indicator"])
    true = {c for c in truth.by_period[publication.period] if c not in ("start", "end")}
    wrong = truth.differences({code: hub.get(code) if code in suppressed else published.get(code)
                               for code in true}, publication.period)
    return Published(publication, exports, equal=len(true - suppressed - wrong.keys()),
                     suppressed=len(true & suppressed - wrong.keys()), wrong=wrong)


def _progress_text(engine: Engine, workspace: Workspace, lang: str) -> str:
    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.progress import programme_progress

    return render_progress_table(programme_progress(engine, load_catalogue(), workspace.config, PROGRAMME_CODE), lang)


def _where(directory: Path, workspace: Workspace, key_path: Path, receipts: list[Receipt],
           published: list[Published], prefect_note: str | None, lang: str) -> list[tuple[str, dict[str, object]]]:
    root = workspace.root
    places: list[tuple[str, dict[str, object]]] = [
        ("key", {"path": key_path}),
        ("extracts", {"path": directory / "partner" / "extracts"}),
        ("drops", {"path": directory / "drops"}),
        ("truth", {"path": directory / TRUTH_FILE}),
        ("hub", {"path": root, "warehouse": root / "warehouse.sqlite"}),
        ("receipts", {"path": root / "receipts", "count": len(receipts)}),
        ("quarantine", {"rows": sum(r.counts.quarantined for r in receipts), "root": root}),
    ]
    for result in published:
        p = result.publication
        places.append(("publication", {"period": p.period, "version": p.version,
                                       "state": name_of("steward.state", p.state.value, lang),
                                       "folder": result.exports[0].parent if result.exports
                                       else say("demo.no_exports", lang)}))
    places.append(("browser", {"root": root}))
    if prefect_note:
        places.append(("prefect", {"note": prefect_note}))
    return places


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())
