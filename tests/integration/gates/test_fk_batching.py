"""FK002 checks small foreign keys together: same findings as one statement per key.

The batch is one statement for up to ``BATCH`` keys, so these tests plant orphans on both
sides of a batch boundary and make one key of a batch fail, to show that batching never
loses or misattributes a finding.
"""

import threading

import psycopg

from pggate.checks.fk import fk002_orphans

KEYS = fk002_orphans.BATCH + 40  # two batches


def _schema(count: int) -> str:
    parts = [
        "create table public.parent (id int primary key); insert into public.parent values (1);"
    ]
    for i in range(count):
        parts.append(
            f"create table public.child_{i:03} (id int, parent_id int);"
            f"insert into public.child_{i:03} values (1, 1), (2, {1000 + i if i % 40 == 7 else 1});"
            f"alter table public.child_{i:03} add constraint child_{i:03}_fk foreign key (parent_id)"
            f" references public.parent (id) not valid;"
        )
    return "".join(parts)


def _fk002(result) -> list[dict]:
    gate = next(g for g in result.json()["gates"] if g["gate"] == "fk")
    return [f for f in gate["findings"] if f["check"] == "FK002"]


def test_orphans_in_every_batch_are_found_with_their_keys(cli, project, db):
    db.execute(_schema(KEYS))
    root = project()
    result = cli("verify", "--env", "test", "--gate", "fk", "--format", "json", cwd=root)
    found = {f["object"]: f["message"] for f in _fk002(result)}
    expected = {i for i in range(KEYS) if i % 40 == 7}
    assert max(expected) >= fk002_orphans.BATCH  # an orphan lies in the second batch
    assert set(found) == {f"public.child_{i:03}(parent_id) -> public.parent" for i in expected}
    for i in expected:
        assert (
            f"sample keys: ({1000 + i})"
            in found[f"public.child_{i:03}(parent_id) -> public.parent"]
        )


def test_a_key_that_cannot_finish_is_named_and_the_rest_of_its_batch_still_checked(
    cli, project, db, db_url
):
    db.execute(_schema(30))
    root = project(extra_toml='[gates.fk]\nstatement_timeout = "1s"\n')
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:  # a migration elsewhere holding child_012: the scan must wait
        with psycopg.connect(db_url) as other:
            other.execute("lock table public.child_012 in access exclusive mode")
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(10)
        result = cli("verify", "--env", "test", "--gate", "fk", "--format", "json", cwd=root)
    finally:
        release.set()
        holder.join()
    found = {f["object"]: f for f in _fk002(result)}
    stuck = found.pop("public.child_012(parent_id) -> public.parent")
    assert stuck["severity"] == "warning"
    assert "did not finish" in stuck["message"]
    assert set(found) == {
        "public.child_007(parent_id) -> public.parent"
    }  # the orphan beside it in the same batch is still reported
