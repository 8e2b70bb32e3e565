"""Editing pggate's history by hand, on purpose: repair, checksum re-sync, baseline.

What teams know from the Supabase CLI (``migration repair``) and Flyway (``repair``,
``baseline``). None of these runs a migration's SQL: they change what the history says,
so each one writes a ``repair``, ``checksum`` or ``baseline`` event recording who
(database and OS user), when and why (``reason``), in the same transaction as the change.
Every version named must make sense (a file for ``applied``, a history row for
``reverted`` and re-sync); otherwise nothing is written (``MigrationFileError``, exit 2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from ..db import advisory_lock
from ..errors import MigrationFileError
from ..events import NULL_EMIT, Emit, Event
from .files import Migration, MigrationSet
from .history import History

STATUSES = ("applied", "reverted")


@dataclass(frozen=True)
class MaintenanceResult:
    """What ``repair``, ``repair --checksum`` or ``baseline`` changed in the history."""

    action: str  # repair | checksum | baseline
    run_id: str
    changed: tuple[dict[str, Any], ...] = ()  # version, name, and what changed
    unchanged: tuple[str, ...] = ()  # versions already in the asked state
    fingerprint: str | None = None  # baseline: the live schema's, recorded on its version
    notes: tuple[str, ...] = field(default_factory=tuple)

    def exit_code(self) -> int:
        """0: refusals are raised."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``--format json``."""
        return {
            "action": self.action,
            "run_id": self.run_id,
            "changed": list(self.changed),
            "unchanged": list(self.unchanged),
            "fingerprint": self.fingerprint,
            "notes": list(self.notes),
        }


def _files(migrations: MigrationSet | tuple[Migration, ...]) -> dict[str, Migration]:
    items = migrations.migrations if isinstance(migrations, MigrationSet) else migrations
    return {m.version: m for m in items}


def repair(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet | tuple[Migration, ...],
    history: History,
    versions: list[str],
    status: str,
    *,
    reason: str | None = None,
    emit: Emit = NULL_EMIT,
    lock_wait: float = 60.0,
) -> MaintenanceResult:
    """Mark ``versions`` applied (history row, file checksum) or reverted (row removed).

    Nothing runs: the database's schema is left as it is; only the history changes.

    Raises:
        MigrationFileError: an unknown status, ``applied`` for a version with no file,
            or ``reverted`` for a version the history does not have.
    """
    if status not in STATUSES:
        raise MigrationFileError(
            f"--status {status!r} is not known", hint="use --status applied or --status reverted"
        )
    files = _files(migrations)
    run_id = uuid.uuid4().hex[:12]
    with advisory_lock(conn, wait=lock_wait):
        history.ensure()
        applied = {a.version: a for a in history.applied()}
        if status == "applied":
            _require(versions, files, "has no file in the migrations folder", "add the file")
        else:
            _require(versions, applied, "is not in pggate's history", "`pggate status` lists it")
        changed, unchanged = [], []
        with conn.transaction():
            for version in versions:
                if (version in applied) == (status == "applied"):
                    unchanged.append(version)
                    continue
                if status == "applied":
                    _insert(history, files[version], run_id)
                    name = files[version].name
                else:
                    history.delete(version)
                    name = applied[version].name
                details = {"status": status, "reason": reason, "ran_sql": False}
                history.log("repair", version=version, name=name, run_id=run_id, details=details)
                changed.append({"version": version, "name": name, "status": status})
                emit(Event("repair.version", f"marked {version}_{name} {status}", details))
    return MaintenanceResult("repair", run_id, tuple(changed), tuple(unchanged))


