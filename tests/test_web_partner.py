"""The partner portal in a real browser: a partner logs in, sends files, reads its receipts and quarantine.

One server and one browser for the module (web_fixtures); the hub's ingest runs in-process, as the
scheduled flow would run it, between the upload and the receipt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_csv
from drop_kit import PERSON_HEADER, person_rows
from web_fixtures import SPC, WebHub, log_in

from interchange.ingest.run import ingest_workspace
from interchange.web.audit import audit_trail

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser


def _inbox(web_hub: WebHub) -> list[str]:
    return sorted(p.name for p in web_hub.workspace.inbox(SPC).iterdir())


def _ingest(web_hub: WebHub) -> None:
    summary = ingest_workspace(web_hub.workspace)
    assert summary.failures == {}


def test_a_partner_logs_in_and_lands_on_its_own_organisation(web_hub: WebHub, page, screenshot) -> None:
    log_in(page, web_hub.url, "spc")

    assert page.url == f"{web_hub.url}/partner/{SPC}/"
    assert page.locator("h1").inner_text() == "Kretingos socialinių paslaugų centras"
    assert page.get_by_role("link", name="Send a file").first.is_visible()
    screenshot(page, "partner-overview")
    with page.expect_navigation():
        page.get_by_role("link", name="Lietuviškai").click()
    assert page.get_by_role("link", name="Siųsti failą").first.is_visible()
    assert page.locator("html").get_attribute("lang") == "lt"


def test_a_bad_file_is_not_sent_and_its_row_problems_are_shown_in_both_languages(
        web_hub: WebHub, page, screenshot, tmp_path: Path) -> None:
    rows = person_rows(3, prefix="B")
    rows[1][2] = "19x0"  # row 3: a birth year that is not a number
    bad = write_csv(tmp_path / "asmenys.person.csv", [PERSON_HEADER, *rows])
    before = _inbox(web_hub)
    log_in(page, web_hub.url, "spc")

    page.goto(f"{web_hub.url}/partner/{SPC}/upload")
    page.set_input_files("input[type=file]", str(bad))
    with page.expect_navigation():
        page.get_by_role("button", name="Check and send").click()

    assert "was not sent" in page.locator("#upload-result").inner_text()
    problem = page.locator("table.problems tbody tr").first
    cells = problem.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "birth_year" and cells[2].startswith("value.")
    assert cells[4] and cells[5] and cells[4] != cells[5]  # Lithuanian and English, both there
    assert "19x0" not in page.content()  # a value is never shown back
    assert _inbox(web_hub) == before  # nothing was sent on
    screenshot(page, "partner-upload-refused")


def test_a_good_file_dropped_on_the_page_reaches_the_inbox_and_its_receipt_is_shown_after_ingest(
        web_hub: WebHub, page, screenshot) -> None:
    text = "\n".join(",".join(r) for r in [PERSON_HEADER, *person_rows(4, prefix="G")]) + "\n"
    log_in(page, web_hub.url, "spc")
    page.goto(f"{web_hub.url}/partner/{SPC}/upload")

    # Drag and drop, as a person would drag the file from their desktop onto the page.
    dropped = page.evaluate_handle("""text => {
        const data = new DataTransfer();
        data.items.add(new File([text], "geri.person.csv", {type: "text/csv"}));
        return data; }""", text)
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    assert page.locator("#dropzone span").inner_text() == "geri.person.csv"
    with page.expect_navigation():
        page.get_by_role("button", name="Check and send").click()

    result = page.locator("#upload-result").inner_text()
    assert "was checked and handed to the hub (4 rows)" in result
    sent = [name for name in _inbox(web_hub) if name.endswith("geri.person.csv")]
    assert len(sent) == 1 and f"{sent[0]}.manifest.json" in _inbox(web_hub)
    screenshot(page, "partner-upload-sent")

    _ingest(web_hub)
    with page.expect_navigation():
        page.get_by_role("link", name="Drops and receipts").first.click()
    row = page.locator("table.batches tbody tr", has_text=sent[0])
    assert row.locator("td").nth(4).inner_text() == "loaded"
    screenshot(page, "partner-drops")
    with page.expect_navigation():
        row.get_by_role("link", name="view").click()
    receipt = page.locator("#receipt-text").inner_text()
    assert "RECEIPT" in receipt and sent[0] in receipt
    screenshot(page, "partner-receipt")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download JSON").click()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["counts"]["rows_read"] == 4 and saved["counts"]["inserted"] == 4 and saved["org"] == SPC
    with page.expect_download() as download:
        page.get_by_role("link", name="Download TXT").click()
    both = Path(download.value.path()).read_text(encoding="utf-8")
    assert "KVITAS" in both and "RECEIPT" in both  # Lithuanian, then English
    assert [e.action for e in audit_trail(web_hub.engine, org=SPC, action="upload")][:1] == ["upload"]


def test_rows_with_errors_can_be_sent_on_and_the_partner_sees_them_in_its_quarantine_by_code(
        web_hub: WebHub, page, screenshot, tmp_path: Path) -> None:
    rows = person_rows(3, prefix="Q")
    rows[2][2] = "19x0"
    mixed = write_csv(tmp_path / "mixed.person.csv", [PERSON_HEADER, *rows])
    log_in(page, web_hub.url, "spc")
    page.goto(f"{web_hub.url}/partner/{SPC}/upload")

    page.set_input_files("input[type=file]", str(mixed))
    page.check("input[name=send_with_row_problems]")
    with page.expect_navigation():
        page.get_by_role("button", name="Check and send").click()
    assert "was checked and handed to the hub (3 rows)" in page.locator("#upload-result").inner_text()
    _ingest(web_hub)

    with page.expect_navigation():
        page.get_by_role("link", name="Quarantine").first.click()
    quarantined = page.locator("table tbody tr").all_inner_texts()
    assert len(quarantined) == 1 and "Q000002" in quarantined[0] and "value." in quarantined[0]
    screenshot(page, "partner-quarantine")


def test_the_partner_sees_what_is_expected_and_downloads_the_templates(web_hub: WebHub, page, screenshot) -> None:
    log_in(page, web_hub.url, "spc")

    with page.expect_navigation():
        page.get_by_role("link", name="What is expected").first.click()
    assert page.locator("h1").inner_text() == "What the hub expects"
    assert page.locator("table tbody tr td").first.inner_text() == "inbox"  # its monthly drop, by the 5th
    screenshot(page, "partner-expected")
    with page.expect_navigation():
        page.get_by_role("link", name="Templates and kit").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="person.csv", exact=True).click()
    header = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert "gimimo_metai" in header.lower().replace(" ", "_")  # the contract's Lithuanian headers
    with page.expect_download() as download:
        page.get_by_role("link", name="instrukcija-instructions.txt").click()
    steps = Path(download.value.path()).read_text(encoding="utf-8")
    assert "interchange check" in steps and "Kaip paruošti failą" in steps and "How to prepare a file" in steps
    screenshot(page, "partner-kit")
