"""pggate's own tables: the history of applied migrations and the append-only event log.

The history row of a migration is written in the same transaction as the
migration, so the two can never disagree. ``<schema>.events`` records every
apply, rollback, failure and adopt, and survives rollbacks: it is the audit
trail. ``<schema>.meta`` holds the version of these tables so later releases
can upgrade them.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from .. import __version__
from ..db import split_qualified, sql_name
from ..errors import DatabaseUnavailable

TABLES_VERSION = 1

# CREATE SCHEMA checks the database's CREATE privilege before IF NOT EXISTS: the schema
# is created only when it is missing, so a role given its schema by an owner can migrate.
_CREATE_SCHEMA = "create schema if not exists {schema}"
_CREATE = """
create table if not exists {history} (
    version        text primary key,
    name           text not null,
    checksum       text not null,
    down_checksum  text,
    transactional  boolean not null default true,
    started_at     timestamptz not null,
    finished_at    timestamptz not null default clock_timestamp(),
    duration_ms    double precision,
    applied_by     text not null default current_user,
    os_user        text,
    pggate_version text,
    run_id         text,
    fingerprint    text,
    snapshot       bytea
);
create table if not exists {events} (
    id              bigserial primary key,
    at              timestamptz not null default clock_timestamp(),
    kind            text not null,
    version         text,
    name            text,
    run_id          text,
    sqlstate        text,
    statement_index integer,
    message         text,
    details         jsonb,
    db_user         text not null default current_user,
    os_user         text
);
create table if not exists {meta} (key text primary key, value text not null);
insert into {meta} (key, value) values ('tables_version', {version})
    on conflict (key) do nothing;
"""


@dataclass(frozen=True)
class Applied:
    """A history row."""

    version: str
    name: str
    checksum: str
    down_checksum: str | None
    transactional: bool
    started_at: datetime
    finished_at: datetime
    duration_ms: float | None
    applied_by: str
    os_user: str | None
    pggate_version: str | None
    run_id: str | None
    fingerprint: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``status``."""
        return {
            "version": self.version,
            "name": self.name,
            "checksum": self.checksum,
            "applied_at": self.finished_at.isoformat(),
            "applied_by": self.applied_by,
            "os_user": self.os_user,
            "duration_ms": self.duration_ms,
            "run_id": self.run_id,
            "fingerprint": self.fingerprint,
        }


def os_user() -> str:
    """Who runs pggate on this machine (CI user names included)."""
    for variable in ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILDKITE_BUILD_CREATOR"):
        if os.environ.get(variable):
            return f"{os.environ[variable]} (ci)"
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def creation_hint(role: str, schema: str, database: str, schema_exists: bool) -> str:
    """What lets ``role`` create pggate's tables in ``schema``: statements ready to paste."""
    role, shown, database = sql_name(role), sql_name(schema), sql_name(database)
    elsewhere = f"or set [project] history_table to a table in a schema {role} owns"
    if schema_exists:
        return (
            f"have the owner of schema {shown} run `grant usage, create on schema {shown} to "
            f"{role}`, {elsewhere}"
        )
    return (
        f"have an owner run `create schema {shown} authorization {role}` once (pggate then "
        f"creates its tables there), or grant the role CREATE on the database "
        f"(`grant create on database {database} to {role}`), {elsewhere}"
    )


# Where record_inline puts what differs per migration. libpq cannot send NUL, so no rendered
# identifier or literal holds one: these markers cannot occur anywhere else in the statement.
_OWN_VALUES = "\x00own-values\x00"
_STARTED = "\x00started\x00"
_EXPECTED = "\x00expected\x00"
_AFTER = "\x00after\x00"


