"""The work behind each command, done on a session that is already open.

``api`` opens one session per command and calls one function here; ``pipeline.stage``
opens one session for the whole run (one embedded server start, one shim install)
and calls them all on it, with the migration files loaded once. Nothing here opens
a session of its own: everything that talks to the database goes through the one
it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .config import Project, parse_duration
from .db import behind_transaction_pooler
from .errors import (
    ConfigError,
    ConfirmationRefused,
    DatabaseUnavailable,
    MigrationFileError,
    PggateError,
)
from .results import Finding, SchemaResult, Severity
from .session import Session

if TYPE_CHECKING:
    from .check_env import EnvReport
    from .migrations.adopt import AdoptResult
    from .migrations.cache import ParseCache
    from .migrations.derive import DerivedDown
    from .migrations.downs import Risk
    from .migrations.files import Migration, MigrationSet
    from .migrations.history import Applied, History
    from .migrations.maintenance import MaintenanceResult
    from .migrations.rollback import Backup, RollbackResult, Step
    from .migrations.runner import MigrateResult
    from .migrations.status import StatusResult
    from .migrations.validate import ValidateResult
    from .results import GateResult, VerifyResult

Confirm = Callable[[str], bool]


def migration_set(project: Project) -> MigrationSet:
    """The project's migration files, read and split once."""
    from .migrations.files import load_folder

    return load_folder(project.migrations_dir, project.root)


def history(session: Session) -> History:
    """The environment's history table."""
    from .migrations.history import History

    return History(session.conn, session.project.settings.project.history_table)


def check_env(session: Session) -> EnvReport:
    """The check-env step: server facts and ENV findings."""
    from .check_env import inspect_environment

    return inspect_environment(session)


def validate(
    project: Project,
    mset: MigrationSet,
    session: Session | None = None,
    *,
    require_down: bool = False,
    cache: ParseCache | None = None,
) -> ValidateResult:
    """The files, with the project's ``[lint]`` settings and its parse cache under ``.pggate/``.

    With a session the lints know which files are applied (a table an earlier pending file
    creates is new), and the history's facts are added (TRC001, TRC002). ``cache``: the
    project's parse cache, when the caller keeps using it (migrate's runner reads it).
    """
    from .migrations.lint import LINTS, LintSettings
    from .migrations.validate import validate as validate_files

    config = project.settings.lint
    try:
        settings = LintSettings.from_config(config.ignore, config.enable)
    except ValueError as exc:
        raise ConfigError(
            f"{project.file}: [lint] {exc}",
            hint=f"lint ids run LNT001-{max(LINTS)}; docs/migrations.md lists them",
        ) from None
    applied = history(session).applied() if session is not None else None
    result = validate_files(
        mset,
        require_down=require_down,
        applied=applied,
        settings=settings,
        cache=cache or parse_cache(project),
    )
    if session is None:
        return result
    return replace(result, findings=(*result.findings, *history_findings(session, mset)))


def parse_cache(project: Project) -> ParseCache:
    """The project's parse cache under ``.pggate/`` (what validation learnt of each file)."""
    from .migrations.cache import ParseCache

    return ParseCache.for_project(project.root)


def history_findings(
    session: Session, mset: MigrationSet, applied: list[Applied] | None = None
) -> list[Finding]:
    """TRC001 and TRC002: one comparison each, the same the traceability gate makes.

    ``applied``: the history's rows, when the caller read them already.
    """
    from .checks.traceability.trc001_history_files import mismatches
    from .checks.traceability.trc002_schema_drift import schema_drift

    recorded = history(session)
    rows = recorded.applied() if applied is None else applied
    return [*mismatches(mset, rows), *schema_drift(session.conn, recorded, rows)]


def status(session: Session, mset: MigrationSet) -> StatusResult:
    """Applied, pending, edited and missing migrations, and schema drift."""
    from .migrations.status import status as compare

    applied = history(session).applied()  # read once: the comparisons share it
    return compare(
        mset,
        applied,
        env=session.target.name,
        target=session.target.masked_url,
        findings=history_findings(session, mset, applied),
    )


def migrate_question(env: str, url: str, count: int) -> str:
    """What ``migrate`` asks on a ``confirm = true`` environment (``stage`` pre-approves it)."""
    return f"apply {count} migration(s) to {env} ({url})?"


def rollback_question(env: str, count: int, to: str, lossy: list[str]) -> str:
    """What ``rollback`` asks, listing the down statements that need confirmation and why."""
    question = f"roll back {count} migration(s) on {env} to version {to}?"
    if lossy:
        question += (
            " These down statements can remove data or do what pggate cannot see:\n  "
            + "\n  ".join(lossy)
            + "\n"
        )
    return question


