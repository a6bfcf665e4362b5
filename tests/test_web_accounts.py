"""Accounts of the web application as a steward manages them from the command line, and the rules behind
logging in: hashed passwords, sessions that end, waits after failed logins, tokens shown once, an audit trail.

On SQLite and on PostgreSQL (the `hub_root` workspace); no server, no browser.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from interchange import clock
from interchange.cli import app
from interchange.warehouse.engine import warehouse
from interchange.warehouse.tables import api_tokens, web_sessions, web_users
from interchange.web.accounts import Role, add_user, disable_user, password_matches
from interchange.web.audit import audit_trail
from interchange.web.sessions import open_session, start_session
from interchange.web.throttle import record_attempt, wait_minutes
from interchange.web.tokens import token_owner
from interchange.workspace.config import WebSettings
from interchange.workspace.layout import Workspace

runner = CliRunner()
SECRET = "a long enough secret"


def users(root: Path, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["users", *args, "--workspace", str(root), "--lang", "en"], input=stdin)


def test_a_steward_adds_accounts_of_each_role_and_lists_them_without_any_password(hub_root: Path) -> None:
    added = users(hub_root, "add", "Ona.S", "--role", "steward", "--password-stdin", stdin=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert "Added the user ona.s (data steward)." in added.output
    assert users(hub_root, "add", "jonas", "--role", "partner", "--org", "KRETINGOS-SPC", "--password-stdin",
                 stdin=SECRET + "\n").exit_code == 0
    assert users(hub_root, "add", "min", "--role", "ministry", "--password-stdin", stdin=SECRET + "\n").exit_code == 0

    listed = users(hub_root, "list")

    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert any(line.split()[:3] == ["jonas", "partner", "kretingos-spc"] for line in lines)
    assert any(line.split()[:3] == ["ona.s", "data", "steward"] for line in lines)
    assert SECRET not in added.output + listed.output
    with warehouse(Workspace(hub_root).database_url) as engine:
        with engine.connect() as connection:
            stored = connection.execute(select(web_users.c.login, web_users.c.password_hash)).all()
        assert all(hashed.startswith("$argon2id$") and SECRET not in hashed for _, hashed in stored)
        assert [e.action for e in audit_trail(engine, action="user.add")] == ["user.add"] * 3


def test_the_password_is_asked_for_twice_and_a_mismatch_adds_nobody(hub_root: Path) -> None:
    mismatch = users(hub_root, "add", "ona", "--role", "steward", stdin=f"{SECRET}\n{SECRET}x\n")
    assert mismatch.exit_code == 2 and "the passwords do not match" in mismatch.output
    asked = users(hub_root, "add", "ona", "--role", "steward", stdin=f"{SECRET}\n{SECRET}\n")
    assert asked.exit_code == 0 and SECRET not in asked.output


@pytest.mark.parametrize(("args", "said"), [
    (["x", "--role", "steward"], "a user name is 2 to 64 lowercase letters"),
    (["ona", "--role", "partner"], "a partner account needs its organisation (--org)"),
    (["ona", "--role", "steward", "--org", "kretingos-spc"], "only a partner account has an organisation"),
    (["ona", "--role", "partner", "--org", "nowhere"], "there is no organisation nowhere in interchange.yaml"),
    (["ona", "--role", "admin"], "--role: partner, steward or ministry"),
])
def test_an_account_that_cannot_be_made_is_refused_with_the_reason(hub_root: Path, args: list[str], said: str) -> None:
    result = users(hub_root, "add", *args, "--password-stdin", stdin=SECRET + "\n")

    assert result.exit_code == 2
    assert said in result.output


def test_a_short_password_and_a_taken_name_are_refused(hub_root: Path) -> None:
    short = users(hub_root, "add", "ona", "--role", "steward", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    assert users(hub_root, "add", "ona", "--role", "steward", "--password-stdin", stdin=SECRET + "\n").exit_code == 0
    again = users(hub_root, "add", "ONA", "--role", "ministry", "--password-stdin", stdin=SECRET + "\n")
    assert again.exit_code == 2 and "the user ona already exists" in again.output


def test_disable_ends_the_sessions_and_reset_with_enable_lets_the_user_back_in(hub_root: Path) -> None:
    users(hub_root, "add", "jonas", "--role", "partner", "--org", "kretingos-spc", "--password-stdin",
          stdin=SECRET + "\n")
    settings = WebSettings()
    with warehouse(Workspace(hub_root).database_url) as engine:
        user = password_matches(engine, "jonas", SECRET)
        assert user is not None
        tokens = [start_session(engine, user)[0] for _ in range(2)]

        disabled = users(hub_root, "disable", "jonas")
        assert disabled.exit_code == 0 and "sessions ended: 2" in disabled.output
        assert [open_session(engine, token, settings) for token in tokens] == [None, None]
        still = password_matches(engine, "jonas", SECRET)
        assert still is not None and not still.active  # the login page refuses it

        reset = users(hub_root, "reset", "jonas", "--enable", "--password-stdin", stdin="another long secret\n")
        assert reset.exit_code == 0
        back = password_matches(engine, "jonas", "another long secret")
        assert back is not None and back.active and password_matches(engine, "jonas", SECRET) is None
    assert users(hub_root, "disable", "nobody").exit_code == 2


def test_a_session_ends_when_idle_too_long_and_when_too_old(hub_root: Path) -> None:
    settings = WebSettings(session_idle_minutes=30, session_max_hours=12)
    with warehouse(Workspace(hub_root).database_url) as engine:
        user = add_user(engine, "ona", Role.STEWARD, SECRET)
        busy, _ = start_session(engine, user)
        idle, _ = start_session(engine, user)
        with engine.begin() as connection:  # as if the browser had been left for 31 minutes
            connection.execute(update(web_sessions).where(web_sessions.c.session_hash == _hash(idle)).values(
                last_seen_at=clock.now() - timedelta(minutes=31)))
        assert open_session(engine, busy, settings) is not None
        assert open_session(engine, idle, settings) is None
        assert open_session(engine, idle, settings) is None  # ended for good, not only unused
        with clock.pinned(clock.today() + timedelta(days=1)):  # a day later, however busy in between
            with engine.begin() as connection:
                connection.execute(update(web_sessions).values(last_seen_at=clock.now()))
            assert open_session(engine, busy, settings) is None


def _hash(token: str) -> str:
    from interchange.web.sessions import digest

    return digest(token)


def test_failed_logins_make_an_account_and_an_address_wait_and_the_wait_passes(hub_root: Path) -> None:
    settings = WebSettings(login_failures_per_account=3, login_failures_per_address=5, throttle_minutes=15)
    with warehouse(Workspace(hub_root).database_url) as engine:
        user = add_user(engine, "ona", Role.STEWARD, SECRET)
        for _ in range(2):
            record_attempt(engine, user_id=user.user_id, address="192.0.2.1", succeeded=False)
        assert wait_minutes(engine, settings, user_id=user.user_id, address="192.0.2.1") == 0
        record_attempt(engine, user_id=user.user_id, address="192.0.2.2", succeeded=False)
        assert wait_minutes(engine, settings, user_id=user.user_id, address="192.0.2.3") == 15  # the account waits
        assert wait_minutes(engine, settings, user_id=None, address="192.0.2.1") == 0  # the address does not yet
        for _ in range(3):
            record_attempt(engine, user_id=None, address="192.0.2.1", succeeded=False)
        assert wait_minutes(engine, settings, user_id=None, address="192.0.2.1") == 15
        with clock.pinned(clock.today() + timedelta(days=1)):
            assert wait_minutes(engine, settings, user_id=user.user_id, address="192.0.2.1") == 0


def test_a_successful_login_clears_the_account_failures_before_it(hub_root: Path) -> None:
    settings = WebSettings(login_failures_per_account=2)
    with warehouse(Workspace(hub_root).database_url) as engine:
        user = add_user(engine, "ona", Role.STEWARD, SECRET)
        record_attempt(engine, user_id=user.user_id, address="a", succeeded=False)
        with clock.pinned(clock.today()):  # a moment later
            record_attempt(engine, user_id=user.user_id, address="a", succeeded=True)
            record_attempt(engine, user_id=user.user_id, address="a", succeeded=False)
            assert wait_minutes(engine, settings, user_id=user.user_id, address="b") == 0


def test_an_api_token_is_shown_once_kept_as_a_hash_listed_by_its_prefix_and_revoked(hub_root: Path) -> None:
    made = runner.invoke(app, ["users", "token", "create", "--org", "kretingos-spc", "--label", "nightly",
                               "--workspace", str(hub_root), "--lang", "en"])
    assert made.exit_code == 0, made.output
    token = next(line for line in made.output.splitlines() if line.startswith("ix_"))
    listed = users(hub_root, "token", "list")
    assert token not in listed.output and f"{token[:8]}…" in listed.output and "nightly" in listed.output
    with warehouse(Workspace(hub_root).database_url) as engine:
        with engine.connect() as connection:
            assert token not in str(connection.execute(select(api_tokens)).all())
        assert token_owner(engine, token).org == "kretingos-spc"  # type: ignore[union-attr]

        revoked = users(hub_root, "token", "revoke", token[:8])
        assert revoked.exit_code == 0
        assert token_owner(engine, token) is None
    wrong = runner.invoke(app, ["users", "token", "create", "--org", "nowhere", "--workspace", str(hub_root)])
    assert wrong.exit_code == 2


def test_disabling_through_the_library_says_how_many_sessions_it_ended(hub_root: Path) -> None:
    with warehouse(Workspace(hub_root).database_url) as engine:
        user = add_user(engine, "ona", Role.STEWARD, SECRET)
        start_session(engine, user)
        assert disable_user(engine, "ona")[1] == 1
        assert disable_user(engine, "ona")[1] == 0
