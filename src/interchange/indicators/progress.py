"""Progress of a programme against its targets (workspace config ``programmes[].targets``).

Each target figure (persons, contacts or sessions of a service, and the programme's
``long_term_persons``) is answered by the catalogue indicator whose ``target`` names it;
where the catalogue has none for a service, an indicator is made here by the catalogue's
own rules (distinct persons, contacts or sessions of that service), so a programme may
set targets for any service of the service catalogue. Figures are the total over the
programme's date range, counted on the records of the programme's organisations (all
organisations when it names none). They are unsuppressed: progress is for the hub's
stewards; what leaves the hub goes through disclosure control.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from interchange.contract.services import SERVICES_BY_CODE, Mode
from interchange.errors import InterchangeError
from interchange.indicators.catalogue import Catalogue, Indicator
from interchange.indicators.compute import Consent, compute_indicators
from interchange.indicators.periods import Period, programme_period
from interchange.workspace.config import Programme, WorkspaceConfig

PROGRESS_COLUMNS = ("programme", "period", "indicator", "service", "figure", "name_lt", "name_en", "value",
                    "target", "share")
"""share = value / target (1.0 = target reached; empty when the target is 0)."""

_FIGURE_NAMES = {
    "persons": ("asmenys", "persons"), "contacts": ("konsultacijos", "consultations"),
    "sessions": ("užsiėmimai", "sessions"), "long_term_persons": ("asmenys, gavę ≥ 2 paslaugas",
                                                                  "persons with ≥ 2 services"),
}


class ProgressError(InterchangeError, ValueError):
    """The programme is unknown, or one of its targets cannot be counted; the message says which."""


def programme_progress(engine: Engine, catalogue: Catalogue, config: WorkspaceConfig, programme: str, *,
                       consent: Consent | None = None) -> pd.DataFrame:
    """Value, target and share achieved of every target of ``programme`` (PROGRESS_COLUMNS).

    Args:
        engine: The linked warehouse.
        catalogue: The indicator catalogue.
        config: The workspace config that holds the programme.
        programme: The programme's code.
        consent: As in compute_indicators; default: the workspace's ``publishing.consent``.

    Raises:
        ProgressError: unknown programme, or a long-term target no catalogue indicator counts.
    """
    found = {p.code: p for p in config.programmes}
    if programme not in found:
        known = ", ".join(sorted(found)) or "none configured"
        raise ProgressError(f"no programme {programme!r} in the workspace (programmes: {known})")
    plan = found[programme]
    period = programme_period(plan)
    wanted, extended = _answering_indicators(catalogue, plan)
    if not wanted:
        return pd.DataFrame(columns=list(PROGRESS_COLUMNS))
    cells = compute_indicators(engine, extended, period, consent=consent or config.publishing.consent,
                               orgs=plan.orgs or None, indicators=sorted({code for code, *_ in wanted}))
    totals = cells[cells["breakdown"] == "total"].set_index("indicator")["value"]
    rows = []
    for code, service, figure, target in wanted:
        indicator = extended.indicator(code)
        value = float(totals.get(code, 0.0))
        rows.append({"programme": plan.code, "period": _period_text(period), "indicator": code,
                     "service": service or "", "figure": figure, "name_lt": indicator.name_lt,
                     "name_en": indicator.name_en, "value": value, "target": float(target),
                     "share": value / target if target else math.nan})
    return pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))


def catalogue_targets(catalogue: Catalogue, plan: Programme) -> dict[str, float]:
    """Indicator code -> the programme's target, for the catalogue indicators that answer one.

    The target a publication of the programme's period carries on those indicators' total cells;
    targets for services the catalogue has no indicator for appear in progress only.
    """
    by_target = {(i.target.service, i.target.figure): i.code for i in catalogue.indicators if i.target is not None}
    found: dict[str, float] = {}
    for target in plan.targets:
        for figure in ("persons", "contacts", "sessions"):
            value = getattr(target, figure)
            code = by_target.get((target.service, figure))
            if value is not None and code is not None:
                found[code] = float(value)
    code = by_target.get((None, "long_term_persons"))
    if plan.long_term_persons is not None and code is not None:
        found[code] = float(plan.long_term_persons)
    return found


def _period_text(period: Period) -> str:
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


def _answering_indicators(catalogue: Catalogue, plan: Programme) -> tuple[list[tuple[str, str | None, str, int]],
                                                                         Catalogue]:
    """(indicator code, service, figure, target) per target figure, and the catalogue with made indicators."""
    by_target = {(i.target.service, i.target.figure): i.code for i in catalogue.indicators if i.target is not None}
    made: list[Indicator] = []
    wanted: list[tuple[str, str | None, str, int]] = []
    for index, target in enumerate(plan.targets):
        for figure in ("persons", "contacts", "sessions"):
            value = getattr(target, figure)
            if value is None:
                continue
            code = by_target.get((target.service, figure))
            if code is None:
                indicator = _made_indicator(plan, index, target.service, figure)
                made.append(indicator)
                by_target[(target.service, figure)] = code = indicator.code
            wanted.append((code, target.service, figure, value))
    if plan.long_term_persons is not None:
        code = by_target.get((None, "long_term_persons"))
        if code is None:
            raise ProgressError(f"programme {plan.code}: long_term_persons is set, but no catalogue indicator has "
                                f"target {{figure: long_term_persons}}")
        wanted.append((code, None, "long_term_persons", plan.long_term_persons))
    extended = catalogue if not made else catalogue.model_copy(
        update={"indicators": (*catalogue.indicators, *made)})
    return wanted, extended


def _made_indicator(plan: Programme, index: int, service_code: str, figure: str) -> Indicator:
    # interchange.yaml's Target already refused an unknown service and a figure its mode never
    # carries (workspace/config.py), and gave the code as the catalogue writes it.
    service = SERVICES_BY_CODE[service_code]
    sources: list[dict[str, Any]]
    if figure == "persons":
        count = "persons"
        sources = [{"source": s, "service_codes": [service.code]} for s in _sources_of(service.mode)]
    elif figure == "contacts":
        count, sources = "contacts", [{"source": "contact", "service_codes": [service.code]}]
    else:
        count, sources = "sessions", [{"source": "group_session", "service_codes": [service.code]}]
    figure_lt, figure_en = _FIGURE_NAMES[figure]
    return Indicator.model_validate({
        "code": f"target_{service.code}_{figure}", "group": "programme_targets",
        "name_lt": f"{service.name_lt}: {figure_lt}", "name_en": f"{service.name_en}: {figure_en}",
        "definition_lt": f"Programos tikslui: {figure_lt}, paslauga {service.code}.",
        "definition_en": f"For a programme target: {figure_en} of service {service.code}.",
        "unit": count, "count": count, "from": sources,
    })


def _sources_of(mode: Mode) -> list[str]:
    return {Mode.INDIVIDUAL: ["contact"], Mode.GROUP: ["attendance"], Mode.EITHER: ["contact", "attendance"]}[mode]


def render_progress(progress: pd.DataFrame, *, markdown: bool = True) -> str:
    """The progress table for people: a Markdown table (default) or aligned plain text, LT / EN headers."""
    headers = ["Rodiklis / Indicator", "Paslauga / Service", "Matas / Figure", "Reikšmė / Value",
               "Tikslas / Target", "Pasiekta / Achieved"]
    rows = []
    for row in progress.itertuples(index=False):
        achieved = "–" if math.isnan(row.share) else f"{row.share:.0%}"
        rows.append([f"{row.name_lt} / {row.name_en}", row.service or "–", row.figure, _number(row.value),
                     _number(row.target), achieved])
    title = ""
    if len(progress):
        first = progress.iloc[0]
        title = f"Programa / Programme {first['programme']} ({first['period']})\n\n"
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * 3) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
        return title + "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
              for row in rows]
    return title + "\n".join(line.rstrip() for line in lines) + "\n"


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


__all__ = ["PROGRESS_COLUMNS", "ProgressError", "catalogue_targets", "programme_progress", "render_progress"]
