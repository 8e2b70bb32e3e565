"""Eight ``pggate migrate`` processes and a ``pggate rollback --yes`` race on one database.

tests/integration/migrations has four migrate processes and nothing else. Here a
rollback joins the race, so versions go up, down and up again: the events log
must still show, for every version, apply and rollback strictly alternating
(never applied twice), history must match the schema, nobody may deadlock, and
a loser either waits its turn or, with ``--lock-wait 0``, leaves with exit 3 and
a message naming the holder.
"""

from __future__ import annotations

import time

import pytest

from tests.reliability.helpers import (
    Workload,
    applied_versions,
    assert_clean_stderr,
    assert_never_applied_twice,
    database_of,
    pggate_process,
    wait_for_backends_gone,
)

RUNNERS = 8


# Nothing is exposed to API roles: the health gates a rollback runs afterwards have no say here.
NOT_EXPOSED = "[tenancy]\nexposed_schemas = []\n"


def workload(count: int = 12) -> Workload:
    """``count`` migrations, each a table (and a short pause, so runs overlap), with downs."""
    files = {
        f"{i:03d}_t{i}.sql": f"create table t{i} (id int primary key);\nselect pg_sleep(0.02);\n"
        f"-- migrate:down\ndrop table t{i};\n"
        for i in range(1, count + 1)
    }
    objects = {f"{i:03d}": (f"t{i}", f"t{i}_pkey") for i in range(1, count + 1)}
    return Workload(files, objects)


def race(root, commands: list[tuple[str, ...]], timeout: float = 60) -> list[tuple[int, str, str]]:
    """Start every command at once; ``(exit code, stdout, stderr)`` of each, in order."""
    procs = [pggate_process(*command, cwd=root) for command in commands]
    deadline = time.monotonic() + timeout
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except Exception:
            for other in procs:
                other.kill()
            raise AssertionError("a racer hung: deadlock or lost wakeup") from None
        results.append((proc.returncode, out, err))
    return results


@pytest.mark.slow
def test_eight_migrates_and_a_rollback_never_apply_a_version_twice(project, db):
    work = workload()
    root = project(migrations=work.files, extra_toml=NOT_EXPOSED)
    migrate = ("migrate", "--env", "test", "--lock-wait", "60")
    rollback = (
        "rollback",
        "--env",
        "test",
        "--to",
        "4",
        "--yes",
        "--lock-wait",
        "60",
        "--format",
        "json",
    )
    # Round one from empty; round two with everything applied, so the rollback has work to do.
    for round_number in range(2):
        commands = [migrate] * (RUNNERS // 2) + [rollback] + [migrate] * (RUNNERS // 2)
        results = race(root, commands)
        for (code, out, err), command in zip(results, commands, strict=True):
            assert_clean_stderr(err)
            assert code == 0, (round_number, command, out, err)
        wait_for_backends_gone(db, database_of(db))
        history = work.assert_history_matches_schema(db)
        assert_never_applied_twice(db)
        # Whoever came last decides: all applied, or rolled back to 004.
        assert history in (work.versions, work.versions[:4]), history
    if applied_versions(db) != work.versions:
        assert pggate_process("migrate", "--env", "test", cwd=root).wait(timeout=60) == 0
    assert work.assert_history_matches_schema(db) == work.versions
    kinds = [r["kind"] for r in db.execute("select kind from pggate.events order by id")]
    assert "failure" not in kinds


@pytest.mark.slow
def test_losers_without_patience_exit_3_naming_the_holder(project, db):
    work = workload(20)
    root = project(migrations=work.files, extra_toml=NOT_EXPOSED)
    results = race(root, [("migrate", "--env", "test", "--lock-wait", "0")] * RUNNERS)
    codes = sorted(code for code, _, _ in results)
    assert codes[0] == 0 and set(codes) <= {0, 3}, results
    assert 3 in codes, "eight starts at once and nobody lost the lock race? the test proves nothing"
    for code, _out, err in results:
        assert_clean_stderr(err)
        if code == 3:
            assert "another pggate run holds the migration lock" in err, err
            assert "application pggate" in err and "hint:" in err, err
    # The losers left nothing behind; the winner applied everything exactly once.
    assert work.assert_history_matches_schema(db) == work.versions
    assert_never_applied_twice(db)


def test_rollback_winning_the_race_against_the_first_migrate_is_not_an_error(
    project, db, run_pggate
):
    """The rollback may get the lock before any migrate created pggate's tables: nothing to do."""
    root = project(migrations=workload(2).files, extra_toml=NOT_EXPOSED)
    result = run_pggate("rollback", "--env", "test", "--to", "1", "--yes", cwd=root)
    assert result.exit_code == 0, result.output
    assert_clean_stderr(result.stderr)
    assert applied_versions(db) == []
