"""Through a real PgBouncer: a transaction-mode pooler is detected, idle or busy, and refused.

Behind one, two runners both "held" the session advisory lock, psycopg's prepared
statements collided, and pggate's lock_timeout stayed on a server connection that
served another client. Every test looks at the database (directly) afterwards.
"""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import write_project
from tests.reliability import pgbouncer
from tests.reliability.helpers import pggate_process

pytestmark = pytest.mark.skipif(
    not pgbouncer.available(),
    reason="pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)",
)

FILES = {
    "001_t.sql": "create table t (id int);\n-- migrate:down\ndrop table t;\n",
    "002_u.sql": "create view u as select 1 as one;\n-- migrate:down\ndrop view u;\n",
}


@pytest.fixture(scope="module")
def transaction_pooler(pg_server):
    with pgbouncer.pgbouncer(pg_server, mode="transaction") as port:
        yield port


def _project(tmp_path, url, name="pooled"):
    return write_project(tmp_path / name, url=url, migrations=FILES)


def _database(db) -> str:
    return db.execute("select current_database() as d").fetchone()["d"]


def _untouched(db) -> bool:
    return db.execute(
        "select to_regnamespace('pggate') is null and to_regclass('public.t') is null as ok"
    ).fetchone()["ok"]


def test_migrate_through_an_idle_transaction_pooler_is_refused(
    transaction_pooler, db, tmp_path, run_pggate
):
    root = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    result = run_pggate("migrate", "--env", "test", cwd=root)
    assert result.exit_code == 3, result.output
    assert "transaction-mode pooler" in result.output and "5432" in result.output
    assert "Traceback" not in result.output
    assert _untouched(db)


def test_check_env_reports_it_and_stage_stops(transaction_pooler, db, tmp_path, run_pggate):
    root = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    env = run_pggate("check-env", "--env", "test", "--format", "json", cwd=root)
    assert env.json()["facts"]["transaction_pooler"] is True, env.output
    stage = run_pggate("stage", "--env", "test", "--yes", cwd=root)
    assert stage.exit_code != 0 and "NO-GO" in stage.output, stage.output
    assert _untouched(db)


def test_rollback_through_it_is_refused(transaction_pooler, db, db_url, tmp_path, run_pggate):
    direct = _project(tmp_path, db_url, "direct")
    assert run_pggate("migrate", "--env", "test", cwd=direct).exit_code == 0
    pooled = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    result = run_pggate("rollback", "--env", "test", "--to", "0", "--yes", cwd=pooled)
    assert result.exit_code == 3, result.output
    versions = [r["version"] for r in db.execute("select version from pggate.schema_migrations")]
    assert sorted(versions) == ["001", "002"]


def test_concurrent_migrates_through_it_all_refuse(transaction_pooler, db, tmp_path):
    root = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    runs = [pggate_process("migrate", "--env", "test", cwd=root) for _ in range(4)]
    outputs = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _out, _err in outputs] == [3, 3, 3, 3], outputs
    assert not any("Traceback" in out + err for _code, out, err in outputs)
    assert _untouched(db)


def test_no_session_setting_is_left_on_the_pooled_server(
    transaction_pooler, db, tmp_path, run_pggate
):
    url = pgbouncer.via(transaction_pooler, _database(db))
    root = _project(tmp_path, url)
    (root / "pggate.toml").write_text(
        (root / "pggate.toml")
        .read_text()
        .replace('env_file = ".env.test"', 'env_file = ".env.test"\nlock_timeout = "1234ms"')
    )
    codes = []
    for command in (["migrate"], ["status"], ["verify", "--gate", "traceability"]):
        result = run_pggate(*command, "--env", "test", cwd=root)
        assert "Traceback" not in result.output, result.output
        codes.append(result.exit_code)
    assert codes == [3, 0, 0], codes  # migrate refused; status and verify ran there
    for _ in range(6):  # whichever pooled server connection the next client gets
        with psycopg.connect(url, autocommit=True) as other:
            settings = (
                other.execute("show lock_timeout").fetchone()[0],
                other.execute("show search_path").fetchone()[0],
            )
            assert settings[0] != "1234ms" and "pg_catalog" not in settings[1], settings


def test_session_mode_pooler_and_direct_connections_are_not_flagged(
    pg_server, db, db_url, tmp_path, run_pggate
):
    direct = run_pggate(
        "check-env", "--env", "test", "--format", "json", cwd=_project(tmp_path, db_url, "d")
    )
    assert direct.json()["facts"]["transaction_pooler"] is False, direct.output
    with pgbouncer.pgbouncer(pg_server, mode="session") as port:
        root = _project(tmp_path, pgbouncer.via(port, _database(db)), "session")
        result = run_pggate("migrate", "--env", "test", cwd=root)
        assert result.exit_code == 0, result.output
    assert not _untouched(db)


def test_repair_and_baseline_through_it_are_refused(
    transaction_pooler, db, db_url, tmp_path, run_pggate
):
    # Both take the migration lock and write pggate's history: through a transaction-mode
    # pooler the session lock would sit on a server connection another client then uses
    # (and be released, if at all, on another one), so they refuse as migrate does.
    direct = _project(tmp_path, db_url, "direct")
    assert run_pggate("migrate", "--env", "test", "--to", "001", cwd=direct).exit_code == 0
    before = db.execute("select count(*) as n from pggate.events").fetchone()["n"]
    pooled = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    for command in (
        ["repair", "002", "--status", "applied"],
        ["repair", "001", "--status", "reverted"],
        ["repair", "001", "--checksum"],
        ["baseline", "--version", "002"],
    ):
        result = run_pggate(*command, "--env", "test", "--yes", cwd=pooled)
        assert result.exit_code == 3, (command, result.output)
        assert "transaction-mode pooler" in result.output, (command, result.output)
        assert "Traceback" not in result.output
    rows = db.execute("select version, checksum from pggate.schema_migrations").fetchall()
    assert [r["version"] for r in rows] == ["001"]
    assert db.execute("select count(*) as n from pggate.events").fetchone()["n"] == before
    locks = db.execute("select count(*) as n from pg_locks where locktype = 'advisory'").fetchone()
    assert locks["n"] == 0


def test_baseline_and_adopt_through_it_on_a_fresh_database_are_refused(
    transaction_pooler, db, tmp_path, run_pggate
):
    db.execute(
        "create schema supabase_migrations; create table supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text); "
        "insert into supabase_migrations.schema_migrations values ('001', null, 't')"
    )
    pooled = _project(tmp_path, pgbouncer.via(transaction_pooler, _database(db)))
    for command in (["baseline", "--version", "002"], ["adopt", "--from", "supabase"]):
        result = run_pggate(*command, "--env", "test", "--yes", cwd=pooled)
        assert result.exit_code == 3, (command, result.output)
        assert "transaction-mode pooler" in result.output, (command, result.output)
    assert _untouched(db)
