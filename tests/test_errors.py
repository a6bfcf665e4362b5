"""One error family: what a steward, a partner or an alert reader relies on.

Every exception the package and its flows define is an `InterchangeError`, so whoever shows a
failure can trust its message: no record value. Anything else (a database error, a KeyError
carrying a value) reaches a steward's screen, a flow's state or an alert as its class only.
Each `error.*` text is said in Lithuanian and English.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import string
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import interchange
from interchange.commands.common import flows_module
from interchange.errors import InterchangeError, describe_failure, failure_trace
from interchange.i18n import CATALOGUE

pytest_plugins = ["prefect_harness"]

# A record value (a name) that must never reach a screen, a state or an alert.
VALUE = "Ona Onaitė"


def _modules() -> Iterator[ModuleType]:
    for found in pkgutil.walk_packages(interchange.__path__, "interchange."):
        if found.name != "interchange.__main__":  # runs the command when imported
            yield importlib.import_module(found.name)
    flows = flows_module("link").__name__.split(".")[0]  # puts the checkout's flows/ on the path
    for found in pkgutil.iter_modules(importlib.import_module(flows).__path__, "flows."):
        yield importlib.import_module(found.name)


def _exception_classes() -> list[type[BaseException]]:
    found = {cls for module in _modules() for _, cls in inspect.getmembers(module, inspect.isclass)
             if issubclass(cls, BaseException) and cls.__module__ == module.__name__}
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_exception_of_the_package_and_its_flows_is_one_of_the_family() -> None:
    classes = _exception_classes()

    assert {cls.__name__ for cls in classes} >= {"ConfigError", "PeriodError", "ProblemError", "LinkFailed",
                                                 "PublishFailed", "SourceFailed"}  # the walk finds them
    outsiders = [f"{cls.__module__}.{cls.__qualname__}" for cls in classes if not issubclass(cls, InterchangeError)]
    assert outsiders == []


def test_an_error_still_is_what_it_was_for_code_that_catches_the_builtin() -> None:
    from interchange.clock import ClockError
    from interchange.indicators.periods import PeriodError
    from interchange.workspace.config import ConfigError

    for cls in (ClockError, PeriodError, ConfigError):
        assert issubclass(cls, ValueError) and issubclass(cls, InterchangeError)


def test_an_error_is_said_in_english_by_str_and_in_either_language_by_message() -> None:
    from interchange.linkage.review import ReviewError

    error = ReviewError(key="error.review_no_pair", pair=7)

    assert str(error) == "no pair 7 in the review queue (interchange review list shows them)"
    assert error.message("en") == str(error)
    assert error.message("lt") == "peržiūros eilėje nėra poros 7 (jas rodo interchange review list)"
    assert describe_failure(error, "lt") == error.message("lt")


def test_an_error_of_the_package_is_shown_by_its_message_anything_else_by_its_class_only() -> None:
    from interchange.contract.problems import ProblemError, error

    assert describe_failure(ProblemError(error("http.unavailable", attempts=3))).startswith("http.unavailable: ")
    assert describe_failure(KeyError(VALUE)) == "KeyError (see the flow run's log)"
    assert describe_failure(KeyError(VALUE), "lt") == "KeyError (žr. srauto vykdymo žurnalą)"


def test_a_trace_names_classes_and_places_but_no_exception_text() -> None:
    try:
        try:
            raise KeyError(VALUE)
        except KeyError as exc:
            raise InterchangeError("wrapped") from exc
    except InterchangeError as exc:
        trace = failure_trace(exc)

    assert trace.splitlines()[0] == "InterchangeError, raised at:"
    assert "KeyError, raised at:" in trace and VALUE not in trace and "wrapped" not in trace


def test_only_an_outage_or_a_stranger_is_worth_retrying() -> None:
    from interchange.contract.problems import ProblemError, error
    from interchange.ingest.batches import BatchAlreadyClosed
    from interchange.ingest.run import worth_retrying
    from interchange.workspace.config import ConfigError

    assert worth_retrying(ProblemError(error("http.unavailable", attempts=3)))
    assert worth_retrying(BatchAlreadyClosed(key="error.batch_closed", batch=4))
    assert worth_retrying(OSError("disk"))  # not ours: a hub error (a database restart) may pass
    assert not worth_retrying(ConfigError("interchange.yaml: organisations: is missing"))
    assert not ProblemError(error("http.unauthorized")).transient


def test_an_expectation_that_cannot_be_evaluated_is_named_by_the_exception_class_not_its_text() -> None:
    from interchange.ingest.expectations import _exception_class

    traceback_text = f"Traceback (most recent call last):\n  File \"x.py\"\nValueError: cannot convert\n{VALUE}\n"

    assert _exception_class({"exception_traceback": traceback_text}) == "ValueError"
    assert _exception_class({"exception_traceback": None}) == "an exception"


def test_every_error_text_is_in_both_languages_with_the_same_placeholders() -> None:
    texts = {key: pair for key, pair in CATALOGUE.items() if key.startswith("error.")}

    assert texts  # the namespace is there
    for key, (lt, en) in texts.items():
        assert lt.strip() and en.strip() and lt != en, key
        assert _fields(lt) == _fields(en), key


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# --- through a flow, to the alert and the steward's screen ----------------------------------------


class _State:
    """What a flow's state hook sees: the state and the exception it ended with."""

    name = "Failed"
    message = "the flow failed"

    def __init__(self, outcome: BaseException) -> None:
        self.outcome = outcome

    def result(self, raise_on_failure: bool = True) -> Any:
        return self.outcome


