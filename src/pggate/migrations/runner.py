"""Applying pending migrations: locked, atomic per migration, retried on lock timeouts.

Each migration runs in one transaction together with its history row, so a
failure, a crash or a SIGKILL leaves either all of it or none of it. A file
marked ``-- pggate:no-transaction`` runs statement by statement and is recorded
only after its last statement succeeded. Concurrent runners serialise on a
session advisory lock (polled, see ``db.advisory_lock``); the loser waits, then
finds nothing pending.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from ..db import RESET_SESSION, advisory_lock, set_timeouts
from ..errors import LockTimeout, MigrationFailed, MigrationFileError
from ..events import Event
from ..masking import mask
from .executor import (
    StatementFailed,
    TransactionLost,
    execute_section,
    refuse_transaction_control,
    statements_of,
    transaction_control,
)
from .files import Migration
from .history import History
from .worker import Worker

if TYPE_CHECKING:
    from .validate import FileFacts

LOCK_RETRIES = (0.5, 1.0, 2.0)  # seconds to wait before each retry after a lock timeout
# Quick migrations share a round trip (a chunk). A chunk grows while its migrations are
# quick, up to CHUNK_MIGRATIONS or CHUNK_BYTES of SQL, and aims at CHUNK_BUDGET_MS of server
# time, so a progress bar still moves and a slow migration soon runs alone.
CHUNK_MIGRATIONS = 50
CHUNK_BYTES = 1 << 20
CHUNK_BUDGET_MS = 100.0


@dataclass(frozen=True)
class Plan:
    """What a run would apply."""

    pending: tuple[Migration, ...]
    applied_versions: frozenset[str]


@dataclass(frozen=True)
class MigrateResult:
    """What ``pggate migrate`` returns."""

    env: str
    target: str
    run_id: str
    applied: tuple[dict[str, Any], ...] = ()
    dry_run: bool = False
    single_transaction: bool = False
    duration_ms: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def exit_code(self) -> int:
        """Always 0: failures are raised as ``MigrationFailed``."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``migrate --format json``."""
        return {
            "env": self.env,
            "target": self.target,
            "run_id": self.run_id,
            "status": "dry-run" if self.dry_run else "applied",
            "applied": list(self.applied),
            "dry_run": self.dry_run,
            "single_transaction": self.single_transaction,
            "duration_ms": round(self.duration_ms, 1),
            "notes": list(self.notes),
        }


# duplicate_table, duplicate_object, duplicate_schema, duplicate_function: "already exists".
_ALREADY_EXISTS = frozenset({"42P07", "42710", "42P06", "42723"})


@dataclass(frozen=True)
class PlanResult:
    """What ``pggate migrate --plan`` shows: the statements each pending file would run."""

    env: str
    target: str
    files: tuple[dict[str, Any], ...]

    def exit_code(self) -> int:
        """Always 0: a plan that cannot be made raises."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``migrate --plan --format json``."""
        return {"env": self.env, "target": self.target, "status": "plan", "files": list(self.files)}


def plan_statements(pending: tuple[Migration, ...]) -> tuple[dict[str, Any], ...]:
    """Each pending file with its statements (``line``, ``sql``), as migrate would send them."""
    refuse_transaction_control(list(pending))
    return tuple(
        {
            "version": m.version,
            "name": m.name,
            "file": m.shown,
            "transactional": m.transactional,
            "statements": [{"line": s.line, "sql": s.sql.strip()} for s in statements_of(m)],
        }
        for m in pending
    )


def plan(migrations: tuple[Migration, ...], history: History, to: str | None = None) -> Plan:
    """Pending migrations up to ``to``; refuses out-of-order and edited applied files."""
    applied = {a.version: a for a in history.applied()}
    by_version = {m.version: m for m in migrations}
    for version, row in applied.items():
        local = by_version.get(version)
        if local is not None and local.checksum != row.checksum:
            raise MigrationFileError(
                f"{local.shown}: applied migration {version} was edited after it was applied "
                f"(recorded {row.checksum[:19]}..., file {local.checksum[:19]}...)",
                hint="restore the file as applied (git checkout) and put the change in a new "
                "migration (pggate new NAME); on a development database where the edit is "
                f"intended, `pggate repair --checksum {version}` records the file as it is now",
            )
    limit = int(to) if to is not None else None
    pending = [
        m for m in migrations if m.version not in applied and (limit is None or m.number <= limit)
    ]
    newest = max((int(v) for v in applied), default=-1)
    late = [m for m in pending if m.number < newest]
    if late:
        raise MigrationFileError(
            f"{late[0].shown}: version {late[0].version} is older than the newest applied "
            f"version ({newest}) but was never applied",
            hint="give it a version newer than every applied one (rename the file), so every "
            "environment applies migrations in the same order",
        )
    return Plan(tuple(pending), frozenset(applied))


