"""Publications: immutable, versioned, disclosure-protected indicator tables per reporting period.

The life of a period's versions::

    publish ──► v1 draft ──► (publish again: v1 superseded, v2 draft) ──► approve v2 ──► locked
                                                                          │
    late data and a changed person index are flagged ◄────────────────────┘
    reopen (steward, with a reason) ──► v2 reopened ──► publish ──► v3 draft ──► approve v3 ...

Only a period that has ended and holds loaded records is published; a calendar period in
progress only as a provisional version (``publish --provisional``), which is never approved.
A programme's period is its whole life: its progress is reported while it runs.

A version's cells, inputs and rules are written once and never updated: only its state
and the approval / re-opening columns change. Approval copies the protected cells (never
an unsuppressed value) into the ministry tables and writes the exports to
``<outbox>/<period>/v<N>/``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from interchange import clock
from interchange.errors import InterchangeError
from interchange.i18n import name_of, say
from interchange.indicators.cells import ALL, DIMENSIONS, PROTECTION_COLUMNS, plain
from interchange.indicators.lineage import (
    InputBatch,
    batches_touching,
    code_version,
    has_records_dated_in,
    index_digest,
    inputs_digest,
    latest_linkage_run,
    linkage_runs_after,
    loaded_batches,
)
from interchange.progress import ProgressHook, report
from interchange.stage_times import stage_timer
from interchange.warehouse.engine import stored_utc
from interchange.warehouse.load import WRITE_CHUNK, chunked
from interchange.warehouse.tables import (
    ministry_cells,
    ministry_indicators,
    ministry_publications,
    publication_cells,
    publication_changes,
    publications,
)

if TYPE_CHECKING:
    from interchange.indicators.catalogue import Catalogue
    from interchange.indicators.periods import Period
    from interchange.workspace.layout import Workspace

KEY = ("indicator", "breakdown", *DIMENSIONS)
"""What identifies a cell within a version."""
_FIGURES = ("value", "numerator", "denominator", "suppressed", "reason", "published_value")
stage = stage_timer("publishing")  # publish's and approval's parts, as linkage and the indicators time theirs
_LOCK_BASE = 7_404_300_000_000  # arbitrary: advisory-lock keys of publication periods start here
_STORED = (*KEY, "value", "numerator", "denominator", "unit", "sensitivity", *PROTECTION_COLUMNS, "target")
_OPTIONAL = ("target",)  # a cell table without it has no targets
DEFINITION_KEYS = ("indicator", "indicator_group", "name_lt", "name_en", "definition_lt", "definition_en", "unit",
                   "sensitivity", "numerator", "denominator", "breakdowns", "catalogue_version")
"""What a version records of each indicator's definition (the ministry_indicators columns)."""


class State(StrEnum):
    DRAFT = "draft"
    PROVISIONAL = "provisional"  # a period in progress: shown to stewards, never approved
    APPROVED = "approved"
    REOPENED = "reopened"
    SUPERSEDED = "superseded"


class PublicationError(InterchangeError):
    """A publish, approve or reopen that is refused; the message says why and what to do."""


class PeriodSpan(Protocol):
    """A reporting period: its label and its first and last day."""

    @property
    def label(self) -> str: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...


@dataclass(frozen=True)
class Span:
    """A plain PeriodSpan (the periods module parses labels into its own)."""

    label: str
    start: date
    end: date


@dataclass(frozen=True)
class Publication:
    publication_id: int
    period: str
    version: int
    state: State
    period_start: date
    period_end: date
    created_at: datetime
    created_by: str
    approved_at: datetime | None
    approved_by: str | None
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None
    catalogue_version: str
    code_version: str
    disclosure_rules: dict[str, Any]
    input_batches: list[dict[str, Any]]
    inputs_sha256: str
    linkage_run_id: int | None
    cells: int
    suppressed_cells: int
    changed_cells: int | None
    definitions: list[dict[str, Any]] | None = None
    index_sha256: str | None = None  # None: computed before versions kept it
    approved_despite: dict[str, int] | None = None  # reason -> count the steward confirmed
    approved_index_sha256: str | None = None  # the index when approved (confirmed despite a change, maybe)

    @property
    def locked(self) -> bool:
        return self.state is State.APPROVED


