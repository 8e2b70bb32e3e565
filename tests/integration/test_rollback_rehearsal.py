"""stage --rehearse-rollback: RBK001 when the downs do not restore the schema, RBK002 when
migrating forward again gives a schema different from the first apply. Each test reads the
database afterwards, not only the message."""

from __future__ import annotations

from pathlib import Path

from pggate import pipeline

BASE = {
    # A schema the API does not expose, so the security gates have nothing to say.
    "001_log.sql": "create schema app;\ncreate table app.log (id int);\n"
    "-- migrate:down\ndrop schema app cascade;\n",
}


def _tables(db) -> set[str]:
    rows = db.execute(
        "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'app' and c.relkind = 'r'"
    ).fetchall()
    return {r["relname"] for r in rows}


def _prepared(project, later: dict[str, str]):
    from pggate import api

    root = project(migrations=BASE)
    api.migrate(root, "test")  # version 001 is "before the run", its fingerprint recorded
    for name, text in later.items():
        (root / "migrations" / name).write_text(text)
    return root


def _rollback_findings(result) -> list[str]:
    step = next(s for s in result.steps if s.step == "rollback")
    return [f.check for f in step.findings]


def test_a_down_that_leaves_a_function_behind_is_rbk001(project, db):
    root = _prepared(
        project,
        {
            "002_two.sql": "create table app.a (id int);\n"
            "create or replace function app.f() returns int language sql as 'select 1';\n"
            "-- migrate:down\ndrop table app.a;\n"
        },
    )
    result = pipeline.stage(root, "test", rehearse_rollback=True, confirm=lambda _q: True)
    assert _rollback_findings(result) == ["RBK001"]
    assert result.verdict == "NO-GO" and result.exit_code() == 1
    rbk001 = next(f for f in result.findings if f.check == "RBK001")
    assert any("app.f()" in line for line in rbk001.details["diff"]), rbk001.details
    assert {"log", "a"} <= _tables(db)  # migrated forward again after the rehearsal


def test_a_failed_proof_of_transactional_downs_is_undone_before_the_reapply(project, db):
    root = _prepared(
        project,
        {
            "002_two.sql": "create table app.a (id int);\ncreate table app.b (id int);\n"
            "-- migrate:down\ndrop table app.a;\n"
        },
    )
    result = pipeline.stage(root, "test", rehearse_rollback=True, confirm=lambda _q: True)
    step = next(s for s in result.steps if s.step == "rollback")
    assert [f.check for f in step.findings] == ["RBK001"]
    assert "still the one this run migrated" in step.findings[0].message
    assert step.data["reverted"] == [] and [r["version"] for r in step.data["undone"]] == ["002"]
    assert step.data["reapplied"] == [] and step.data["identical"]
    assert result.verdict == "NO-GO"
    report = " ".join((Path(result.evidence_dir) / "report.md").read_text().split())
    assert "still the one this run migrated" in report
    assert _tables(db) == {"log", "a", "b"}  # the downs were undone with the failed proof
    history = db.execute("select version from pggate.schema_migrations order by version")
    assert [r["version"] for r in history] == ["001", "002"]


def test_rbk001_stays_when_what_the_down_left_makes_the_reapply_fail(project, db):
    # Outside a transaction the down's work stays, and what it left breaks the way forward.
    root = _prepared(
        project,
        {
            "002_two.sql": "-- pggate:no-transaction\n"
            "create table app.a (id int);\ncreate table app.b (id int);\n"
            "-- migrate:down\ndrop table app.a;\n"
        },
    )
    result = pipeline.stage(root, "test", rehearse_rollback=True, confirm=lambda _q: True)
    step = next(s for s in result.steps if s.step == "rollback")
    assert [f.check for f in step.findings] == ["RBK001", "RBK002"]
    assert "failed" in step.findings[1].message and step.data["reapply_error"]
    assert step.data["proof"]["left"]["cleanup_sql"] == ["drop table if exists app.b;"]
    assert result.verdict == "NO-GO"
    assert "b" in _tables(db)  # left by the down; the reapply stopped at it
    history = db.execute("select version from pggate.schema_migrations order by version")
    assert [r["version"] for r in history] == ["001"]


def test_complete_downs_rehearse_clean(project, db):
    root = _prepared(
        project,
        {"002_a.sql": "create table app.a (id int);\n-- migrate:down\ndrop table app.a;\n"},
    )
    result = pipeline.stage(root, "test", rehearse_rollback=True, confirm=lambda _q: True)
    assert _rollback_findings(result) == []
    assert result.verdict == "GO", [f.to_dict() for f in result.findings]
    assert {"log", "a"} <= _tables(db)


def test_an_up_that_depends_on_data_the_down_left_is_rbk002(project, db):
    # The down restores the schema exactly (RBK001 passes) but not the row the up inserted,
    # so the second apply takes the other branch and builds another table.
    up = (
        "do $$ begin\n"
        "  if (select count(*) from app.log) = 0 then create table app.first_time (id int);\n"
        "  else create table app.second_time (id int); end if;\n"
        "end $$;\n"
        "insert into app.log values (1);\n"
        "-- migrate:down\n"
        "drop table if exists app.first_time;\ndrop table if exists app.second_time;\n"
    )
    root = _prepared(project, {"002_branch.sql": up})
    result = pipeline.stage(root, "test", rehearse_rollback=True, confirm=lambda _q: True)
    assert _rollback_findings(result) == ["RBK002"]
    assert result.verdict == "NO-GO"
    tables = _tables(db)
    assert "second_time" in tables and "first_time" not in tables
