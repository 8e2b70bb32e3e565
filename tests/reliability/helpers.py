"""What the reliability tests share: pggate as a real process, and history-vs-schema invariants.

Every fault (SIGKILL, a terminated backend, a race) is judged by the same
questions: does the history table tell the truth about the schema, was any
version applied twice, and does the database hold no backend of the dead run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pggate.db import APPLICATION_NAME

TRACEBACK = "Traceback (most recent call last)"


def pggate_process(*args: str, cwd: Path, **popen: object) -> subprocess.Popen[str]:
    """Start ``pggate ARGS`` as a child process (stdin closed, output captured, no DATABASE_URL)."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "pggate", *args],
        cwd=cwd,
        env=environ,
        text=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,  # type: ignore[arg-type]
    )


def pggate_backends(conn: psycopg.Connection, database: str) -> list[dict]:
    """Backends pggate has open on ``database`` (application_name starts with pggate)."""
    return conn.execute(
        "select pid, state, query, wait_event_type from pg_stat_activity "
        "where datname = %s and application_name like %s and pid <> pg_backend_pid()",
        (database, APPLICATION_NAME + "%"),
    ).fetchall()


def wait_for_backends_gone(conn: psycopg.Connection, database: str, timeout: float = 10) -> None:
    """Wait until the server has noticed a dead client and rolled its transaction back.

    A backend whose client was killed finishes its current statement, then reads
    EOF and aborts; until then its transaction may still commit or roll back.
    """
    deadline = time.monotonic() + timeout
    while pggate_backends(conn, database):
        if time.monotonic() > deadline:
            raise AssertionError(f"pggate backends still alive: {pggate_backends(conn, database)}")
        time.sleep(0.02)


def database_of(conn: psycopg.Connection) -> str:
    """``current_database()`` of ``conn``."""
    return conn.execute("select current_database() as d").fetchone()["d"]


def applied_versions(conn: psycopg.Connection) -> list[str]:
    """Versions in the history table, in order (empty when it does not exist yet)."""
    if conn.execute("select to_regclass('pggate.schema_migrations') as t").fetchone()["t"] is None:
        return []
    rows = conn.execute("select version from pggate.schema_migrations order by version::numeric")
    return [r["version"] for r in rows]


def relations(conn: psycopg.Connection, schema: str = "public") -> dict[str, bool]:
    """Tables and indexes in ``schema`` -> whether they are valid (indexes may be left invalid)."""
    rows = conn.execute(
        "select c.relname, coalesce(i.indisvalid, true) as valid from pg_class c "
        "join pg_namespace n on n.oid = c.relnamespace left join pg_index i on i.indexrelid = c.oid "
        "where n.nspname = %s and c.relkind in ('r', 'i', 'p')",
        (schema,),
    ).fetchall()
    return {r["relname"]: r["valid"] for r in rows}


def event_sequences(conn: psycopg.Connection) -> dict[str, list[str]]:
    """``version -> [apply, rollback, apply, ...]`` from the append-only events table."""
    if conn.execute("select to_regclass('pggate.events') as t").fetchone()["t"] is None:
        return {}
    sequences: dict[str, list[str]] = {}
    for row in conn.execute(
        "select version, kind from pggate.events where kind in ('apply', 'rollback') order by id"
    ):
        sequences.setdefault(row["version"], []).append(row["kind"])
    return sequences


def assert_never_applied_twice(conn: psycopg.Connection) -> None:
    """Each version's events alternate apply/rollback: no version applied twice in a row."""
    history = set(applied_versions(conn))
    for version, kinds in event_sequences(conn).items():
        for earlier, later in zip(kinds, kinds[1:], strict=False):
            assert earlier != later, f"version {version}: {kinds}"
        assert kinds[0] == "apply", f"version {version}: {kinds}"
        # The last event says whether the version is applied now.
        assert (kinds[-1] == "apply") == (version in history), (version, kinds, sorted(history))


@dataclass(frozen=True)
class Workload:
    """Migrations whose objects are known: version -> relation names it creates."""

    files: dict[str, str]
    objects: dict[str, tuple[str, ...]]
    outside_transaction: frozenset[str] = frozenset()

    @property
    def versions(self) -> list[str]:
        """Every version, in order."""
        return sorted(self.objects, key=int)

    def assert_history_matches_schema(self, conn: psycopg.Connection) -> list[str]:
        """History is a prefix of the versions, its objects exist, later ones do not; the prefix.

        A file that runs outside a transaction is recorded only after its last
        statement: killed in the middle, its objects may exist unrecorded (an
        index possibly invalid). That is the one allowed difference.
        """
        history = applied_versions(conn)
        assert history == self.versions[: len(history)], f"history is not a prefix: {history}"
        present = relations(conn)
        for version in self.versions:
            for name in self.objects[version]:
                if version in history:
                    assert present.get(name) is True, (
                        f"{version} recorded but {name} missing/invalid"
                    )
                elif version not in self.outside_transaction:
                    assert name not in present, f"{version} not recorded but {name} exists"
        return history


def assert_clean_stderr(stderr: str) -> None:
    """No Python traceback and no internal error reached the user."""
    assert TRACEBACK not in stderr, stderr
    assert "internal error" not in stderr, stderr


def all_text_under(root: Path, skip: Iterable[str] = ()) -> str:
    """Every readable file under ``root`` (evidence, logs, state), except names in ``skip``."""
    chunks = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name not in set(skip):
            chunks.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(chunks)
