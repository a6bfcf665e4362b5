"""Chart data for the pages: `operations.charts` records as the JSON `static/charts.js` draws with Chart.js.

A page puts `chart_json(...)` in a `<script type="application/json" class="chart">` block (the
content security policy lets no inline script run); charts.js reads it and draws. An indicator's
series carries a suppressed period as null, a gap, never a number.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from markupsafe import Markup

from interchange.operations.charts import MonthOfOrg, PublishedPoint, TargetBar


def chart_json(data: dict[str, Any]) -> Markup:
    """Data for a `<script type="application/json">` block: `</` escaped so the text cannot end the block."""
    return Markup(json.dumps(data, ensure_ascii=False).replace("</", "<\\/"))


def completeness_chart(months: list[MonthOfOrg]) -> dict[str, Any]:
    return {"type": "completeness", "rows": [asdict(m) for m in months]}


def progress_data(bars: list[TargetBar], lang: str) -> dict[str, Any]:
    return {"type": "progress", "labels": [b.name_lt if lang == "lt" else b.name_en for b in bars],
            "values": [b.value for b in bars], "targets": [b.target for b in bars]}


def series_chart(series: list[PublishedPoint]) -> dict[str, Any]:
    """An indicator across periods: a suppressed period is a gap (null), never a number."""
    return {"type": "series", "labels": [p.period for p in series],
            "values": [None if p.suppressed else p.value for p in series],
            "suppressed": [p.suppressed for p in series]}
