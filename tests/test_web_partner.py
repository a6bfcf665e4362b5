"""The partner portal in a real browser: a partner logs in, sends files, reads receipts, and sees only its own."""

from __future__ import annotations

import pytest
from web_fixtures import SPC, WebHub, log_in

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser


def test_a_partner_logs_in_and_lands_on_its_own_organisation(web_hub: WebHub, page, screenshot) -> None:
    log_in(page, web_hub.url, "spc")

    assert page.url == f"{web_hub.url}/partner/{SPC}/"
    assert page.locator("h1").inner_text() == "Kretingos socialinių paslaugų centras"
    screenshot(page, "partner-overview")
