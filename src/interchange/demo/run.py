"""The demo: a partner's week, from raw extract to checked drop files.

Until the hub's ingest, linkage and publishing exist, the demo runs what the partner
side does: make a key, pseudonymise a Windows-1257 extract, check the drops, and show
that planted bad rows are caught. It verifies itself against the generator's truth.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from interchange.contract.records import Kind
from interchange.demo.synthetic import make_people, write_contacts, write_raw_person_extract
from interchange.partner.check import check_drop
from interchange.partner.keys import load_key, write_new_key
from interchange.partner.pseudonymise import pseudonymise_file

ORG = "kretingos-spc"
PLANTED_BAD_CONTACTS = 3


def run_demo(directory: Path, *, persons: int, echo: Callable[[str], object]) -> int:
    """Run the demo in `directory`; 0 when every step did what the ground truth says."""
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

    ok = (made.rows_accepted == persons and checked.exit_code == 0
          and contacts.rows_rejected == PLANTED_BAD_CONTACTS)
    echo(f"\nFiles: key {key_path} (never leaves the partner), drops and manifests in {drops}")
    echo("Demo " + ("passed: every row accounted for." if ok else "FAILED: see above."))
    return 0 if ok else 1


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())
