"""Consent to reporting in a file of persons: how many lack it, and the warning when none gives it.

The hub's default (`publishing.consent: exclude`) leaves every person whose records do not
say `sutikimas_ataskaitoms` = yes out of the published figures. A person file without that
column, or with it empty, therefore adds nothing to any figure: the partner's check and the
pseudonymiser count such persons and warn (`consent.none`) when no one consents, and the hub's
receipt counts them, so a missing column is seen before the figures come out as zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from interchange.contract.problems import Problem, warning

CONSENT_FIELD = "consent_reporting"


@dataclass
class ConsentCount:
    """Persons of one file (deletions not counted) and how many of them do not say yes."""

    persons: int = 0
    without: int = 0

    def add(self, consent: bool | None) -> None:
        self.persons += 1
        if consent is not True:
            self.without += 1

    def problems(self) -> list[Problem]:
        """A file-level warning when the file has persons and not one of them consents."""
        if self.persons and self.without == self.persons:
            return [warning("consent.none", count=self.without)]
        return []
