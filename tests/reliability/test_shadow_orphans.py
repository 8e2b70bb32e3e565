"""A shadow database left by a run that died is found and dropped by the next run."""

from __future__ import annotations

import os
import signal
import time

import psycopg

from tests.reliability.helpers import pggate_process

# Sleeps only on a shadow database: the replay is slow, the real migrate is not.
SLOW_ON_SHADOW = """
create table a (id int);
do $$ begin
  if current_database() like 'pggate\\_shadow\\_%' then perform pg_sleep(60); end if;
end $$;
-- migrate:down
drop table a;
"""


def shadows(admin) -> list[str]:
    rows = admin.execute("select datname from pg_database where datname like 'pggate\\_shadow\\_%'")
    return [r[0] for r in rows]


def test_sigkilled_replay_leaves_a_shadow_that_the_next_run_drops(project, db, pg_server, cli):
    root = project(
        migrations={
            "001_slow.sql": SLOW_ON_SHADOW,
            "002_b.sql": "create view b as select 1 as one;\n-- migrate:down\ndrop view b;\n",
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    with psycopg.connect(pg_server, autocommit=True) as admin:
        before = set(shadows(admin))
        run = pggate_process(
            "rollback", "--env", "test", "--to", "001", "--prove", "shadow", "--dry-run", cwd=root
        )
        deadline = time.monotonic() + 60
        while not set(shadows(admin)) - before:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.05)
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        orphan = (set(shadows(admin)) - before).pop()
        assert f"_{run.pid}_" in orphan  # the dead run could not drop it
        (root / "migrations" / "001_slow.sql").write_text(SLOW_ON_SHADOW.replace("60", "0"))
        # 001 stays applied, so editing it blocks nothing; the next replay runs it without sleep.
        result = cli(
            "rollback", "--env", "test", "--to", "001", "--prove", "shadow", "--dry-run", cwd=root
        )
        assert orphan not in shadows(admin)
    assert orphan in result.output, result.output


def test_a_running_replay_is_not_an_orphan(pg_server):
    from pggate.migrations.shadow import _started, drop_orphans, shadow_name

    name = shadow_name(os.getpid(), _started(os.getpid()))
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
        try:
            assert name not in drop_orphans(pg_server)
            assert name in shadows(admin)
        finally:
            admin.execute(f'drop database if exists "{name}" with (force)')


def test_legacy_and_foreign_shadows(pg_server):
    # Named before names said who made them, nobody connected: orphaned. Another machine's,
    # made a minute ago: maybe a replay still starting there, kept.
    from pggate.migrations.shadow import drop_orphans

    legacy = "pggate_shadow_0123456789ab"
    foreign = f"pggate_shadow_ffffffff_12_34_{int(time.time()) - 60}_abcd"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        for name in (legacy, foreign):
            admin.execute(f'create database "{name}"')
        try:
            dropped = drop_orphans(pg_server)
            assert legacy in dropped and legacy not in shadows(admin)
            assert foreign not in dropped and foreign in shadows(admin)
        finally:
            for name in (legacy, foreign):
                admin.execute(f'drop database if exists "{name}" with (force)')