def _alert_message(outcome: BaseException) -> str:
    run = SimpleNamespace(name="calm-otter", id="0000", parameters={})
    payload = flows_module("alerts").failure_payload("link", run, _State(outcome), None)
    assert VALUE not in json.dumps(payload)
    return str(payload["message"])


def _link_failure(cause: BaseException) -> BaseException:
    LinkFailed = flows_module("link").LinkFailed

    try:
        try:
            raise cause
        except Exception as exc:
            raise LinkFailed.passing_on(exc) from None
    except LinkFailed as failed:
        return failed


def test_a_lower_layers_error_reaches_the_alert_and_the_pipeline_report_with_its_message() -> None:
    from interchange.linkage.review import ReviewError

    _state_detail = flows_module("pipeline")._state_detail

    lower = ReviewError(key="error.review_no_record", uids="kretingos-spc:SPC-P-0001")

    assert _alert_message(lower) == str(lower)
    assert _alert_message(_link_failure(lower)) == str(lower)
    assert _state_detail(_State(_link_failure(lower))) == str(lower)


def test_a_strangers_error_reaches_the_alert_and_the_pipeline_report_as_its_class_only() -> None:
    _state_detail = flows_module("pipeline")._state_detail

    assert _alert_message(KeyError(VALUE)) == "KeyError (see the flow run's log)"
    assert _alert_message(_link_failure(KeyError(VALUE))) == "KeyError (see the flow run's log)"
    assert _state_detail(_State(_link_failure(KeyError(VALUE)))) == "KeyError (see the flow run's log)"


def _review_error() -> Exception:
    from interchange.linkage.review import ReviewError

    return ReviewError(key="error.review_same_record")


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("raised", "lang", "expected"), [
    (_review_error, "en", "linkage failed, nothing changed: a record is always the same person as itself: "
                          "give two different records"),
    (_review_error, "lt", "susiejimas nepavyko, niekas nepakeista: įrašas visada yra tas pats asmuo kaip ir jis "
                          "pats: nurodykite du skirtingus įrašus"),
    (lambda: KeyError(VALUE), "en", "linkage failed, nothing changed: KeyError (see the flow run's log)"),
    (lambda: KeyError(VALUE), "lt", "susiejimas nepavyko, niekas nepakeista: KeyError (žr. srauto vykdymo "
                                    "žurnalą)"),
])
def test_link_on_the_command_line_shows_a_lower_layers_message_and_a_strangers_class(
        raised: Callable[[], Exception], lang: str, expected: str,
        hub_root: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from interchange.cli import app

    def failing(*_args: object, **_kwargs: object) -> None:
        raise raised()

    monkeypatch.setenv("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    monkeypatch.setattr(flows_module("link"), "link_persons", failing)
    result = CliRunner().invoke(app, ["link", "--workspace", str(hub_root), "--lang", lang])

    assert result.exit_code == 1
    assert expected in result.output and VALUE not in result.output


def test_an_error_no_command_expected_ends_the_command_with_its_message_not_a_traceback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import interchange.commands.common
    from interchange.cli import app
    from interchange.indicators.catalogue import CatalogueError

    def broken(*_args: object, **_kwargs: object) -> None:
        raise CatalogueError("indicators.yaml: key 'version': is missing")

    monkeypatch.setattr(interchange.commands.common, "open_workspace", broken)
    monkeypatch.setattr("interchange.commands.operations.open_workspace", broken)
    result = CliRunner().invoke(app, ["status", "--lang", "en"], env={"INTERCHANGE_LANG": "en"})

    assert result.exit_code == 1
    assert result.output == "error: indicators.yaml: key 'version': is missing\n"
    assert isinstance(result.exception, SystemExit)
