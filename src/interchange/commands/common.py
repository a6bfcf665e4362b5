"""What every `interchange` command shares: options, opening the workspace, Prefect set-up, tables.

Command groups live in their own modules under :mod:`interchange.commands` and register
themselves on the one Typer app in :mod:`interchange.cli`.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from interchange.clock import now
from interchange.errors import InterchangeError, describe_failure, mask_secrets
from interchange.i18n import default_lang, has, name_of, say

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID
    from typer._click import Context  # typer carries its own click

    from interchange.progress import Progress
    from interchange.workspace.layout import Workspace


class Lang(StrEnum):
    LT = "lt"
    EN = "en"
    BOTH = "both"


LangOption = Annotated[Lang, typer.Option(help="Language of the messages.")]


class StewardLang(StrEnum):
    LT = "lt"
    EN = "en"


StewardLangOption = Annotated[StewardLang | None, typer.Option(
    "--lang", help="Language of the messages: lt or en. Default: $INTERCHANGE_LANG; else lt when LC_ALL, "
                   "LC_MESSAGES or LANG (the first one set) starts with lt; else en.")]


def steward_lang(option: StewardLang | None) -> str:
    """`--lang` when given, else the environment's choice (interchange.i18n.default_lang)."""
    return option.value if option is not None else default_lang()
WorkspaceOption = Annotated[Path | None, typer.Option(
    "--workspace", "-w", help="The workspace folder; default: $INTERCHANGE_WORKSPACE, else the current folder.")]


def login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container: say so rather than guess
        return "unknown"


def open_workspace(option: Path | None, lang: str | None = None) -> Workspace:
    """The workspace with its config checked, before anything starts; exit 2 with the reason otherwise.

    Its database must be the one it has always used (interchange.workspace.database): another one,
    or a SQLite file that is gone, is refused (exit 1) before anything is opened or made.
    """
    from interchange.workspace import ConfigError, find_workspace
    from interchange.workspace.database import DatabaseChanged, confirm_database

    language = lang or default_lang()
    with exit_on(language, ConfigError, code=2):
        workspace = find_workspace(option)
        _ = workspace.config  # a wrong key stops the command here, naming the key
        _ = workspace.database_url  # so does a wrong INTERCHANGE_DATABASE_URL
    _session.workspace_root = workspace.root
    with exit_on(language, DatabaseChanged, code=1, key="steward.refused"):
        _session.database = confirm_database(workspace)
    return workspace


@dataclass
class _Session:
    """What the running command has opened: the summary names its database, a failure logs in its workspace."""

    workspace_root: Path | None = None
    database: str | None = None

    def clear(self) -> None:
        self.workspace_root = self.database = None


_session = _Session()


def fail(lang: str, key: str, detail: object, *, code: int) -> NoReturn:
    """Print the message `key` ("steward.error", "steward.refused" ...) with `detail` on stderr and exit with `code`.

    An exception as `detail` is said as interchange.errors.describe_failure says it: one of ours
    by its message in `lang`, anything else by its class only.
    """
    shown = describe_failure(detail, lang) if isinstance(detail, BaseException) else detail
    typer.echo(say(key, lang, detail=shown), err=True)
    stop(code)


def stop(code: int) -> NoReturn:
    """End a command that has said its error or refusal: an error is not a summary, so nothing follows it."""
    _session.database = None
    raise typer.Exit(code) from None


@contextmanager
def exit_on(lang: str, *kinds: type[InterchangeError], code: int, key: str = "steward.error") -> Iterator[None]:
    """An error of the package of these `kinds` (default: any) ends the command: `key` ("steward.error",
    "steward.refused" ...) with the error's message in `lang` on stderr, and exit `code`."""
    try:
        yield
    except InterchangeError as exc:
        if kinds and not isinstance(exc, kinds):
            raise
        fail(lang, key, exc, code=code)


