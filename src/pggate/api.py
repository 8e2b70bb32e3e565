"""The public Python API: one function per command, each returning a result.

The CLI is a thin layer over these; so are tests and anyone embedding pggate.
Nothing here prints: progress goes to ``emit``, questions to ``confirm``.

    >>> from pggate import api
    >>> report = api.check_env("examples/saas", env="local")
    >>> report.status
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .check_env import EnvReport, inspect_environment
from .config import Project, load_project, parse_duration
from .db import behind_transaction_pooler
from .errors import ConfigError, ConfirmationRefused, DatabaseUnavailable, MigrationFileError
from .events import NULL_EMIT, Emit
from .results import Finding, Severity
from .session import Session, open_session

if TYPE_CHECKING:
    from .migrations.adopt import AdoptResult
    from .migrations.derive import DerivedDown
    from .migrations.files import Migration, MigrationSet
    from .migrations.history import Applied, History
    from .migrations.maintenance import MaintenanceResult
    from .migrations.rollback import RollbackResult
    from .migrations.runner import MigrateResult
    from .migrations.status import StatusResult
    from .migrations.validate import ValidateResult
    from .results import GateResult, RunResult, VerifyResult

ProjectRef = Project | str | os.PathLike[str] | None
Confirm = Callable[[str], bool]


def load(project: ProjectRef = None) -> Project:
    """A ``Project`` from a folder, a ``pggate.toml`` path, ``None`` (search upwards) or itself."""
    if isinstance(project, Project):
        return project
    return load_project(project)


def check_env(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> EnvReport:
    """Validate the environment: config, connectivity, versions, privileges (``pggate check-env``)."""
    proj = load(project)
    with open_session(proj, env, emit=emit) as session:
        return inspect_environment(session)


def example_project(name: str = "saas") -> Path:
    """The folder of a bundled example project.

    ``examples/<name>`` in a checkout (editable install); ``<prefix>/share/pggate/examples``
    where a plain ``pip install`` put it.
    """
    import sysconfig

    candidates = [
        Path(__file__).resolve().parents[2] / "examples" / name,
        Path(sysconfig.get_path("data")) / "share" / "pggate" / "examples" / name,
    ]
    for folder in candidates:
        if (folder / "pggate.toml").is_file():
            return folder
    raise ConfigError(
        f"example project {name!r} not found (looked in {', '.join(map(str, candidates))})",
        hint="reinstall pggate, run the demo from a checkout (`make demo`), or pass --example DIR",
    )


# ---------------------------------------------------------------- migrations


def _migration_set(proj: Project) -> MigrationSet:
    from .migrations.files import load_folder

    return load_folder(proj.migrations_dir, proj.root)


def _validate_files(
    proj: Project,
    mset: MigrationSet,
    *,
    require_down: bool = False,
    applied: list[Applied] | None = None,
) -> ValidateResult:
    """Validate with the project's ``[lint]`` settings and its parse cache under ``.pggate/``."""
    from .migrations.cache import ParseCache
    from .migrations.lint import LINTS, LintSettings
    from .migrations.validate import validate as validate_files

    config = proj.settings.lint
    try:
        settings = LintSettings.from_config(config.ignore, config.enable)
    except ValueError as exc:
        raise ConfigError(
            f"{proj.file}: [lint] {exc}",
            hint=f"lint ids run LNT001-{max(LINTS)}; docs/migrations.md lists them",
        ) from None
    return validate_files(
        mset,
        require_down=require_down,
        applied=applied,
        settings=settings,
        cache=ParseCache.for_project(proj.root),
    )


def validate(
    project: ProjectRef = None,
    env: str | None = None,
    *,
    require_down: bool = False,
    emit: Emit = NULL_EMIT,
) -> ValidateResult:
    """Validate migration files offline; with ``env`` also against its history (``pggate validate``)."""
    proj = load(project)
    mset = _migration_set(proj)
    if env is None:
        return _validate_files(proj, mset, require_down=require_down)
    with open_session(proj, env, emit=emit) as session:
        applied = _history(session).applied()
        found = _history_findings(session, mset)
    result = _validate_files(proj, mset, require_down=require_down, applied=applied)
    return replace(result, findings=(*result.findings, *found))


