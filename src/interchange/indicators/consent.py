"""How many persons each organisation's figures leave out for consent, and when publishing is refused.

Under ``publishing.consent: exclude`` (the default) a person counts only when some record of
theirs says ``consent_reporting`` = yes and none says no (compute.py). A partner whose extract
lacks the consent column therefore adds nothing to any figure, and a publication built on that
would look complete. So a publish counts, per organisation, the persons its records of the
period bring in and how many of them lack consent; it refuses when an organisation that sent
persons contributes none of them, unless the steward says so explicitly
(``interchange publish --allow-without-consent``), and the version records what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from interchange.errors import InterchangeError


@dataclass(frozen=True)
class OrgConsent:
    """One organisation's persons in the period's facts and how many of them lack consent."""

    org: str
    persons: int
    without: int

    @property
    def contributes_nobody(self) -> bool:
        return self.persons > 0 and self.without == self.persons


class ConsentRefused(InterchangeError):
    """Publishing would silently drop every person of an organisation for lack of consent."""


def consent_by_org(duck: duckdb.DuckDBPyConnection) -> list[OrgConsent]:
    """Per organisation, distinct persons in the ``facts`` table (compute.py) and those without consent."""
    rows = duck.execute("""
        SELECT org, count(DISTINCT pid), count(DISTINCT pid) FILTER (WHERE NOT consent)
        FROM facts WHERE pid IS NOT NULL GROUP BY org ORDER BY org""").fetchall()
    return [OrgConsent(str(org), int(persons), int(without)) for org, persons, without in rows]


@dataclass
class ConsentCheck:
    """Called by compute_indicators with the tally before anything is counted; refuses early.

    Args:
        period: the period's label, for the message.
        rule: ``publishing.consent`` (exclude or totals_only). Under totals_only every person is
            in the total cells, so no organisation contributes nothing and nothing is refused.
        allow: the steward's explicit --allow-without-consent.
    """

    period: str
    rule: str
    allow: bool = False
    tally: list[OrgConsent] = field(default_factory=list)

    def __call__(self, tally: Sequence[OrgConsent]) -> None:
        self.tally = list(tally)
        refused = self.refused()
        if refused and not self.allow:
            raise ConsentRefused(key="error.publish_without_consent", period=self.period,
                                 orgs=_named(refused))

    def refused(self) -> list[OrgConsent]:
        return [t for t in self.tally if t.contributes_nobody] if self.rule == "exclude" else []

    def recorded(self) -> dict[str, Any]:
        """What the version keeps with its rules: persons without consent per organisation, and the
        organisations published although none of their persons counted (only with the flag)."""
        return {"without_consent": {t.org: {"persons": t.persons, "without": t.without}
                                    for t in self.tally if t.without},
                "published_without_consent": [t.org for t in self.refused()]}


def _named(tally: Sequence[OrgConsent]) -> str:
    return ", ".join(f"{t.org} ({t.persons})" for t in tally)
