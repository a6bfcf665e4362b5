"""The outbox: approving a version writes its exports to ``<outbox>/<period>/v<N>/``.

Everything here reads ``ministry_cells`` (published figures only) or the published columns
of the stored diff; :mod:`interchange.indicators.exports` writes the files.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, select

from interchange.indicators.publications import (
    KEY,
    Publication,
    PublicationError,
    approve_version,
    changes_frame,
    get_publication,
    load_workspace_catalogue,
    same_values,
)
from interchange.stage_times import stage_timer
from interchange.warehouse.tables import ministry_cells, publication_cells, publications

stage = stage_timer("publishing")

if TYPE_CHECKING:
    from interchange.workspace.layout import Workspace


def approve(engine: Engine, workspace: Workspace, period: str, version: int | None = None, *,
            by: str, despite: dict[str, int] | None = None) -> tuple[Publication, list[Path]]:
    """Approve a version and write its exports to ``<outbox>/<period>/v<N>/``; the version and the files.

    Approving a version that was approved but whose exports are missing (a crash after
    approval, a deleted folder) writes them again; otherwise approving it again is refused.
    What must be confirmed first (`despite`) is interchange.operations.approval's to decide.
    """
    current = get_publication(engine, period, version)
    folder = export_folder(workspace, current.period, current.version)
    if current.approved_at is not None and not folder.exists():
        return current, export_version(engine, workspace, current.period, current.version)
    with stage("approve version"):
        approved = approve_version(engine, period, version, by=by, despite=despite)
    with stage("export files"):
        return approved, export_version(engine, workspace, approved.period, approved.version)


def export_folder(workspace: Workspace, period: str, version: int) -> Path:
    return workspace.root / workspace.config.publishing.outbox / _safe_name(period) / f"v{version}"


def export_version(engine: Engine, workspace: Workspace, period: str, version: int) -> list[Path]:
    """Write the exports of an approved version from the ministry tables (published values only)."""
    from interchange.indicators.exports import write_exports

    publication = get_publication(engine, period, version)
    if publication.approved_at is None:
        raise PublicationError(key="error.export_unapproved", period=period, version=version)
    cells = ministry_frame(engine, period, version)
    changes = ministry_changes(engine, publication)
    metadata = export_metadata(publication)
    definitions = (stored_definitions(publication, set(cells["indicator"]))
                   or indicator_definitions(workspace, set(cells["indicator"])))
    return write_exports(export_folder(workspace, period, version), metadata=metadata, cells=cells,
                         changes=changes, definitions=definitions)


def ministry_frame(engine: Engine, period: str, version: int) -> pd.DataFrame:
    """An approved version's cells as the ministry reads them from ministry_cells."""
    with engine.connect() as connection:
        rows = connection.execute(select(ministry_cells).where(
            ministry_cells.c.period == period, ministry_cells.c.version == version)
            .order_by(*(ministry_cells.c[k] for k in KEY))).all()
    return pd.DataFrame(rows, columns=[c.name for c in ministry_cells.columns])


def ministry_changes(engine: Engine, publication: Publication) -> pd.DataFrame | None:
    """The diff for the ministry: only cells whose published content changed, published values only."""
    if publication.version == 1:
        return None
    changes = changes_frame(engine, publication.period, publication.version)
    visible = (changes["change"] != "changed") | ~same_values(changes["published_before"], changes["published_after"]) \
        | ~same_values(changes["suppressed_before"], changes["suppressed_after"])
    out = changes.loc[visible, [*KEY, "change"]].copy()
    out.insert(0, "previous_version", publication.version - 1)
    out.insert(0, "version", publication.version)
    out.insert(0, "period", publication.period)
    out["value_before"] = changes.loc[visible, "published_before"]
    out["value_after"] = changes.loc[visible, "published_after"]
    out["suppressed_before"] = changes.loc[visible, "suppressed_before"]
    out["suppressed_after"] = changes.loc[visible, "suppressed_after"]
    out["unit"] = out["indicator"].map(_units(engine, publication))  # the precision each value is written at
    return out.reset_index(drop=True)


def _units(engine: Engine, publication: Publication) -> dict[str, str]:
    """Each indicator's unit in a version or the one before it, approved or not (a removed cell's indicator)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(publication_cells.c.indicator, publication_cells.c.unit).distinct()
            .join(publications, publications.c.publication_id == publication_cells.c.publication_id)
            .where(publications.c.period == publication.period,
                   publications.c.version.in_((publication.version - 1, publication.version)))).all()
    return {indicator: unit for indicator, unit in rows}


def export_metadata(publication: Publication) -> dict[str, Any]:
    return {
        "period": publication.period, "version": publication.version,
        "period_start": publication.period_start, "period_end": publication.period_end,
        "approved_at": publication.approved_at, "approved_by": publication.approved_by,
        # what the steward confirmed when approving: a reader must know the figures were approved despite it
        "approved_despite": publication.approved_despite or {},
        "created_at": publication.created_at,
        "catalogue_version": publication.catalogue_version, "code_version": publication.code_version,
        "disclosure_rules": publication.disclosure_rules, "linkage_run_id": publication.linkage_run_id,
        "inputs_sha256": publication.inputs_sha256, "input_batches": publication.input_batches,
        "cells": publication.cells, "suppressed_cells": publication.suppressed_cells,
        "changed_cells": publication.changed_cells,
    }


def _safe_name(period: str) -> str:
    """A period label as a folder name (labels are codes, but a folder must never climb out)."""
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in period)
    return cleaned or "_"


_DEFINITION_SHEET = ("indicator", "group", "name_lt", "name_en", "definition_lt", "definition_en", "unit")


def stored_definitions(publication: Publication, codes: set[str]) -> list[dict[str, Any]]:
    """The definitions the version was computed with (also in ministry_indicators); empty for versions without."""
    found = [dict(d, group=d["indicator_group"]) for d in publication.definitions or () if d["indicator"] in codes]
    return [{k: d[k] for k in _DEFINITION_SHEET} for d in found]


def indicator_definitions(workspace: Workspace, codes: set[str]) -> list[dict[str, Any]]:
    """Code, names and definitions (LT and EN) and unit of the indicators in an export."""
    catalogue = load_workspace_catalogue(workspace)
    return [{"indicator": i.code, "group": i.group, "name_lt": i.name_lt, "name_en": i.name_en,
             "definition_lt": i.definition_lt, "definition_en": i.definition_en, "unit": i.unit}
            for i in catalogue.indicators if i.code in codes]
