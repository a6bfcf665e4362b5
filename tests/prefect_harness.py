"""One Prefect test server for the whole session, shared by every test module that needs one.

A test module asks for it with `pytest_plugins = ["prefect_harness"]` and decorates its flow
tests with `on_prefect`; starting the server takes seconds, so it starts once.
"""

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

Test = TypeVar("Test", bound=Callable[..., object])


def on_prefect(test: Test) -> Test:
    """A test that runs flows: under the session's Prefect test server, and outside `make test-fast`."""
    return pytest.mark.slow(pytest.mark.usefixtures("prefect_server")(test))


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        # The server's usage telemetry races its own first migrations on a fresh database
        # (a "database is locked" traceback in the log), and a hub sends none anyway.
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        with prefect_test_harness(server_startup_timeout=60):
            yield

