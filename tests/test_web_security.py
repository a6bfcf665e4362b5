"""What keeps the web application safe, tried as an attacker or a curious partner would, in a real browser.

A partner cannot reach another organisation's data or a steward's page by typing its address; a
form posted without the session's CSRF token changes nothing; guessing passwords soon has to wait;
the session cookie is out of scripts' reach; disabling an account ends its sessions at once; the
audit trail records every login and never a password.

Each test that logs in with wrong passwords comes from an address of its own (X-Forwarded-For from
the trusted local proxy), so that throttling one test's address leaves the others alone.
"""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import write_csv
from drop_kit import PERSON_HEADER, drop, person_rows
from web_fixtures import ACCOUNTS, MIMC, PASSWORD, SPC, WebHub, log_in

from interchange.ingest.run import ingest_workspace
from interchange.warehouse.tables import web_users
from interchange.web.accounts import disable_user, reset_password
from interchange.web.audit import audit_trail

pytest_plugins = ["web_fixtures"]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def mimc_batch(web_hub: WebHub) -> int:
    """A loaded batch of the other organisation, with its receipt."""
    drop(web_hub.workspace.root, "mimc.person.csv", [PERSON_HEADER, *person_rows(2, prefix="M")], org=MIMC)
    summary = ingest_workspace(web_hub.workspace)
    [receipt] = [r for r in summary.receipts if r.org == MIMC]
    return receipt.batch_id


def test_a_partner_cannot_open_another_organisations_pages_receipts_or_any_steward_page(
        web_hub: WebHub, mimc_batch: int, page, screenshot) -> None:
    log_in(page, web_hub.url, "spc")

    for path in (f"/partner/{MIMC}/", f"/partner/{MIMC}/drops", f"/partner/{MIMC}/drops/{mimc_batch}",
                 f"/partner/{MIMC}/drops/{mimc_batch}/receipt.json", f"/partner/{MIMC}/quarantine",
                 f"/partner/{MIMC}/tokens", "/steward/", "/ministry/"):
        answer = page.goto(web_hub.url + path)
        assert answer.status == 403, path
    assert "This page is not open to you." in page.content()
    screenshot(page, "partner-forbidden")
    # The address a partner is likely to type leads to its own organisation, not a 404.
    page.goto(f"{web_hub.url}/partner/")
    assert page.url == f"{web_hub.url}/partner/{SPC}/"
    # Its own address with the other organisation's batch: no such batch of its own.
    assert page.goto(f"{web_hub.url}/partner/{SPC}/drops/{mimc_batch}").status == 404
    assert page.goto(f"{web_hub.url}/partner/{SPC}/drops/{mimc_batch}/receipt.json").status == 404


def test_a_steward_sees_any_organisation_and_the_ministry_sees_neither_portal_nor_console(
        web_hub: WebHub, mimc_batch: int, page, screenshot) -> None:
    log_in(page, web_hub.url, "steward")
    assert page.url == f"{web_hub.url}/steward/"
    screenshot(page, "steward-start")
    assert page.goto(f"{web_hub.url}/partner/{MIMC}/drops/{mimc_batch}").status == 200
    page.context.clear_cookies()

    log_in(page, web_hub.url, "ministry")
    assert page.url == f"{web_hub.url}/ministry/"
    for path in ("/steward/", f"/partner/{SPC}/", f"/partner/{MIMC}/drops/{mimc_batch}"):
        assert page.goto(web_hub.url + path).status == 403, path


def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page_and_back(web_hub: WebHub, page) -> None:
    page.goto(f"{web_hub.url}/partner/{SPC}/drops")
    assert page.url.startswith(f"{web_hub.url}/login?next=")

    page.fill("input[name=login]", ACCOUNTS["spc"][0])
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{web_hub.url}/partner/{SPC}/drops"


def test_a_post_without_the_sessions_csrf_token_or_with_a_wrong_one_changes_nothing(
        web_hub: WebHub, page) -> None:
    log_in(page, web_hub.url, "spc")
    page.goto(f"{web_hub.url}/partner/{SPC}/tokens")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    tokens_before = page.locator("table tbody tr").count()

    for form in ({"label": "forged"}, {"label": "forged", "csrf_token": "not-the-token"},
                 {"label": "forged", "csrf_token": token[:-2]}):
        answer = page.request.post(f"{web_hub.url}/partner/{SPC}/tokens", form=form)
        assert answer.status == 403, form
        assert "Formos apsaugos žymė" in answer.text()  # the page says why (in Lithuanian: no Accept-Language)
    assert page.request.post(f"{web_hub.url}/logout", form={}).status == 403
    page.goto(f"{web_hub.url}/partner/{SPC}/tokens")
    assert page.locator("table tbody tr").count() == tokens_before  # no token was made, still signed in

    made = page.request.post(f"{web_hub.url}/partner/{SPC}/tokens", form={"label": "real", "csrf_token": token})
    assert made.status == 200 and re.search(r"ix_[A-Za-z0-9_-]{40}", made.text())


def test_the_login_form_itself_refuses_a_post_from_elsewhere(web_hub: WebHub) -> None:
    answer = httpx.post(f"{web_hub.url}/login", data={"login": ACCOUNTS["spc"][0], "password": PASSWORD},
                        follow_redirects=False)

    assert answer.status_code == 403
    assert "interchange_session" not in answer.headers.get("set-cookie", "")


