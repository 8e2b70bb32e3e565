"""Shared fixtures: a real PostgreSQL for the session, a fresh database per test, CLI runners.

The server is the one at ``PGGATE_TEST_DATABASE_URL`` when set (CI runs the suite
against the machine's PostgreSQL 15 that way), else an embedded PostgreSQL
started once for the whole session. Never a mock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from pggate.db import with_database
from pggate.masking import forget_secrets

REPO = Path(__file__).resolve().parents[1]
TEST_URL_VARIABLE = "PGGATE_TEST_DATABASE_URL"


def pytest_configure(config: pytest.Config) -> None:
    """Each run's temp folders in a fresh directory of its own, traversable by other users.

    As root, the embedded server runs as a service user that must reach the test's project
    folder, so pggate makes its parents traversable. pytest's shared ``pytest-of-root``
    is reset to mode 0700 whenever another pytest run starts, which cut a running suite
    off its own embedded servers; a private basetemp is never touched by another run.
    """
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        basetemp = tempfile.mkdtemp(prefix="pggate-tests-")
        config.option.basetemp = basetemp
        config.add_cleanup(lambda: shutil.rmtree(basetemp, ignore_errors=True))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Admin URL of the test server (superuser, database ``postgres``)."""
    external = os.environ.get(TEST_URL_VARIABLE)
    if external:
        yield external
        return
    from pggate.embedded import EmbeddedServer

    server = EmbeddedServer.temporary()
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def server_version(pg_server: str) -> int:
    """``server_version_num`` of the test server."""
    with psycopg.connect(pg_server) as conn:
        return int(conn.execute("show server_version_num").fetchone()[0])


@pytest.fixture
def db_url(pg_server: str) -> Iterator[str]:
    """URL of a fresh, empty database, dropped after the test."""
    name = f"pggate_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield with_database(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


@pytest.fixture
def db(db_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection (dict rows) to the fresh database."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture
def password_server() -> Iterator[object]:
    """A throwaway server that demands passwords (scram) from every role but ``postgres``.

    Role ``app`` logs in with ``right-pw-123``; tests create other roles as they need.
    """
    with started_password_server() as server:
        yield server


@contextmanager
def started_password_server(engine: object = None) -> Iterator[Any]:
    """A password server (see ``password_server``) on ``engine`` (default: the wheel's)."""
    from pggate.embedded import EmbeddedServer

    with EmbeddedServer.temporary(engine=engine) as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("create role app login password 'right-pw-123'")
        hba = server.data_dir / "pg_hba.conf"
        hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n" + hba.read_text())
        with psycopg.connect(server.url(), autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
        yield server


@pytest.fixture(autouse=True)
def _clean_process_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No stray DATABASE_URL or engine choice from the developer's shell leaks into a test."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield
    forget_secrets()


def write_project(
    root: Path,
    *,
    url: str | None = None,
    migrations: dict[str, str] | None = None,
    extra_toml: str = "",
    env_name: str = "test",
    migrations_dir: str = "migrations",
) -> Path:
    """Write a pggate project: pggate.toml, an env file with ``url``, migration files."""
    root.mkdir(parents=True, exist_ok=True)
    toml = f'[project]\nmigrations = "{migrations_dir}"\n'
    if url is not None:
        toml += f'\n[environments.{env_name}]\nenv_file = ".env.{env_name}"\n'
        (root / f".env.{env_name}").write_text(f"DATABASE_URL={url}\n")
    toml += textwrap.dedent(extra_toml)
    (root / "pggate.toml").write_text(toml)
    folder = root / migrations_dir
    folder.mkdir(exist_ok=True)
    for name, body in (migrations or {}).items():
        (folder / name).write_text(textwrap.dedent(body))
    return root


@pytest.fixture
def project(tmp_path: Path, db_url: str) -> Callable[..., Path]:
    """Factory: a project whose environment ``test`` points at the fresh database."""

    def make(**kwargs: object) -> Path:
        return write_project(tmp_path / "project", url=db_url, **kwargs)  # type: ignore[arg-type]

    return make


@dataclass
class CliResult:
    """What a pggate run printed and returned."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def json(self) -> object:
        """stdout parsed as the one JSON document it must be."""
        import json

        return json.loads(self.stdout)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run pggate in this process: ``cli("check-env", "--env", "test", cwd=path)``.

    Through the script's entry, as a user runs it: plain ``status`` and ``migrate`` lines
    take the hot path, everything else the Typer app.
    """
    from pggate._entry import main

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def run_pggate() -> Callable[..., CliResult]:
    """Run pggate as a real process (exit codes, signals, no-terminal behaviour)."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
    ) -> CliResult:
        environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "pggate", *args],
            cwd=cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files a test just wrote count as old enough for the file index (no 2 s wait)."""
    from pggate.migrations import cache

    monkeypatch.setattr(cache, "RACY_SECONDS", 0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the migration files pggate reads from now on."""
    from pggate.migrations import files

    seen: list[str] = []
    real = files.read_text

    def counting(path: str | os.PathLike[str]) -> str:
        seen.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(files, "read_text", counting)
    return seen
