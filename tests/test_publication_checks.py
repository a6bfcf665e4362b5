"""What publish and approve check before figures can reach the ministry, and what status then says waits.

A period that has not begun, is in progress or has no data is refused before anything runs
(a period in progress only as a provisional version, never approved); approve lists every
reason a version may be wrong (open review pairs, held batches, open quarantine, all-zero
figures, batches or a person index changed since it was computed) and needs `--despite` for
each; `publications` and `status` flag stale versions, and status names everything that waits.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from drop_kit import CONTACT_HEADER, MIMC, PERSON_HEADER, SPC, TODAY, drop, ingest, person_rows, steward_scene
from test_publications import RULES, V1, cells
from test_publish_cli import invoke, relink, send_and_link, store

from interchange.indicators.periods import parse_period
from interchange.indicators.publications import Span, publish, read_inputs, store_publication
from interchange.operations.approval import ApprovalRefused, approve_checked
from interchange.stage_times import recording
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import review_pairs
from interchange.workspace.layout import Workspace

pytestmark = pytest.mark.dates  # run again by CI with the clock moved (Makefile, test)

sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
LAST_MONTH_DAY = TODAY.replace(day=1) - timedelta(days=10)


def open_review_pair(root: Path) -> None:
    with warehouse(Workspace(root).database_url) as engine, engine.begin() as connection:
        connection.execute(review_pairs.insert().values(uid_l=f"{SPC}:P000000", uid_r=f"{MIMC}:X1",
                                                        match_probability=0.7, status="open"))


# --- case 2: periods that cannot be published ---------------------------------------------------------


@sqlite_only
def test_publish_refuses_a_period_not_begun_in_progress_or_without_data(hub_root: Path) -> None:
    send_and_link(hub_root, day=LAST_MONTH_DAY)
    future = f"{TODAY.year + 1}-Q2"
    not_begun = invoke("publish", "--period", future, "--workspace", hub_root)
    assert not_begun.exit_code == 1
    assert not_begun.output == (f"refused: {future} has not begun (it starts on {TODAY.year + 1}-04-01): "
                                f"there is nothing to publish\n")

    month = f"{TODAY:%Y-%m}"
    running = invoke("publish", "--period", month, "--workspace", hub_root)
    assert running.exit_code == 1
    assert running.output.startswith(f"refused: {month} is in progress (it ends on ")
    assert f"interchange publish --period {month} --provisional" in running.output

    empty = invoke("publish", "--period", "2019-01", "--workspace", hub_root)
    assert empty.exit_code == 1
    assert empty.output == ("refused: 2019-01 (2019-01-01 to 2019-01-31): no organisation has loaded records dated "
                            "in the period; there is nothing to publish (interchange status shows what has "
                            "arrived)\n")
    assert "No publications yet" in invoke("publications", "--workspace", hub_root).output  # nothing stored


@sqlite_only
def test_a_period_in_progress_is_published_only_provisionally_and_never_approved(hub_root: Path) -> None:
    send_and_link(hub_root, day=TODAY)
    month = f"{TODAY:%Y-%m}"
    with warehouse(Workspace(hub_root).database_url) as engine:
        provisional = publish(engine, Workspace(hub_root), parse_period(month), provisional=True)
    assert provisional.state == "provisional"

    refused = invoke("approve", "--period", month, "--workspace", hub_root)
    assert refused.exit_code == 1
    assert refused.output == (f"refused: {month} v1 is provisional (the period had not ended) and cannot be "
                              f"approved: publish the period without --provisional once it has ended\n")
    listing = invoke("publications", "--workspace", hub_root).output.splitlines()
    [row] = [x.split() for x in listing[1:-1]]  # the last line names the warehouse
    assert row[:3] == [month, "1", "provisional"]

    ended = invoke("publish", "--period", f"{LAST_MONTH_DAY:%Y-%m}", "--provisional", "--workspace", hub_root)
    assert ended.exit_code == 1 and "a provisional version is only for a period in progress" in ended.output


# --- case 3: approve checks, --despite, stale versions ------------------------------------------------


@sqlite_only
def test_approve_lists_open_review_and_all_zero_and_needs_despite_for_each(hub_root: Path) -> None:
    store(hub_root, {key: 0.0 for key in V1})
    open_review_pair(hub_root)

    refused = invoke("approve", "--period", "2026-Q3", "--workspace", hub_root)
    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        "refused: 2026-Q3 v1 cannot be approved yet:",
        "  open-review: 1 review pairs await a decision (interchange review list)",
        "  all-zero: the totals of all 2 indicators are zero",
        "Resolve them and publish again, or confirm each reason: interchange approve --period 2026-Q3 "
        "--despite open-review --despite all-zero"]
    partly = invoke("approve", "--period", "2026-Q3", "--despite", "open-review", "--workspace", hub_root)
    assert partly.exit_code == 1 and "--despite all-zero" in partly.output and "open-review:" not in partly.output
    unknown = invoke("approve", "--period", "2026-Q3", "--despite", "whatever", "--workspace", hub_root)
    assert unknown.exit_code == 2 and "open-review" in unknown.output  # the codes it takes

    approved = invoke("approve", "--period", "2026-Q3", "--despite", "open-review", "--despite", "all-zero",
                      "--by", "ona", "--workspace", hub_root)
    assert approved.exit_code == 0, approved.output
    assert "2026-Q3 v1 was approved despite: open-review (1), all-zero (2)" in approved.output
    listing = invoke("publications", "--workspace", hub_root).output
    assert "2026-Q3 v1 was approved despite: open-review (1), all-zero (2)" in listing


@sqlite_only
def test_approve_counts_held_batches_and_open_quarantine_received_since_the_period_began(hub_root: Path) -> None:
    steward_scene(hub_root)  # one SPC row quarantined, MIMC's contact batch held; both received today
    since_today = Span("recent", TODAY - timedelta(days=30), TODAY)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        for period in (since_today, Span("later", TODAY + timedelta(days=1), TODAY + timedelta(days=30))):
            store_publication(engine, period, cells(V1, period=period.label), inputs=read_inputs(engine),
                              catalogue_version="2026.1", rules=RULES, created_by="steward")
        with pytest.raises(ApprovalRefused) as refused:
            approve_checked(engine, workspace, "recent", by="ona")
        assert refused.value.message("en").splitlines()[1:3] == [
            "  held-batches: 1 held batches received since the period began (interchange status)",
            "  open-quarantine: 1 open quarantined rows in batches received since the period began "
            "(interchange quarantine list)"]
        assert "sulaikytų paketų, gautų nuo laikotarpio pradžios: 1" in refused.value.message("lt")
        approved, files = approve_checked(engine, workspace, "recent", by="ona",
                                          despite={"held-batches", "open-quarantine"})
        assert approved.approved_despite == {"held-batches": 1, "open-quarantine": 1}
        [metadata] = [f for f in files if f.name == "metadata.json"]  # the ministry's reader is told too
        assert json.loads(metadata.read_text(encoding="utf-8"))["approved_despite"] == approved.approved_despite
        # Batches received before a period began cannot hold its records.
        with recording() as times:  # and approval's parts are timed (benchmarks/national_pipeline.py prints them)
            assert approve_checked(engine, workspace, "later", by="ona")[0].state == "approved"
        assert list(times.cpu) == ["approval checks", "approve version", "export files"]


@sqlite_only
def test_a_person_index_changed_since_a_version_blocks_approval_and_flags_approved_versions(hub_root: Path) -> None:
    month = f"{LAST_MONTH_DAY:%Y-%m}"
    send_and_link(hub_root, day=LAST_MONTH_DAY)
    with warehouse(Workspace(hub_root).database_url) as engine, recording() as times:
        publish(engine, Workspace(hub_root), parse_period(month))
    assert {"compute indicators", "disclosure control", "store version"} <= set(times.cpu)  # publish's parts timed
    more = person_rows(2, start=12, prefix="Q")
    drop(hub_root, "b.person.csv", [[*PERSON_HEADER, "consent_reporting"], *([*row, "true"] for row in more)])
    ingest(hub_root)
    relink(hub_root)  # two more persons in the index: the draft's distinct counts may be wrong now

    refused = invoke("approve", "--period", month, "--workspace", hub_root)
    assert refused.exit_code == 1
    assert "  stale-index: the person index changed after this version was computed (1 linkage runs since)" \
        in refused.output.splitlines()
    assert invoke("approve", "--period", month, "--despite", "stale-index", "--workspace",
                  hub_root).exit_code == 0
    assert "STALE" not in invoke("publications", "--workspace", hub_root).output  # approved as it was confirmed

    drop(hub_root, "c.person.csv", [[*PERSON_HEADER, "consent_reporting"],
                                    *([*row, "true"] for row in person_rows(1, start=20, prefix="R"))])
    ingest(hub_root)
    relink(hub_root)
    [flag] = [x for x in invoke("publications", "--workspace", hub_root).output.splitlines()
              if x.startswith("STALE")]
    assert flag == (f"STALE: {month} v1 (approved): the person index changed after it was computed. Publish again "
                    f"to see the difference (an approved period is re-opened first: interchange reopen --period "
                    f"{month} --reason \"...\")")


# --- case 9: status names everything that waits for a person -----------------------------------------


@sqlite_only
def test_status_names_review_pairs_drafts_and_late_data_and_exits_1(hub_root: Path) -> None:
    send_and_link(hub_root, day=LAST_MONTH_DAY)
    month = f"{LAST_MONTH_DAY:%Y-%m}"
    with warehouse(Workspace(hub_root).database_url) as engine:
        publish(engine, Workspace(hub_root), parse_period(month))
    open_review_pair(hub_root)

    waiting = invoke("status", "--workspace", hub_root, "--lang", "en")
    assert waiting.exit_code == 1, waiting.output
    assert f"Awaiting approval: {month} v1 (interchange approve --period {month})" in waiting.output
    assert "Waiting for a person: 1 review pairs, 1 versions awaiting approval." in waiting.output
    assert "All clear" not in waiting.output

    assert invoke("approve", "--period", month, "--despite", "open-review", "--workspace", hub_root).exit_code == 0
    drop(hub_root, "late.contact.csv", [CONTACT_HEADER, ["L1", person_rows(1)[0][0], "legal_consultation",
                                                         LAST_MONTH_DAY.isoformat(), "30"]])
    ingest(hub_root)
    late = invoke("status", "--workspace", hub_root, "--lang", "en")
    assert late.exit_code == 1
    assert f"LATE DATA: {month}: batches loaded after approval with records in the period: 1" in late.output
    assert "Waiting for a person: 1 review pairs, 1 periods with late data, 1 stale versions." in late.output
    lithuanian = invoke("status", "--workspace", hub_root, "--lang", "lt")
    assert "Laukia žmogaus: porų peržiūrai: 1, laikotarpių su vėlavusiais duomenimis: 1" in lithuanian.output


@sqlite_only
def test_approve_counts_failed_batches_received_since_the_period_began(
        hub_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.ingest import batches as batches_module
    from interchange.ingest.batches import FAILPOINT_ENV

    drop(hub_root, "asmenys.person.csv", [PERSON_HEADER, *person_rows(2)])
    monkeypatch.setattr(batches_module, "_RAISED", set())
    monkeypatch.setenv(FAILPOINT_ENV, "before_commit:raise-once")  # the hub fails on it: nothing loaded
    ingest(hub_root)
    monkeypatch.delenv(FAILPOINT_ENV)
    recent = Span("recent", TODAY - timedelta(days=30), TODAY)
    workspace = Workspace(hub_root)
    with warehouse(workspace.database_url) as engine:
        store_publication(engine, recent, cells(V1, period=recent.label), inputs=read_inputs(engine),
                          catalogue_version="2026.1", rules=RULES, created_by="steward")
        with pytest.raises(ApprovalRefused) as refused:
            approve_checked(engine, workspace, "recent", by="ona")
        assert refused.value.message("en").splitlines()[1:2] == [
            "  failed-batches: 1 failed batches (the hub could not process them) received since the period began "
            "(interchange status)"]
        approved, _ = approve_checked(engine, workspace, "recent", by="ona", despite={"failed-batches"})
        assert approved.approved_despite == {"failed-batches": 1}
