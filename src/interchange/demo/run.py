"""The demo: the Kretinga partners' year, from raw extracts to approved ministry exports.

Each partner's raw extracts (the social services centre's Windows-1257 CSV, the women's
centre's XLSX, the day-activity centre's and the social support division's UTF-8 CSV) are
generated with their ground truth, pseudonymised and checked on the "partner's machine".
The hub then runs ingest → link → publish on a fresh SQLite workspace (the CLI passes the
Prefect `pipeline` flow as a callable), a steward approves the
publications, which writes the ministry's exports, and the demo checks itself against the
ground truth: every receipt (rows read, loaded, quarantined by row, held) and every
published indicator total. Nothing here imports Prefect.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from interchange.contract.records import Kind
from interchange.demo.scenario import PROGRAMME_CODE
from interchange.demo.synthetic import DEMO_SEED, TRUTH_FILE, generate_demo_data
from interchange.partner.check import check_drop
from interchange.partner.keys import load_key, write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.contract.receipt import Receipt
    from interchange.demo.extracts import ExtractFile
    from interchange.demo.truth import GroundTruth
    from interchange.indicators.publications import Publication
    from interchange.workspace.layout import Workspace

Echo = Callable[[str], object]
STEWARD = "demo-steward"


class StepReport(Protocol):
    """One step of the hub's run as the pipeline reports it (flows/pipeline.py's Step)."""

    name: str
    outcome: str  # ran, failed, skipped
    detail: str


Pipeline = Callable[["Workspace", list[str]], Sequence[StepReport]]
"""Runs ingest → link → publish of the periods on a workspace, even with a held batch."""


@dataclass(frozen=True)
class Published:
    """A period's approved publication and what checking it against the ground truth found."""

    publication: Publication
    exports: list[Path]
    equal: int  # indicators whose published total is the true figure
    suppressed: int  # totals suppressed for the ministry whose hub value is the true figure
    wrong: dict[str, tuple[object, object]]  # indicator -> (true figure, published or hub value)


def run_demo(directory: Path, *, echo: Echo, pipeline: Pipeline, persons: int | None = None,
             seed: int = DEMO_SEED, engine_label: str = "the pipeline", prefect_note: str | None = None) -> int:
    """Run the demo in `directory`; 0 when every step did what the ground truth says, else 1.

    Args:
        directory: The demo's folder (partner files, drops, the hub's workspace in hub/).
        echo: Where the lines for the user go.
        pipeline: Runs the hub's ingest → link → publish (the CLI passes the Prefect flow).
        persons: Not used: the population follows Kretinga's calibration (kept for the CLI option).
        seed: The generator's seed; the same seed and day give the same files.
        engine_label: How the hub's steps run, for the user ("Prefect flow `pipeline`").
        prefect_note: Where to see the flow runs, for the last step's list.
    """
    del persons
    directory = directory.resolve()
    partner = directory / "partner"  # stands for the partners' own machines
    drops = directory / "drops"
    for folder in (partner, drops):
        folder.mkdir(parents=True, exist_ok=True)
    key_path = partner / "kretinga.key"
    key = load_key(key_path) if key_path.exists() else write_new_key(key_path)

    truth = generate_demo_data(partner / "extracts", seed=seed, truth_path=directory / TRUTH_FILE)
    period = truth.scenario.period
    echo(f"Interchange demo: the Kretinga partners' year {period.start} – {period.end}, synthetic data, in {directory}")
    echo(f"\n1. Partners: {len(truth.files)} raw extracts of {len(truth.scenario.people)} synthetic persons "
         f"(codes, names, addresses) → pseudonymised drops")
    partner_ok = all([_partner_step(extract, drops, key, echo) for extract in truth.files])
    if partner_ok:
        _echo_partners(truth, echo)

    root = directory / "hub"
    workspace = _fresh_hub(root, truth, drops)
    periods = publish_periods(truth)
    echo(f"\n2. Hub: {engine_label} runs ingest → link → publish {' and '.join(periods)}")
    echo("   (one batch will be held, an old file sent again by mistake: publishing goes ahead without it)")
    steps = pipeline(workspace, periods)
    for step in steps:
        echo(f"   {step.name:<8}{step.outcome:<8}{step.detail}")
    hub_ok = all(step.outcome == "ran" for step in steps)

    receipts = read_receipts(workspace)
    echo(f"\n3. Receipts: {len(receipts)} batches, one receipt each for the partners")
    receipts_ok = check_receipts(truth, receipts, echo)

    from interchange.warehouse.engine import open_warehouse

    engine = open_warehouse(workspace.database_url)
    try:
        published = [] if not hub_ok else approve_and_check(engine, workspace, truth, periods, echo)
        figures_ok = hub_ok and len(published) == len(periods) and all(not p.wrong for p in published)
        progress = _progress_text(engine, workspace) if hub_ok else ""
    finally:
        engine.dispose()
    if progress:
        echo("\n6. Programme progress against its targets (the stewards' view: not disclosure-protected):")
        echo(_indent(progress.rstrip()))
        echo(f"   with the indicators' names: interchange progress --programme {PROGRAMME_CODE} -w {workspace.root}")
    _where(directory, workspace, key_path, receipts, published, echo, prefect_note)
    ok = partner_ok and hub_ok and receipts_ok and figures_ok
    echo("\nDemo " + ("passed: every row accounted for, every published figure equals the ground truth."
                      if ok else "FAILED: see MISMATCH / failed above."))
    return 0 if ok else 1


