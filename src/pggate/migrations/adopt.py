"""Adopting the applied migrations another tool recorded as pggate's history.

Three histories are read (``SOURCES``): the Supabase CLI's
``supabase_migrations.schema_migrations`` (``version``, ``name``, ``statements``),
dbmate's ``schema_migrations`` (``version``; the table is found on the search
path), and Flyway's ``flyway_schema_history`` (successful versioned rows, minus
versions a later undo reverted; repeatable migrations have no version and are
reported, not adopted). ``adopt`` marks those versions applied in pggate's
history without running them, so the next ``pggate migrate`` applies only what
is really new. A recorded version matches the local file with the same number
(Flyway's ``1`` is the file ``001_init.sql``); Flyway's dotted versions (``1.1``)
have no pggate file name and are refused. Every recorded version must have its file in the migrations
folder: a missing one is refused before anything is written (exit 2), because
pggate could neither verify nor roll back a version it has no file for.

The history rows carry the local file's checksum (from then on TRC001 and
``validate --env`` catch edits) and, on the newest adopted version, the
fingerprint of the live schema: what later drift checks and rollbacks compare
against. Each adopted version logs an ``adopt`` event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from .. import __version__
from ..db import advisory_lock
from ..errors import MigrationFileError
from ..events import NULL_EMIT, Emit, Event
from .files import Migration, MigrationSet
from .history import History, os_user

SUPABASE_HISTORY = ("supabase_migrations", "schema_migrations")
SOURCES = ("supabase", "dbmate", "flyway")
_FETCH_HINT = {
    "supabase": "fetch them with `supabase migration fetch` (or `supabase db pull`) into "
    "the migrations folder, then adopt again; nothing was adopted",
    "dbmate": "copy them from the repository dbmate ran (db/migrations) into the migrations "
    "folder, then adopt again; nothing was adopted",
    "flyway": "copy them into the migrations folder renamed to <version>_<name>.sql "
    "(V3__add_tags.sql -> 3_add_tags.sql), then adopt again; nothing was adopted",
}
_TABLE = {
    "supabase": "supabase_migrations.schema_migrations",
    "dbmate": "schema_migrations",
    "flyway": "flyway_schema_history",
}


@dataclass(frozen=True)
class AdoptResult:
    """What ``pggate adopt --from supabase|dbmate|flyway`` did."""

    source: str
    run_id: str
    adopted: tuple[dict[str, Any], ...] = ()  # version, name, statements (count)
    already: tuple[str, ...] = ()  # versions pggate's history had already
    fingerprint: str | None = None  # the live schema's, recorded on the newest adopted version
    notes: tuple[str, ...] = field(default_factory=tuple)

    def exit_code(self) -> int:
        """Always 0: refusals are raised as ``MigrationFileError``."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``adopt --format json``."""
        return {
            "source": self.source,
            "run_id": self.run_id,
            "adopted": list(self.adopted),
            "already_applied": list(self.already),
            "fingerprint": self.fingerprint,
            "notes": list(self.notes),
        }


def recorded_by(conn: psycopg.Connection[Any], source: str) -> list[dict[str, Any]]:
    """Rows ``version``, ``name``, ``statements`` of ``source``'s history, oldest first.

    Raises:
        MigrationFileError: that tool's history table does not exist here, or (Flyway)
            a version pggate cannot name as a file.
    """
    if source == "supabase":
        return recorded_versions(conn)
    table = conn.execute("select to_regclass(%s)::text as name", (_TABLE[source],)).fetchone()
    name = table["name"] if isinstance(table, dict) else table[0]  # type: ignore[index]
    if name is None:
        raise MigrationFileError(
            f"this database has no {_TABLE[source]} table on its search_path: there is no "
            f"{source} migration history to adopt",
            hint=f"run adopt against the database {source} migrated, or use `pggate migrate` "
            "for a fresh database",
        )
    cursor = conn.cursor(row_factory=dict_row)
    if source == "dbmate":
        query = sql.SQL(
            "select version::text as version, null::text as name, 0 as statements from {} "
            "order by length(version::text), version::text"
        ).format(sql.SQL(name))
        return cursor.execute(query).fetchall()
    return _flyway_rows(cursor, name)


def _flyway_rows(cursor: Any, table: str) -> list[dict[str, Any]]:
    """Versions Flyway applied and did not undo; dotted versions refused."""
    query = sql.SQL(
        "select h.version, h.description as name, 0 as statements from {t} h "
        "where h.success and h.version is not null and h.type not in ('UNDO_SQL', 'DELETE') "
        "and not exists (select 1 from {t} u where u.version = h.version and u.success "
        "                and u.type = 'UNDO_SQL' and u.installed_rank > h.installed_rank) "
        "order by h.installed_rank"
    ).format(t=sql.SQL(table))
    rows = cursor.execute(query).fetchall()
    dotted = [r["version"] for r in rows if not r["version"].isdigit()]
    if dotted:
        raise MigrationFileError(
            f"flyway_schema_history records version(s) {', '.join(dotted)}: pggate versions "
            "are whole numbers, so no file can carry them",
            hint="rename those files with whole-number versions (V1.1 -> 0101), update "
            "flyway_schema_history.version to match, then adopt again; nothing was adopted",
        )
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen[row["version"]] = {**row, "name": (row["name"] or "").replace(" ", "_") or None}
    return list(seen.values())