@dataclass(frozen=True)
class Inputs:
    """What a version is computed from, read before computing (see store_publication)."""

    batches: list[InputBatch]
    linkage_run_id: int | None
    index_sha256: str | None = None


def _serialise(connection: Connection, period: str) -> None:
    """On PostgreSQL, one publish / approve / reopen of a period at a time (SQLite's writers queue anyway).

    Without it, two publishes of one period at the same moment would both read vN as the
    latest and one would fail on the (period, version) key.
    """
    if connection.dialect.name == "postgresql":
        key = _LOCK_BASE + zlib.crc32(period.encode())
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def read_inputs(engine: Engine) -> Inputs:
    with engine.connect() as connection:
        return Inputs(loaded_batches(connection), latest_linkage_run(connection), index_digest(connection))


# --- storing a version -----------------------------------------------------------------------------


def store_publication(engine: Engine, period: PeriodSpan, cells: pd.DataFrame, *, inputs: Inputs,
                      catalogue_version: str, rules: dict[str, Any], created_by: str,
                      definitions: list[dict[str, Any]] | None = None, provisional: bool = False,
                      now: datetime | None = None) -> Publication:
    """Store protected `cells` as the next version of `period`, with the diff against the previous one.

    ``definitions``: one dict per indicator with :data:`DEFINITION_KEYS` (the catalogue's
    ``definitions()``), kept with the version and copied to ``ministry_indicators`` on approval.
    Refused (PublicationError) when the period's latest version is approved: a steward must
    re-open it first. Earlier drafts of the period become superseded. A `provisional` version
    (a period in progress) is stored as such and can never be approved.
    """
    frame = normalise_cells(cells)
    now = now or clock.now()
    try:
        with engine.begin() as connection:
            _serialise(connection, period.label)
            latest = _latest(connection, period.label)
            if latest is not None and latest.locked:
                raise _locked(latest)
            version = 1 if latest is None else latest.version + 1
            changes = None if latest is None else diff_cells(_cells_of(connection, latest.publication_id), frame)
            batch_list = [b.as_json() for b in inputs.batches]
            publication_id = connection.execute(insert(publications).values(
                period=period.label, version=version, period_start=period.start, period_end=period.end,
                state=(State.PROVISIONAL if provisional else State.DRAFT).value, created_at=now, created_by=created_by,
                catalogue_version=catalogue_version, code_version=code_version(), disclosure_rules=rules,
                input_batches=batch_list, inputs_sha256=inputs_digest(inputs.batches),
                linkage_run_id=inputs.linkage_run_id, index_sha256=inputs.index_sha256, cells=len(frame),
                suppressed_cells=int(frame["suppressed"].sum()),
                changed_cells=None if changes is None else len(changes),
                definitions=None if definitions is None else [_definition(d) for d in definitions],
            ).returning(publications.c.publication_id)).scalar_one()
            _insert_frame(connection, publication_cells, frame[list(_STORED)], publication_id=publication_id)
            if changes is not None:
                _insert_frame(connection, publication_changes, changes, publication_id=publication_id)
            connection.execute(update(publications).where(
                publications.c.period == period.label, publications.c.version < version,
                publications.c.state.in_([State.DRAFT.value, State.PROVISIONAL.value]))
                .values(state=State.SUPERSEDED.value))
    except IntegrityError:
        raise PublicationError(key="error.publish_collided", period=period.label) from None
    return get_publication(engine, period.label, version)