class History:
    """The history and events tables named by ``history_table`` (``schema.table``)."""

    def __init__(self, conn: psycopg.Connection[Any], history_table: str) -> None:
        self.conn = conn
        self.schema, self.table = split_qualified(history_table)
        self.history = sql.Identifier(self.schema, self.table)
        self.events = sql.Identifier(self.schema, "events")
        self.meta = sql.Identifier(self.schema, "meta")
        # record_inline's statement and its "started after" expression, per run, but the values
        self._inline: dict[str, tuple[str, str]] = {}

    def exists(self) -> bool:
        """Whether the history table exists."""
        row = self.conn.execute(
            "select to_regclass(format('%%I.%%I', %s::text, %s::text)) is not null as ok",
            (self.schema, self.table),
        ).fetchone()
        return bool(row and row["ok"])

    def ensure(self) -> None:
        """Create pggate's schema and tables when missing (idempotent).

        migrate, adopt, repair and baseline call it before they write, so it also refuses a
        read-only standby (ENV005) there, before anything is attempted.
        """
        row = self.conn.execute("select pg_is_in_recovery() as standby").fetchone()
        if row and row["standby"]:
            raise DatabaseUnavailable(
                "the server is a read-only standby (in recovery): nothing can be written there",
                hint="point the environment at the primary",
            )
        if self.exists():
            return
        query = sql.SQL(_CREATE).format(
            history=self.history,
            events=self.events,
            meta=self.meta,
            version=sql.Literal(str(TABLES_VERSION)),
        )
        schema_exists = False
        try:
            with self.conn.transaction():
                found = self.conn.execute(
                    "select exists (select from pg_namespace where nspname = %s) as ok",
                    (self.schema,),
                ).fetchone()
                schema_exists = bool(found and found["ok"])
                if not schema_exists:
                    schema = sql.Identifier(self.schema)
                    self.conn.execute(sql.SQL(_CREATE_SCHEMA).format(schema=schema))
                self.conn.execute(query)
        except psycopg.errors.InsufficientPrivilege as exc:
            # A role that may connect but not create schemas: a database pggate cannot use yet.
            raise DatabaseUnavailable(
                f"cannot create pggate's tables ({self.schema}.{self.table}) as "
                f"{sql_name(self.conn.info.user)}: {' '.join(str(exc).split())}",
                hint=creation_hint(
                    self.conn.info.user, self.schema, self.conn.info.dbname, schema_exists
                ),
            ) from None

    def durations(self, run_id: str, versions: list[str]) -> dict[str, float | None]:
        """``duration_ms`` of the rows run ``run_id`` recorded for ``versions``, by version."""
        rows = self.conn.execute(
            sql.SQL(
                "select version, duration_ms from {} where run_id = %s and version = any(%s)"
            ).format(self.history),
            (run_id, versions),
        ).fetchall()
        return {row["version"]: row["duration_ms"] for row in rows}

    def applied(self) -> list[Applied]:
        """Applied migrations in version order (empty when the table does not exist)."""
        if not self.exists():
            return []
        rows = self.conn.execute(
            sql.SQL(
                "select version, name, checksum, down_checksum, transactional, started_at, "
                "finished_at, duration_ms, applied_by, os_user, pggate_version, run_id, fingerprint "
                "from {} order by length(version), version"
            ).format(self.history)
        ).fetchall()
        return sorted((Applied(**row) for row in rows), key=lambda a: int(a.version))

    def record(
        self,
        migration: Any,
        *,
        started_at: datetime,
        duration_ms: float,
        run_id: str,
        fingerprint: str | None = None,
        snapshot: bytes | None = None,
        details: dict[str, Any] | None = None,
    ) -> int:
        """Insert the history row of ``migration`` and its ``apply`` event, in one round trip.

        Runs inside the caller's transaction: the row commits with the migration or not at all.
        Returns how many history rows there were before this one, so the caller can tell
        whether the migration itself deleted or truncated history rows.
        """
        values = [sql.Placeholder()] * 12
        row = self.conn.execute(
            self._record_query(values, sql.Placeholder()),
            (
                migration.version,
                migration.name,
                migration.checksum,
                migration.down_checksum,
                migration.transactional,
                started_at,
                duration_ms,
                os_user(),
                __version__,
                run_id,
                fingerprint,
                snapshot,
                Jsonb(details or {}),
            ),
        ).fetchone()
        return int(row["before"]) if row else 0

    def record_inline(
        self, migration: Any, *, run_id: str, expected: int, after: str | None = None
    ) -> str:
        """The same insert as ``record`` as one self-contained statement, to send with the migration.

        Values are literals and the timing is the server's own. The migration started when
        the query arrived (``statement_timestamp()``) or, when ``after`` names the migration
        sent before it in the same query, when that one's row was written. The statement
        returns ``pggate_version``, ``pggate_duration_ms`` and ``pggate_before`` (the rows
        before this one), and fails with "division by zero" unless the history held
        ``expected`` rows: sent in one query with the migration and its COMMIT, a migration
        that damaged the history never commits.
        Everything but the per-migration values is rendered once per run: composing the
        whole statement again cost more per migration than sending it.
        """
        rendered = self._inline.get(run_id)
        if rendered is None:
            duration = sql.SQL("extract(epoch from clock_timestamp() - {}) * 1000").format(
                sql.SQL(_STARTED)
            )
            values = [
                sql.SQL(_OWN_VALUES),
                sql.SQL(_STARTED),
                duration,
                *(sql.Literal(v) for v in (os_user(), __version__, run_id, None, None)),
            ]
            details = sql.SQL(
                "jsonb_build_object('duration_ms', round(({})::numeric, 1), 'batched', true)"
            ).format(duration)
            # An aggregate query always returns its row: the check runs even on an empty table.
            tail = sql.SQL(
                "select (select version from recorded) as pggate_version, "
                "(select duration_ms from recorded) as pggate_duration_ms, "
                "count(*) as pggate_before, 1 / (count(*) = {})::int as pggate_intact from {}"
            ).format(sql.SQL(_EXPECTED), self.history)
            after_expression = sql.SQL(
                "coalesce((select p.finished_at from {} p where p.version = {}), "
                "statement_timestamp())"
            ).format(self.history, sql.SQL(_AFTER))
            rendered = (
                self._record_query(values, details, tail).as_string(self.conn),
                after_expression.as_string(self.conn),
            )
            self._inline = {run_id: rendered}
        template, after_started = rendered
        started = (
            after_started.replace(_AFTER, sql.Literal(after).as_string(self.conn))
            if after is not None
            else "statement_timestamp()"
        )
        own = sql.SQL(", ").join(
            sql.Literal(v)
            for v in (
                migration.version,
                migration.name,
                migration.checksum,
                migration.down_checksum,
                migration.transactional,
            )
        )
        return (
            template.replace(_STARTED, started)
            .replace(_EXPECTED, str(int(expected)))
            .replace(_OWN_VALUES, own.as_string(self.conn), 1)
        )

    def _record_query(
        self,
        values: list[sql.Composable],
        details: sql.Composable,
        tail: sql.Composable | None = None,
    ) -> sql.Composed:
        # One statement, one snapshot: the count does not see the row inserted above.
        tail = tail or sql.SQL("select count(*) as before from {}").format(self.history)
        return sql.SQL(
            "with recorded as (insert into {history} (version, name, checksum, down_checksum, "
            "transactional, started_at, duration_ms, os_user, pggate_version, run_id, "
            "fingerprint, snapshot) values ({values}) "
            "returning version, name, run_id, os_user, duration_ms), "
            "logged as (insert into {events} (kind, version, name, run_id, details, os_user) "
            "select 'apply', version, name, run_id, {details}, os_user from recorded) "
            "{tail}"
        ).format(
            history=self.history,
            events=self.events,
            values=sql.SQL(", ").join(values),
            details=details,
            tail=tail,
        )

    def set_fingerprint(self, version: str, fingerprint: str, snapshot: bytes | None) -> None:
        """Store the schema fingerprint (and compressed snapshot) recorded after ``version``."""
        self.conn.execute(
            sql.SQL("update {} set fingerprint = %s, snapshot = %s where version = %s").format(
                self.history
            ),
            (fingerprint, snapshot, version),
        )

    def snapshot_of(self, version: str) -> tuple[str | None, bytes | None]:
        """``(fingerprint, compressed snapshot)`` recorded after ``version``."""
        if not self.exists():
            # A database pggate never migrated (``rollback --to N`` there, or racing a first migrate).
            return None, None
        row = self.conn.execute(
            sql.SQL("select fingerprint, snapshot from {} where version = %s").format(self.history),
            (version,),
        ).fetchone()
        return (row["fingerprint"], row["snapshot"]) if row else (None, None)

    def set_baseline(self, fingerprint: str, snapshot: bytes) -> None:
        """Record the schema before the first migration: what ``rollback --to 0`` must restore."""
        self.conn.execute(
            sql.SQL(
                "insert into {} (key, value) values ('baseline_fingerprint', %s), "
                "('baseline_snapshot', encode(%s, 'base64')) "
                "on conflict (key) do update set value = excluded.value"
            ).format(self.meta),
            (fingerprint, snapshot),
        )

    def baseline(self) -> tuple[str | None, bytes | None]:
        """``(fingerprint, compressed snapshot)`` recorded before the first migration."""
        if not self.exists():
            return None, None
        rows = self.conn.execute(
            sql.SQL(
                "select key, case when key = 'baseline_snapshot' then decode(value, 'base64') end as data, "
                "value from {} where key like 'baseline_%%'"
            ).format(self.meta)
        ).fetchall()
        found = {r["key"]: r for r in rows}
        if "baseline_fingerprint" not in found:
            return None, None
        snapshot = found.get("baseline_snapshot")
        return found["baseline_fingerprint"]["value"], (snapshot["data"] if snapshot else None)

    def unchanged_schema_digest(self) -> str | None:
        """``version:fingerprint:catalog digest`` of the last drift check that found no drift."""
        if not self.exists():
            return None
        row = self.conn.execute(
            sql.SQL("select value from {} where key = 'unchanged_schema_digest'").format(self.meta)
        ).fetchone()
        return row["value"] if row else None

    def remember_unchanged_schema_digest(self, value: str) -> None:
        """Remember a proven no-drift state; a role that cannot write pggate's tables skips it."""
        try:
            with self.conn.transaction():
                self.conn.execute(
                    sql.SQL(
                        "insert into {} (key, value) values ('unchanged_schema_digest', %s) "
                        "on conflict (key) do update set value = excluded.value"
                    ).format(self.meta),
                    (value,),
                )
        except psycopg.Error:
            pass  # only a cache: the next check takes the snapshot again

    def delete(self, version: str) -> None:
        """Remove the history row of ``version`` (a rollback, inside its transaction)."""
        self.conn.execute(
            sql.SQL("delete from {} where version = %s").format(self.history), (version,)
        )

    def log(
        self,
        kind: str,
        *,
        version: str | None = None,
        name: str | None = None,
        run_id: str | None = None,
        sqlstate: str | None = None,
        statement_index: int | None = None,
        message: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Append an event (``apply``, ``rollback``, ``failure``, ``adopt``)."""
        self.conn.execute(
            sql.SQL(
                "insert into {} (kind, version, name, run_id, sqlstate, statement_index, message, "
                "details, os_user) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            ).format(self.events),
            (
                kind,
                version,
                name,
                run_id,
                sqlstate,
                statement_index,
                message,
                Jsonb(details) if details is not None else None,
                os_user(),
            ),
        )

    def events_of(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Logged events, oldest first (optionally of one kind)."""
        if not self.exists():
            return []
        query = sql.SQL("select * from {} {} order by id").format(
            self.events, sql.SQL("where kind = %s" if kind else "")
        )
        return self.conn.execute(query, (kind,) if kind else ()).fetchall()