def recorded_versions(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Rows of ``supabase_migrations.schema_migrations``: version, name (or None), statement count.

    Raises:
        MigrationFileError: the table does not exist (nothing was ever pushed with the CLI).
    """
    table = sql.Identifier(*SUPABASE_HISTORY)
    columns = {
        r["column_name"] if isinstance(r, dict) else r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s",
            SUPABASE_HISTORY,
        ).fetchall()
    }
    if "version" not in columns:
        raise MigrationFileError(
            "this database has no supabase_migrations.schema_migrations table: "
            "there is no Supabase migration history to adopt",
            hint="run adopt against the database `supabase db push` deployed to, "
            "or use `pggate migrate` for a fresh database",
        )
    name = sql.Identifier("name") if "name" in columns else sql.SQL("null::text")
    statements = (
        sql.SQL("coalesce(cardinality(statements), 0)") if "statements" in columns else sql.SQL("0")
    )
    query = sql.SQL(
        "select version::text as version, {} as name, {} as statements from {} "
        "order by length(version::text), version::text"
    ).format(name, statements, table)
    cursor = conn.cursor(row_factory=dict_row)
    return cursor.execute(query).fetchall()


def adopt_supabase(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet | tuple[Migration, ...],
    history: History,
    **kwargs: Any,
) -> AdoptResult:
    """``adopt`` from the Supabase CLI's history."""
    return adopt(conn, migrations, history, source="supabase", **kwargs)


def adopt(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet | tuple[Migration, ...],
    history: History,
    *,
    source: str = "supabase",
    run_id: str | None = None,
    emit: Emit = NULL_EMIT,
    lock_wait: float = 60.0,
) -> AdoptResult:
    """Mark every version ``source`` recorded as applied in ``history``, without running it.

    Args:
        conn: an autocommit connection to the environment's database.
        migrations: the project's migration files (``files.load_folder``).
        history: pggate's history on ``conn``; created when missing.
        source: whose history to read: ``supabase``, ``dbmate`` or ``flyway``.
        run_id: the run's id in the history and events (default: a new one).
        emit: progress events (``adopt.version`` per adopted version).
        lock_wait: seconds to wait for another pggate run's migration lock.

    Raises:
        MigrationFileError: no such history, or a recorded version has no local file
            (every missing version is named; nothing is written).
    """
    run_id = run_id or uuid.uuid4().hex[:12]
    files = migrations.migrations if isinstance(migrations, MigrationSet) else migrations
    local = {m.version: m for m in files}
    by_number = {m.number: m.version for m in files}
    with advisory_lock(conn, wait=lock_wait, emit=emit):
        recorded = [
            {**r, "version": _local_version(r["version"], local, by_number)}
            for r in recorded_by(conn, source)
        ]
        missing = [r for r in recorded if r["version"] not in local]
        if missing:
            shown = ", ".join(
                f"{r['version']}" + (f"_{r['name']}" if r["name"] else "") for r in missing
            )
            raise MigrationFileError(
                f"{_TABLE[source]} records {len(missing)} version(s) with no "
                f"file in the migrations folder: {shown}",
                hint=_FETCH_HINT[source],
                missing=[r["version"] for r in missing],
            )
        history.ensure()
        known = {a.version for a in history.applied()}
        todo = [local[r["version"]] for r in recorded if r["version"] not in known]
        counts = {r["version"]: r["statements"] for r in recorded}
        fingerprint = None
        with conn.transaction():
            now = datetime.now(UTC)
            for migration in todo:
                _record(history, migration, now, run_id, counts[migration.version], source)
                emit(
                    Event(
                        "adopt.version",
                        f"adopted {migration.label}",
                        {"version": migration.version},
                    )
                )
            if todo:
                fingerprint, snapshot = _snapshot(conn, history)
                history.set_fingerprint(todo[-1].version, fingerprint, snapshot)
    notes = () if todo else ("nothing to adopt: pggate's history already has every version",)
    return AdoptResult(
        source=source,
        run_id=run_id,
        adopted=tuple(
            {"version": m.version, "name": m.name, "statements": counts[m.version]} for m in todo
        ),
        already=tuple(r["version"] for r in recorded if r["version"] in known),
        fingerprint=fingerprint,
        notes=notes,
    )


def _local_version(recorded: str, local: dict[str, Migration], by_number: dict[int, str]) -> str:
    """The local file's version for a recorded one: the same text, else the same number."""
    if recorded in local or not recorded.isdigit():
        return recorded
    return by_number.get(int(recorded), recorded)


def _record(
    history: History,
    migration: Migration,
    at: datetime,
    run_id: str,
    statements: int,
    source: str = "supabase",
) -> None:
    """The history row of an adopted version and its ``adopt`` event, in one round trip."""
    history.conn.execute(
        sql.SQL(
            "with recorded as (insert into {} (version, name, checksum, down_checksum, "
            "transactional, started_at, duration_ms, os_user, pggate_version, run_id) "
            "values (%s, %s, %s, %s, %s, %s, 0, %s, %s, %s) returning version, name, run_id, os_user) "
            "insert into {} (kind, version, name, run_id, details, os_user) "
            "select 'adopt', version, name, run_id, %s, os_user from recorded"
        ).format(history.history, history.events),
        (
            migration.version,
            migration.name,
            migration.checksum,
            migration.down_checksum,
            migration.transactional,
            at,
            os_user(),
            __version__,
            run_id,
            Jsonb({"adopted_from": source, "statements": statements}),
        ),
    )


def _snapshot(conn: psycopg.Connection[Any], history: History) -> tuple[str, bytes]:
    from ..schema import fingerprint as fp
    from ..schema.snapshot import take

    snapshot = take(conn)
    return fp.of(snapshot), fp.compress(snapshot)
