"""What of a publication and of a programme's progress may be shown outside the warehouse.

The orchestrator's UI, logs and alerts are read by more people than the hub's tables:
they get counts, published (protected) totals, and progress with a value under the
suppression threshold left out. A steward sees the unsuppressed figures inside the hub
(`interchange progress`, the publication tables).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from interchange.indicators.export_format import cells_for_export
from interchange.indicators.progress import programme_progress
from interchange.indicators.publications import (
    Publication,
    load_workspace_catalogue,
    ministry_view,
    publication_cells_frame,
)

if TYPE_CHECKING:
    from interchange.workspace.layout import Workspace


def published_totals(engine: Engine, publication: Publication) -> list[dict[str, Any]]:
    """Per indicator: cells, suppressed cells, the published total as the exports write it, and its status.

    The total is empty when it is suppressed or not applicable (a ratio of 0/0); the status says which.
    """
    cells = publication_cells_frame(engine, publication.period, publication.version)
    view = cells_for_export(ministry_view(cells, publication.period))  # published figures only, as exported
    rows = []
    for indicator, group in view.groupby("indicator", sort=True):
        total = group[group["breakdown"] == "total"]
        rows.append({"indicator": indicator, "cells": len(group), "suppressed": int(group["suppressed"].sum()),
                     "published_total": None if total.empty else total["value"].iloc[0],
                     "status": None if total.empty else total["status"].iloc[0]})
    return rows


def shareable_progress(engine: Engine, workspace: Workspace, programme: str) -> list[dict[str, Any]]:
    """Progress against the programme's targets; a value under the suppression threshold, and its share, left empty."""
    table = programme_progress(engine, load_workspace_catalogue(workspace), workspace.config, programme)
    threshold = workspace.config.publishing.min_count
    rows = []
    for row in table.itertuples(index=False):
        small = 0 < row.value < threshold
        rows.append({"indicator": row.indicator, "service": row.service, "figure": row.figure,
                     "value": None if small else row.value, "target": row.target,
                     "achieved": None if small else round(row.share, 3)})
    return rows
