"""`interchange serve` and `interchange users ...`: the web application and its accounts.

Passwords are asked for twice at the terminal, without echo, or read from standard input with
`--password-stdin` (one line) for scripts; never an option, which would land in the shell's
history and the process list. Every change to an account is audited (`user.add`, ...) with the
login name of whoever ran the command.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from interchange.commands.common import (
    StewardLangOption,
    WorkspaceOption,
    exit_on,
    login_name,
    open_workspace,
    section_lines,
    short_time,
    steward_lang,
)
from interchange.i18n import say

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from interchange.web.accounts import Role

users_app = typer.Typer(help="Accounts of the web application (interchange serve).", no_args_is_help=True)
token_app = typer.Typer(help="Per-organisation API tokens for machine uploads.", no_args_is_help=True)
users_app.add_typer(token_app, name="token")

PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (one line) instead of asking.")]


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Start the web application: the partner portal, the steward console and the upload API.

    Behind a reverse proxy that terminates TLS, list the proxy's address under `web.trusted_proxies`
    in interchange.yaml (default 127.0.0.1), so that cookies are marked Secure and the client's
    address is the real one.
    """
    import uvicorn

    from interchange.warehouse.engine import warehouse
    from interchange.web.accounts import Role, list_users
    from interchange.web.app import create_app

    language = steward_lang(lang)
    found = open_workspace(workspace, language)
    with warehouse(found.database_url) as engine:
        if not any(u.role is Role.STEWARD and u.active for u in list_users(engine)):
            typer.echo(say("web.no_steward", language), err=True)
    app = create_app(found)
    typer.echo(say("web.serving", language, host=host, port=port, root=found.root))
    uvicorn.run(app, host=host, port=port, proxy_headers=True,
                forwarded_allow_ips=",".join(found.config.web.trusted_proxies), server_header=False,
                log_level="warning")


@users_app.command("add")
def users_add(
    login: Annotated[str, typer.Argument(help="The user name (lowercase letters, digits, . _ - @).")],
    role: Annotated[str, typer.Option(help="partner, steward or ministry.")],
    org: Annotated[str | None, typer.Option(help="Partner accounts: the organisation's code.")] = None,
    password_stdin: PasswordStdin = False,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Add an account; the password is asked for (or read with --password-stdin)."""
    from interchange.web.accounts import AccountError, add_user

    language = steward_lang(lang)
    chosen = _role(role, language)
    with _accounts(workspace, language) as (engine, orgs), exit_on(language, AccountError, code=2):
        password = _password(password_stdin, language)
        user = add_user(engine, login, chosen, password, org=org.lower() if org else None, known_orgs=orgs)
        _audit(engine, "user.add", user.login, {"role": user.role.value, "org": user.org})
    typer.echo(say("web.user_added", language, login=user.login, role=say(f"web.role.{user.role.value}", language),
                   org=f", {user.org}" if user.org else ""))


@users_app.command("list")
def users_list(workspace: WorkspaceOption = None, lang: StewardLangOption = None) -> None:
    """Every account: role, organisation, when it was made, when its password was set, whether it is disabled."""
    from interchange.web.accounts import list_users

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, _):
        users = list_users(engine)
    if not users:
        typer.echo(say("web.users_none", language))
        return
    typer.echo("\n".join(section_lines(say("web.users_title", language), say("web.users_cols", language), [
        [u.login, say(f"web.role.{u.role.value}", language), u.org, short_time(u.created_at),
         short_time(u.password_set_at), short_time(u.disabled_at)] for u in users], language)).rstrip())


@users_app.command("disable")
def users_disable(
    login: Annotated[str, typer.Argument(help="The user name.")],
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Disable an account: it can no longer log in, and its sessions end at once."""
    from interchange.web.accounts import AccountError, disable_user

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, _), exit_on(language, AccountError, code=2):
        user, ended = disable_user(engine, login)
        _audit(engine, "user.disable", user.login, {"sessions_ended": ended})
    typer.echo(say("web.user_disabled", language, login=user.login, sessions=ended))