def resync_checksums(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet | tuple[Migration, ...],
    history: History,
    versions: list[str],
    *,
    reason: str | None = None,
    emit: Emit = NULL_EMIT,
    lock_wait: float = 60.0,
) -> MaintenanceResult:
    """Record the current file checksum of applied ``versions`` (edited after they were applied).

    For a development database whose file was edited on purpose (a comment, a typo in a
    down): afterwards MIG007/TRC001 stop reporting it. The schema is not changed, so the
    edit's SQL never ran here: that is what the event records.

    Raises:
        MigrationFileError: a version that is not applied, or has no file.
    """
    files = _files(migrations)
    run_id = uuid.uuid4().hex[:12]
    with advisory_lock(conn, wait=lock_wait):
        applied = {a.version: a for a in history.applied()}
        _require(versions, applied, "is not in pggate's history", "only applied files re-sync")
        _require(versions, files, "has no file in the migrations folder", "restore the file")
        changed, unchanged = [], []
        with conn.transaction():
            for version in versions:
                row, file = applied[version], files[version]
                if (row.checksum, row.down_checksum) == (file.checksum, file.down_checksum):
                    unchanged.append(version)
                    continue
                conn.execute(
                    _update_checksum(history), (file.checksum, file.down_checksum, version)
                )
                details = {
                    "reason": reason,
                    "old_checksum": row.checksum,
                    "new_checksum": file.checksum,
                    "old_down_checksum": row.down_checksum,
                    "new_down_checksum": file.down_checksum,
                    "ran_sql": False,
                }
                history.log(
                    "checksum", version=version, name=file.name, run_id=run_id, details=details
                )
                changed.append({"version": version, "name": file.name, **details})
                emit(Event("checksum.version", f"re-synced the checksum of {file.label}", details))
    return MaintenanceResult("checksum", run_id, tuple(changed), tuple(unchanged))


def baseline(
    conn: psycopg.Connection[Any],
    migrations: MigrationSet | tuple[Migration, ...],
    history: History,
    version: str,
    *,
    reason: str | None = None,
    emit: Emit = NULL_EMIT,
    lock_wait: float = 60.0,
) -> MaintenanceResult:
    """Record files up to ``version`` applied without running them; the live schema is V's.

    For a database built by hand or by another tool: ``pggate migrate`` then applies only
    the files after ``version``. Refused when pggate's history already has rows (that
    database is not new to pggate: use ``repair``).

    Raises:
        MigrationFileError: ``version`` has no file, or the history is not empty.
    """
    files = _files(migrations)
    if version not in files:
        raise MigrationFileError(
            f"--version {version} has no file in the migrations folder",
            hint="baseline at the version of an existing file (the newest one the database "
            "already contains)",
        )
    run_id = uuid.uuid4().hex[:12]
    with advisory_lock(conn, wait=lock_wait):
        history.ensure()
        existing = history.applied()
        if existing:
            raise MigrationFileError(
                f"pggate's history already records {len(existing)} migration(s) here: a "
                "baseline is only for a database pggate never migrated",
                hint="use `pggate repair --status applied VERSION...` to mark single versions",
            )
        upto = [m for m in files.values() if m.number <= files[version].number]
        from ..schema import fingerprint as fp
        from ..schema.snapshot import take

        snapshot = take(conn)
        fingerprint = fp.of(snapshot)
        details = {"reason": reason, "baseline_version": version, "ran_sql": False}
        with conn.transaction():
            for migration in upto:
                _insert(history, migration, run_id)
                history.log(
                    "baseline",
                    version=migration.version,
                    name=migration.name,
                    run_id=run_id,
                    details=details,
                )
            history.set_fingerprint(version, fingerprint, fp.compress(snapshot))
        emit(Event("baseline", f"baselined at {files[version].label}", details))
    changed = tuple({"version": m.version, "name": m.name, "status": "applied"} for m in upto)
    return MaintenanceResult("baseline", run_id, changed, fingerprint=fingerprint)


def _require(versions: list[str], known: dict[str, Any], problem: str, hint: str) -> None:
    unknown = [v for v in versions if v not in known]
    if unknown:
        raise MigrationFileError(
            f"version(s) {', '.join(unknown)} {problem}; nothing was changed", hint=hint
        )


def _insert(history: History, migration: Migration, run_id: str) -> None:
    """A history row for ``migration`` that did not run here (duration 0, no snapshot)."""
    from psycopg import sql

    from .. import __version__
    from .history import os_user

    history.conn.execute(
        sql.SQL(
            "insert into {} (version, name, checksum, down_checksum, transactional, "
            "started_at, duration_ms, os_user, pggate_version, run_id) "
            "values (%s, %s, %s, %s, %s, %s, 0, %s, %s, %s)"
        ).format(history.history),
        (
            migration.version,
            migration.name,
            migration.checksum,
            migration.down_checksum,
            migration.transactional,
            datetime.now(UTC),
            os_user(),
            __version__,
            run_id,
        ),
    )


def _update_checksum(history: History) -> Any:
    from psycopg import sql

    return sql.SQL("update {} set checksum = %s, down_checksum = %s where version = %s").format(
        history.history
    )