def publish_periods(truth: GroundTruth) -> list[str]:
    """The last whole quarter of the demo's year, and the programme (both have known true figures)."""
    labels = truth.by_period
    quarters = [label for label in labels if "-Q" in label]
    return [*quarters[-1:], PROGRAMME_CODE]


def _partner_step(extract: ExtractFile, drops: Path, key: object, echo: Echo) -> bool:
    """Pseudonymise (unless the file has no identifiers) and check one extract; True when as expected."""
    folder = drops / extract.org
    folder.mkdir(parents=True, exist_ok=True)
    drop = folder / extract.drop_name
    if extract.pseudonymise:
        made = pseudonymise_file(extract.path, drop, org=extract.org, kind=Kind(extract.kind), key=key)  # type: ignore[arg-type]
        made_ok = made.rows_accepted == extract.expected_accepted and not made.errors
    else:
        shutil.copy2(extract.path, drop)
        made_ok = True
    checked = check_drop(drop, org=extract.org)
    bad = sorted({p.row for p in checked.errors if p.row is not None})
    ok = made_ok and bad == extract.bad_rows and checked.rows_read == extract.rows - (
        0 if not extract.pseudonymise else len(extract.bad_rows))
    if not ok:
        echo(f"   MISMATCH {extract.org}/{extract.path.name}: bad rows {bad}, planted {extract.bad_rows}")
    return ok


def _echo_partners(truth: GroundTruth, echo: Echo) -> None:
    by_org: dict[str, list[ExtractFile]] = {}
    for extract in truth.files:
        by_org.setdefault(extract.org, []).append(extract)
    for org, files in by_org.items():
        names = ", ".join(f.path.name for f in files)
        echo(f"   {org}: {names} ({sum(f.rows for f in files)} rows)")
    for extract in truth.files:
        if extract.bad_rows:
            echo(f"   {extract.org}/{extract.path.name} has no identifiers and is sent as exported; "
                 f"`interchange check` finds its planted bad rows {', '.join(map(str, extract.bad_rows))}")


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


def check_receipts(truth: GroundTruth, receipts: list[Receipt], echo: Echo) -> bool:
    """Each extract has one receipt, and it says what the ground truth expects; prints the notable ones."""
    by_file = {(r.org, r.file_name): r for r in receipts}
    ok = len(by_file) == len(receipts) == len(truth.files)
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
            echo(f"   MISMATCH {extract.org}/{extract.drop_name}: expected read {expected_read}, "
                 f"loaded {0 if held else extract.expected_accepted}, quarantined rows {extract.bad_rows}, "
                 f"held {held}")
        elif receipt is not None and (held or quarantined):
            what = (f"held by {extract.held_by}: nothing loaded (an old file sent again)" if held
                    else f"{receipt.counts.loaded} loaded, rows {', '.join(map(str, quarantined))} quarantined")
            echo(f"   batch {receipt.batch_id} {extract.org}/{extract.drop_name}: {what}")
        ok = ok and fine
    loaded = sum(r.counts.loaded for r in receipts)
    echo(f"   {loaded} rows loaded in all; every receipt as the ground truth expects (rows read, loaded, "
         f"quarantined by row, held)" if ok else "   receipts: MISMATCH, see above")
    return ok