@users_app.command("reset")
def users_reset(
    login: Annotated[str, typer.Argument(help="The user name.")],
    enable: Annotated[bool, typer.Option(help="Also enable a disabled account again.")] = False,
    password_stdin: PasswordStdin = False,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Set a new password (asked for, or --password-stdin); the account's sessions end."""
    from interchange.web.accounts import AccountError, find_user, reset_password

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, _), exit_on(language, AccountError, code=2):
        find_user(engine, login)  # a wrong name is said before the password is asked for
        password = _password(password_stdin, language)
        user, ended = reset_password(engine, login, password, enable=enable)
        _audit(engine, "user.reset", user.login, {"sessions_ended": ended, "enabled": enable})
    typer.echo(say("web.user_reset", language, login=user.login, sessions=ended))


@token_app.command("create")
def token_create(
    org: Annotated[str, typer.Option(help="The organisation the token sends for.")],
    label: Annotated[str | None, typer.Option(help="What the token is for (kept with it).")] = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Make an API token for an organisation's uploads; it is printed once and kept only as a hash."""
    from interchange.web.accounts import AccountError
    from interchange.web.tokens import create_token

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, orgs), exit_on(language, AccountError, code=2):
        code = org.lower()
        if code not in orgs:
            raise AccountError(key="web.org_unknown", org=code, known=", ".join(orgs))
        token, kept = create_token(engine, code, created_by=login_name(), label=label)
        _audit(engine, "token.create", f"token {kept.prefix}", {}, org=code)
    typer.echo(say("web.token_shown_once", language, org=code))
    typer.echo(token)


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's tokens.")] = None,
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Every token by its first characters: organisation, purpose, made, last used, revoked."""
    from interchange.web.tokens import tokens_of

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, _):
        found = tokens_of(engine, org.lower() if org else None)
    typer.echo("\n".join(section_lines(say("web.tokens_title", language), say("web.tokens_cols", language), [
        [f"{t.prefix}…", t.org, t.label, short_time(t.created_at), t.created_by, short_time(t.last_used_at),
         short_time(t.revoked_at)] for t in found], language)).rstrip())


@token_app.command("revoke")
def token_revoke(
    prefix: Annotated[str, typer.Argument(help="The token's first characters, as `users token list` shows them.")],
    workspace: WorkspaceOption = None,
    lang: StewardLangOption = None,
) -> None:
    """Revoke a token: uploads with it are refused from now on."""
    from interchange.web.accounts import AccountError
    from interchange.web.tokens import revoke_by_prefix

    language = steward_lang(lang)
    with _accounts(workspace, language) as (engine, _), exit_on(language, AccountError, code=2):
        revoked = revoke_by_prefix(engine, prefix.rstrip("…"))
        _audit(engine, "token.revoke", f"token {revoked.prefix}", {}, org=revoked.org)
    typer.echo(say("web.token_revoked", language, prefix=revoked.prefix))


def _role(text: str, lang: str) -> Role:
    from interchange.web.accounts import Role

    try:
        return Role(text.strip().lower())
    except ValueError:
        typer.echo(say("steward.error", lang, detail=say("web.role_unknown", lang)), err=True)
        raise typer.Exit(2) from None


@contextmanager
def _accounts(option: Path | None, lang: str) -> Iterator[tuple[Engine, tuple[str, ...]]]:
    from interchange.warehouse.engine import warehouse

    found = open_workspace(option, lang)
    with warehouse(found.database_url) as engine:
        yield engine, tuple(o.code for o in found.config.organisations)


def _password(from_stdin: bool, lang: str) -> str:
    """The new password: one line of standard input, or asked twice without echo."""
    from interchange.web.accounts import AccountError, check_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise AccountError(key="web.password_empty")
    else:
        password = typer.prompt(say("web.password_prompt", lang), hide_input=True)
        if typer.prompt(say("web.password_again", lang), hide_input=True) != password:
            raise AccountError(key="web.password_mismatch")
    check_password(password)
    return password


def _audit(engine: Engine, action: str, target: str, detail: dict[str, object], *, org: str | None = None) -> None:
    from interchange.web.audit import record_event

    record_event(engine, action, actor=login_name(), role="cli", org=org, target=target, detail=detail)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
