"""pytest fixtures for a project's own database tests (installed as the ``pggate`` plugin).

    pytest --pggate-env staging

* ``pggate_env``: the environment name (``--pggate-env``, default ``local``);
* ``pggate_project``: the loaded project (``--pggate-project``, default: nearest pggate.toml);
* ``db``: a connection inside a transaction that is always rolled back.

The fixtures only activate when a test asks for them, so installing pggate
does not change anyone else's test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--pggate-env`` and ``--pggate-project``."""
    group = parser.getgroup("pggate")
    group.addoption("--pggate-env", default="local", help="pggate environment to test against")
    group.addoption("--pggate-project", default=None, help="folder of pggate.toml")


@pytest.fixture(scope="session")
def pggate_env(request: pytest.FixtureRequest) -> str:
    """The environment name given with ``--pggate-env``."""
    return str(request.config.getoption("--pggate-env"))


@pytest.fixture(scope="session")
def pggate_project(request: pytest.FixtureRequest) -> Any:
    """The project (``pggate.config.Project``)."""
    from pggate.config import load_project

    return load_project(request.config.getoption("--pggate-project"))


@pytest.fixture(scope="session")
def pggate_session(pggate_project: Any, pggate_env: str) -> Iterator[Any]:
    """One ``pggate.session.Session`` on the environment for the whole test run."""
    from pggate.session import open_session

    with open_session(pggate_project, pggate_env, application_name="pggate-pytest") as session:
        yield session


@pytest.fixture
def db(pggate_session: Any) -> Iterator[Any]:
    """A connection in a transaction that is rolled back after the test."""
    from pggate.db import rolled_back

    conn = pggate_session.connect("pggate-pytest", autocommit=True)
    try:
        with rolled_back(conn):
            yield conn
    finally:
        conn.close()