def migrate(
    session: Session,
    mset: MigrationSet,
    *,
    to: str | None = None,
    dry_run: bool = False,
    single_transaction: bool = False,
    lock_wait: float | None = None,
    confirm: Confirm | None = None,
    run_id: str | None = None,
    validated: ValidateResult | None = None,
    trace: bool = False,
) -> MigrateResult:
    """Apply the pending migrations; refuses (exit 2) on an error in the files first.

    ``validated``: the files' validation when the caller has it already (``stage``).
    ``trace``: statement by statement, each one's time emitted (``-v``).
    """
    from .migrations.runner import Runner, plan
    from .migrations.validate import file_facts

    cache = parse_cache(session.project)
    refuse_on_errors(validated or validate(session.project, mset, cache=cache))
    environment = session.target.environment
    _refuse_pooler(session, "migrate")
    if session.project.settings.project.supabase and not session.target.is_local:
        from .supabase.detect import refuse_if_not_supabase

        refuse_if_not_supabase(session.conn, session.target.name)
    recorded = history(session)
    # The plan is made again under the lock; reading it before is only for the question.
    if not dry_run and environment.confirm:
        pending = plan(mset.migrations, recorded, to).pending
        if pending:
            question = migrate_question(
                session.target.name, session.target.masked_url, len(pending)
            )
            _ask(confirm, question, f"not migrating {session.target.name}")
    runner = Runner.for_session(
        session,
        recorded,
        emit=session.emit,
        run_id=run_id,
        trace=trace,
        snapshot_every_up_to=session.project.settings.project.snapshot_every_up_to,
        facts=lambda migration: file_facts(migration, cache),
    )
    try:
        return runner.migrate(
            mset.migrations,
            to=to,
            dry_run=dry_run,
            single_transaction=single_transaction,
            lock_wait=_lock_wait(session, lock_wait),
        )
    finally:
        session.reset()


def rollback(
    session: Session,
    mset: MigrationSet,
    *,
    to: str = "0",
    dry_run: bool = False,
    backup: bool = False,
    lock_wait: float | None = None,
    prove: str = "auto",
    derive_downs: bool = False,
    confirm: Confirm | None = None,
    trace: bool = False,
) -> RollbackResult:
    """Revert applied migrations above ``to``, prove the schema, re-run the health gates.

    ``derive_downs``: files without a down use the one derived from the recorded schema
    (``pggate down``), after a confirmation that lists what it cannot reverse.
    """
    check_prove(prove)
    _refuse_standby(session, "roll back")
    _refuse_pooler(session, "roll back")
    from .migrations.rollback import Rollback

    env = session.target.name
    recorded = history(session)
    migrations = mset.migrations
    if derive_downs:
        migrations = _with_derived_downs(migrations, recorded, to, env, confirm, dry_run)
    worker = Rollback.for_session(session, recorded, emit=session.emit, trace=trace)

    def approve(steps: list[Step], risks: list[Risk]) -> Backup | None:
        # Called under the migration lock, with the plan made under it.
        return _approve_rollback(session, steps, risks, to, dry_run, backup, confirm)

    def health() -> tuple[GateResult, ...]:
        # The schema left must still be safe: RLS coverage, views, functions, and a history
        # that matches the files and the fingerprint of the newest remaining migration.
        from .checks import health_gates

        session.reset()
        return verify(session, list(health_gates()), migrations=mset).gates

    orphans: list[str] = []
    try:
        result = worker.run(
            migrations,
            to,
            dry_run=dry_run,
            lock_wait=_lock_wait(session, lock_wait),
            approve=approve,
            prove=prove,
            shadow=_shadow(session, orphans),
            inspect=health,
        )
    finally:
        session.reset()
    if orphans:
        warning = (
            f"dropped orphaned shadow database(s) left by a run that died: {', '.join(orphans)}"
        )
        result = replace(result, warnings=(*result.warnings, warning))
    if not backup and not session.target.is_local and result.reverted and not dry_run:
        warning = "no --backup was taken; for non-local environments take one"
        result = replace(result, warnings=(*result.warnings, warning))
    derived = [m.version for m in migrations if m.display.endswith("(derived down)")]
    used = [r["version"] for r in result.reverted if r["version"] in derived]
    if used:
        warning = f"reverted with derived downs (not written in the files): {', '.join(used)}"
        result = replace(result, warnings=(*result.warnings, warning))
    return result


