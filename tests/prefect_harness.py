"""One Prefect test server for the whole session, shared by every test module that needs one.

A test module asks for it with `pytest_plugins = ["prefect_harness"]` and the fixture
`prefect_server`; starting the server takes seconds, so it starts once.
"""

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with pytest.MonkeyPatch.context() as patch:
        # The server's usage telemetry races its own first migrations on a fresh database
        # (a "database is locked" traceback in the log), and a hub sends none anyway.
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        with prefect_test_harness(server_startup_timeout=60):
            yield

