"""A gate that raises proves nothing: it fails with GATE001 and the other gates still run.

The database case is real: a read-only role verifies a database migrated by its
owner and may not read pggate's history schema, so the traceability gate's
first query is refused. The bug case replaces a gate's ``run`` in-process, the
only way to make pggate itself raise.
"""

from __future__ import annotations

import json
import uuid

import pytest
from psycopg import sql

from pggate import api
from pggate.results import Status
from tests.conftest import write_project

MIGRATIONS = {
    "001_items.sql": """
        create table items (id int primary key, parent_id int);
        -- migrate:down
        drop table items;
    """,
    "002_private.sql": """
        create schema private;
        create table private.parent (id int primary key);
        create table private.child (id int primary key, parent_id int references private.parent);
        create index on private.child (parent_id);
        -- migrate:down
        drop schema private cascade;
    """,
}


@pytest.fixture
def reader(db, db_url):
    """A login role with no privilege on pggate's history schema; its database URL."""
    role = f"reader_{uuid.uuid4().hex[:8]}"
    db.execute(sql.SQL("create role {} login").format(sql.Identifier(role)))
    try:
        yield role, db_url.replace("://postgres@", f"://{role}@", 1)
    finally:
        db.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
        db.execute(sql.SQL("drop role {}").format(sql.Identifier(role)))


def schema_state(db) -> list[tuple]:
    return [
        tuple(r.values())
        for r in db.execute(
            "select n.nspname, c.relname, c.relkind from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') "
            "order by 1, 2"
        ).fetchall()
    ]


def test_a_refused_query_fails_its_gate_with_the_reason_and_the_rest_still_run(
    tmp_path, db, db_url, reader, run_pggate
):
    owner = write_project(tmp_path / "owner", url=db_url, migrations=MIGRATIONS)
    api.migrate(owner, "test")
    role, url = reader
    root = write_project(tmp_path / "reader", url=url, migrations=MIGRATIONS)
    before = schema_state(db)

    done = run_pggate("verify", "--env", "test", "--format", "json", cwd=root)

    assert done.exit_code == 1, done.stderr
    result = json.loads(done.stdout)
    gates = {g["gate"]: g for g in result["gates"]}
    trace = gates["traceability"]
    assert trace["status"] == "fail"
    (failed,) = trace["findings"]
    assert failed["check"] == "GATE001" and failed["gate"] == "traceability"
    assert "permission denied" in failed["message"] and "42501" in failed["message"]
    assert failed["details"]["sqlstate"] == "42501"
    assert trace["checks"] == [], "nothing of the gate ran, so nothing is listed as run"
    # every other gate ran, each with its own verdict, after the one that could not
    assert gates["schema"]["status"] in ("pass", "warn")
    # the orphan check the role may not run is said, with the grant, not passed
    (orphans,) = [f for f in gates["fk"]["findings"] if f["check"] == "FK002"]
    assert orphans["severity"] == "warning" and "could not run" in orphans["message"]
    assert "grant the connected role USAGE on schema private" in orphans["hint"]
    assert gates["rls"]["checks"], "the rls gate ran its checks"
    assert any("history could not be read" in w for w in result["warnings"])
    assert "internal error" not in done.stderr
    assert schema_state(db) == before


def test_a_bug_in_a_gate_fails_it_as_a_bug_and_does_not_abort_verify(project, monkeypatch):
    root = project(migrations=MIGRATIONS)
    api.migrate(root, "test")
    from pggate import checks

    views = checks.load("views")

    def broken(ctx):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(views, "run", broken)
    result = api.verify(root, "test")

    by_gate = {g.gate: g for g in result.gates}
    assert by_gate["views"].status == Status.FAIL
    (failed,) = by_gate["views"].findings
    assert failed.check == "GATE001"
    assert "ZeroDivisionError: division by zero" in failed.message
    assert "bug in pggate" in failed.hint
    assert result.status == Status.FAIL
    later = [g.gate for g in result.gates][[g.gate for g in result.gates].index("views") + 1 :]
    assert later and all(by_gate[g].status != Status.FAIL for g in later)


def test_a_config_error_in_a_gate_still_ends_the_command_as_bad_input(project, run_pggate):
    root = project(
        migrations=MIGRATIONS,
        extra_toml="""
            [gates.fk]
            statement_timeout = "soon"
        """,
    )
    api.migrate(root, "test")
    done = run_pggate("verify", "--env", "test", "--gate", "fk", cwd=root)
    assert done.exit_code == 2, (done.stdout, done.stderr)
    assert "GATE001" not in done.stdout