class CommandGroup(TyperGroup):
    """The `interchange` command.

    An error of the package that no command expected ends it as "error: ..." and exit 1.
    Anything else is a bug: its traceback goes to the log file (`log_path`, below), and the
    terminal gets one line naming its class and that file, exit 1. A command that opened a
    workspace ends its summary with the database it used (no password).
    """

    def invoke(self, ctx: Context) -> Any:
        _session.clear()  # a new command has opened nothing yet (CliRunner runs many in one process)
        lang = default_lang()
        try:
            with exit_on(lang, code=1):
                result = super().invoke(ctx)
        except typer.Exit as done:
            if done.exit_code in (0, 1):
                _name_the_database(lang)
            raise
        except (TyperException, typer.Abort):
            raise  # usage errors and Ctrl-C: typer says those itself
        except Exception as exc:
            _log_unexpected(exc, lang)
        _name_the_database(lang)
        return result


def database_named_by_the_command() -> str | None:
    """The database the command opened (no password), for a command that names it in its own screen
    (`status`, at the top) rather than in the line that otherwise ends its summary."""
    database, _session.database = _session.database, None
    return database


def _name_the_database(lang: str) -> None:
    if _session.database is not None:
        typer.echo(say("steward.database_in_use", lang, url=_session.database))


def _log_unexpected(exc: Exception, lang: str) -> NoReturn:
    path: Path | str = "$XDG_STATE_HOME/interchange/interchange.log"
    try:
        path = log_path(_session.workspace_root)
        write_failure(path, exc)
    except (OSError, RuntimeError) as unwritable:  # RuntimeError: no home folder to find
        typer.echo(say("steward.unexpected_unlogged", lang, name=type(exc).__name__, log=path,
                       reason=type(unwritable).__name__), err=True)
    else:
        typer.echo(say("steward.unexpected", lang, name=type(exc).__name__, log=path), err=True)
    raise typer.Exit(1) from None


# --- the log of unexpected failures ------------------------------------------------------------------
# A traceback may quote a record (a database error shows the row it failed on), so it never reaches
# the terminal, a CI log or a pasted chat: it goes to a file readable by its owner only (mode 0600,
# its folder 0700), `<workspace>/logs/interchange.log` when the command has a workspace, else
# `$XDG_STATE_HOME/interchange/interchange.log` (`~/.local/state/...`). Past a few megabytes the
# file moves to `interchange.log.1`. Passwords are masked in it (interchange.errors.mask_secrets).

LOG_NAME = "interchange.log"
_KEEP_BYTES = 5 * 1024 * 1024


def log_path(workspace_root: Path | None) -> Path:
    """The log file of a workspace, or of the user when there is none."""
    if workspace_root is not None:
        return workspace_root / "logs" / LOG_NAME
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "interchange" / LOG_NAME