def normalise_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """The protected cell table in the stored types, checked: one row per key, protection consistent.

    A suppressed cell with a published value, or a published value that is not the value,
    is refused here: such a table must never reach the ministry tables.
    """
    missing = [c for c in _STORED if c not in cells.columns and c not in _OPTIONAL]
    if missing:
        raise PublicationError(f"the cell table lacks the columns {', '.join(missing)} (see indicators/cells.py)")
    frame = cells.reindex(columns=list(_STORED)).copy()
    for column in KEY:
        frame[column] = frame[column].fillna(ALL).astype(str)
    for column in ("value", "numerator", "denominator", "published_value", "target"):
        frame[column] = pd.to_numeric(frame[column], errors="raise").astype("float64")
    frame["suppressed"] = frame["suppressed"].fillna(False).astype(bool)
    frame["reason"] = frame["reason"].fillna("").astype(str)
    frame["unit"] = frame["unit"].fillna("").astype(str)
    frame["sensitivity"] = frame["sensitivity"].fillna("standard").astype(str)
    duplicated = frame.duplicated(list(KEY))
    if duplicated.any():
        first = frame.loc[duplicated, "indicator"].iloc[0]
        raise PublicationError(f"indicator {first}: {int(duplicated.sum())} cells repeat a key "
                               f"({', '.join(KEY)})")
    leaking = frame["suppressed"] & frame["published_value"].notna()
    if leaking.any():
        raise PublicationError(f"indicator {frame.loc[leaking, 'indicator'].iloc[0]}: suppressed cells carry a "
                               f"published value; refusing to store them")
    shown = ~frame["suppressed"]
    wrong = shown & ~same_values(frame["published_value"], frame["value"])
    if wrong.any():
        raise PublicationError(f"indicator {frame.loc[wrong, 'indicator'].iloc[0]}: a cell that is not "
                               f"suppressed publishes a value other than its own")
    return frame.sort_values(list(KEY)).reset_index(drop=True)


def diff_cells(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Cells added, removed or changed (value, numerator, denominator or protection) between two versions."""
    merged = before.loc[:, [*KEY, *_FIGURES]].merge(
        after.loc[:, [*KEY, *_FIGURES]], on=list(KEY), how="outer", suffixes=("_before", "_after"),
        indicator=True)
    differs = pd.Series(False, index=merged.index)
    for column in _FIGURES:
        differs |= ~same_values(merged[f"{column}_before"], merged[f"{column}_after"])
    changed = merged[(merged["_merge"] != "both") | differs].copy()
    changed["change"] = changed["_merge"].map({"left_only": "removed", "right_only": "added", "both": "changed"})
    changed = changed.rename(columns={"published_value_before": "published_before",
                                      "published_value_after": "published_after"})
    columns = [*KEY, "change", "value_before", "value_after", "suppressed_before", "suppressed_after",
               "published_before", "published_after"]
    result = changed.loc[:, columns].astype({"change": str}).sort_values(list(KEY)).reset_index(drop=True)
    for column in ("suppressed_before", "suppressed_after"):
        result[column] = result[column].astype(object).where(result[column].notna(), None)
    return result


def same_values(left: pd.Series, right: pd.Series) -> pd.Series:
    """Element-wise equality where two empty values are equal (NaN != NaN otherwise)."""
    both_empty = left.isna() & right.isna()
    return both_empty | (left.notna() & right.notna() & (left.astype(object) == right.astype(object)))


def _definition(found: dict[str, Any]) -> dict[str, Any]:
    """A catalogue definition (Catalogue.definitions()) as DEFINITION_KEYS."""
    values = dict(found)
    if "group" in values:
        values["indicator_group"] = values.pop("group")
    missing = [k for k in DEFINITION_KEYS if k not in values]
    if missing:
        raise PublicationError(f"indicator definition {values.get('indicator')!r} lacks {', '.join(missing)}")
    return {k: values[k] for k in DEFINITION_KEYS}


def _insert_frame(connection: Connection, table: Any, frame: pd.DataFrame, **constant: Any) -> None:
    columns = list(frame.columns)
    rows = (dict(constant, **{c: plain(v) for c, v in zip(columns, values, strict=True)})
            for values in frame.itertuples(index=False, name=None))
    for chunk in chunked(rows, WRITE_CHUNK):
        connection.execute(insert(table), chunk)


# --- reading versions ------------------------------------------------------------------------------


def list_publications(engine: Engine, period: str | None = None) -> list[Publication]:
    """Every version, by period then version; only `period`'s when given."""
    statement = select(publications).order_by(publications.c.period, publications.c.version)
    if period is not None:
        statement = statement.where(publications.c.period == period)
    with engine.connect() as connection:
        return [_publication(row) for row in connection.execute(statement).mappings()]


def get_publication(engine: Engine, period: str, version: int | None = None) -> Publication:
    """One version (default: the latest); PublicationError when there is none."""
    with engine.connect() as connection:
        found = _latest(connection, period) if version is None else _version(connection, period, version)
    if found is None:
        raise (PublicationError(key="error.no_version", period=period) if version is None
               else PublicationError(key="error.no_such_version", period=period, version=version))
    return found


def publication_cells_frame(engine: Engine, period: str, version: int) -> pd.DataFrame:
    """A version's cells as stewards see them (unsuppressed values included)."""
    publication = get_publication(engine, period, version)
    with engine.connect() as connection:
        return _cells_of(connection, publication.publication_id)


def changes_frame(engine: Engine, period: str, version: int) -> pd.DataFrame:
    """The stored diff of a version against the previous one (stewards: unsuppressed values included)."""
    publication = get_publication(engine, period, version)
    columns = [c for c in publication_changes.columns if c.name != "publication_id"]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).where(
            publication_changes.c.publication_id == publication.publication_id).order_by(
            *(publication_changes.c[k] for k in KEY))).all()
    return pd.DataFrame(rows, columns=[c.name for c in columns])


