"""``stage`` holds the gates lock from its migrate through its gates: a rollback waits.

Old: a rollback running while a stage's gates ran changed the schema under them (a
false TRC002 NO-GO, or gates judging a schema that was no longer the one migrated).
Each test judges by the database afterwards.
"""

from __future__ import annotations

import json
import time

import psycopg

from pggate.db import GATES_LOCK_KEY
from tests.reliability.helpers import applied_versions, pggate_process

# A schema the API does not expose, so the security gates have nothing to say.
FILES = {
    "001_t.sql": "create schema app;\ncreate table app.t (id int primary key);\n"
    "-- migrate:down\ndrop table app.t;\ndrop schema app;\n",
    "002_u.sql": "create table app.u (id int primary key);\n-- migrate:down\ndrop table app.u;\n",
}
# Sleeps in the integrity step, after the migrate and the security gates.
SLOW_SMOKE = "-- expect: rows = 1\nselect pg_sleep(4)\n"


def test_rollback_waits_for_a_stage_to_finish_its_gates(project, db):
    root = project(migrations=FILES)
    (root / "checks" / "smoke").mkdir(parents=True)
    (root / "checks" / "smoke" / "slow.sql").write_text(SLOW_SMOKE)
    stage = pggate_process("stage", "--env", "test", "--yes", "--format", "json", cwd=root)
    deadline = time.monotonic() + 120
    while not db.execute(
        "select 1 from pg_stat_activity where query like 'select pg_sleep(4)%%'"
    ).fetchall():
        assert stage.poll() is None and time.monotonic() < deadline, stage.communicate()
        time.sleep(0.05)
    rollback = pggate_process(
        "rollback", "--env", "test", "--to", "0", "--yes", "--lock-wait", "120", cwd=root
    )
    # Until the stage's gates are done (its performance step is written), its schema stays.
    while stage.poll() is None and not list(root.glob("evidence/*/steps/07_performance.json")):
        assert applied_versions(db) == ["001", "002"]
        time.sleep(0.05)
    out, err = stage.communicate(timeout=120)
    assert json.loads(out)["verdict"] == "GO", out + err
    rolled = rollback.communicate(timeout=120)
    assert rollback.returncode == 0, rolled
    assert applied_versions(db) == []


def test_rollback_gives_up_on_a_held_gates_lock_and_changes_nothing(
    run_pggate, project, db, db_url
):
    root = project(migrations=FILES)
    assert run_pggate("migrate", "--env", "test", cwd=root).exit_code == 0
    with psycopg.connect(db_url, autocommit=True) as stage_like:
        stage_like.execute("select pg_advisory_lock_shared(%s)", (GATES_LOCK_KEY,))
        result = run_pggate(
            "rollback", "--env", "test", "--to", "0", "--yes", "--lock-wait", "0", cwd=root
        )
    assert result.exit_code == 3, result.output
    assert "a stage running its gates holds the gates lock" in result.output
    assert applied_versions(db) == ["001", "002"]


def test_a_stage_waits_for_a_rollback_holding_the_gates_lock(run_pggate, project, db, db_url):
    root = project(migrations=FILES)
    toml = root / "pggate.toml"
    toml.write_text(
        toml.read_text().replace(
            'env_file = ".env.test"\n', 'env_file = ".env.test"\nlock_wait = "0s"\n'
        )
    )
    with psycopg.connect(db_url, autocommit=True) as rollback_like:
        rollback_like.execute("select pg_advisory_lock(%s)", (GATES_LOCK_KEY,))
        result = run_pggate("stage", "--env", "test", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 3, result.output
    migrate = next(s for s in result.json()["steps"] if s["step"] == "migrate")
    assert "a rollback holds the gates lock" in migrate["error"]["message"]
    assert applied_versions(db) == []