def _history_findings(session: Session, mset: MigrationSet) -> list[Finding]:
    """TRC001 and TRC002: the history's facts, computed once where the traceability gate does."""
    from .checks.traceability.trc001_history_files import mismatches
    from .checks.traceability.trc002_schema_drift import schema_drift

    history = _history(session)
    return [*mismatches(mset, history.applied()), *schema_drift(session.conn, history)]


def status(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> StatusResult:
    """Applied, pending, edited and missing migrations of an environment (``pggate status``)."""
    from .migrations.status import status as compare

    proj = load(project)
    mset = _migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return compare(
            mset,
            _history(session).applied(),
            env=env,
            target=session.target.masked_url,
            findings=_history_findings(session, mset),
        )


def migrate(
    project: ProjectRef = None,
    env: str = "local",
    *,
    to: str | None = None,
    dry_run: bool = False,
    single_transaction: bool = False,
    lock_wait: float | None = None,
    confirm: Confirm | None = None,
    emit: Emit = NULL_EMIT,
    run_id: str | None = None,
) -> MigrateResult:
    """Apply pending migrations safely (``pggate migrate``).

    Validates first and refuses (exit 2) on any error finding before touching the
    database. Raises ``MigrationFailed`` (exit 1) when a migration fails; it was
    rolled back and earlier ones stay applied.
    """
    from .migrations.runner import Runner, plan

    proj = load(project)
    mset = _migration_set(proj)
    _refuse_on_errors(_validate_files(proj, mset))
    with open_session(proj, env, emit=emit) as session:
        environment = session.target.environment
        if not session.target.embedded and behind_transaction_pooler(session.conn):
            raise DatabaseUnavailable(
                f"environment {env!r} goes through a transaction-mode pooler "
                "(PgBouncer, Supabase port 6543): session advisory locks do not hold there",
                hint="use the direct or session-mode port (Supabase: 5432) for migrations",
            )
        if proj.settings.project.supabase and not session.target.is_local:
            from .supabase.detect import refuse_if_not_supabase

            refuse_if_not_supabase(session.conn, env)
        history = _history(session)
        pending = plan(mset.migrations, history, to).pending
        if pending and not dry_run and environment.confirm:
            question = migrate_question(env, session.target.masked_url, len(pending))
            if confirm is None or not confirm(question):
                raise ConfirmationRefused(
                    f"not migrating {env}: not confirmed", hint="pass --yes to confirm"
                )
        runner = Runner.for_session(
            session,
            history,
            emit=emit,
            run_id=run_id,
            snapshot_every_up_to=proj.settings.project.snapshot_every_up_to,
        )
        wait = lock_wait if lock_wait is not None else parse_duration(environment.lock_wait) or 0.0
        return runner.migrate(
            mset.migrations,
            to=to,
            dry_run=dry_run,
            single_transaction=single_transaction,
            lock_wait=wait,
        )


def migrate_question(env: str, url: str, count: int) -> str:
    """What ``migrate`` asks on a ``confirm = true`` environment (``stage`` pre-approves it)."""
    return f"apply {count} migration(s) to {env} ({url})?"


def rollback_question(env: str, count: int, to: str, lossy: list[str]) -> str:
    """What ``rollback`` asks, listing the down statements that drop data."""
    question = f"roll back {count} migration(s) on {env} to version {to}?"
    if lossy:
        question += " These downs drop data:\n  " + "\n  ".join(lossy) + "\n"
    return question


def rollback(
    project: ProjectRef = None,
    env: str = "local",
    *,
    to: str = "0",
    dry_run: bool = False,
    backup: bool = False,
    lock_wait: float | None = None,
    prove: str = "auto",
    derive_downs: bool = False,
    confirm: Confirm | None = None,
    emit: Emit = NULL_EMIT,
) -> RollbackResult:
    """Revert applied migrations above ``to`` and prove the schema fingerprint (``pggate rollback``).

    Refuses (exit 2) naming every migration without a down before changing anything;
    asks on ``confirm = true`` environments and whenever a down drops data. ``prove``:
    ``auto`` (the recorded fingerprint, else a shadow replay), ``recorded`` or ``shadow``.
    ``derive_downs``: files without a down use the one derived from the recorded schema
    (``pggate down``), after a confirmation that lists what it cannot reverse.
    """
    if prove not in ("auto", "recorded", "shadow"):
        raise ConfigError(f"--prove {prove!r} is not known", hint="use auto, recorded or shadow")
    from .migrations.rollback import Rollback, data_loss, plan_rollback
    from .migrations.rollback import backup as dump

    proj = load(project)
    mset = _migration_set(proj)
    migrations = mset.migrations
    with open_session(proj, env, emit=emit) as session:
        history = _history(session)
        if derive_downs:
            migrations = _with_derived_downs(migrations, history, to, env, confirm, dry_run)
        steps = plan_rollback(migrations, history.applied(), to)
        lossy = data_loss(steps)
        if steps and not dry_run and (session.target.environment.confirm or lossy):
            question = rollback_question(env, len(steps), to, lossy)
            if confirm is None or not confirm(question):
                raise ConfirmationRefused(
                    f"not rolling back {env}: not confirmed", hint="pass --yes to confirm"
                )
        saved = None
        if backup and steps and not dry_run:
            saved = str(dump(session.url, proj.evidence_dir / "backups", env))
        worker = Rollback.for_session(session, history, emit=emit)
        wait = (
            lock_wait
            if lock_wait is not None
            else parse_duration(session.target.environment.lock_wait) or 0.0
        )

        def health() -> tuple[GateResult, ...]:
            from .checks import health_gates

            # The schema left must still be safe: RLS coverage, views, functions, and a history
            # that matches the files and the fingerprint of the newest remaining migration.
            return verify(proj, env, list(health_gates()), emit=emit).gates

        result = worker.run(
            migrations,
            to,
            dry_run=dry_run,
            lock_wait=wait,
            backup=saved,
            prove=prove,
            shadow=_shadow(session),
            inspect=health,
        )
    if not backup and not session.target.is_local and steps and not dry_run:
        result = replace(
            result,
            warnings=(
                *result.warnings,
                "no --backup was taken; for non-local environments take one",
            ),
        )
    derived = [m.version for m in migrations if m.display.endswith("(derived down)")]
    used = [r["version"] for r in result.reverted if r["version"] in derived]
    if used:
        result = replace(
            result,
            warnings=(
                *result.warnings,
                f"reverted with derived downs (not written in the files): {', '.join(used)}",
            ),
        )
    return result


def _with_derived_downs(
    migrations: tuple[Migration, ...],
    history: History,
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
        for a in history.applied()
        if int(a.version) > int(to) and a.version in files and files[a.version].down_sql is None
    ]
    if not versions:
        return migrations
    derived = derive_applied(migrations, history, versions)
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


def down(
    project: ProjectRef = None,
    env: str = "local",
    version: str = "",
    *,
    write: bool = False,
    emit: Emit = NULL_EMIT,
) -> DerivedDown:
    """The down derived for an applied ``version`` from its recorded snapshots (``pggate down``).

    ``write`` appends it to the file as its down section; refused (exit 2) when the file
    already has one.
    """
    from .migrations.derive import derive_applied, section_text

    proj = load(project)
    mset = _migration_set(proj)
    migration = next((m for m in mset.migrations if m.version == version), None)
    if migration is None:
        raise MigrationFileError(
            f"version {version!r} has no file in the migrations folder",
            hint="`pggate status` lists the applied versions",
        )
    if write and migration.down_sql is not None:
        raise MigrationFileError(
            f"{migration.shown} already has a down section; nothing was written",
            hint="remove it first to replace it with the derived one",
        )
    with open_session(proj, env, emit=emit) as session:
        history = _history(session)
        if version not in {a.version for a in history.applied()}:
            raise MigrationFileError(
                f"version {version} is not applied on {env}: its schema before and after "
                "were never recorded there",
                hint="derive it on an environment where it was applied (migrate it locally first)",
            )
        derived = derive_applied(mset.migrations, history, [version])[version]
    if write:
        text = migration.path.read_text(encoding="utf-8")
        migration.path.write_text(
            text.rstrip("\n") + "\n" + section_text(derived), encoding="utf-8"
        )
    return derived


def _shadow(session: Session) -> Callable[[list[object]], dict[str, object]]:
    """Replays migrations on a throwaway database of the session's server (with the shim if it has one)."""
    from .migrations.shadow import replay

    def prepare(conn: object) -> None:
        if session.shim is not None:
            from .supabase import install

            install(conn)  # type: ignore[arg-type]

    def shadow(migrations: list[object]) -> dict[str, object]:
        exclude = [session.project.settings.project.history_schema]
        return replay(session.url, migrations, exclude_schemas=exclude, prepare=prepare)  # type: ignore[arg-type]

    return shadow


def adopt(
    project: ProjectRef = None,
    env: str = "local",
    *,
    source: str = "supabase",
    lock_wait: float | None = None,
    confirm: Confirm | None = None,
    emit: Emit = NULL_EMIT,
) -> AdoptResult:
    """Record the versions another tool applied as pggate's baseline, without running them (``pggate adopt``).

    ``source``: ``supabase`` (``supabase_migrations.schema_migrations``), ``dbmate``
    (``schema_migrations``) or ``flyway`` (``flyway_schema_history``); a recorded
    version with no local file is refused (exit 2) before anything is written.
    """
    from .migrations.adopt import SOURCES
    from .migrations.adopt import adopt as adopt_history

    if source not in SOURCES:
        raise ConfigError(
            f"cannot adopt from {source!r}", hint=f"supported: --from {'|'.join(SOURCES)}"
        )
    proj = load(project)
    mset = _migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        environment = session.target.environment
        if environment.confirm:
            question = f"record {source}'s applied versions as pggate's history on {env}?"
            if confirm is None or not confirm(question):
                raise ConfirmationRefused(
                    f"not adopting on {env}: not confirmed", hint="pass --yes to confirm"
                )
        wait = lock_wait if lock_wait is not None else parse_duration(environment.lock_wait) or 0.0
        return adopt_history(
            session.conn, mset, _history(session), source=source, emit=emit, lock_wait=wait
        )


def repair(
    project: ProjectRef = None,
    env: str = "local",
    versions: list[str] | None = None,
    *,
    status: str | None = None,
    checksum: bool = False,
    reason: str | None = None,
    confirm: Confirm | None = None,
    emit: Emit = NULL_EMIT,
) -> MaintenanceResult:
    """Mark versions applied/reverted, or re-sync edited files' checksums (``pggate repair``).

    Runs no migration SQL; each change is a ``repair``/``checksum`` event. Asks on
    ``confirm = true`` environments (refused without ``--yes`` when not interactive).
    """
    from .migrations import maintenance

    if not versions:
        raise ConfigError("name at least one VERSION", hint="pggate repair --status applied 003")
    if checksum == (status is not None):
        raise ConfigError(
            "pass exactly one of --status applied|reverted and --checksum",
            hint="--status edits which versions are applied; --checksum re-syncs edited files",
        )
    proj = load(project)
    mset = _migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        what = "re-sync the checksum of" if checksum else f"mark {status}"
        _confirm_history_edit(session, f"{what} {', '.join(versions)} on {env}", confirm)
        history, wait = _history(session), _lock_wait(session)
        if checksum:
            return maintenance.resync_checksums(
                session.conn, mset, history, versions, reason=reason, emit=emit, lock_wait=wait
            )
        return maintenance.repair(
            session.conn,
            mset,
            history,
            versions,
            status or "",
            reason=reason,
            emit=emit,
            lock_wait=wait,
        )


def baseline(
    project: ProjectRef = None,
    env: str = "local",
    *,
    version: str,
    reason: str | None = None,
    confirm: Confirm | None = None,
    emit: Emit = NULL_EMIT,
) -> MaintenanceResult:
    """Record files up to ``version`` as applied without running them (``pggate baseline``)."""
    from .migrations import maintenance

    proj = load(project)
    mset = _migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        _confirm_history_edit(
            session, f"record files up to {version} as applied on {env} (baseline)", confirm
        )
        return maintenance.baseline(
            session.conn,
            mset,
            _history(session),
            version,
            reason=reason,
            emit=emit,
            lock_wait=_lock_wait(session),
        )


def _confirm_history_edit(session: Session, question: str, confirm: Confirm | None) -> None:
    if session.target.environment.confirm and (confirm is None or not confirm(question + "?")):
        raise ConfirmationRefused(
            f"not changing pggate's history on {session.target.name}: not confirmed",
            hint="pass --yes to confirm",
        )


def _lock_wait(session: Session) -> float:
    return parse_duration(session.target.environment.lock_wait) or 0.0


def schema(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> dict[str, object]:
    """The canonical schema snapshot of an environment and its fingerprint (``pggate schema``)."""
    from .schema import fingerprint as fp
    from .schema.snapshot import take

    proj = load(project)
    with open_session(proj, env, emit=emit) as session:
        snapshot = take(session.conn, exclude_schemas=[proj.settings.project.history_schema])
        version = session.info.version_num
    return {
        "env": env,
        "server_version_num": version,
        "fingerprint": fp.of(snapshot),
        "snapshot": snapshot,
    }


def diff(
    project: ProjectRef = None,
    env: str | None = None,
    env_b: str | None = None,
    *,
    files: tuple[str, str] | None = None,
    emit: Emit = NULL_EMIT,
) -> dict[str, object]:
    """Structural diff between two environments' schemas, or two snapshot files (``pggate diff``)."""
    import json

    from .schema.diff import compare

    if files is not None:
        sides = [json.loads(Path(f).read_text()) for f in files]
        names = list(files)
    else:
        if not env or not env_b:
            raise ConfigError(
                "diff needs --env and --env-b, or two snapshot files",
                hint="pggate diff --env staging --env-b production",
            )
        sides = [schema(project, name, emit=emit) for name in (env, env_b)]
        names = [env, env_b]
    snapshots = [side.get("snapshot", side) for side in sides]
    majors = tuple(
        int(side["server_version_num"]) // 10000 if side.get("server_version_num") else None
        for side in sides
    )
    result = compare(snapshots[0], snapshots[1], majors)  # type: ignore[arg-type]
    return {
        "a": names[0],
        "b": names[1],
        "identical": not result["diff"],
        "major_versions": list(majors),
        **result,
    }


def available_gates() -> list[str]:
    """Gates this version of pggate implements, in the order they run (the gate table)."""
    from .checks import GATE_NAMES

    return list(GATE_NAMES)


def verify(
    project: ProjectRef = None,
    env: str = "local",
    gates: list[str] | None = None,
    *,
    emit: Emit = NULL_EMIT,
    options: dict[str, object] | None = None,
) -> VerifyResult:
    """Run the gates (all of the gate table by default) on an environment (``pggate verify``)."""
    from .checks import GATE_NAMES, run_gate
    from .checks.context import CheckContext
    from .events import Event
    from .results import VerifyResult

    selected = gates or list(GATE_NAMES)
    unknown = [g for g in selected if g not in GATE_NAMES]
    if unknown:
        raise ConfigError(
            f"unknown or unavailable gate(s): {', '.join(unknown)}",
            hint=f"available gates: {', '.join(GATE_NAMES)}",
        )
    proj = load(project)
    results = []
    with open_session(proj, env, emit=emit) as session:
        ctx = CheckContext(
            session.conn, proj, session=session, emit=emit, options=dict(options or {})
        )
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

    return VerifyResult(confirm(results))  # static findings the isolation proof confirmed


def bench(
    project: ProjectRef = None,
    env: str = "local",
    *,
    save: str | None = None,
    compare: str | None = None,
    emit: Emit = NULL_EMIT,
) -> BenchResult:
    """Time the bench queries (``pggate bench``); save them as a baseline, compare with one."""
    from .checks import perf
    from .checks.context import CheckContext

    proj = load(project)
    with open_session(proj, env, emit=emit) as session:
        ctx = CheckContext(
            session.conn,
            proj,
            session=session,
            emit=emit,
            options={"baseline": compare} if compare else {},
        )
        measured = perf.measure_all(ctx)
        if measured is None:
            raise ConfigError(
                f"no bench folder {perf.config(ctx).path!r} in {proj.root}",
                hint="put one query per .sql file in checks/bench/ or set [gates.perf] path",
            )
        comparison = None
        if compare:
            ctx.options["perf_baseline"] = perf.baselines.load(proj.root, env, compare)
            comparison = perf.compare(ctx, ctx.options["perf_baseline"], measured)
    saved = perf.baselines.save(proj.root, env, save, measured) if save else None
    return BenchResult(env, measured, str(saved) if saved else None, comparison)


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


def report(
    folder: str | os.PathLike[str],
    formats: list[str] | None = None,
    *,
    compare: str | os.PathLike[str] | None = None,
) -> ReportResult:
    """Rebuild the reports of an evidence package from its files alone (``pggate report``).

    ``compare``: a previous package; the reports then show what changed since it
    (stored in the package as ``compare.json``, so later rebuilds keep it).
    """
    from .evidence import FORMATS, Evidence, render

    evidence = Evidence.load(folder)
    if compare is not None:
        from .evidence.compare import compare as difference
        from .evidence.compare import save

        save(evidence, difference(evidence, Evidence.load(compare)))
        evidence = Evidence.load(folder)
    written = render(evidence, formats or list(FORMATS))
    return ReportResult(evidence.run, tuple(str(p) for p in written))


@dataclass(frozen=True)
class ReportResult:
    """The run an evidence package records and the report files written."""

    run: RunResult
    written: tuple[str, ...]

    def exit_code(self) -> int:
        """The recorded run's exit code: 0 GO, 1 NO-GO (2/3 when a step could not run)."""
        return self.run.exit_code()

    def to_dict(self) -> dict[str, object]:
        """The run as JSON, with the files written."""
        return {**self.run.to_dict(), "written": list(self.written)}


def init(folder: str | os.PathLike[str] = ".", *, supabase: bool = False) -> list[Path]:
    """Scaffold a project (``pggate init``): pggate.toml, folders, .env.example, .gitignore."""
    from .scaffold import init as scaffold

    return scaffold(Path(folder), supabase=supabase)


def new(project: ProjectRef = None, name: str = "migration") -> Path:
    """Create the next migration file (``pggate new NAME``); its path."""
    from .migrations.new import create

    return create(load(project).migrations_dir, name)


def _history(session: Session) -> History:
    from .migrations.history import History

    return History(session.conn, session.project.settings.project.history_table)


def _refuse_on_errors(result: ValidateResult) -> None:
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    if errors:
        shown = "\n".join(f"  {f.check} {f.message}" for f in errors[:10])
        more = f"\n  ... and {len(errors) - 10} more" if len(errors) > 10 else ""
        raise MigrationFileError(
            f"{len(errors)} problem(s) in the migration files; nothing was applied\n{shown}{more}",
            hint="fix them (pggate validate lists every finding), then rerun",
        )
