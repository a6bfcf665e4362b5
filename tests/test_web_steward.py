"""The steward console and the ministry's view in a real browser.

A steward reads the status page, re-processes a held batch and follows its lineage, decides a
review pair with a reason, and approves a period after confirming each reason the checks found; a
ministry account reads the approved tables, downloads an export, never sees a suppressed cell's
value and cannot open a steward page. One server and one browser for the module (web_fixtures); the
workspace's state is built with library calls: ingest, a review pair, publications.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from drop_kit import CONTACT_HEADER, PERSON_HEADER, contact_rows, drop, person_rows
from web_fixtures import MIMC, SPC, WebHub, log_in

from interchange import clock
from interchange.indicators.cells import ALL, CELL_COLUMNS, DIMENSIONS
from interchange.indicators.outbox import export_folder
from interchange.indicators.publications import Span, read_inputs, store_publication
from interchange.ingest.run import ingest_workspace
from interchange.operations.approval import approve_checked
from interchange.operations.reasons import Reason
from interchange.warehouse.tables import review_pairs
from interchange.web.audit import audit_trail

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser

# A suppressed cell's value: it must appear on no page and in no file a ministry account can reach.
SECRET_RATIO = 0.3137


def _quarter_before(day: date, back: int) -> Span:
    """The quarter `back` quarters before the one `day` is in."""
    index = day.year * 4 + (day.month - 1) // 3 - back
    year, quarter = divmod(index, 4)
    start = date(year, 3 * quarter + 1, 1)
    end = date(year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1) - timedelta(days=1)
    return Span(f"{year}-Q{quarter + 1}", start, end)


# Two whole quarters before today: the batches ingested today arrived after both began.
Q2 = _quarter_before(clock.today(), 2)
Q3 = _quarter_before(clock.today(), 1)
EVERY_REASON = {r.value for r in Reason}


def _cells(period: str, persons: float) -> pd.DataFrame:
    """dv_help_persons (a total and by sex, the small one suppressed) and dv_repeat_share (a suppressed ratio)."""
    rows: list[dict[str, Any]] = []
    for breakdown, sex, value in (("total", ALL, persons), ("sex", "moteris", persons - 3), ("sex", "vyras", 3.0)):
        small = 0 < value < 5
        rows.append({c: ALL for c in DIMENSIONS} | {
            "indicator": "dv_help_persons", "period": period, "breakdown": breakdown, "sex": sex, "value": value,
            "numerator": value, "denominator": float("nan"), "unit": "persons", "sensitivity": "dv",
            "suppressed": small, "reason": "primary" if small else "", "published_value": float("nan") if small
            else value})
    rows.append({c: ALL for c in DIMENSIONS} | {
        "indicator": "dv_repeat_share", "period": period, "breakdown": "total", "value": SECRET_RATIO,
        "numerator": 16.0, "denominator": 51.0, "unit": "ratio", "sensitivity": "dv", "suppressed": True,
        "reason": "ratio", "published_value": float("nan")})
    return pd.DataFrame(rows, columns=[*CELL_COLUMNS, "suppressed", "reason", "published_value"])


@pytest.fixture(scope="module")
def console(web_hub: WebHub) -> WebHub:
    """SPC persons with a quarantined row, MIMC contacts held, an open review pair, Q2 (two quarters ago)
    approved and exported, Q3 (the last quarter) a draft (v1 and v2)."""
    root = web_hub.workspace.root
    rows = person_rows(3, prefix="S")
    rows[1][2] = "19x0"
    drop(root, "asmenys.person.csv", [PERSON_HEADER, *rows], org=SPC)
    drop(root, "kontaktai.contact.csv", [CONTACT_HEADER, *contact_rows(4, ["M1", "M2"])], org=MIMC)
    assert ingest_workspace(web_hub.workspace).failures == {}
    engine = web_hub.engine
    with engine.begin() as connection:
        connection.execute(review_pairs.insert().values(
            uid_l=f"{SPC}:S000000", uid_r=f"{MIMC}:X-17", match_probability=0.62, method="model", status="open",
            agreements={"birth_year": "agree", "sex": "agree", "given_name_bloom": 0.91, "surname_bloom": 0.34,
                        "municipality": "missing"}))
    rules = {"min_count": 5, "dv_min_count": 10, "consent": "exclude"}
    store_publication(engine, Q2, _cells(Q2.label, 41.0), inputs=read_inputs(engine), catalogue_version="2026.1",
                      rules=rules, created_by="ona.steward")
    approve_checked(engine, web_hub.workspace, Q2.label, by="ona.steward", despite=EVERY_REASON)
    for total in (52.0, 55.0):
        store_publication(engine, Q3, _cells(Q3.label, total), inputs=read_inputs(engine),
                          catalogue_version="2026.1", rules=rules, created_by="ona.steward")
    return web_hub


def test_the_status_page_shows_what_waits_with_links_and_a_completeness_chart(console: WebHub, page,
                                                                               screenshot) -> None:
    log_in(page, console.url, "steward")

    assert page.url == f"{console.url}/steward/"
    waiting = page.locator("#waiting").inner_text()
    assert "1 held batches" in waiting and "1 quarantined rows" in waiting and "1 review pairs" in waiting
    assert "batch.contact_person_known" in page.locator("#held").inner_text()
    assert page.locator("#publications").get_by_role("link", name=Q3.label).is_visible()
    page.wait_for_function("document.getElementById('completeness').getAttribute('width') > 0")
    screenshot(page, "steward-status")
    page.get_by_role("link", name="Lietuviškai").click()
    assert "Laukia prižiūrėtojo" in page.locator("#waiting").inner_text()
    page.get_by_role("link", name="English").click()


RUN_ID = "7d0c1f1e-5a3b-4c55-9d7e-0f6a2b9c4e11"


class _PrefectApi(BaseHTTPRequestHandler):
    """The two calls of Prefect's REST API that the status page makes, answered as a Prefect server would."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        answer = {"/api/flows/filter": [{"id": "flow-1", "name": "ingest"}],
                  "/api/flow_runs/filter": [{"id": RUN_ID, "flow_id": "flow-1", "name": "amber-otter",
                                             "state": {"name": "Completed"}, "start_time": "2026-12-03T08:00:00Z",
                                             "end_time": "2026-12-03T08:01:10Z"}]}.get(self.path)
        body = json.dumps(answer).encode()
        self.send_response(200 if answer is not None else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@contextmanager
def prefect_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PrefectApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_each_flow_run_links_to_the_prefect_ui_when_prefect_api_url_is_set(
        console: WebHub, page, monkeypatch: pytest.MonkeyPatch) -> None:
    with prefect_api() as prefect:
        monkeypatch.setenv("PREFECT_API_URL", f"{prefect}/api")
        log_in(page, console.url, "steward")
        link = page.locator("#flow-runs").get_by_role("link", name="amber-otter")
        assert link.get_attribute("href") == f"{prefect}/runs/flow-run/{RUN_ID}"
        assert "Completed" in page.locator("#flow-runs").inner_text()


def test_a_held_batch_is_reprocessed_and_its_lineage_shows_the_rerun(console: WebHub, page, screenshot) -> None:
    log_in(page, console.url, "steward")
    page.goto(f"{console.url}/steward/quarantine")
    by_code = page.locator("#by-code").inner_text()
    assert SPC in by_code and "value.integer" in by_code
    held = page.locator("#held tbody tr").first
    batch = int(held.locator("td").first.inner_text())
    screenshot(page, "steward-quarantine")

    held.get_by_role("button", name="Re-process").click()

    rerun = page.locator("#reruns tbody tr").first.locator("td").all_inner_texts()
    assert int(rerun[0]) == batch and int(rerun[1]) > batch and rerun[2] == "held"  # still unknown persons
    page.goto(f"{console.url}/steward/batches/{batch}")
    lineage = page.locator("#lineage").inner_text()
    assert f"this batch ({batch})" in lineage and "a re-run" in lineage
    screenshot(page, "steward-batch-lineage")
    assert [e.action for e in audit_trail(console.engine, action="reprocess")] == ["reprocess"]


def test_a_steward_decides_a_review_pair_with_a_reason_and_it_is_kept_with_who_and_when(
        console: WebHub, page, screenshot) -> None:
    log_in(page, console.url, "steward")
    page.goto(f"{console.url}/steward/review")
    page.locator("#pairs").get_by_role("link", name="Review", exact=True).first.click()
    page.locator("#pair tbody tr").first.wait_for()

    fields = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
              for row in page.locator("#pair tbody tr").all()}
    assert fields == {"birth_year": "agree", "sex": "agree", "given_name_bloom": "very similar",
                      "surname_bloom": "unlike", "municipality": "missing in one or both"}
    assert "S000000" in page.locator("#sides").inner_text() and "X-17" in page.locator("#sides").inner_text()
    screenshot(page, "steward-review-pair")
    page.get_by_role("button", name="Same person").click()  # no reason: the browser does not send it
    assert "/steward/review/" in page.url
    page.fill("#decide input[name=reason]", "one birth record at both centres")
    page.get_by_role("button", name="Same person").click()

    assert "the decision is recorded" in page.locator("#decided").inner_text()
    history = page.locator("#history tbody tr").first.locator("td").all_inner_texts()
    assert history[1:3] == ["same person", "ona.steward"] and history[4] == "one birth record at both centres"
    [event] = audit_trail(console.engine, action="review.decide")
    assert (event.actor, event.target, event.detail) == ("ona.steward", "pair 1",
                                                          {"decision": "same", "changed": False, "recorded": True})