def _cells_of(connection: Connection, publication_id: int) -> pd.DataFrame:
    columns = [publication_cells.c[name] for name in _STORED]
    rows = connection.execute(select(*columns).where(publication_cells.c.publication_id == publication_id)
                              .order_by(*(publication_cells.c[k] for k in KEY))).all()
    frame = pd.DataFrame(rows, columns=list(_STORED))
    for column in ("value", "numerator", "denominator", "published_value", "target"):
        frame[column] = frame[column].astype("float64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame


def _latest(connection: Connection, period: str) -> Publication | None:
    row = connection.execute(select(publications).where(publications.c.period == period)
                             .order_by(publications.c.version.desc()).limit(1)).mappings().first()
    return None if row is None else _publication(row)


def _version(connection: Connection, period: str, version: int) -> Publication | None:
    row = connection.execute(select(publications).where(
        publications.c.period == period, publications.c.version == version)).mappings().first()
    return None if row is None else _publication(row)


def _publication(row: Any) -> Publication:
    values = dict(row)
    values["state"] = State(values["state"])
    for column in ("created_at", "approved_at", "reopened_at"):
        if values[column] is not None:
            values[column] = stored_utc(values[column])
    return Publication(**values)


def _locked(latest: Publication) -> PublicationError:
    return PublicationError(key="error.period_locked", period=latest.period, version=latest.version,
                            at=f"{latest.approved_at:%Y-%m-%d %H:%M}", by=latest.approved_by)


# --- approval, re-opening, late data -----------------------------------------------------------------


def approve_version(engine: Engine, period: str, version: int | None, *, by: str,
                    despite: dict[str, int] | None = None, now: datetime | None = None) -> Publication:
    """Approve a draft (default: the latest version): lock the period, copy the protected cells to the ministry.

    Only the latest version can be approved, and only while it is a draft (never a provisional
    one). `despite`: what the steward confirmed approving it with (reason -> count), kept with
    the version; interchange.operations.approval decides what must be confirmed.
    """
    now = now or clock.now()
    with engine.begin() as connection:
        _serialise(connection, period)
        latest = _latest(connection, period)
        if latest is None:
            raise PublicationError(key="error.approve_unpublished", period=period)
        chosen = latest if version is None else _version(connection, period, version)
        if chosen is None:
            raise PublicationError(key="error.approve_no_such_version", period=period, version=version,
                                   latest=latest.version)
        if chosen.version != latest.version:
            raise PublicationError(key="error.approve_not_latest", period=period, version=chosen.version,
                                   state=chosen.state.value, latest=latest.version)
        if chosen.state is State.PROVISIONAL:
            raise PublicationError(key="error.approve_provisional", period=period, version=chosen.version)
        if chosen.state is not State.DRAFT:
            raise PublicationError(key="error.approve_again", period=period, version=chosen.version,
                                   state=chosen.state.value)
        connection.execute(update(publications).where(publications.c.publication_id == chosen.publication_id)
                           .values(state=State.APPROVED.value, approved_at=now, approved_by=by,
                                   approved_despite=despite or None,
                                   approved_index_sha256=index_digest(connection)))
        connection.execute(update(publications).where(
            publications.c.period == period, publications.c.version < chosen.version,
            publications.c.state.in_([State.DRAFT.value, State.REOPENED.value])).values(state=State.SUPERSEDED.value))
        _copy_to_ministry(connection, chosen, now)
    return get_publication(engine, period, chosen.version)


def _copy_to_ministry(connection: Connection, publication: Publication, approved_at: datetime) -> None:
    connection.execute(insert(ministry_publications).values(
        period=publication.period, version=publication.version, period_start=publication.period_start,
        period_end=publication.period_end, approved_at=approved_at,
        catalogue_version=publication.catalogue_version, code_version=publication.code_version,
        disclosure_rules=publication.disclosure_rules, inputs_sha256=publication.inputs_sha256,
        input_batches=len(publication.input_batches), cells=publication.cells,
        suppressed_cells=publication.suppressed_cells, changed_cells=publication.changed_cells))
    cells = ministry_view(_cells_of(connection, publication.publication_id), publication.period)
    _insert_frame(connection, ministry_cells, cells, period=publication.period, version=publication.version)
    if publication.definitions:
        connection.execute(insert(ministry_indicators), [
            dict(d, period=publication.period, version=publication.version) for d in publication.definitions])


def ministry_view(cells: pd.DataFrame, period: str) -> pd.DataFrame:
    """What the ministry may see of a version's protected cells: disclosure control's published view.

    The published value, numerator and denominator (all empty where suppressed), flags and
    reasons; the unsuppressed figures are not in the frame this returns.
    """
    from interchange.indicators.disclosure import published_view

    frame = cells.assign(period=period)
    if "target" not in frame.columns:
        frame["target"] = float("nan")
    view = published_view(frame, extra_columns=("target",))
    view = view.rename(columns={"published_value": "value", "published_numerator": "numerator",
                                "published_denominator": "denominator"})
    return view.loc[:, [*KEY, "value", "numerator", "denominator", "target", "unit", "suppressed", "reason"]]


def reopen_period(engine: Engine, period: str, *, by: str, reason: str,
                  now: datetime | None = None) -> Publication:
    """Re-open an approved period so that corrections and late data can go into a new version.

    The approved version and its exports stay as they are (the ministry may have used them).
    """
    if not reason.strip():
        raise PublicationError(key="error.reopen_reason")
    now = now or clock.now()
    with engine.begin() as connection:
        _serialise(connection, period)
        latest = _latest(connection, period)
        if latest is None or latest.state is not State.APPROVED:
            raise (PublicationError(key="error.reopen_unpublished", period=period) if latest is None
                   else PublicationError(key="error.reopen_unlocked", period=period, version=latest.version,
                                         state=latest.state.value))
        connection.execute(update(publications).where(publications.c.publication_id == latest.publication_id)
                           .values(state=State.REOPENED.value, reopened_at=now, reopened_by=by,
                                   reopen_reason=reason.strip()))
    return get_publication(engine, period, latest.version)


def batches_since(engine: Engine, publication: Publication) -> list[InputBatch]:
    """Batches loaded after `publication` was computed that wrote records dated in its period.

    Its figures do not include them: a draft so is out of date, an approved version has late data.
    """
    with engine.connect() as connection:
        return batches_touching(connection, publication.period_start, publication.period_end,
                                after=publication.created_at,
                                exclude={b["batch_id"] for b in publication.input_batches})


@dataclass(frozen=True)
class Staleness:
    """What changed since a version was computed: newer batches with its records, later linkage runs."""

    publication: Publication
    batches: list[InputBatch]
    index_changed: bool
    runs_since: int  # linkage runs finished after the version's

    @property
    def stale(self) -> bool:
        return bool(self.batches) or self.index_changed


def staleness(engine: Engine, publication: Publication) -> Staleness:
    """Whether `publication`'s inputs or person index changed since it was computed ("stale").

    An approved version's index is the one it was approved on (a steward may have confirmed
    a change: `--despite stale-index`). A version from before versions kept the index digest
    is compared by its linkage run.
    """
    return stale_versions(engine, [publication])[0]


def stale_versions(engine: Engine, versions: list[Publication]) -> list[Staleness]:
    """staleness() of each of `versions`, reading the index once."""
    with engine.connect() as connection:  # one at a time: a SQLite warehouse connection holds the write lock
        index_now = index_digest(connection)
        runs = [linkage_runs_after(connection, p.linkage_run_id) for p in versions]
    found = []
    for publication, runs_since in zip(versions, runs, strict=True):
        rests_on = publication.approved_index_sha256 or publication.index_sha256
        changed = index_now != rests_on if rests_on is not None else runs_since > 0
        found.append(Staleness(publication, batches_since(engine, publication), changed, runs_since))
    return found


def current_versions(engine: Engine) -> list[Publication]:
    """The newest version of every period that is a draft or approved: what a steward acts on."""
    newest: dict[str, Publication] = {}
    for found in list_publications(engine):
        newest[found.period] = found
    return [p for p in newest.values() if p.state in (State.DRAFT, State.APPROVED)]


def late_batches(engine: Engine, period: str | PeriodSpan) -> list[InputBatch]:
    """Batches with records in an approved period that its approved version did not include.

    A batch is late when it was loaded after the latest approved version of the period was
    computed, wrote a record dated in the period, and no later version included it. Late data
    is kept in the warehouse; it reaches the ministry only through a new version after a reopen.
    """
    label = period if isinstance(period, str) else period.label
    versions = list_publications(engine, label)
    approved = [p for p in versions if p.approved_at is not None]
    if not approved:
        return []
    last = approved[-1]
    included = {b["batch_id"] for p in versions if p.version >= last.version for b in p.input_batches}
    with engine.connect() as connection:
        return batches_touching(connection, last.period_start, last.period_end, after=last.created_at,
                                exclude=included)


def summary_counts(publication: Publication) -> dict[str, Any]:
    """Counts a steward may see anywhere (logs, Prefect artifacts): never a cell's value."""
    return {"period": publication.period, "version": publication.version, "state": publication.state.value,
            "cells": publication.cells, "suppressed_cells": publication.suppressed_cells,
            "changed_cells": publication.changed_cells, "input_batches": len(publication.input_batches),
            "linkage_run": publication.linkage_run_id}


# --- the workspace-level operations the CLI and the flow call --------------------------------------


def check_publishable(engine: Engine, period: Period, *, provisional: bool = False,
                      today: date | None = None) -> None:
    """Refuse (PublicationError, saying why) what `publish` must not store for `period`.

    Refused: a locked period; a period that has not begun; a calendar period that has not
    ended, unless `provisional` (and `provisional` for one that has ended); a period in which
    no organisation has loaded a record. Decided before anything is computed, so the command
    can refuse before the flow runs.
    """
    today = today or clock.today()
    with engine.connect() as connection:
        latest = _latest(connection, period.label)
        has_data = has_records_dated_in(connection, period.start, period.end)
    if latest is not None and latest.locked:
        raise _locked(latest)
    if period.start > today:
        raise PublicationError(key="error.period_not_begun", period=period.label, start=period.start)
    in_progress = period.end >= today and period.kind != "programme"  # a programme reports while it runs
    if in_progress and not provisional:
        raise PublicationError(key="error.period_in_progress", period=period.label, end=period.end)
    if provisional and not in_progress:
        raise PublicationError(key="error.provisional_ended", period=period.label, end=period.end)
    if not has_data:
        raise PublicationError(key="error.period_no_data", period=period.label, start=period.start, end=period.end)


def publish(engine: Engine, workspace: Workspace, period: Period, *, by: str = "interchange",
            provisional: bool = False, on_progress: ProgressHook | None = None,
            allow_without_consent: bool = False) -> Publication:
    """Compute every catalogue indicator for `period`, protect the cells, store them as the next version.

    Refused with PublicationError as check_publishable says (a locked period, one not ended
    unless `provisional`, one without data), or when an organisation's persons of the period all
    lack consent and would silently count for nothing (indicators/consent.py), unless
    `allow_without_consent`. The version's rules record each organisation's persons without consent.
    The input batches are read before and after computing; when a load committed in between,
    the computation runs again, so the recorded inputs are exactly what the figures rest on.
    `on_progress` is told ``publish.stages`` 0..3 of 3: compute, protect, store (interchange.progress).
    """
    from interchange.indicators.compute import UnlinkedRecordsError, compute_indicators
    from interchange.indicators.consent import ConsentCheck, ConsentRefused
    from interchange.indicators.disclosure import DisclosureRefused, protect

    catalogue = load_workspace_catalogue(workspace)
    settings = workspace.config.publishing
    rules = disclosure_rules(workspace)
    check_publishable(engine, period, provisional=provisional)
    orgs = _programme_orgs(workspace, period.label)
    report(on_progress, "publish.stages", 0, 3, "compute")
    with stage("compute indicators"):
        for _attempt in range(3):
            inputs = read_inputs(engine)
            consent = ConsentCheck(period.label, settings.consent, allow=allow_without_consent)
            try:
                cells = compute_indicators(engine, catalogue, period, consent=settings.consent, orgs=orgs,
                                           on_consent=consent)
            except UnlinkedRecordsError as exc:  # counts and kinds only: no record in the message
                raise PublicationError(str(exc)) from None
            except ConsentRefused as exc:  # a refusal like a locked period's: the flow and the CLI say so
                raise PublicationError(key=exc.key, **exc.params) from None
            if read_inputs(engine) == inputs:
                break
        else:
            raise PublicationError(key="error.publish_moving_data")
    report(on_progress, "publish.stages", 1, 3, "protect")
    with stage("disclosure control"):
        try:
            protected = protect(cells, rules, **catalogue_facts(catalogue, cells))
        except DisclosureRefused as exc:  # indicator codes and a count only, as the error says it
            raise PublicationError(key=exc.key, **exc.params) from None
    protected["target"] = _targets_of(workspace, catalogue, period.label, protected)
    stored_rules = dict(rules.model_dump(mode="json"), consent=settings.consent, **consent.recorded())
    report(on_progress, "publish.stages", 2, 3, "store")
    with stage("store version"):
        stored = store_publication(engine, period, protected, inputs=inputs, catalogue_version=catalogue.version,
                                   rules=stored_rules, created_by=by, definitions=catalogue.definitions(),
                                   provisional=provisional)
    report(on_progress, "publish.stages", 3, 3, "store")
    return stored


def catalogue_facts(catalogue: Catalogue, cells: pd.DataFrame) -> dict[str, Any]:
    """What protect() and audit() know of the catalogue: which ratio is made of which counts, and
    which ratios are rates, not shares. The ratio definitions are public (ministry_indicators): a
    reader links them, so must the audit."""
    present = set(cells["indicator"])
    linked = [(i.code, part) for i in catalogue.indicators if i.unit == "ratio" and i.code in present
              for part in (i.numerator, i.denominator) if part is not None and part in present]
    return {"linked_indicators": linked, "rates": catalogue.rates()}


def _targets_of(workspace: Workspace, catalogue: Any, label: str, cells: pd.DataFrame) -> pd.Series:
    """A programme period's targets on the total cells of the indicators that answer them; else empty."""
    from interchange.indicators.progress import catalogue_targets

    plans = [p for p in workspace.config.programmes if p.code == label]
    targets = catalogue_targets(catalogue, plans[0]) if plans else {}
    found = cells["indicator"].map(targets).astype("float64")
    return found.where(cells["breakdown"] == "total")


def reopen(engine: Engine, period: str, *, by: str, reason: str) -> Publication:
    """Re-open an approved period (see reopen_period)."""
    return reopen_period(engine, period, by=by, reason=reason)


# --- seams to the catalogue and disclosure modules ------------------------------------------------


def _programme_orgs(workspace: Workspace, label: str) -> list[str] | None:
    """A programme period counts its own organisations' records (all, when it names none)."""
    for programme in workspace.config.programmes:
        if programme.code == label and programme.orgs:
            return list(programme.orgs)
    return None


def load_workspace_catalogue(workspace: Workspace) -> Any:
    """The catalogue ``publishing.catalogue`` names (relative to the workspace), else the shipped one.

    Raises:
        PublicationError: the workspace's catalogue is missing or wrong; the message names the
            file, the indicator and the key.
    """
    from interchange.indicators.catalogue import CatalogueError, load_catalogue

    name = workspace.config.publishing.catalogue
    try:
        return load_catalogue(None if name is None else workspace.root / name)
    except CatalogueError as exc:
        raise PublicationError(f"publishing.catalogue in interchange.yaml: {exc}") from None


def disclosure_rules(workspace: Workspace) -> Any:
    """The workspace's suppression thresholds as the disclosure module's rules."""
    from interchange.indicators.disclosure import DisclosureRules

    settings = workspace.config.publishing
    return DisclosureRules(min_count=settings.min_count, dv_min_count=settings.dv_min_count)


def render_publication(p: Publication, lang: str) -> str:
    """One version on one line, as the steward reads it after `interchange publish`."""
    changed = (say("steward.first_version", lang) if p.changed_cells is None
               else say("steward.changed_since", lang, changed=p.changed_cells, previous=p.version - 1))
    return say("steward.publication", lang, period=p.period, version=p.version,
               state=name_of("steward.state", p.state.value, lang), cells=p.cells, suppressed=p.suppressed_cells,
               changed=changed, batches=len(p.input_batches), run=p.linkage_run_id)


def render_consent(p: Publication, lang: str) -> list[str]:
    """What a version left out for consent, one line per organisation (indicators/consent.py recorded it)."""
    rules = p.disclosure_rules
    key = "steward.consent_left_out" if rules.get("consent", "exclude") == "exclude" else "steward.consent_totals_only"
    lines = [say(key, lang, org=org, without=count["without"], persons=count["persons"])
             for org, count in (rules.get("without_consent") or {}).items()]
    allowed = rules.get("published_without_consent") or []
    if allowed:
        lines.append(say("steward.consent_allowed", lang, orgs=", ".join(allowed)))
    return lines
