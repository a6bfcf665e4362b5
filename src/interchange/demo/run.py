"""The demo: a partner's week, from raw extract to rows in the hub's warehouse.

The partner side makes a key, pseudonymises a Windows-1257 extract, checks the drops and
sees planted bad rows caught; the hub side ingests the drops into a fresh SQLite
workspace and receipts them. Linkage and publishing join as they land. The demo verifies
itself against the generator's ground truth.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from interchange.contract.records import Kind
from interchange.demo.synthetic import make_people, write_contacts, write_raw_person_extract
from interchange.partner.check import check_drop
from interchange.partner.keys import load_key, write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

if TYPE_CHECKING:
    from interchange.ingest.run import IngestSummary
    from interchange.workspace.layout import Workspace

Ingest = Callable[["Workspace"], "IngestSummary"]

ORG = "kretingos-spc"
PLANTED_BAD_CONTACTS = 3


def run_demo(directory: Path, *, persons: int, echo: Callable[[str], object], ingest: Ingest | None = None) -> int:
    """Run the demo in `directory`; 0 when every step did what the ground truth says.

    `ingest` runs the hub's ingest over a workspace (the CLI passes the Prefect flow);
    by default it is the plain function.
    """
    partner = directory / "partner"  # stands for the partner's own machine
    drops = directory / "drops"
    partner.mkdir(parents=True, exist_ok=True)
    drops.mkdir(parents=True, exist_ok=True)
    key_path = partner / "kretinga.key"
    key = load_key(key_path) if key_path.exists() else write_new_key(key_path)

    raw = partner / "spc_asmenys.csv"
    people = make_people(persons)
    write_raw_person_extract(raw, people)
    echo(f"1. Raw extract (Windows-1257, ';'): {raw} — {persons} persons with codes and names")

    person_drop = drops / f"{ORG}.person.csv"
    made = pseudonymise_file(raw, person_drop, org=ORG, kind=Kind.PERSON, key=key)
    echo("2. Pseudonymised on the partner's machine:")
    echo(_indent(made.render(lang="en", limit=5)))

    checked = check_drop(person_drop)
    echo(f"3. Pre-flight check of {person_drop.name}: "
         f"{'clean' if checked.exit_code == 0 else 'PROBLEMS'}")
    if checked.exit_code:
        echo(_indent(checked.render(lang="en", limit=10)))

    contact_drop = drops / f"{ORG}.contact.csv"
    ids = [f"A{n:06d}" for n in range(1, persons + 1)]
    write_contacts(contact_drop, ids, count=persons * 5, bad_rows=PLANTED_BAD_CONTACTS)
    contacts = check_drop(contact_drop, org=ORG)
    echo(f"4. Pre-flight check of {contact_drop.name} ({PLANTED_BAD_CONTACTS} bad rows planted):")
    echo(_indent(contacts.render(lang="both", limit=6)))

    partner_ok = (made.rows_accepted == persons and checked.exit_code == 0
                  and contacts.rows_rejected == PLANTED_BAD_CONTACTS)
    hub_ok = _run_hub(directory / "hub", [person_drop, contact_drop], persons, echo, ingest)
    ok = partner_ok and hub_ok
    echo(f"\nFiles: key {key_path} (never leaves the partner), drops and manifests in {drops}")
    echo("Demo " + ("passed: every row accounted for." if ok else "FAILED: see above."))
    return 0 if ok else 1


def _run_hub(root: Path, drops: list[Path], persons: int, echo: Callable[[str], object],
             ingest: Ingest | None) -> bool:
    """Ingest the drops into a fresh hub workspace and check every receipt against the truth."""
    from interchange.ingest.run import ingest_workspace
    from interchange.workspace.init import EXAMPLE_CONFIG, init_workspace

    if root.exists():
        shutil.rmtree(root)  # the demo's own folder: every run starts from an empty hub
    workspace = init_workspace(root, config_text=EXAMPLE_CONFIG.replace("settle_seconds: 5", "settle_seconds: 0"))
    inbox = workspace.inbox(ORG)
    for drop in drops:
        for path in (drop, drop.with_name(drop.name + ".manifest.json")):
            if path.exists():
                shutil.copy2(path, inbox / path.name)
    echo(f"5. Hub: workspace {root} (SQLite), drops copied into {inbox}; ingesting:")
    summary = (ingest or ingest_workspace)(workspace)
    echo(_indent(summary.render(str(root / "receipts"))))
    by_kind = {r.kind: r for r in summary.receipts}
    person, contact = by_kind.get("person"), by_kind.get("contact")
    expected_contacts = persons * 5
    ok = (not summary.failures and person is not None and contact is not None
          and person.counts.inserted == persons
          and contact.counts.inserted == expected_contacts
          and contact.counts.quarantined == PLANTED_BAD_CONTACTS)
    echo(f"6. Ground truth: {persons} persons and {expected_contacts} contacts loaded, "
         f"{PLANTED_BAD_CONTACTS} contact rows quarantined — " + ("as expected." if ok else "MISMATCH."))
    return ok


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())