def approve_and_check(engine: Engine, workspace: Workspace, truth: GroundTruth, periods: list[str],
                      echo: Echo) -> list[Published]:
    """Approve each period's latest version as a steward (writing the exports), then check its totals."""
    from interchange.indicators.publications import approve, get_publication

    approved = []
    echo("\n4. A steward approves the publications (`interchange approve`): exports for the ministry")
    for period in periods:
        publication, exports = approve(engine, workspace, period, get_publication(engine, period).version,
                                       by=STEWARD)
        approved.append((publication, exports))
        echo(f"   {period} v{publication.version} {publication.state.value}: {publication.cells} cells, "
             f"{publication.suppressed_cells} suppressed → {len(exports)} files in "
             f"{exports[0].parent if exports else '(none)'}")
    echo("\n5. Published totals against the generator's ground truth:")
    checked = []
    for publication, exports in approved:
        result = check_publication(engine, truth, publication, exports)
        checked.append(result)
        line = (f"   {publication.period}: {result.equal} totals equal the true figures; {result.suppressed} "
                f"suppressed for the ministry (small counts), their hub values equal the true figures")
        echo(line if not result.wrong else f"   MISMATCH {publication.period}: " + "; ".join(
            f"{code} true {want}, found {got}" for code, (want, got) in sorted(result.wrong.items())))
    return checked


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


def _progress_text(engine: Engine, workspace: Workspace) -> str:
    """The programme's progress table, narrow enough for a terminal (`interchange progress` has the names)."""
    from interchange.indicators.catalogue import load_catalogue
    from interchange.indicators.progress import programme_progress

    table = programme_progress(engine, load_catalogue(), workspace.config, PROGRAMME_CODE)
    rows = [("service", "figure", "value", "target", "achieved")]
    for row in table.itertuples(index=False):
        achieved = "–" if row.share != row.share else f"{row.share:.0%}"
        rows.append((row.service or "(programme)", row.figure, f"{row.value:g}", f"{row.target:g}", achieved))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    first = table.iloc[0] if len(table) else None
    title = f"{PROGRAMME_CODE} ({first['period']})" if first is not None else PROGRAMME_CODE
    return "\n".join([title, *lines])


def _where(directory: Path, workspace: Workspace, key_path: Path, receipts: list[Receipt],
           published: list[Published], echo: Echo, prefect_note: str | None) -> None:
    root = workspace.root
    quarantined = sum(r.counts.quarantined for r in receipts)
    echo("\n7. Where everything is:")
    echo(f"   partner key      {key_path}  (stays with the partners; the hub never sees it)")
    echo(f"   raw extracts     {directory / 'partner' / 'extracts'}/<org>/  (names and codes: partners only)")
    echo(f"   drops            {directory / 'drops'}/<org>/  (pseudonymised, with manifests)")
    echo(f"   ground truth     {directory / TRUTH_FILE}")
    echo(f"   hub workspace    {root}  (interchange.yaml; warehouse {root / 'warehouse.sqlite'})")
    echo(f"   receipts         {root / 'receipts'}/<org>/  ({len(receipts)} batches, .json and .txt)")
    echo(f"   quarantine       {quarantined} rows in the warehouse table `quarantine` (row numbers in the "
         f"receipts); `interchange status -w {root}`")
    for result in published:
        p = result.publication
        folder = result.exports[0].parent if result.exports else "(no exports)"
        echo(f"   publication      {p.period} v{p.version} ({p.state.value}) → {folder}")
    if prefect_note:
        echo(f"   Prefect runs     {prefect_note}")


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())
