"""Rolling back to a version, and proving the schema is the one recorded there.

A rollback is only reported successful when the live schema's fingerprint equals
the fingerprint ``migrate`` recorded after version V (or before the first
migration, for ``--to 0``). Otherwise it exits 1 with the structural diff: the
domain a down section forgot to drop, the policy it did not restore.

Everything runs under the migration lock, taken first. When every down is
transactional, all of them and the proof run in one transaction, rolled back
whole when the proof fails; otherwise each down commits with the deletion of its
history row, and a failed proof reports what was left and the SQL to clean it.
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..db import GATES_LOCK_KEY, RESET_SESSION, advisory_lock, set_timeouts
from ..errors import DatabaseUnavailable, MigrationFailed, MigrationFileError
from ..events import Event
from ..masking import mask
from ..results import GateResult, Status
from .executor import (
    StatementFailed,
    TransactionLost,
    execute_section,
    refuse_transaction_control,
)
from .files import Migration
from .history import Applied
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
    restore: str | None = None  # the command that restores the backup
    backup_checked: str | None = None  # how the backup was read back
    # Downs that ran, then were rolled back with the proof that failed: the database is as
    # before the rollback. ``reverted`` is empty then: nothing stays reverted.
    undone: tuple[dict[str, Any], ...] = ()
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
            "restore": self.restore,
            "backup_checked": self.backup_checked,
            "undone": list(self.undone),
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
    known = {int(v) for v in [*(a.version for a in applied), *(m.version for m in migrations)]}
    if int(to) != 0 and int(to) not in known:
        nearest = sorted(known, key=lambda v: (abs(v - int(to)), v))[:3]
        raise MigrationFileError(
            f"--to {to} is not a version in the history or the migrations folder; "
            "nothing was changed",
            hint="pass 0 (revert everything) or one of the versions; nearest: "
            + (", ".join(str(v) for v in sorted(nearest)) or "none (nothing applied)"),
        )
    local = {m.version: m for m in migrations}
    above = [a for a in reversed(applied) if int(a.version) > int(to)]
    problems = []
    for row in above:
        migration = local.get(row.version)
        if migration is None:
            problems.append(f"{row.version}_{row.name}: the file is not in the migrations folder")
        elif not migration.has_down:
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


def lossy_downs(migrations: list[Migration]) -> list[str]:
    """Every down statement (in the order given) that needs confirmation, with why.

    ``file:line: statement (why)``, classified by ``downs.risks``: what ``rollback`` lists
    in its question, so ``stage`` can ask it up front.
    """
    from .downs import risks

    return [str(risk) for risk in risks(migrations)]


class Rollback(Worker):
    """Reverts a plan on one connection and proves the result."""

    def run(
        self,
        migrations: tuple[Migration, ...],
        to: str,
        *,
        dry_run: bool = False,
        lock_wait: float = 60.0,
        approve: Approve | None = None,
        prove: str = "auto",
        shadow: Shadow | None = None,
        inspect: Inspect | None = None,
    ) -> RollbackResult:
        """Revert every applied migration above ``to`` (newest first), then prove the schema.

        Everything happens under the migration lock, taken first (after the gates lock,
        taken exclusively, which waits for any stage still running its gates; ``lock_wait``
        covers both): the plan, ``approve`` (the confirmation, listing the downs that need
        one, and the backup), the downs, the proof and ``inspect()`` (the health gates). A
        migrate committing meanwhile cannot add a version that is then reverted unasked, or
        missing from the backup.

        When every down is transactional, the downs and the proof run in one transaction:
        a proof that fails rolls it all back (``undone``), the database as before.
        ``prove``: ``recorded`` compares with the fingerprint recorded at ``to``; ``shadow``
        with a replay of the migrations up to ``to``; ``auto`` the recorded one, else the replay.
        """
        from .downs import risks

        started = time.perf_counter()
        gates = advisory_lock(self.conn, GATES_LOCK_KEY, wait=lock_wait, emit=self.emit)
        with gates, advisory_lock(self.conn, wait=self._left(started, lock_wait), emit=self.emit):
            applied = self.history.applied()
            steps = plan_rollback(migrations, applied, to)
            found = risks([s.migration for s in steps])  # refuses a down that does not parse
            refuse_transaction_control([s.migration for s in steps], "down")
            atomic = all(step.migration.transactional for step in steps)
            if dry_run and not atomic:
                raise MigrationFileError(
                    "a dry run cannot include a down that runs outside a transaction: "
                    + ", ".join(s.migration.shown for s in steps if not s.migration.transactional),
                    hint="dry-run to a version above it, or rehearse on a copy of the database",
                )
            saved = approve(steps, found) if approve else None
            # Replay what stays applied: a target above the current version is not a state
            # this database had.
            kept = {a.version for a in applied if int(a.version) <= int(to)}
            replayed = [m for m in migrations if m.version in kept]
            expected = self._expected(to)
            set_timeouts(
                self.conn, lock_timeout=self.lock_timeout, statement_timeout=self.statement_timeout
            )
            reverted: list[dict[str, Any]] = []
            undone: list[dict[str, Any]] = []
            if atomic:
                with self.conn.transaction():
                    self._revert_all(steps, reverted, atomic=True)
                    proof = self._prove(expected, to, prove, shadow, replayed)
                    failed = proof.get("status") == "mismatch" and not dry_run
                    if dry_run or failed:
                        raise psycopg.Rollback()
                if failed:
                    undone, reverted = reverted, []
                    self._log_undone(to, proof, undone)
                extra = proof.pop("extra", None)
            else:
                self._revert_all(steps, reverted)
                proof = self._prove(expected, to, prove, shadow, replayed)
                extra = proof.pop("extra", None)
                if proof.get("status") == "mismatch":
                    proof = {**proof, "left": _left_behind(proof, extra or [])}
            committed = bool(reverted) and not dry_run
            health = inspect() if inspect is not None and committed else ()
        return RollbackResult(
            env=self.env,
            target=self.target,
            to=to,
            reverted=tuple(reverted),
            proof=proof,
            dry_run=dry_run,
            duration_ms=(time.perf_counter() - started) * 1000,
            backup=saved.path if saved else None,
            restore=saved.restore if saved else None,
            backup_checked=saved.checked if saved else None,
            undone=tuple(undone),
            health=health,
        )

    @staticmethod
    def _left(started: float, lock_wait: float) -> float:
        """What is left of ``lock_wait`` after waiting for the gates lock."""
        return max(0.0, lock_wait - (time.perf_counter() - started))

    def _log_undone(self, to: str, proof: dict[str, Any], undone: list[dict[str, Any]]) -> None:
        """Record in the audit log that a rollback ran, failed its proof and was undone."""
        with self.conn.transaction():
            self.history.log(
                "failure",
                version=to,
                run_id=self.run_id,
                message=f"rollback to {to} not proven; every down was rolled back with the proof",
                details={
                    "undone": [row["version"] for row in undone],
                    "diff": proof.get("diff", [])[:100],
                },
            )

    def _revert_all(
        self, steps: list[Step], reverted: list[dict[str, Any]], *, atomic: bool = False
    ) -> None:
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
                    self.conn.execute(RESET_SESSION)
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
                before = (
                    "the downs before it (with their history rows) and what it ran before it "
                    "may be committed"
                    if atomic
                    else "what that down ran before it may be committed"
                )
                raise MigrationFailed(
                    f"{lost.location}: the down of {step.migration.label} ended the transaction "
                    "pggate opened for it; pggate stopped there",
                    hint=f"{before}; its history row was not deleted; remove transaction "
                    "control from the down section",
                    reverted=list(reverted),
                ) from None
            except StatementFailed as failed:
                kept = (
                    "nothing was reverted: the downs ran in one transaction, rolled back whole"
                    if atomic
                    else "the failed down was rolled back; versions reverted before it stay "
                    "reverted"
                )
                raise MigrationFailed(
                    f"rolling back {step.migration.label} failed\n{failed.describe()}",
                    hint=f"{kept}. Fix the down section and rerun",
                    failure=failed.to_dict(),
                    reverted=[] if atomic else list(reverted),
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
        recorded_snapshot = fp.decompress(compressed) if compressed else None
        lines = diff(recorded_snapshot, live) if recorded_snapshot is not None else []
        return {
            "status": "mismatch",
            "extra": _extra(recorded_snapshot, live) if recorded_snapshot is not None else [],
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
            "extra": _extra(replayed, live),
            "message": f"the schema differs from a replay of the migrations up to {to}",
        }


Shadow = Callable[[list[Migration]], dict[str, Any]]
Inspect = Callable[[], tuple[GateResult, ...]]


@dataclass(frozen=True)
class Backup:
    """A dump taken before a rollback, checked to read back, and how to restore it."""

    path: str
    restore: str  # the command, with the URL shown as <DATABASE_URL>
    checked: str  # how the dump was read back before anything was reverted


Approve = Callable[[list[Step], list[Any]], "Backup | None"]


# Snapshot kind -> how to drop an object of it that a down left behind (key as snapshotted).
def _drop_sql(kind: str, key: str, props: dict[str, Any]) -> str | None:
    relation_words = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}
    simple = {
        "schemas": "schema",
        "indexes": "index",
        "sequences": "sequence",
        "extensions": "extension",
    }
    if kind == "relations":
        word = relation_words.get(props.get("kind", ""), "foreign table")
        return f"drop {word} if exists {key};"
    if kind in simple:
        return f"drop {simple[kind]} if exists {key};"
    if kind == "types":
        return f"drop {'domain' if props.get('kind') == 'd' else 'type'} if exists {key};"
    if kind == "functions":
        word = "procedure" if props.get("kind") == "p" else "function"
        return f"drop {word} if exists {key};"
    owner, _, name = key.rpartition(".")
    if kind == "columns":
        return f"alter table {owner} drop column if exists {name};"
    if kind in ("policies", "triggers"):
        word = "policy" if kind == "policies" else "trigger"
        return f"drop {word} if exists {name} on {owner};"
    if kind == "constraints":
        return f"alter table {owner} drop constraint if exists {name};"
    return None


def _extra(expected: dict[str, Any], live: dict[str, Any]) -> list[str]:
    """SQL dropping what the live schema has and the expected one does not (parents first)."""
    order = ("relations", "types", "functions", "sequences", "schemas", "extensions")
    tables = set(live.get("relations", {})) - set(expected.get("relations", {}))
    statements = []
    for kind in (*order, *sorted(k for k in live if k not in order)):
        for key in sorted(set(live.get(kind, {})) - set(expected.get(kind, {}))):
            props = live[kind][key]
            if _part_of(kind, key, props, tables):
                continue  # dropped with its table
            drop = _drop_sql(kind, key, props)
            if drop is not None:
                statements.append(drop)
    return statements


def _part_of(kind: str, key: str, props: dict[str, Any], tables: set[str]) -> bool:
    """Whether the object belongs to one of ``tables`` (so dropping the table drops it)."""
    if kind in ("columns", "constraints", "policies", "triggers"):
        return key.rpartition(".")[0] in tables
    if kind == "indexes":
        definition = str(props.get("definition", ""))
        return any(
            f" ON {t} USING " in definition or f" ON ONLY {t} " in definition for t in tables
        )
    return False


def _left_behind(proof: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    """What a non-transactional rollback that failed its proof left, and the SQL to clean it."""
    return {
        "committed": True,
        "objects": proof.get("diff", []),
        "cleanup_sql": extra,
        "message": "a down ran outside a transaction, so each down was committed on its own "
        "and what they did stays; the diff lists what differs from the target; the cleanup "
        "SQL drops what is left over (check it first); anything missing or changed must be "
        "restored by hand or from the backup",
    }


def backup(url: str, folder: Path, label: str, server_major: int) -> Backup:
    """Dump the whole database into ``folder`` with tools that can restore it on this server.

    The server's own major version's ``pg_dump``/``pg_restore`` (Debian's
    /usr/lib/postgresql/N/bin, the PATH, or the embedded wheel's when it matches) write a
    custom-format dump; without them the wheel's ``pg_dump`` writes plain SQL (dropping each
    object before recreating it, like ``pg_restore --clean``), which ``psql`` reads. The dump is read back before anything is reverted.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    tools = matching_tools(server_major)
    if tools is not None:
        pg_dump, pg_restore = tools
        path = folder / f"{label}_{stamp}.dump"
        _run([pg_dump, "--format=custom", "--file", str(path), "--dbname", url], "pg_dump")
        _run([pg_restore, "--list", str(path)], "reading the dump back (pg_restore --list)")
        restore = (
            f"{shlex.quote(pg_restore)} --clean --if-exists --no-owner "
            f"--dbname <DATABASE_URL> {shlex.quote(str(path))}"
        )
        return Backup(str(path), restore, "pg_restore --list read it back")
    from ..embedded import wheel_engine

    path = folder / f"{label}_{stamp}.sql"
    pg_dump = str(wheel_engine().tool("pg_dump"))
    _run(
        [pg_dump, "--format=plain", "--clean", "--if-exists", "--no-owner", "--file", str(path)]
        + ["--dbname", url],
        "pg_dump",
    )
    with path.open("rb") as dumped:
        dumped.seek(max(0, path.stat().st_size - 4096))
        complete = b"PostgreSQL database dump complete" in dumped.read()
    if not complete:
        raise DatabaseUnavailable(
            f"the backup {path} is incomplete (no end marker); nothing was reverted",
            hint="check disk space and rerun, or run without --backup",
        )
    restore = f"psql --dbname <DATABASE_URL> --file {shlex.quote(str(path))}"
    return Backup(str(path), restore, "plain SQL, its end marker is there")


def matching_tools(major: int) -> tuple[str, str] | None:
    """``(pg_dump, pg_restore)`` of PostgreSQL ``major``, or ``None`` when none is installed."""
    import shutil

    from ..embedded import wheel_engine

    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    on_path = shutil.which("pg_dump")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    try:
        engine = wheel_engine()
        if engine.major() == major:
            candidates.append(engine.tool("pg_dump").parent)
    except Exception:  # noqa: BLE001 - no wheel: only the system's tools count
        pass
    for folder in candidates:
        dump, restore = folder / "pg_dump", folder / "pg_restore"
        if dump.is_file() and restore.is_file() and _major_of(dump) == major:
            return str(dump), str(restore)
    return None


def _major_of(tool: Path) -> int | None:
    import re

    try:
        done = subprocess.run([str(tool), "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    found = re.search(r"(\d+)(?:\.\d+)?", done.stdout)
    return int(found.group(1)) if found else None


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise DatabaseUnavailable(
            f"{what} failed, nothing was reverted: {mask(done.stderr.strip())}",
            hint="fix the backup problem, or run without --backup",
        )
