"""pytest fixtures for a project's own database tests (installed as the ``pggate`` plugin).

    pytest --pggate-env staging

* ``pggate_env``: the environment name (``--pggate-env``, default ``local``);
* ``pggate_project``: the loaded project (``--pggate-project``, default: nearest pggate.toml);
* ``db``: a connection inside a transaction that is always rolled back;
* ``as_tenant``: ``with as_tenant(tenant_id) as conn:`` acts as a member of that
  tenant (``[tenancy.actor]``: its role and setup, like the isolation proof) in a
  savepoint of ``db``'s transaction, undone when the block ends.

    def test_members_see_only_their_projects(db, as_tenant):
        with as_tenant("00000000-0000-0000-0000-00000000000a") as conn:
            others = conn.execute(
                "select count(*) from projects where organization_id <> %s",
                ["00000000-0000-0000-0000-00000000000a"],
            ).fetchone()
        assert others == {"count": 0}

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


@pytest.fixture
def as_tenant(db: Any, pggate_project: Any) -> Any:
    """``as_tenant(tenant_id)``: a context manager acting as a member of the tenant."""
    from contextlib import contextmanager

    import psycopg

    from pggate.checks.actor import act_as, find_member

    tenancy = pggate_project.tenancy

    @contextmanager
    def acting(tenant: Any, user: Any = None) -> Iterator[Any]:
        member = user if user is not None else find_member(db, tenancy, tenant)
        if member is None:
            pytest.fail(f"[tenancy.actor] member_query found no member of tenant {tenant}")
        with db.transaction():
            act_as(db, tenancy, member, tenant)
            yield db
            raise psycopg.Rollback()

    return acting
