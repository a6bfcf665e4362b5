"""Publication versions on SQLite and PostgreSQL: immutable versions, diffs, approval, locking, late data.

The cells here are made by hand in the shape of indicators/cells.py, protected by the
rule stewards know (counts 1-4 suppressed), so each test states exactly which figures a
version holds; tests/test_publish_cli.py runs the real computation end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from drop_kit import CONTACT_HEADER, PERSON_HEADER, TODAY, drop, ingest, person_rows
from sqlalchemy import Engine, select

from interchange import clock
from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS
from interchange.indicators.publications import (
    PublicationError,
    Span,
    State,
    approve_version,
    changes_frame,
    get_publication,
    late_batches,
    list_publications,
    normalise_cells,
    publication_cells_frame,
    read_inputs,
    reopen_period,
    store_publication,
)
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import ministry_cells, ministry_publications, publications
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

PERIOD = Span("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
RULES = {"min_count": 5, "dv_min_count": 10, "consent": "exclude"}
Cell = tuple[str, str, str, float]  # indicator, dimension set ("sex" or "" for total), its value, figure


def cells(figures: dict[tuple[str, str, str], float], *, period: str = PERIOD.label) -> pd.DataFrame:
    """A protected cell table: (indicator, dimension, dimension value) -> value; counts 1-4 suppressed."""
    rows = []
    for (indicator, dimension, level), value in figures.items():
        row = {c: ALL for c in DIMENSIONS}
        if dimension:
            row[dimension] = level
        rows.append(dict(row, indicator=indicator, period=period, breakdown=dimension or "total", value=value,
                         numerator=value, denominator=float("nan"), unit="persons", sensitivity="standard"))
    frame = pd.DataFrame(rows, columns=list(CELL_COLUMNS))
    small = (frame["value"] > 0) & (frame["value"] < 5)
    frame["suppressed"] = small
    frame["reason"] = small.map({True: "primary", False: ""})
    frame["published_value"] = frame["value"].where(~small)
    return frame


V1 = {("dv_persons", "", ""): 266.0, ("dv_persons", "sex", "female"): 230.0, ("dv_persons", "sex", "male"): 36.0,
      ("families", "", ""): 211.0, ("families", "sex", "unknown"): 3.0}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with warehouse(database_url) as engine:
        yield engine


def store(engine: Engine, figures: dict, *, by: str = "steward") -> object:
    return store_publication(engine, PERIOD, cells(figures), inputs=read_inputs(engine), catalogue_version="2026.1",
                             rules=RULES, created_by=by)


def test_versions_increase_and_an_old_version_never_changes(engine: Engine) -> None:
    first = store(engine, V1)
    v1_cells = publication_cells_frame(engine, PERIOD.label, 1)
    second = store(engine, {**V1, ("dv_persons", "", ""): 267.0})
    assert (first.version, second.version) == (1, 2)
    pd.testing.assert_frame_equal(publication_cells_frame(engine, PERIOD.label, 1), v1_cells)
    assert publication_cells_frame(engine, PERIOD.label, 2).set_index("indicator").loc["dv_persons"].query(
        "breakdown == 'total'")["value"].tolist() == [267.0]
    assert [(p.version, p.state) for p in list_publications(engine, PERIOD.label)] == [
        (1, State.SUPERSEDED), (2, State.DRAFT)]
    assert (second.cells, second.suppressed_cells, second.changed_cells) == (5, 1, 1)
    assert first.changed_cells is None
    assert second.code_version.startswith("interchange ")
    assert second.disclosure_rules == RULES


def test_diff_lists_exactly_the_changed_cells(engine: Engine) -> None:
    store(engine, V1)
    v2 = dict(V1)
    v2[("dv_persons", "sex", "male")] = 37.0          # value changed
    v2[("families", "sex", "unknown")] = 6.0          # no longer suppressed
    del v2[("dv_persons", "sex", "female")]           # removed
    v2[("families", "sex", "female")] = 2.0           # added, suppressed
    published = store(engine, v2)
    changes = changes_frame(engine, PERIOD.label, 2)
    found = {(r.indicator, r.sex): (r.change, r.value_before, r.value_after, r.published_before, r.published_after)
             for r in changes.itertuples()}
    nan = float("nan")
    assert set(found) == {("dv_persons", "male"), ("families", "unknown"), ("dv_persons", "female"),
                          ("families", "female")}
    assert found[("dv_persons", "male")] == ("changed", 36.0, 37.0, 36.0, 37.0)
    assert found[("families", "unknown")][:3] == ("changed", 3.0, 6.0)
    assert pd.isna(found[("families", "unknown")][3]) and found[("families", "unknown")][4] == 6.0
    assert found[("dv_persons", "female")][0] == "removed" and pd.isna(found[("dv_persons", "female")][2])
    assert found[("families", "female")][0] == "added"
    assert pd.isna(found[("families", "female")][4]) or found[("families", "female")][4] is nan
    assert published.changed_cells == 4


def test_an_unchanged_republication_has_an_empty_diff(engine: Engine) -> None:
    store(engine, V1)
    assert store(engine, V1).changed_cells == 0
    assert changes_frame(engine, PERIOD.label, 2).empty


def test_a_locked_period_refuses_publish_until_a_steward_reopens_it(engine: Engine) -> None:
    store(engine, V1)
    approved = approve_version(engine, PERIOD.label, None, by="ona")
    assert (approved.state, approved.approved_by, approved.locked) == (State.APPROVED, "ona", True)
    with pytest.raises(PublicationError, match=r"2026-Q3 is locked: v1 was approved .* interchange reopen"):
        store(engine, {**V1, ("families", "", ""): 212.0})
    assert [p.version for p in list_publications(engine)] == [1]
    with pytest.raises(PublicationError, match="say why"):
        reopen_period(engine, PERIOD.label, by="ona", reason="  ")
    reopened = reopen_period(engine, PERIOD.label, by="ona", reason="late contacts from the women's centre")
    assert (reopened.state, reopened.reopen_reason) == (State.REOPENED, "late contacts from the women's centre")
    second = store(engine, {**V1, ("families", "", ""): 212.0})
    assert (second.version, second.state) == (2, State.DRAFT)
    approve_version(engine, PERIOD.label, 2, by="ona")
    assert [(p.version, p.state) for p in list_publications(engine)] == [(1, State.SUPERSEDED), (2, State.APPROVED)]


def test_only_the_latest_draft_can_be_approved_and_only_once(engine: Engine) -> None:
    with pytest.raises(PublicationError, match="no published version"):
        approve_version(engine, PERIOD.label, None, by="ona")
    store(engine, V1)
    store(engine, V1)
    with pytest.raises(PublicationError, match="v1 is superseded: only the latest version, v2"):
        approve_version(engine, PERIOD.label, 1, by="ona")
    with pytest.raises(PublicationError, match="no version 7"):
        approve_version(engine, PERIOD.label, 7, by="ona")
    approve_version(engine, PERIOD.label, 2, by="ona")
    with pytest.raises(PublicationError, match="already approved"):
        approve_version(engine, PERIOD.label, 2, by="ona")
    with pytest.raises(PublicationError, match="only an approved period can be re-opened"):
        reopen_period(engine, "2026-Q4", by="ona", reason="x")


def test_ministry_tables_hold_approved_versions_only_and_never_a_suppressed_value(engine: Engine) -> None:
    ratio = cells({("dv_repeat_share", "", ""): 0.39})
    ratio[["numerator", "denominator", "unit", "suppressed", "reason", "published_value"]] = [
        [104.0, 266.0, "ratio", False, "", 0.39]]
    small_ratio = cells({("dv_repeat_share", "sex", "male"): 0.5})
    small_ratio[["numerator", "denominator", "unit", "suppressed", "reason", "published_value"]] = [
        [2.0, 4.0, "ratio", True, "ratio", float("nan")]]
    frame = pd.concat([cells(V1), ratio, small_ratio], ignore_index=True)
    store_publication(engine, PERIOD, frame, inputs=read_inputs(engine), catalogue_version="2026.1", rules=RULES,
                      created_by="steward")
    with engine.connect() as connection:
        assert connection.execute(select(ministry_cells)).all() == []  # a draft is not for the ministry
    approve_version(engine, PERIOD.label, 1, by="ona")
    with engine.connect() as connection:
        rows = {(r.indicator, r.sex): r for r in connection.execute(select(ministry_cells))}
        [meta] = connection.execute(select(ministry_publications)).all()
    assert len(rows) == 7 and (meta.version, meta.cells, meta.suppressed_cells) == (1, 7, 2)
    for row in rows.values():
        if row.suppressed:
            assert (row.value, row.numerator, row.denominator) == (None, None, None)
    assert rows[("families", "unknown")].reason == "suppressed"  # never why: "primary" would say it is small
    male = rows[("dv_repeat_share", "male")]
    assert (male.suppressed, male.reason) == (True, "suppressed")
    assert (rows[("dv_repeat_share", ALL)].value, rows[("dv_repeat_share", ALL)].numerator,
            rows[("dv_repeat_share", ALL)].denominator) == (0.39, 104.0, 266.0)
    assert rows[("dv_persons", ALL)].value == 266.0


def test_a_table_whose_protection_leaks_is_refused_before_anything_is_stored(engine: Engine) -> None:
    leaking = cells(V1)
    leaking.loc[leaking["value"] == 3.0, "published_value"] = 3.0
    with pytest.raises(PublicationError, match="families: suppressed cells carry a published value"):
        store_publication(engine, PERIOD, leaking, inputs=read_inputs(engine), catalogue_version="2026.1",
                          rules=RULES, created_by="steward")
    shifted = cells(V1)
    shifted.loc[shifted["value"] == 211.0, "published_value"] = 215.0
    with pytest.raises(PublicationError, match="publishes a value other than its own"):
        normalise_cells(shifted)
    with pytest.raises(PublicationError, match="lacks the columns suppressed, reason, published_value"):
        normalise_cells(cells(V1).drop(columns=["suppressed", "reason", "published_value"]))
    twice = pd.concat([cells(V1), cells(V1).iloc[:1]])
    with pytest.raises(PublicationError, match="dv_persons: 1 cells repeat a key"):
        normalise_cells(twice)
    with engine.connect() as connection:
        assert connection.execute(select(publications)).all() == []


def test_two_publishes_of_one_period_at_once_make_two_versions(engine: Engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = cells(V1)
    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(lambda _: store_publication(
            engine, PERIOD, frame, inputs=read_inputs(engine), catalogue_version="2026.1", rules=RULES,
            created_by="steward").version, range(2)))
    assert sorted(made) == [1, 2]


# --- inputs and late data: real drops through the real ingest ---------------------------------------

RECENT = Span("recent", TODAY - timedelta(days=120), TODAY)


def contacts(person_ids: list[str], day: date, *, prefix: str) -> list[list[str]]:
    return [CONTACT_HEADER, *([f"{prefix}{n}", pid, "legal_consultation", day.isoformat(), "45"]
                              for n, pid in enumerate(person_ids))]


def test_inputs_record_every_loaded_batch_with_its_sha256(hub_root: Path) -> None:
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *person_rows(3)])
    ingest(hub_root)
    with warehouse(Workspace(hub_root).database_url) as engine:
        stored = store_publication(engine, RECENT, cells(V1, period="recent"), inputs=read_inputs(engine),
                                   catalogue_version="2026.1", rules=RULES, created_by="steward")
    [batch] = stored.input_batches
    assert batch["org"] == "kretingos-spc" and batch["kind"] == "person" and len(batch["sha256"]) == 64
    assert len(stored.inputs_sha256) == 64


def persons_with_contacts(hub_root: Path, count: int) -> list[list[str]]:
    """`count` persons, each with a contact ten days ago, loaded; the person rows."""
    persons = person_rows(count)
    drop(hub_root, "a.person.csv", [PERSON_HEADER, *persons])
    drop(hub_root, "a.contact.csv", contacts([p[0] for p in persons], TODAY - timedelta(days=10), prefix="K"))
    ingest(hub_root)
    return persons


def test_a_batch_loaded_after_approval_with_records_in_the_period_is_late(hub_root: Path) -> None:
    persons = persons_with_contacts(hub_root, 3)
    with warehouse(Workspace(hub_root).database_url) as engine:
        def publish_now() -> object:
            return store_publication(engine, RECENT, cells(V1, period="recent"), inputs=read_inputs(engine),
                                     catalogue_version="2026.1", rules=RULES, created_by="steward",
                                     now=clock.now())

        publish_now()
        assert late_batches(engine, "recent") == []  # nothing approved, nothing late
        approve_version(engine, "recent", 1, by="ona")
        drop(hub_root, "late.contact.csv", contacts([persons[0][0]], TODAY - timedelta(days=5), prefix="L"))
        drop(hub_root, "old.contact.csv", contacts([persons[1][0]], TODAY - timedelta(days=200), prefix="O"))
        ingest(hub_root)
        late = late_batches(engine, "recent")
        assert [(b.org, b.kind) for b in late] == [("kretingos-spc", "contact")]
        names = {b.batch_id: b for b in late}
        assert len(names) == 1
        with pytest.raises(PublicationError, match="locked"):
            publish_now()
        reopen_period(engine, "recent", by="ona", reason="late contacts")
        second = publish_now()
        assert {b["batch_id"] for b in second.input_batches} >= set(names)
        assert late_batches(engine, "recent") == []  # the new version includes it
        assert get_publication(engine, "recent").version == 2


def test_a_late_batch_stays_late_when_a_later_one_replaces_what_it_wrote(hub_root: Path) -> None:
    # Its version then lives in record_versions, no longer on the record's row (issue 18).
    persons = persons_with_contacts(hub_root, 2)
    with warehouse(Workspace(hub_root).database_url) as engine:
        store_publication(engine, RECENT, cells(V1, period="recent"), inputs=read_inputs(engine),
                          catalogue_version="2026.1", rules=RULES, created_by="steward", now=clock.now())
        approve_version(engine, "recent", 1, by="ona")
        late = contacts([persons[0][0]], TODAY - timedelta(days=5), prefix="L")
        drop(hub_root, "late.contact.csv", late)
        ingest(hub_root)
        [first] = late_batches(engine, "recent")
        late[1][-1] = "60"  # the same contact, its duration corrected
        drop(hub_root, "corrected.contact.csv", late)
        ingest(hub_root)
        found = late_batches(engine, "recent")
    assert len(found) == 2 and found[0].batch_id == first.batch_id
    assert found[1].batch_id > first.batch_id and {b.kind for b in found} == {"contact"}


# --- the real computation, on both databases -------------------------------------------------------


def test_publish_computes_protects_and_the_analysts_query_gives_the_published_figure(hub_root: Path) -> None:
    from sqlalchemy import text
    from test_publish_cli import MONTH, send_and_link

    from interchange.indicators.outbox import approve
    from interchange.indicators.periods import parse_period
    from interchange.indicators.publications import publish

    send_and_link(hub_root, persons=12)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        published = publish(engine, workspace, parse_period(MONTH), by="ona")
        assert (published.version, published.catalogue_version, published.linkage_run_id) == (1, "2026.1", 1)
        assert published.disclosure_rules["min_count"] == 5 and published.disclosure_rules["consent"] == "exclude"
        approve(engine, workspace, MONTH, by="ona")
        # The query docs/data-dictionary.md shows a ministry analyst.
        query = text("""
            SELECT c.value, c.suppressed FROM ministry_cells c
            JOIN (SELECT period, MAX(version) AS version FROM ministry_publications GROUP BY period) cur
              ON cur.period = c.period AND cur.version = c.version
            WHERE c.period = :period AND c.indicator = :indicator AND c.breakdown = 'total'""")
        with engine.connect() as connection:
            found = connection.execute(query, {"period": MONTH, "indicator": "legal_consultation_persons"}).all()
            hidden = connection.execute(select(ministry_cells.c.value).where(ministry_cells.c.suppressed)).all()
        assert [tuple(r) for r in found] == [(12.0, False)]
        assert all(value is None for (value,) in hidden)