def test_after_a_few_wrong_passwords_an_account_must_wait_even_with_the_right_one(
        web_hub: WebHub, browser, screenshot) -> None:
    context = browser.new_context(locale="en-GB", extra_http_headers={"X-Forwarded-For": "192.0.2.10"})
    page = context.new_page()
    login = ACCOUNTS["mimc"][0]
    for _ in range(3):  # the fixture allows 3 failures per account
        log_in(page, web_hub.url, "mimc", password="wrong password!")
        assert "Wrong user name or password." in page.locator("[role=alert]").inner_text()

    log_in(page, web_hub.url, "mimc")
    assert re.search(r"Too many failed logins\. Try again in \d+ min\.", page.locator("[role=alert]").inner_text())
    assert "/login" in page.url
    screenshot(page, "login-throttled")
    events = [(e.action, e.actor) for e in audit_trail(web_hub.engine, limit=10)]
    assert ("login.throttled", login) in events and ("login.failed", login) in events
    context.close()
    # The steward lets the partner in again with a new password; the wait does not follow it.
    reset_password(web_hub.engine, login, PASSWORD + "!")


def _log_in_over_http(url: str, login: str, password: str, address: str) -> httpx.Response:
    """A login as a script would try one: the form (for its CSRF cookie and field), then the post."""
    proxied = {"X-Forwarded-For": address}
    form = httpx.get(f"{url}/login", headers=proxied)
    token = form.cookies["interchange_login_csrf"]
    return httpx.post(f"{url}/login", headers={**proxied, "Cookie": f"interchange_login_csrf={token}"},
                      data={"login": login, "password": password, "csrf_token": token})


def test_one_address_guessing_many_accounts_must_wait_too(web_hub: WebHub) -> None:
    for number in range(4):  # the fixture allows 4 failures per address
        assert _log_in_over_http(web_hub.url, f"guess{number}", "a guessed password", "192.0.2.20").status_code == 401

    held = _log_in_over_http(web_hub.url, ACCOUNTS["spc"][0], PASSWORD, "192.0.2.20")
    assert held.status_code == 429 and "interchange_session" not in held.headers.get("set-cookie", "")
    # The same account from another address is not held up.
    assert _log_in_over_http(web_hub.url, ACCOUNTS["spc"][0], PASSWORD, "192.0.2.21").status_code == 303


def test_the_session_cookie_is_kept_from_scripts_and_other_sites(web_hub: WebHub, page) -> None:
    log_in(page, web_hub.url, "spc")

    [cookie] = [c for c in page.context.cookies() if c["name"] == "interchange_session"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["secure"] is False
    assert page.evaluate("document.cookie").find("interchange_session") == -1
    headers = page.goto(f"{web_hub.url}/partner/{SPC}/").headers
    assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_behind_a_tls_proxy_the_session_cookie_is_marked_secure(web_hub: WebHub) -> None:
    proxied = {"X-Forwarded-Proto": "https"}
    form = httpx.get(f"{web_hub.url}/login", headers=proxied)
    assert "secure" in form.headers["set-cookie"].lower()  # the login form's own cookie already
    token = form.cookies["interchange_login_csrf"]
    answer = httpx.post(f"{web_hub.url}/login", headers={**proxied, "Cookie": f"interchange_login_csrf={token}"},
                        data={"login": ACCOUNTS["steward"][0], "password": PASSWORD, "csrf_token": token})
    assert answer.status_code == 303
    [session] = [c for c in answer.headers.get_list("set-cookie") if c.startswith("interchange_session=")]
    flags = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= flags


def test_disabling_an_account_ends_its_session_at_once(web_hub: WebHub, browser, tmp_path) -> None:
    from interchange.web.accounts import Role, add_user

    add_user(web_hub.engine, "leaving.partner", Role.PARTNER, PASSWORD, org=SPC, known_orgs=(SPC, MIMC))
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.goto(f"{web_hub.url}/login")
    page.fill("input[name=login]", "leaving.partner")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == f"{web_hub.url}/partner/{SPC}/"

    _, ended = disable_user(web_hub.engine, "leaving.partner")

    assert ended == 1
    page.goto(f"{web_hub.url}/partner/{SPC}/drops")
    assert "/login" in page.url and "Your session has ended" in page.content()
    page.fill("input[name=login]", "leaving.partner")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "Wrong user name or password." in page.content()  # a disabled account says no more than that
    context.close()


def test_the_audit_trail_has_every_login_and_logout_and_no_password_anywhere(web_hub: WebHub, page) -> None:
    log_in(page, web_hub.url, "steward")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert "You have logged out." in page.content()

    events = audit_trail(web_hub.engine, limit=500)
    actions = {(e.action, e.actor) for e in events}
    assert {("login", ACCOUNTS["steward"][0]), ("logout", ACCOUNTS["steward"][0])} <= actions
    assert all(PASSWORD not in repr(e) and "wrong password!" not in repr(e) for e in events)
    with web_hub.engine.connect() as connection:
        hashes = connection.execute(web_users.select()).all()
    assert all(row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash for row in hashes)


def test_an_upload_to_another_organisation_is_refused(web_hub: WebHub, page, tmp_path) -> None:
    good = write_csv(tmp_path / "x.person.csv", [PERSON_HEADER, *person_rows(1, prefix="X")])
    log_in(page, web_hub.url, "spc")
    page.goto(f"{web_hub.url}/partner/{SPC}/upload")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    before = sorted(web_hub.workspace.inbox(MIMC).iterdir())

    answer = page.request.post(f"{web_hub.url}/partner/{MIMC}/upload", multipart={
        "csrf_token": token, "file": {"name": good.name, "mimeType": "text/csv", "buffer": good.read_bytes()}})

    assert answer.status == 403
    assert sorted(web_hub.workspace.inbox(MIMC).iterdir()) == before
