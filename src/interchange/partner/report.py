"""What the partner kit tells a partner about one file: counts and every problem."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interchange.contract.manifest import ExtractCounts
from interchange.contract.problems import Problem, Severity
from interchange.i18n import LANGS, say


@dataclass
class FileReport:
    source: Path
    kind: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    problems: list[Problem] = field(default_factory=list)
    output: Path | None = None  # the drop written, for the pseudonymiser
    manifest: Path | None = None
    persons_without_consent: int | None = None  # person files only (contract/consent.py)

    @property
    def rows_rejected(self) -> int:
        return len({p.row for p in self.problems
                    if p.severity is Severity.ERROR and p.row is not None})

    def rejected_codes(self) -> dict[str, int]:
        """Each error code with the number of rows it rejected, most frequent first."""
        rows: dict[str, set[int]] = {}
        for p in self.problems:
            if p.severity is Severity.ERROR and p.row is not None:
                rows.setdefault(p.code, set()).add(p.row)
        return dict(sorted(((code, len(found)) for code, found in rows.items()), key=lambda c: (-c[1], c[0])))

    def extract_counts(self) -> ExtractCounts:
        """What the manifest records of this extract, so the hub's receipt can say what never arrived."""
        return ExtractCounts(rows_read=self.rows_read, rows_written=self.rows_accepted,
                             rows_rejected=self.rows_rejected, rejected_codes=self.rejected_codes())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def exit_code(self) -> int:
        """0 clean; 1 usable but with problems; 2 nothing usable came out of the file."""
        if self.rows_accepted == 0 and self.problems:
            return 2
        return 1 if self.problems else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "persons_without_consent": self.persons_without_consent,
            "output": self.output.name if self.output else None,
            "manifest": self.manifest.name if self.manifest else None,
            "problem_counts": dict(Counter(p.code for p in self.problems)),
            "problems": [p.as_dict() for p in self.problems],
        }

    def write_json(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    def render(self, *, lang: str = "both", limit: int = 100) -> str:
        """Human-readable text: one block per problem, in Lithuanian, English or both."""
        counts = ", ".join(f"{_both(key)} {value}" for key, value in (
            ("partner.rows_read", self.rows_read), ("partner.accepted", self.rows_accepted),
            ("partner.rejected", self.rows_rejected), ("partner.warnings", len(self.warnings)))
            + ((("partner.without_consent", self.persons_without_consent),)
               if self.persons_without_consent is not None else ()))
        lines = [f"{self.source.name}: {self.kind or '?'} — {counts}"]
        for problem in self.problems[:limit]:
            lines.append(f"  {problem.where()} [{problem.code}] {problem.severity.value}")
            if lang in ("lt", "both"):
                lines.append(f"    LT: {problem.message_lt}")
            if lang in ("en", "both"):
                lines.append(f"    EN: {problem.message_en}")
        if len(self.problems) > limit:
            hidden = Counter(p.code for p in self.problems[limit:])
            summary = ", ".join(f"{code} ×{n}" for code, n in hidden.most_common())
            lines.append("  " + say("partner.more", "en", count=len(self.problems) - limit, codes=summary))
        return "\n".join(lines)


def _both(key: str) -> str:
    """Both languages' words side by side: "eilučių / rows read"."""
    return " / ".join(say(key, lang) for lang in LANGS)
