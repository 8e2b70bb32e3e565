"""The isolation proof changes nothing, reports what it probed, and refuses a bypassing actor."""

import yaml

from pggate.checks.context import CheckContext
from pggate.checks.isolation import run
from pggate.config import load_project
from pggate.session import open_session
from tests.checks.test_cases import CASES


def setup_sql(check_id: str, case_name: str) -> tuple[str, str]:
    data = yaml.safe_load((CASES / f"{check_id}.yml").read_text())
    case = next(c for c in data["cases"] if c["name"] == case_name)
    return data["config"], case["setup"]


def prove(project, config):
    root = project(extra_toml=config)
    proj = load_project(root)
    with open_session(proj, "test") as session:
        return run(CheckContext(session.conn, proj, session=session))


def state(db) -> tuple:
    tables = db.execute(
        "select count(*) as n from pg_class where relnamespace = 'public'::regnamespace"
    ).fetchone()
    rows = db.execute("select tenant_id, title from public.tasks order by id").fetchall()
    return tables["n"], [tuple(r.values()) for r in rows]


def test_proof_changes_nothing_and_summarises_the_probes(project, db):
    config, setup = setup_sql("RLS012", "insert policy without a tenant check")
    db.execute(setup)
    before = state(db)
    result = prove(project, config)
    assert state(db) == before
    # the insert leaks in both directions (one finding); delete, granted without a policy,
    # is RLS004's, not the positive path's
    assert [f.check for f in result.findings] == ["RLS012"]
    probes = result.summary["tables"]["public.tasks"]
    assert probes["read"].startswith("refused") and probes["move"].startswith("refused")
    assert probes["insert"].startswith("LEAK")
    assert {(p["direction"], p["probe"]) for p in probes["probes"] if p["result"] == "leak"} == {
        ("10 -> 20", "insert"),
        ("20 -> 10", "insert"),
    }
    assert result.summary["proven"] == "proven 1 of 1 tables"
    assert result.summary["tenants"] == ["10", "20"]


def test_actor_that_bypasses_rls_stops_the_proof_with_an_error(project, db):
    config, setup = setup_sql("RLS010", "scoped policies")
    db.execute(setup.replace("alter table public.tasks force row level security;", ""))
    db.execute("alter table public.tasks owner to pggate_case_actor")
    result = prove(project, config)
    assert [(f.check, str(f.severity)) for f in result.findings] == [("RLS013", "error")]
    assert "bypasses row-level security" in result.findings[0].message
