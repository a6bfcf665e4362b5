"""Fixtures for web tests: a hub workspace with an account of each role, the application served by a
real uvicorn on a free local port, and Playwright driving Debian's headless chromium.

A test module asks for them with `pytest_plugins = ["web_fixtures"]`. Everything is module-scoped
(one workspace, one server and one browser per test file: a browser start costs seconds); each
test gets a fresh browser context (`page`: no cookies shared between tests). Browser tests are
marked `browser`.

- `web_hub`: `WebHub(workspace, engine, url)`; accounts in `ACCOUNTS` (`steward`, `spc` and
  `mimc` partners of kretingos-spc and kretingos-mimc, `ministry`), passwords `PASSWORD`.
- `web_url`: the running server's base URL (`http://127.0.0.1:PORT`).
- `browser`, `page`: Playwright's chromium and a new page in a new context.
- `log_in(page, url, who)`: through the login form, as a person would.
- `screenshot(page, name)`: a full-page PNG under the pytest temp folder; its path is printed.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from conftest import HUB_CONFIG
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from interchange.warehouse.engine import warehouse
from interchange.web.accounts import Role, add_user
from interchange.web.app import create_app
from interchange.workspace.init import init_workspace
from interchange.workspace.layout import Workspace

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"
SPC, MIMC = "kretingos-spc", "kretingos-mimc"
ACCOUNTS = {  # who -> (login, role, organisation)
    "steward": ("ona.steward", Role.STEWARD, None),
    "spc": ("spc.partner", Role.PARTNER, SPC),
    "mimc": ("mimc.partner", Role.PARTNER, MIMC),
    "ministry": ("min.reader", Role.MINISTRY, None),
}
WEB_CONFIG = HUB_CONFIG.replace("""        settle_seconds: 0
  - code: kretingos-mimc""", """        settle_seconds: 0
        expected_drop: {every: month, by_day: 5}
  - code: kretingos-mimc""") + """\
web:
  max_upload_bytes: 200000
  login_failures_per_account: 3
  login_failures_per_address: 4
"""


@dataclass(frozen=True)
class WebHub:
    workspace: Workspace
    engine: Engine
    url: str = ""


@pytest.fixture(scope="module")
def web_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Workspace, Engine]]:
    root = tmp_path_factory.mktemp("web") / "hub"
    workspace = init_workspace(root, config_text=WEB_CONFIG)
    with warehouse(workspace.database_url) as engine:
        codes = tuple(o.code for o in workspace.config.organisations)
        for login, role, org in ACCOUNTS.values():
            add_user(engine, login, role, PASSWORD, org=org, known_orgs=codes)
        yield workspace, engine


@pytest.fixture(scope="module")
def web_url(web_workspace: tuple[Workspace, Engine]) -> Iterator[str]:
    workspace, engine = web_workspace
    server = uvicorn.Server(uvicorn.Config(create_app(workspace, engine), log_level="warning", lifespan="on"))
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()


@pytest.fixture(scope="module")
def web_hub(web_workspace: tuple[Workspace, Engine], web_url: str) -> WebHub:
    workspace, engine = web_workspace
    return WebHub(workspace, engine, web_url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "browser tests need Debian's chromium: apt-get install -y chromium (.ci/run does)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Page, url: str, who: str, password: str = PASSWORD) -> None:
    login = ACCOUNTS[who][0]
    page.goto(f"{url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshots: Path) -> Callable[[Page, str], Path]:
    def take(page: Page, name: str) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    return take