class Runner(Worker):
    """Applies a plan on one connection (the session's)."""

    def __init__(
        self,
        *args: Any,
        snapshot_every_up_to: int = 50,
        facts: Callable[[Migration], FileFacts | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # What validation's parse of each file found (by its checksum): with it, a chunked
        # migration is never split or parsed again; without it, the runner parses.
        self._facts_source = facts
        self._facts: dict[str, FileFacts | None] = {}
        self.applied: list[dict[str, Any]] = []
        self.snapshot_every_up_to = snapshot_every_up_to
        self._snapshot_versions: frozenset[str] = frozenset()
        self._last_version: str | None = None  # the run's last migration
        self._no_drift: str | None = None  # its proven no-drift key (schema/digest.py)
        self._history_rows = 0  # rows when the run started: migrations must not change them
        self._split: dict[str, list[Any]] = {}  # each pending up section's statements, by version

    def _statements(self, migration: Migration, section: str = "up") -> list[Any]:
        """A section's statements, split once per run (checked, then applied)."""
        if section != "up":
            return statements_of(migration, section)
        found = self._split.get(migration.version)
        if found is None:
            found = self._split[migration.version] = statements_of(migration)
        return found

    def _facts_of(self, migration: Migration) -> FileFacts | None:
        """Validation's facts of the file, if it parsed (memoised per run)."""
        if self._facts_source is None:
            return None
        if migration.version not in self._facts:
            found = self._facts_source(migration)
            self._facts[migration.version] = found if found and found.up_error is None else None
        return self._facts[migration.version]

    def _control_in(self, migration: Migration, section: str) -> list[tuple[int, str]]:
        facts = self._facts_of(migration)
        if facts is None or (section == "down" and facts.down_error is not None):
            return [
                (s.line, word)
                for s, word in transaction_control(self._statements(migration, section))
            ]
        return facts.control_of(section)

    def _statement_count(self, migration: Migration) -> int:
        facts = self._facts_of(migration)
        return facts.statements if facts is not None else len(self._statements(migration))

    def migrate(
        self,
        migrations: tuple[Migration, ...],
        *,
        to: str | None = None,
        dry_run: bool = False,
        single_transaction: bool = False,
        lock_wait: float = 60.0,
    ) -> MigrateResult:
        """Take the lock, plan, apply; a ``MigrateResult`` or ``MigrationFailed``."""
        started = time.perf_counter()
        notes: list[str] = []
        with advisory_lock(self.conn, wait=lock_wait, emit=self.emit):
            if not dry_run:
                self.history.ensure()
            the_plan = plan(migrations, self.history, to)
            pending = the_plan.pending
            refuse_transaction_control(list(pending), found_in=self._control_in)
            if (dry_run or single_transaction) and any(not m.transactional for m in pending):
                first = next(m for m in pending if not m.transactional)
                if single_transaction:
                    raise MigrationFileError(
                        f"{first.shown} runs outside a transaction (-- pggate:no-transaction), "
                        "so --single-transaction cannot include it",
                        hint=f"migrate --to {_before(pending, first)} first, then run the rest",
                    )
                notes.append(f"dry run stops before {first.label}: it runs outside a transaction")
                pending = pending[: pending.index(first)]
            self.emit(
                Event(
                    "migrate.planned",
                    f"{len(pending)} pending migration(s)",
                    {"pending": [m.label for m in pending], "important": False},
                )
            )
            set_timeouts(
                self.conn, lock_timeout=self.lock_timeout, statement_timeout=self.statement_timeout
            )
            self._plan_snapshots(pending, first_ever=not the_plan.applied_versions, dry_run=dry_run)
            self._history_rows = self._count_history()
            if dry_run or single_transaction:
                self._all_in_one(pending, dry_run=dry_run)
            else:
                self._apply_each(pending)
        return MigrateResult(
            env=self.env,
            target=self.target,
            run_id=self.run_id,
            applied=tuple(self.applied),
            dry_run=dry_run,
            single_transaction=single_transaction,
            duration_ms=(time.perf_counter() - started) * 1000,
            notes=tuple(notes),
        )

    # ------------------------------------------------------------ one transaction each

    def _apply_each(self, pending: tuple[Migration, ...]) -> None:
        """Apply ``pending`` in order, each in its own transaction with its history row.

        Runs of quick migrations go in chunks, several transactions in one round trip
        (see ``_apply_chunk``); a migration that needs the precise path (a snapshot
        after it, ``-v``, outside a transaction) or that failed in a chunk runs alone.
        """
        index, size = 0, 1
        while index < len(pending):
            chunk = self._chunk(pending, index, size)
            self._progress(index, len(pending), pending[index], chunk)
            if not chunk:
                self._apply(pending[index])
                index += 1
                continue
            committed, server_ms = self._apply_chunk(chunk)
            index += committed
            if committed < len(chunk):
                self._apply(pending[index])  # names the failure, retries a lock timeout
                index += 1
                size = 1
            else:
                size = _next_chunk_size(size, len(chunk), server_ms)
        if pending:
            self._progress(len(pending), len(pending), pending[-1])

    def _chunk(
        self, pending: tuple[Migration, ...], index: int, size: int
    ) -> tuple[Migration, ...]:
        """The migrations from ``index`` that may share one round trip: at most ``size``."""
        chunk: list[Migration] = []
        length = 0
        for migration in pending[index : index + size]:
            if not migration.transactional or not self._batchable(migration):
                break
            length += len(migration.section("up")[0])
            if chunk and length > CHUNK_BYTES:
                break
            chunk.append(migration)
        return tuple(chunk)

    def _apply(self, migration: Migration) -> None:
        """One migration on the precise path: statement by statement, failures located."""
        if not migration.transactional:
            self._apply_outside_transaction(migration)
            return
        statements = self._statements(migration)
        for attempt, delay in enumerate((*LOCK_RETRIES, None)):
            try:
                with self.conn.transaction():
                    self._run_and_record(migration, statements)
                break
            except TransactionLost as lost:
                self._lost(lost)
            except StatementFailed as failed:
                if failed.lock_timeout and delay is not None:
                    self.emit(
                        Event(
                            "migration.retry",
                            f"{migration.label}: lock timeout, retry {attempt + 1} in {delay:g}s",
                            {"version": migration.version},
                        )
                    )
                    time.sleep(delay)
                    continue
                self._fail(failed)

    def _batchable(self, migration: Migration) -> bool:
        """Whether the chunked path may run it: no snapshot due after it, no ``-v`` trace.

        Transaction control was refused (by the parser) before anything was sent.
        """
        return migration.version not in self._snapshot_versions and self.trace is None

    def _apply_chunk(self, chunk: tuple[Migration, ...]) -> tuple[int, float]:
        """Send ``chunk`` as one simple query, each migration in its own transaction.

        Each migration is ``BEGIN``, its up section, the session reset, its history row
        and ``COMMIT``, in order: psql takes a round trip per statement for that. The
        server stops at the first error, so the migrations before the failing one are
        committed with their rows, the failing one is rolled back and the rest never ran.
        Which ones committed is read back from the history, never assumed. Returns how
        many committed and their server time; the caller runs the next one precisely.
        """
        try:
            sent = self._send(self._chunk_sql(chunk, own_tx=True))
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError) and self.conn.broken:
                raise
            if self.conn.info.transaction_status != TransactionStatus.IDLE:
                self.conn.execute("rollback")
            sent = {}
        rows = [sent[m.version] for m in chunk if m.version in sent]
        if len(rows) != len(chunk):
            rows = self._recorded(chunk)
        self._refuse_lost_transaction(chunk, len(rows))
        return len(rows), self._chunk_applied(chunk, rows)

    def _apply_chunk_inside(self, chunk: tuple[Migration, ...]) -> float:
        """Send ``chunk`` as one simple query inside the run's one transaction; server time.

        Raises ``psycopg.Error`` on any failure, history rows that changed under a
        migration included: the caller rolls everything back and runs it again precisely.
        """
        sent = self._send(self._chunk_sql(chunk, own_tx=False))
        if any(m.version not in sent for m in chunk):
            raise psycopg.DataError("a history row of the chunk is missing")
        return self._chunk_applied(chunk, [sent[m.version] for m in chunk])

    def _chunk_applied(self, chunk: tuple[Migration, ...], rows: list[dict[str, Any]]) -> float:
        """Count the first ``len(rows)`` migrations of ``chunk`` applied; their server time."""
        server_ms = 0.0
        for migration, row in zip(chunk, rows, strict=False):
            duration = float(row["pggate_duration_ms"] or 0.0)
            server_ms += duration
            self._applied(migration, duration, self._statement_count(migration))
        return server_ms

    def _chunk_sql(self, chunk: tuple[Migration, ...], *, own_tx: bool) -> str:
        """The chunk as one query text; each history row checks the rows before it."""
        base = self._history_rows + len(self.applied)
        return "\n".join(
            self._batch_sql(m, expected=base + i, after=chunk[i - 1] if i else None, own_tx=own_tx)
            for i, m in enumerate(chunk)
        )

    def _batch_sql(
        self, migration: Migration, *, expected: int, after: Migration | None, own_tx: bool
    ) -> str:
        """A migration's up section, the session reset and its history row, as SQL text."""
        record = self.history.record_inline(
            migration,
            run_id=self.run_id,
            expected=expected,
            after=after.version if after is not None else None,
        )
        return "\n".join(
            (
                "begin;" if own_tx else "",
                migration.section("up")[0],
                f";{self._reset_sql()};{record};",
                "commit;" if own_tx else "",
            )
        )

    def _send(self, batch: str) -> dict[str, dict[str, Any]]:
        """Run ``batch`` (no parameters: sent as one simple query); its history rows by version."""
        cursor = self.conn.execute(batch)  # type: ignore[call-overload]  # no params: sent as is
        rows = {}
        while True:
            names = [c.name for c in cursor.description or ()]
            if names[:3] == ["pggate_version", "pggate_duration_ms", "pggate_before"]:
                for row in cursor.fetchall():
                    rows[row["pggate_version"]] = row
            if not cursor.nextset():
                return rows

    def _recorded(self, chunk: tuple[Migration, ...]) -> list[dict[str, Any]]:
        """The history rows this run wrote for the first migrations of ``chunk``, in order."""
        found = self.history.durations(self.run_id, [m.version for m in chunk])
        rows = []
        for migration in chunk:
            if migration.version not in found:
                break
            rows.append({"pggate_duration_ms": found[migration.version]})
        return rows

    def _refuse_lost_transaction(self, chunk: tuple[Migration, ...], committed: int) -> None:
        """Stop if the server left a transaction open: a statement changed pggate's framing."""
        if self.conn.info.transaction_status == TransactionStatus.IDLE:
            return
        shown = chunk[min(committed, len(chunk) - 1)].shown
        self.conn.execute("rollback")
        raise MigrationFailed(
            f"{shown}: the migration changed the transaction pggate opened for it",
            hint="what ran before that point may be committed; remove transaction control "
            "from the file",
            applied=list(self.applied),
        )

    def _applied(
        self, migration: Migration, duration: float, statements: int, **extra: Any
    ) -> None:
        self.applied.append(
            {
                "version": migration.version,
                "name": migration.name,
                "file": migration.shown,
                "duration_ms": round(duration, 1),
                "statements": statements,
                **extra,
            }
        )
        self.emit(
            Event(
                "migration.applied",
                f"applied {migration.label} ({duration:.0f} ms)",
                {"version": migration.version, "duration_ms": duration, "important": False},
            )
        )

    def _run_and_record(self, migration: Migration, statements: list[Any]) -> None:
        started_at, clock = datetime.now(UTC), time.perf_counter()
        execute_section(self.conn, migration, "up", statements, trace=self.trace)
        duration = (time.perf_counter() - clock) * 1000
        self._reset_session()
        fingerprint, snapshot = self._snapshot_after(migration)
        self._record(
            migration,
            started_at=started_at,
            duration_ms=duration,
            run_id=self.run_id,
            fingerprint=fingerprint,
            snapshot=snapshot,
            details={"duration_ms": round(duration, 1)},
        )
        self._remember_no_drift(migration)
        self._applied(migration, duration, len(statements))

    def _apply_outside_transaction(self, migration: Migration) -> None:
        statements = self._statements(migration)
        started_at, clock = datetime.now(UTC), time.perf_counter()
        invalid_before = set(self._invalid_indexes())
        remaining = statements
        for attempt, delay in enumerate((*LOCK_RETRIES, None)):
            try:
                execute_section(self.conn, migration, "up", remaining, trace=self.trace)
                break
            except StatementFailed as failed:
                invalid = self._invalid_indexes()
                # Statements before the blocked one committed on their own: resume at it, unless
                # it left an invalid index behind (a retry would trip over it).
                if failed.lock_timeout and delay is not None and set(invalid) <= invalid_before:
                    self.emit(
                        Event(
                            "migration.retry",
                            f"{migration.label}: lock timeout, retry {attempt + 1} in {delay:g}s",
                            {"version": migration.version},
                        )
                    )
                    time.sleep(delay)
                    remaining = [s for s in statements if s.index >= failed.statement_index]
                    continue
                self._fail(failed, outside=True, invalid=invalid)
        invalid = self._invalid_indexes()
        if invalid:
            raise MigrationFailed(
                f"{migration.shown}: index build left invalid index(es): {', '.join(invalid)}",
                hint="; ".join(f"drop index concurrently {name}" for name in invalid)
                + " — then rerun pggate migrate",
            )
        duration = (time.perf_counter() - clock) * 1000
        with self.conn.transaction():
            self._reset_session()
            fingerprint, snapshot = self._snapshot_after(migration)
            self._record(
                migration,
                started_at=started_at,
                duration_ms=duration,
                run_id=self.run_id,
                fingerprint=fingerprint,
                snapshot=snapshot,
                details={"transactional": False},
            )
            self._remember_no_drift(migration)
        self._applied(migration, duration, len(statements), transactional=False)

    def _all_in_one(
        self, pending: tuple[Migration, ...], *, dry_run: bool, batched: bool = True
    ) -> None:
        batched = batched and not dry_run
        try:
            with self.conn.transaction():
                if dry_run:
                    self.history.ensure()  # inside the transaction: rolled back with the rest
                index, size = 0, 1
                while index < len(pending):
                    chunk = self._chunk(pending, index, size) if batched else ()
                    self._progress(index, len(pending), pending[index], chunk)
                    if chunk:
                        size = _next_chunk_size(size, len(chunk), self._apply_chunk_inside(chunk))
                        index += len(chunk)
                    else:
                        migration = pending[index]
                        self._run_and_record(migration, self._statements(migration))
                        index += 1
                if dry_run:
                    raise psycopg.Rollback()
        except TransactionLost as lost:
            self._lost(lost)
        except StatementFailed as failed:
            self.applied.clear()
            self._fail(failed)
        except psycopg.Error as exc:
            if not batched or (isinstance(exc, psycopg.OperationalError) and self.conn.broken):
                raise
            # Everything was rolled back; run it again statement by statement to say where it fails.
            self.applied.clear()
            self._all_in_one(pending, dry_run=dry_run, batched=False)

    def _record(self, migration: Migration, **row: Any) -> None:
        """Write the history row; refuse (rolling the migration back) if it damaged the history.

        A migration that drops, renames or empties pggate's tables would otherwise crash
        pggate, or commit its own row into an emptied history. Raised inside the
        migration's transaction, the refusal undoes the damage with the migration.
        """
        expected = self._history_rows + len(self.applied)
        try:
            before = self.history.record(migration, **row)
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError) and self.conn.broken:
                raise
            problem = " ".join(str(exc).split())
        else:
            if before == expected:
                return
            problem = f"it held {before} row(s) where {expected} were recorded"
        schema = self.history.schema
        undone = (
            "the migration was rolled back"
            if migration.transactional
            else "this file ran outside a transaction, so its statements stayed applied"
        )
        raise MigrationFailed(
            f"migration {migration.label} damaged pggate's history table "
            f"{schema}.{self.history.table}, so it was not recorded: {mask(problem)}",
            hint=f"migrations must not drop, rename or change pggate's own schema {schema!r}; "
            f"{undone}; remove that statement and rerun",
            applied=list(self.applied),
        )

    # ------------------------------------------------------------ helpers

    def _fail(
        self, failed: StatementFailed, *, outside: bool = False, invalid: list[str] | None = None
    ) -> None:
        migration = failed.migration
        try:
            self.history.ensure()
            self.history.log(
                "failure",
                version=migration.version,
                name=migration.name,
                run_id=self.run_id,
                sqlstate=failed.sqlstate,
                statement_index=failed.statement_index,
                message=mask(failed.server_message),
                details=failed.to_dict(),
            )
        except psycopg.Error:
            pass  # the failure itself is what matters; the log is best effort
        if failed.lock_timeout:
            kept = (
                f"this file runs outside a transaction: {_ran_before(failed.statement_index)} "
                "stayed applied (make them idempotent with IF NOT EXISTS)"
                if outside and failed.statement_index
                else "nothing of this migration was applied"
            )
            if invalid:
                kept += "; invalid indexes to drop: " + ", ".join(invalid)
            raise LockTimeout(
                f"{failed.location}: could not get a lock within lock_timeout after "
                f"{len(LOCK_RETRIES)} retries; blocked by {self._blockers()}",
                hint=f"wait for the blocking transaction to finish (or end it), then rerun; {kept}",
                failure=failed.to_dict(),
                applied=list(self.applied),
            )
        if outside:
            hint = (
                f"this file runs outside a transaction: statements before statement "
                f"{failed.statement_index + 1} stayed applied; make them idempotent "
                "(IF NOT EXISTS) and rerun, or undo them by hand"
            )
            if invalid:
                hint += "; invalid indexes to drop: " + ", ".join(invalid)
        else:
            hint = "the migration was rolled back; fix the file (or add a new migration) and rerun"
            if failed.sqlstate in _ALREADY_EXISTS and not self.history.applied():
                hint = (
                    "the migration was rolled back. This database already has that object: it "
                    "was built by hand or by another tool. Record the files it already "
                    "contains with `pggate baseline --version V` (or `pggate adopt --from "
                    "supabase|dbmate|flyway`), then migrate again"
                )
        raise MigrationFailed(
            f"migration {migration.label} failed\n{failed.describe()}",
            hint=hint,
            failure=failed.to_dict(),
            applied=list(self.applied),
        )

    def _lost(self, lost: TransactionLost) -> None:
        """A statement ended pggate's transaction: say exactly what that left behind."""
        word = lost.statement.split(None, 1)[0].upper() if lost.statement.split() else "?"
        kept = (
            "the statements before it were rolled back by it"
            if word in ("ROLLBACK", "ABORT")
            else "the statements before it were COMMITTED by it and stay applied (undo them by "
            "hand)"
        )
        raise MigrationFailed(
            f"{lost.location}: {lost.statement.strip()[:80]!r} ended the transaction pggate "
            f"opened for migration {lost.migration.label}; pggate stopped there",
            hint=f"{kept}; the statements after it did not run and no history row was written; "
            "remove transaction control from the file",
            applied=list(self.applied),
        )

    def _blockers(self) -> str:
        rows = self.conn.execute(
            """
            select distinct a.pid, a.state, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 120) as query,
                   a.application_name, a.xact_start
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.granted and l.locktype = 'relation' and a.pid <> pg_backend_pid()
              and a.datname = current_database() and a.xact_start is not null
            order by a.xact_start limit 3
            """
        ).fetchall()
        if not rows:
            return "a transaction that has since finished"
        return "; ".join(
            f"pid {r['pid']} ({r['state']}, {r['application_name'] or '?'}): {r['query']}"
            for r in rows
        )

    def _count_history(self) -> int:
        # Rows, not the plan's versions: the history may hold versions whose files are gone.
        if not self.history.exists():
            return 0  # a dry run before the first migration: the table is made inside it
        row = self.conn.execute(
            sql.SQL("select count(*) as n from {}").format(self.history.history)
        ).fetchone()
        return int(row["n"])

    def _invalid_indexes(self) -> list[str]:
        rows = self.conn.execute(
            "select format('%I.%I', n.nspname, c.relname) as name from pg_index i "
            "join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace "
            "where not i.indisvalid order by 1"
        ).fetchall()
        return [r["name"] for r in rows]

    def _plan_snapshots(
        self, pending: tuple[Migration, ...], *, first_ever: bool, dry_run: bool
    ) -> None:
        """Decide after which migrations to record the schema; record the baseline on a first run.

        After each one when the run applies at most ``snapshot_every_up_to``, and always
        after the last, so every version a run can stop at has a known schema without
        making bulk runs quadratic.
        """
        if len(pending) <= self.snapshot_every_up_to:
            self._snapshot_versions = frozenset(m.version for m in pending)
        else:
            self._snapshot_versions = frozenset({pending[-1].version})
        self._last_version = pending[-1].version if pending else None
        if first_ever and pending and not dry_run:
            self._record_baseline()

    def _record_baseline(self) -> None:
        """Record the schema before the first migration, once per database.

        A history emptied by a rollback to 0 keeps the baseline it had: re-recording it
        would make whatever a broken down left behind part of "the schema before
        pggate". Only a baseline in an older snapshot format (which cannot be compared)
        is re-recorded, and the event log says so.
        """
        from ..schema import fingerprint as fp

        recorded, _snapshot = self.history.baseline()
        if recorded is not None and fp.comparable(recorded):
            return
        with self.conn.transaction():
            fingerprint, snapshot = self._snapshot()
            self.history.set_baseline(fingerprint, snapshot)
            message = (
                "baseline recorded"
                if recorded is None
                else f"baseline re-recorded: the recorded one was not comparable "
                f"({fp.other_format(recorded)})"
            )
            self.history.log(
                "schema_baseline",
                run_id=self.run_id,
                message=message,
                details={"fingerprint": fingerprint, "previous": recorded},
            )

    def _snapshot(self) -> tuple[str, bytes]:
        from ..schema import fingerprint as fp
        from ..schema.snapshot import take

        snapshot = take(self.conn)
        return fp.of(snapshot), fp.compress(snapshot)

    def _snapshot_after(self, migration: Migration) -> tuple[str | None, bytes | None]:
        if migration.version not in self._snapshot_versions:
            return None, None
        if migration.version != self._last_version:
            return self._snapshot()
        from ..schema.digest import catalog_digest

        # The catalog digest, taken before the run's last snapshot, proves "no drift" to the
        # next status or verify without a snapshot of their own (see schema/digest.py).
        digest = catalog_digest(self.conn)
        fingerprint, snapshot = self._snapshot()
        self._no_drift = f"{migration.version}:{fingerprint}:{digest}"
        return fingerprint, snapshot

    def _remember_no_drift(self, migration: Migration) -> None:
        """After the last migration's history row: its schema is the recorded one."""
        if migration.version == self._last_version and self._no_drift:
            self.history.remember_unchanged_schema_digest(self._no_drift)

    def _reset_session(self) -> None:
        # A migration may SET search_path, ROLE or SESSION AUTHORIZATION and not reset them:
        # our history row must not be written as that role, and the next migration must not
        # inherit any of them. One round trip.
        self.conn.execute(self._reset_sql())

    def _reset_sql(self) -> str:
        return (
            f"{RESET_SESSION}; set lock_timeout = {_ms(self.lock_timeout)}; "
            f"set statement_timeout = {_ms(self.statement_timeout)}"
        )

    def _progress(
        self, done: int, total: int, migration: Migration, chunk: tuple[Migration, ...] = ()
    ) -> None:
        message = f"migrating {migration.label}" if done < total else "migrated"
        if len(chunk) > 1:
            message += f" .. {chunk[-1].label} ({len(chunk)} migrations in one round trip)"
        self.emit(Event("migrate.progress", message, {"total": total, "done": done}))


def _next_chunk_size(size: int, sent: int, server_ms: float) -> int:
    """The next chunk's size: at most twice the last, aiming at ``CHUNK_BUDGET_MS``."""
    if sent < size:  # the pending ran out, or the bytes limit was hit: no news on speed
        return size
    per_migration = max(server_ms / max(sent, 1), 0.1)
    fits = int(CHUNK_BUDGET_MS / per_migration)
    return max(1, min(CHUNK_MIGRATIONS, 2 * size, fits))


def _ms(seconds: float | None) -> int:
    return int(seconds * 1000) if seconds else 0


def _ran_before(statement_index: int) -> str:
    """Which statements of a file ran before statement ``statement_index`` (0-based, > 0) failed."""
    if statement_index == 1:
        return "statement 1"
    return f"statements 1-{statement_index}"


def _before(pending: tuple[Migration, ...], first: Migration) -> str:
    index = pending.index(first)
    return pending[index - 1].version if index else "0"