def test_a_steward_sees_every_check_and_approves_a_period_only_by_confirming_each(
        console: WebHub, page, screenshot) -> None:
    log_in(page, console.url, "steward")
    page.goto(f"{console.url}/steward/publications/{Q3.label}")
    blockers = page.locator("#blockers").inner_text()
    assert "held-batches" in blockers and "open-quarantine" in blockers
    page.locator("#diff-form").get_by_role("button", name="Show").click()
    assert "2 cells differ (0 added, 0 removed, 2 changed)" in page.content()  # the total and the women
    page.go_back()
    screenshot(page, "steward-publication")

    page.get_by_role("button", name=f"Approve {Q3.label} v2").click()  # nothing ticked
    refused = page.locator("#refused").inner_text()
    assert f"{Q3.label} v2 cannot be approved yet" in refused and "--despite held-batches" in refused
    for box in page.locator("#blockers input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name=f"Approve {Q3.label} v2").click()

    assert page.url == f"{console.url}/steward/publications/{Q3.label}"
    row = page.locator("#versions tbody tr").nth(1).inner_text()
    assert "approved" in row and "ona.steward" in row and "cells.csv" in row
    assert page.locator("#reopen").is_visible()
    assert [e.target for e in audit_trail(console.engine, action="publication.approve")] == [f"{Q3.label} v2"]


def test_the_charts_page_draws_completeness_and_an_indicator_with_suppressed_periods_as_gaps(
        console: WebHub, page, screenshot) -> None:
    log_in(page, console.url, "steward")
    page.goto(f"{console.url}/steward/charts?indicator=dv_repeat_share")
    page.wait_for_function("document.getElementById('series').getAttribute('width') > 0")
    data = json.loads(page.locator("script.chart-data[data-canvas=series]").inner_text())
    assert data["values"] == [None] * len(data["labels"]) and all(data["suppressed"])
    assert str(SECRET_RATIO) not in page.content()
    screenshot(page, "steward-charts")


def _ministry_can_read(page, url: str) -> str:  # type: ignore[no-untyped-def]
    response = page.goto(url)
    assert response.status == 200, url
    return page.content()


def test_a_ministry_account_downloads_an_export_and_never_sees_a_suppressed_value_or_a_steward_page(
        console: WebHub, page, screenshot, tmp_path: Path) -> None:
    log_in(page, console.url, "ministry")
    assert page.url == f"{console.url}/ministry/"
    seen = [page.content()]
    assert page.locator("#approved").get_by_role("link", name=Q2.label).is_visible()
    screenshot(page, "ministry-approved")
    page.locator("#approved").get_by_role("link", name=Q2.label).click()
    seen.append(page.content())
    definitions = page.locator("#definitions").inner_text()
    # a hidden total says "suppressed", never why: "ratio" or "primary" would tell which are small
    assert "suppressed" in definitions and "(ratio)" not in definitions and "primary" not in definitions
    screenshot(page, "ministry-version")

    with page.expect_download() as download:
        page.locator("#downloads").get_by_role("link", name="cells.csv").click()
    saved = tmp_path / "cells.csv"
    download.value.save_as(saved)
    exported = pd.read_csv(saved, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    ratio = exported[exported["indicator"] == "dv_repeat_share"].iloc[0]
    assert ratio["value"] == "" and ratio["status"] == "suppressed"
    files = [saved.read_text(encoding="utf-8-sig")]
    for name in ("cells.json", "metadata.json"):
        files.append(page.request.get(f"{console.url}/ministry/{Q2.label}/v1/{name}").text())
    seen.append(_ministry_can_read(page, f"{console.url}/ministry/?indicator=dv_repeat_share"))
    page.get_by_role("link", name="Data dictionary").click()
    assert "ministry_cells" in page.locator("main").inner_text()
    for text in (*seen, *files):
        assert str(SECRET_RATIO) not in text and "0.31" not in text
    assert export_folder(console.workspace, Q2.label, 1).is_dir()

    for path in ("/steward/", "/steward/review", f"/steward/publications/{Q3.label}", "/steward/charts",
                 f"/steward/publications/{Q3.label}/diff?before=1&after=2"):
        assert page.goto(console.url + path).status == 403, path
    assert page.request.post(f"{console.url}/steward/publications/{Q3.label}/reopen",
                             form={"reason": "x"}).status == 403
