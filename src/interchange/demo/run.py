"""The demo: the Kretinga partners' week, from raw extracts to rows in the hub's warehouse.

Each partner's raw extracts (the social services centre's Windows-1257 CSV, the women's
centre's XLSX, the day-activity centre's and the social support division's UTF-8 CSV) are
generated with their ground truth, pseudonymised and checked on the "partner's machine";
the hub ingests the drops into a fresh SQLite workspace and receipts them. Linkage and
publishing join as they land. The demo verifies itself against the ground truth: every
file's rows accepted, quarantined (the planted bad rows, by row number) and held.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from interchange.contract.records import Kind
from interchange.demo.synthetic import DEMO_SEED, TRUTH_FILE, generate_demo_data
from interchange.partner.check import check_drop
from interchange.partner.keys import load_key, write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

if TYPE_CHECKING:
    from interchange.demo.extracts import ExtractFile
    from interchange.demo.truth import GroundTruth
    from interchange.ingest.run import IngestSummary
    from interchange.workspace.layout import Workspace

Ingest = Callable[["Workspace"], "IngestSummary"]


def run_demo(directory: Path, *, persons: int | None = None, echo: Callable[[str], object],
             ingest: Ingest | None = None, seed: int = DEMO_SEED) -> int:
    """Run the demo in `directory`; 0 when every step did what the ground truth says.

    `ingest` runs the hub's ingest over a workspace (the CLI passes the Prefect flow);
    by default it is the plain function. `persons` is not used any more: the population
    follows Kretinga's calibration (kept so the CLI's option still works).
    """
    del persons
    partner = directory / "partner"  # stands for the partners' own machines
    drops = directory / "drops"
    for folder in (partner, drops):
        folder.mkdir(parents=True, exist_ok=True)
    key_path = partner / "kretinga.key"
    key = load_key(key_path) if key_path.exists() else write_new_key(key_path)

    truth = generate_demo_data(partner / "extracts", seed=seed, truth_path=directory / TRUTH_FILE)
    people = len(truth.scenario.people)
    echo(f"1. Raw extracts of 4 partners ({people} synthetic persons, codes and names) in {partner / 'extracts'}; "
         f"ground truth in {directory / TRUTH_FILE}")
    made = [_partner_step(extract, drops, key, echo) for extract in truth.files]
    partner_ok = all(made)
    hub_ok = _run_hub(directory / "hub", truth, drops, echo, ingest)
    _show_figures(truth, echo)
    ok = partner_ok and hub_ok
    echo(f"\nFiles: key {key_path} (never leaves the partners), drops and manifests in {drops}")
    echo("Demo " + ("passed: every row accounted for." if ok else "FAILED: see above."))
    return 0 if ok else 1


def _partner_step(extract: ExtractFile, drops: Path, key: object, echo: Callable[[str], object]) -> bool:
    """Pseudonymise (unless the file has no identifiers) and check one extract; True when as expected."""
    folder = drops / extract.org
    folder.mkdir(parents=True, exist_ok=True)
    drop = folder / extract.drop_name
    if extract.pseudonymise:
        made = pseudonymise_file(extract.path, drop, org=extract.org, kind=Kind(extract.kind), key=key)  # type: ignore[arg-type]
        made_ok = made.rows_accepted == extract.expected_accepted and not made.errors
        how = f"pseudonymised {made.rows_accepted}/{made.rows_read} rows"
    else:
        shutil.copy2(extract.path, drop)
        made_ok, how = True, "no identifiers: sent as exported"
    checked = check_drop(drop, org=extract.org)
    bad = sorted({p.row for p in checked.errors if p.row is not None})
    ok = made_ok and bad == extract.bad_rows and checked.rows_read == extract.rows - (
        0 if not extract.pseudonymise else len(extract.bad_rows))
    result = "clean" if not bad else f"bad rows {', '.join(map(str, bad))} (planted: {extract.bad_rows})"
    echo(f"   {extract.org}/{extract.path.name} ({extract.kind}): {how}; check: {result}"
         + ("" if ok else "  MISMATCH"))
    return ok


def _run_hub(root: Path, truth: GroundTruth, drops: Path, echo: Callable[[str], object],
             ingest: Ingest | None) -> bool:
    """Ingest the drops into a fresh hub workspace and check every receipt against the truth."""
    from interchange.ingest.run import ingest_workspace
    from interchange.workspace.init import EXAMPLE_CONFIG, init_workspace

    if root.exists():
        shutil.rmtree(root)  # the demo's own folder: every run starts from an empty hub
    workspace = init_workspace(root, config_text=EXAMPLE_CONFIG.replace("settle_seconds: 5", "settle_seconds: 0"))
    settled = time.time() - 60  # as if uploaded a minute ago: inboxes wait for files to settle
    for extract in truth.files:
        drop = drops / extract.org / extract.drop_name
        for path in (drop, drop.with_name(drop.name + ".manifest.json")):
            if path.exists():
                copy = Path(shutil.copy2(path, workspace.inbox(extract.org) / path.name))
                os.utime(copy, (settled, settled))
    echo(f"2. Hub: workspace {root} (SQLite), drops copied into {root / 'inbox'}/<org>/; ingesting:")
    summary = (ingest or ingest_workspace)(workspace)
    echo(_indent(summary.render(str(root / "receipts"))))
    receipts = {(r.org, r.file_name): r for r in summary.receipts}
    ok = not summary.failures
    for extract in truth.files:
        receipt = receipts.get((extract.org, extract.drop_name))
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
        ok = ok and fine
    echo("3. Ground truth: every receipt as expected (rows read, loaded, quarantined by row, held)."
         if ok else "3. Ground truth: MISMATCH, see above.")
    return ok


def _show_figures(truth: GroundTruth, echo: Callable[[str], object]) -> None:
    """The seed figures the hub's publication must reproduce, counted by the generator itself."""
    f, period = truth.figures, truth.scenario.period
    echo(f"4. Expected figures for {period.start} – {period.end} (from the generator; catalogue codes):")
    echo(f"   families at social risk {f['social_risk_families']}, children in them {f['social_risk_children']}; "
         f"DV specialised help {f['dv_help_persons']} persons, {f['dv_repeat_share']:.0%} repeatedly, "
         f"{f['dv_children']} children")
    echo("   programme: " + ", ".join(f"{code} {f[code]}" for code in (
        "psychologist_child_persons", "psychologist_child_consultations", "psychotherapist_adult_persons",
        "psychotherapist_adult_consultations", "addiction_counsellor_persons", "addiction_counsellor_consultations",
        "legal_consultation_persons", "legal_consultation_consultations", "therapeutic_group_meetings",
        "therapeutic_group_participants", "parenting_skills_sessions", "parenting_skills_participants",
        "integrated_services_long_term_persons")))
    echo(f"   served by 2+ organisations {f['multi_org_persons']} of {f['persons_served']}; workshops "
         f"{f['social_workshop_participants']} persons, {f['social_workshop_days']} days; case management "
         f"{f['case_management_clients']} clients; outreach {f['outreach_persons_found']} found, "
         f"{f['outreach_persons_helped']} helped")


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())
