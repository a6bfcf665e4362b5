"""Personal codes in any cell of any drop: `check` names the cells, the hub refuses the file and keeps no copy.

A personal code typed into a notes column, a record id or a nested JSON value is a direct
identifier at the hub. Quarantining the row would keep the raw file (and the code) in the
archive for a re-run, so one such value refuses the whole file, like an identifier column
does; the partner's `interchange check` finds the same cells first. The scan looks at every
value of every row as the rows stream past the validation, at the cost of one regular
expression search over the row joined into one string.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field

from interchange.contract.column_names import quotable
from interchange.contract.personal_code import holds_personal_code
from interchange.contract.problems import Problem, error, warning
from interchange.tabular import RawRow

MAX_LISTED_CELLS = 100  # problems listed one by one; the file-level problem gives the count
_SHOWN_IN_MESSAGE = 10
_SEPARATOR = "\x1f"  # neither a digit, a space nor a dash: codes cannot run across two cells


@dataclass
class CodeScan:
    """Watches the rows of one file go by and remembers the cells that hold a personal code."""

    headers: list[str]
    ignored: frozenset[str] = frozenset()  # columns refused as a whole already (`header.identifier`)
    cells: list[tuple[int, int]] = field(default_factory=list)  # (row, column position), first ones
    found: int = 0
    rows: set[int] = field(default_factory=set)

    def watch(self, rows: Iterable[RawRow]) -> Iterator[RawRow]:
        ignored = self.ignored
        for raw in rows:
            values = raw.values.values() if not ignored else [v for h, v in raw.values.items() if h not in ignored]
            try:
                text = _SEPARATOR.join(values)  # type: ignore[arg-type]  # CSV: every cell is a str
            except TypeError:
                text = _SEPARATOR.join(map(str, values))
            if holds_personal_code(text):
                self._locate(raw)
            yield raw

    def drain(self, rows: Iterable[RawRow]) -> None:
        """Scan rows nothing else will read (a file refused before its rows were validated)."""
        for _ in self.watch(rows):
            pass

    def _locate(self, raw: RawRow) -> None:
        for position, header in enumerate(self.headers, start=1):
            value = None if header in self.ignored else raw.values.get(header)
            if value is not None and holds_personal_code(value if isinstance(value, str) else str(value)):
                self.found += 1
                self.rows.add(raw.number)
                if len(self.cells) < MAX_LISTED_CELLS:
                    self.cells.append((raw.number, position))

    def problems(self, known: Collection[str] = ()) -> list[Problem]:
        """What the partner is told: the file-level refusal, then each cell by row and column
        (a column by its name only when the name may be quoted, see contract/column_names.py)."""
        if not self.found:
            return []
        shown = ", ".join(f"{row}:{position}" for row, position in self.cells[:_SHOWN_IN_MESSAGE])
        more = "…" if self.found > _SHOWN_IN_MESSAGE else ""
        listed = [error("file.personal_codes", count=self.found, rows=len(self.rows), cells=shown + more)]
        for row, position in self.cells:
            header = self.headers[position - 1]
            listed.append(error("value.personal_code", row=row, column=header if quotable(header, known) else None))
        return listed


def refusal(scan: CodeScan, known: Collection[str]) -> list[Problem]:
    """The problems of a hub file refused for personal codes, the purge notice last."""
    return [*scan.problems(known), warning("file.identifiers_purged")]