def _refuse_standby(session: Session, what: str) -> None:
    """Refuse (exit 3) to change anything on a read-only standby (ENV005), before trying."""
    if not session.info.in_recovery:
        return
    raise DatabaseUnavailable(
        f"cannot {what} {session.target.name!r}: the server is a read-only standby (in "
        "recovery), where nothing can be written; nothing was changed",
        hint="point the environment at the primary",
    )


def _refuse_pooler(session: Session, what: str) -> None:
    """Refuse (exit 3) to change the schema or the history through a transaction-mode pooler.

    migrate, rollback, repair, baseline and adopt hold the session advisory lock while they
    write:
    there it would stay on a server connection the pooler hands to another client, and be
    released (if at all) on another one.
    """
    if session.target.embedded or not behind_transaction_pooler(session.conn, session.url):
        return
    raise DatabaseUnavailable(
        f"cannot {what} {session.target.name!r} through a transaction-mode pooler "
        f"({session.target.masked_url}: PgBouncer pool_mode = transaction, Supabase's "
        "pooler on port 6543): the migration lock and session settings do not hold there, "
        "and another client could run on pggate's connection; nothing was changed",
        hint="point the environment at the direct connection: the database server itself "
        "(Supabase: db.<project-ref>.supabase.co:5432) or a session-mode pooler "
        "(Supabase's pooler on port 5432, PgBouncer pool_mode = session)",
    )


def _approve_rollback(
    session: Session,
    steps: list[Step],
    risks: list[Risk],
    to: str,
    dry_run: bool,
    backup: bool,
    confirm: Confirm | None,
) -> Backup | None:
    """Ask when the environment says so or a down can remove data; then take the backup."""
    from .migrations.rollback import backup as dump

    env = session.target.name
    if steps and not dry_run and (session.target.environment.confirm or risks):
        question = rollback_question(env, len(steps), to, [str(r) for r in risks])
        if confirm is None or not confirm(question):
            listed = "".join(f"\n  {r}" for r in risks)
            raise ConfirmationRefused(
                f"not rolling back {env}: not confirmed; nothing was changed{listed}",
                hint="pass --yes to confirm",
            )
    if backup and steps and not dry_run:
        return dump(session.url, session.project.evidence_dir / "backups", env, session.info.major)
    return None


def _with_derived_downs(
    migrations: tuple[Migration, ...],
    recorded: History,
    to: str,
    env: str,
    confirm: Confirm | None,
    dry_run: bool,
) -> tuple[Migration, ...]:
    """``migrations`` with derived downs for the applied files above ``to`` that have none."""
    from .migrations.derive import derive_applied, with_derived

    files = {m.version: m for m in migrations}
    versions = [
        a.version
        for a in recorded.applied()
        if int(a.version) > int(to) and a.version in files and not files[a.version].has_down
    ]
    if not versions:
        return migrations
    derived = derive_applied(migrations, recorded, versions)
    caveats = [f"{v}: {item}" for v in versions for item in derived[v].irreversible]
    question = f"use derived downs for {len(versions)} migration(s) without one on {env}?"
    if caveats:
        question += " They cannot reverse:\n  " + "\n  ".join(caveats) + "\n"
    if not dry_run and (confirm is None or not confirm(question)):
        raise ConfirmationRefused(
            f"not rolling back {env} with derived downs: not confirmed",
            hint="review them with `pggate down VERSION`, then pass --yes",
        )
    return with_derived(migrations, derived)


def _shadow(
    session: Session, orphans: list[str] | None = None
) -> Callable[[list[object]], dict[str, object]]:
    """Replays migrations on a throwaway database of the session's server (with the shim if it has one).

    Each replay first drops the shadow databases of runs that died (``orphans`` collects
    their names, for the result's warnings).
    """
    from .migrations.shadow import replay

    def prepare(conn: object) -> None:
        if session.shim is not None:
            from .supabase import install

            install(conn)  # type: ignore[arg-type]

    def shadow(migrations: list[object]) -> dict[str, object]:
        from .events import Event
        from .migrations.shadow import drop_orphans

        dropped = drop_orphans(session.url)
        if dropped:
            if orphans is not None:
                orphans.extend(dropped)
            session.emit(
                Event(
                    "shadow.orphans",
                    f"dropped {len(dropped)} orphaned shadow database(s) left by a run that "
                    f"died: {', '.join(dropped)}",
                )
            )
        # The snapshot itself leaves pggate's tables out, wherever they are: no schema to skip.
        return replay(session.url, migrations, exclude_schemas=(), prepare=prepare)  # type: ignore[arg-type]

    return shadow