def write_failure(path: Path, exc: BaseException) -> None:
    """Append the time, the command line and `exc`'s whole traceback to `path`, readable by its owner only.

    OSError when the file cannot be written (the caller says so instead)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size > _KEEP_BYTES:
        path.replace(path.with_name(f"{path.name}.1"))
    entry = mask_secrets(f"--- {now().isoformat(timespec='seconds')} interchange {' '.join(sys.argv[1:])}\n"
                         + "".join(traceback.format_exception(exc)))  # a driver's text may quote a password
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as stream:
        os.fchmod(stream.fileno(), 0o600)  # a file made earlier by hand keeps no wider mode
        stream.write(entry)


def prepare_prefect(lang: str | None = None) -> None:
    """Prefect defaults for a command; a steward's own PREFECT_* settings win.

    No usage telemetry leaves the hub (neither the server's nor the client's, whose first-run
    notice would also land on a steward's terminal), and the console shows warnings and errors only:
    the summary is printed by the command, and every log line still reaches the Prefect
    API (the UI) at its own level.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    # A first run on a new machine creates Prefect's database before its temporary server
    # answers: on a busy 2-core machine that takes longer than Prefect's default 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from prefect.settings import get_current_settings

    if get_current_settings().api.url is None:
        typer.echo(say("steward.prefect_temporary", lang or default_lang()), err=True)


def flows_module(name: str, lang: str | None = None) -> ModuleType:
    """`flows.<name>`, imported from the checkout this package runs from.

    flows/ is not part of the installed package: nothing in src/interchange may import
    Prefect (DESIGN.md, Layers), a top-level package named `flows` in site-packages would
    be a name clash waiting to happen, and Prefect deployments name a flow by its path in
    the checkout (flows/ingest.py:ingest). The project is installed editable from that
    checkout, whose root is three folders above this module: it goes on sys.path.
    """
    root = Path(__file__).resolve().parents[3]
    if (root / "flows" / "__init__.py").is_file() and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        return importlib.import_module(f"flows.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("flows", f"flows.{name}"):
            raise
        typer.echo(say("steward.flows_missing", lang or default_lang(), name=name), err=True)
        raise typer.Exit(2) from None


# --- progress bars --------------------------------------------------------------------------------


def interactive_terminal() -> bool:
    """Progress bars only for a person at a terminal: not in CI, not when stderr goes to a log or a pipe."""
    return sys.stderr.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


@contextmanager
def show_progress(lang: str, *, counted: Mapping[str, int] | None = None) -> Iterator[None]:
    """Rich progress bars on stderr for the library's progress events while the block runs; in a terminal only.

    Elsewhere (CI, a log, a pipe) nothing is installed and nothing is printed. `counted`
    gives totals the command knows and the library reports one unit at a time: e.g.
    ``{"ingest.source": 5}`` (each source says when it starts and ends).
    """
    if not interactive_terminal():
        yield
        return
    from interchange.progress import listening

    view = ProgressView(lang, counted=counted)
    with view.progress, listening(view.on_event):
        yield


class ProgressView:
    """One bar per progress stage (sources, files, linkage stages ...), labelled in the steward's language."""

    def __init__(self, lang: str, *, counted: Mapping[str, int] | None = None, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.lang = lang
        self.counted = dict(counted or {})
        self.finished: dict[str, set[str]] = {stage: set() for stage in self.counted}
        self.tasks: dict[str, TaskID] = {}
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console or Console(stderr=True), transient=True)

    def on_event(self, event: Progress) -> None:
        key = f"steward.progress.{event.stage}"
        detail = name_of("steward.stage", event.detail, self.lang)
        description = say(key if has(key) else "steward.progress.other", self.lang, detail=detail)
        total: int | None
        if event.stage in self.counted:  # units reported one at a time: count those finished
            if event.total is not None and event.done >= event.total:
                self.finished[event.stage].add(event.detail)
            completed, total = len(self.finished[event.stage]), self.counted[event.stage]
        else:
            completed, total = event.done, event.total
        task = self.tasks.get(event.stage)
        if task is None:
            self.tasks[event.stage] = self.progress.add_task(description, total=total, completed=completed)
        else:
            self.progress.update(task, description=description, total=total, completed=completed)


# --- screens: the plain-text tables the steward's commands print ----------------------------------


def section_lines(title: str, columns: str, rows: list[list[object]], lang: str) -> list[str]:
    """A titled table indented under its title (columns as "a|b|c"), or "title: none"; then a blank line."""
    if not rows:
        return [f"{title}: {say('steward.none', lang)}", ""]
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    return [title, *("  " + line for line in table_lines(columns.split("|"), cells)), ""]


def table_lines(header: list[str], rows: list[list[str]], *,
                numeric: frozenset[int] | set[int] = frozenset()) -> list[str]:
    """Aligned columns, `numeric` ones right-aligned, no trailing blanks."""
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(header[i])
              for i in range(len(header))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i in numeric else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    return [line(header), *(line(row) for row in rows)]


def short_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def short_number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