def adopt(
    session: Session,
    mset: MigrationSet,
    *,
    source: str = "supabase",
    lock_wait: float | None = None,
    confirm: Confirm | None = None,
) -> AdoptResult:
    """Record the versions another tool applied (``source``) as pggate's baseline."""
    from .migrations.adopt import adopt as adopt_history

    _refuse_standby(session, "adopt a history on")
    _refuse_pooler(session, "adopt a history on")
    if session.target.environment.confirm:
        question = (
            f"record {source}'s applied versions as pggate's history on {session.target.name}?"
        )
        _ask(confirm, question, f"not adopting on {session.target.name}")
    return adopt_history(
        session.conn,
        mset,
        history(session),
        source=source,
        emit=session.emit,
        lock_wait=_lock_wait(session, lock_wait),
    )


def derive_down(session: Session, mset: MigrationSet, version: str) -> DerivedDown:
    """The down derived for an applied ``version`` from its recorded snapshots (``pggate down``)."""
    from .migrations.derive import derive_applied

    recorded = history(session)
    if version not in {a.version for a in recorded.applied()}:
        raise MigrationFileError(
            f"version {version} is not applied on {session.target.name}: its schema before "
            "and after were never recorded there",
            hint="derive it on an environment where it was applied (migrate it locally first)",
        )
    return derive_applied(mset.migrations, recorded, [version])[version]


def repair(
    session: Session,
    mset: MigrationSet,
    versions: list[str],
    *,
    status: str | None = None,
    checksum: bool = False,
    reason: str | None = None,
    confirm: Confirm | None = None,
) -> MaintenanceResult:
    """Mark ``versions`` applied/reverted (``status``), or re-sync their checksums."""
    from .migrations import maintenance

    what = "re-sync the checksum of" if checksum else f"mark {status}"
    _refuse_standby(session, "repair the history of")
    _refuse_pooler(session, "repair the history of")
    _confirm_history_edit(
        session, f"{what} {', '.join(versions)} on {session.target.name}", confirm
    )
    recorded, wait = history(session), _lock_wait(session, None)
    if checksum:
        return maintenance.resync_checksums(
            session.conn, mset, recorded, versions, reason=reason, emit=session.emit, lock_wait=wait
        )
    return maintenance.repair(
        session.conn,
        mset,
        recorded,
        versions,
        status or "",
        reason=reason,
        emit=session.emit,
        lock_wait=wait,
    )


def baseline(
    session: Session,
    mset: MigrationSet,
    version: str,
    *,
    reason: str | None = None,
    confirm: Confirm | None = None,
) -> MaintenanceResult:
    """Record the files up to ``version`` as applied without running them."""
    from .migrations import maintenance

    env = session.target.name
    _refuse_standby(session, "record a baseline on")
    _refuse_pooler(session, "record a baseline on")
    _confirm_history_edit(
        session, f"record files up to {version} as applied on {env} (baseline)", confirm
    )
    return maintenance.baseline(
        session.conn,
        mset,
        history(session),
        version,
        reason=reason,
        emit=session.emit,
        lock_wait=_lock_wait(session, None),
    )


def _confirm_history_edit(session: Session, question: str, confirm: Confirm | None) -> None:
    if session.target.environment.confirm:
        _ask(confirm, question + "?", f"not changing pggate's history on {session.target.name}")


def schema(session: Session) -> SchemaResult:
    """The canonical schema snapshot and its fingerprint."""
    from .schema import fingerprint as fp
    from .schema.snapshot import take

    snapshot = take(session.conn)
    return SchemaResult(session.target.name, fp.of(snapshot), snapshot, session.info.version_num)


def verify(
    session: Session,
    gates: list[str] | None = None,
    *,
    options: dict[str, object] | None = None,
    migrations: MigrationSet | None = None,
) -> VerifyResult:
    """Run ``gates`` (every gate of the gate table by default), in the table's order.

    ``migrations``: the files, when the caller loaded them already (read once per run).
    """
    from .checks import GATE_NAMES, run_gate
    from .checks.context import CheckContext
    from .events import Event
    from .results import VerifyResult

    selected = check_gates(gates)
    emit = session.emit
    ctx = CheckContext(
        session.conn,
        session.project,
        session=session,
        emit=emit,
        options=dict(options or {}),
        migrations=migrations,
    )
    results = []
    for gate in [g for g in GATE_NAMES if g in selected]:
        emit(Event("gate.started", f"gate {gate}", {"gate": gate, "important": False}))
        result = run_gate(gate, ctx)
        emit(
            Event(
                "gate.finished",
                f"gate {gate}: {result.status}",
                {"gate": gate, "important": False},
            )
        )
        results.append(result)
    from .checks.confirm import confirm

    # static findings the isolation proof confirmed; pending files change what was judged
    return VerifyResult(confirm(results), warnings=pending_warnings(session, migrations))


def pending_warnings(session: Session, migrations: MigrationSet | None) -> tuple[str, ...]:
    """Why the gates' verdict is not about the schema the files describe, if it is not."""
    try:
        mset = migrations or migration_set(session.project)
    except PggateError as exc:
        return (
            f"the migration files could not be read ({exc.message}): the gates judged the "
            "live schema without knowing whether it is the one the files describe",
        )
    import psycopg

    try:
        applied = {a.version for a in history(session).applied()}
    except psycopg.Error as exc:
        if session.conn.broken:
            raise
        return (
            f"the migration history could not be read ({' '.join(str(exc).split())}): the "
            "gates judged the live schema without knowing whether migrations are pending",
        )
    pending = [m for m in mset.migrations if m.version not in applied]
    if not pending:
        return ()
    names = ", ".join(m.label for m in pending[:5]) + (", ..." if len(pending) > 5 else "")
    return (
        f"{len(pending)} migration(s) pending ({names}): the gates judged a schema that is "
        "not the one the files describe; run `pggate migrate` (or `pggate stage`) first",
    )


@dataclass(frozen=True)
class BenchResult:
    """What ``pggate bench`` measured, where it saved it, and the comparison asked for."""

    env: str
    measured: dict[str, object]
    saved: str | None = None
    comparison: GateResult | None = None

    def exit_code(self) -> int:
        """1 when the comparison found a slower query, else 0."""
        return 1 if self.comparison is not None and self.comparison.status == "fail" else 0

    def to_dict(self) -> dict[str, object]:
        """The measurements, the saved path and the comparison."""
        return {
            "env": self.env,
            "saved": self.saved,
            **self.measured,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


def bench(session: Session, *, save: str | None = None, compare: str | None = None) -> BenchResult:
    """Time the bench queries; save them as a baseline, compare with one."""
    from .checks import perf
    from .checks.context import CheckContext

    project, env = session.project, session.target.name
    ctx = CheckContext(
        session.conn,
        project,
        session=session,
        emit=session.emit,
        options={"baseline": compare} if compare else {},
    )
    measured = perf.measure_all(ctx)
    if measured is None:
        raise ConfigError(
            f"no bench folder {perf.config(ctx).path!r} in {project.root}",
            hint="put one query per .sql file in checks/bench/ or set [gates.perf] path",
        )
    comparison = None
    if compare:
        ctx.options["perf_baseline"] = perf.baselines.load(project.root, env, compare)
        comparison = perf.compare(ctx, ctx.options["perf_baseline"], measured)
    saved = perf.baselines.save(project.root, env, save, measured) if save else None
    return BenchResult(env, measured, str(saved) if saved else None, comparison)


def check_gates(gates: list[str] | None) -> list[str]:
    """``gates`` (all of the gate table when ``None``), refusing an unknown one (exit 2)."""
    from .checks import GATE_NAMES

    selected = gates or list(GATE_NAMES)
    unknown = [g for g in selected if g not in GATE_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown or unavailable gate(s): {', '.join(unknown)}",
            hint=f"available gates: {', '.join(GATE_NAMES)}",
        )
    return selected


def check_prove(prove: str) -> None:
    """Refuse (exit 2) a ``--prove`` mode that does not exist."""
    if prove not in ("auto", "recorded", "shadow"):
        raise ConfigError(f"--prove {prove!r} is not known", hint="use auto, recorded or shadow")


def _lock_wait(session: Session, asked: float | None) -> float:
    if asked is not None:
        return asked
    return parse_duration(session.target.environment.lock_wait) or 0.0


def _ask(confirm: Confirm | None, question: str, refused: str) -> None:
    if confirm is None or not confirm(question):
        raise ConfirmationRefused(f"{refused}: not confirmed", hint="pass --yes to confirm")


def refuse_on_errors(result: ValidateResult) -> None:
    """Refuse (exit 2) to migrate when the files have an error finding; nothing is applied."""
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    if errors:
        shown = "\n".join(f"  {f.check} {f.message}" for f in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise MigrationFileError(
            f"{len(errors)} problem(s) in the migration files; nothing was applied\n{shown}{more}",
            hint="fix them (pggate validate lists every finding), then rerun",
        )
