"""The public Python API: one function per command, each returning a result.

The CLI is a thin layer over these; so are tests and anyone embedding pggate.
Nothing here prints: progress goes to ``emit``, questions to ``confirm``. Each
function opens one session and hands it to ``operations``, which does the work.

    >>> from pggate import api
    >>> report = api.check_env("examples/saas", env="local")
    >>> report.status
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import operations as ops
from .config import Project, load_project
from .errors import ConfigError, MigrationFileError
from .events import NULL_EMIT, Emit
from .operations import BenchResult, Confirm, migrate_question, rollback_question
from .results import DiffResult, SchemaResult
from .session import open_session

if TYPE_CHECKING:
    from .check_env import EnvReport
    from .migrations.adopt import AdoptResult
    from .migrations.derive import DerivedDown
    from .migrations.maintenance import MaintenanceResult
    from .migrations.rollback import RollbackResult
    from .migrations.runner import MigrateResult, PlanResult
    from .migrations.status import StatusResult
    from .migrations.validate import ValidateResult
    from .results import RunResult, VerifyResult

ProjectRef = Project | str | os.PathLike[str] | None
__all__ = ["BenchResult", "Confirm", "ProjectRef", "migrate_question", "rollback_question"]


def load(project: ProjectRef = None) -> Project:
    """A ``Project`` from a folder, a ``pggate.toml`` path, ``None`` (search upwards) or itself."""
    if isinstance(project, Project):
        return project
    return load_project(project)


def check_env(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> EnvReport:
    """Validate the environment: config, connectivity, versions, privileges (``pggate check-env``)."""
    with open_session(load(project), env, emit=emit) as session:
        return ops.check_env(session)


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


def validate(
    project: ProjectRef = None,
    env: str | None = None,
    *,
    require_down: bool = False,
    emit: Emit = NULL_EMIT,
) -> ValidateResult:
    """Validate migration files offline; with ``env`` also against its history (``pggate validate``)."""
    proj = load(project)
    mset = ops.migration_set(proj)
    if env is None:
        return ops.validate(proj, mset, require_down=require_down)
    with open_session(proj, env, emit=emit) as session:
        return ops.validate(proj, mset, session, require_down=require_down)


def status(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> StatusResult:
    """Applied, pending, edited and missing migrations of an environment (``pggate status``)."""
    proj = load(project)
    mset = ops.migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return ops.status(session, mset)


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
    trace: bool = False,
) -> MigrateResult:
    """Apply pending migrations safely (``pggate migrate``).

    Validates first and refuses (exit 2) on any error finding before touching the
    database. Raises ``MigrationFailed`` (exit 1) when a migration fails; it was
    rolled back and earlier ones stay applied.
    """
    proj = load(project)
    mset = ops.migration_set(proj)
    validated = ops.validate(proj, mset)
    ops.refuse_on_errors(validated)  # before a server is started or a connection opened
    with open_session(proj, env, emit=emit) as session:
        return ops.migrate(
            session,
            mset,
            to=to,
            dry_run=dry_run,
            single_transaction=single_transaction,
            lock_wait=lock_wait,
            confirm=confirm,
            run_id=run_id,
            validated=validated,
            trace=trace,
        )


def migrate_plan(
    project: ProjectRef = None,
    env: str = "local",
    *,
    to: str | None = None,
    emit: Emit = NULL_EMIT,
) -> PlanResult:
    """The statements ``migrate`` would run, per pending file (``pggate migrate --plan``).

    Nothing is sent to the server but reading the history, in a read-only transaction:
    no lock, no table created, no SQL of the migrations run.
    """
    from .migrations.history import History
    from .migrations.runner import PlanResult, plan, plan_statements

    proj = load(project)
    mset = ops.migration_set(proj)
    ops.refuse_on_errors(ops.validate(proj, mset))
    with open_session(proj, env, emit=emit, install_shim=False) as session:
        history = History(session.conn, proj.settings.project.history_table)
        with session.conn.transaction():
            session.conn.execute("set transaction read only")
            pending = plan(mset.migrations, history, to).pending
        return PlanResult(env, session.target.masked_url, plan_statements(pending))


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
    trace: bool = False,
    emit: Emit = NULL_EMIT,
) -> RollbackResult:
    """Revert applied migrations above ``to`` and prove the schema fingerprint (``pggate rollback``).

    Everything runs under the migration lock, taken first. Refuses (exit 2) naming every
    migration without a down, and a ``to`` that is neither 0 nor a known version, before
    changing anything; asks on ``confirm = true`` environments and whenever a down
    statement can remove data or pggate cannot see what it does. ``prove``:
    ``auto`` (the recorded fingerprint, else a shadow replay), ``recorded`` or ``shadow``.
    ``derive_downs``: files without a down use the one derived from the recorded schema
    (``pggate down``), after a confirmation that lists what it cannot reverse.
    """
    ops.check_prove(prove)
    proj = load(project)
    mset = ops.migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return ops.rollback(
            session,
            mset,
            to=to,
            dry_run=dry_run,
            backup=backup,
            lock_wait=lock_wait,
            prove=prove,
            derive_downs=derive_downs,
            confirm=confirm,
            trace=trace,
        )


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
    from .migrations.derive import section_text

    proj = load(project)
    mset = ops.migration_set(proj)
    migration = next((m for m in mset.migrations if m.version == version), None)
    if migration is None:
        raise MigrationFileError(
            f"version {version!r} has no file in the migrations folder",
            hint="`pggate status` lists the applied versions",
        )
    if write and migration.has_down:
        raise MigrationFileError(
            f"{migration.shown} already has a down section; nothing was written",
            hint="remove it first to replace it with the derived one",
        )
    with open_session(proj, env, emit=emit) as session:
        derived = ops.derive_down(session, mset, version)
    if write:
        text = migration.path.read_text(encoding="utf-8")
        migration.path.write_text(
            text.rstrip("\n") + "\n" + section_text(derived), encoding="utf-8"
        )
    return derived


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

    if source not in SOURCES:
        raise ConfigError(
            f"cannot adopt from {source!r}", hint=f"supported: --from {'|'.join(SOURCES)}"
        )
    proj = load(project)
    mset = ops.migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return ops.adopt(session, mset, source=source, lock_wait=lock_wait, confirm=confirm)


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
    if not versions:
        raise ConfigError("name at least one VERSION", hint="pggate repair --status applied 003")
    if checksum == (status is not None):
        raise ConfigError(
            "pass exactly one of --status applied|reverted and --checksum",
            hint="--status edits which versions are applied; --checksum re-syncs edited files",
        )
    proj = load(project)
    mset = ops.migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return ops.repair(
            session,
            mset,
            versions,
            status=status,
            checksum=checksum,
            reason=reason,
            confirm=confirm,
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
    proj = load(project)
    mset = ops.migration_set(proj)
    with open_session(proj, env, emit=emit) as session:
        return ops.baseline(session, mset, version, reason=reason, confirm=confirm)


def schema(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> SchemaResult:
    """The canonical schema snapshot of an environment and its fingerprint (``pggate schema``)."""
    with open_session(load(project), env, emit=emit) as session:
        return ops.schema(session)


def diff(
    project: ProjectRef = None,
    env: str | None = None,
    env_b: str | None = None,
    *,
    files: tuple[str, str] | None = None,
    emit: Emit = NULL_EMIT,
) -> DiffResult:
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
        sides = [schema(project, name, emit=emit).to_dict() for name in (env, env_b)]
        names = [env, env_b]
    snapshots = [side.get("snapshot", side) for side in sides]
    majors = tuple(
        int(side["server_version_num"]) // 10000 if side.get("server_version_num") else None
        for side in sides
    )
    result = compare(snapshots[0], snapshots[1], majors)  # type: ignore[arg-type]
    return DiffResult(
        str(names[0]),
        str(names[1]),
        tuple(result["diff"]),
        major_versions=majors,
        version_artefacts=tuple(result["version_artefacts"]),
        note=result["note"],
    )


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
    ops.check_gates(gates)
    with open_session(load(project), env, emit=emit) as session:
        return ops.verify(session, gates, options=options)


def bench(
    project: ProjectRef = None,
    env: str = "local",
    *,
    save: str | None = None,
    compare: str | None = None,
    emit: Emit = NULL_EMIT,
) -> BenchResult:
    """Time the bench queries (``pggate bench``); save them as a baseline, compare with one."""
    with open_session(load(project), env, emit=emit) as session:
        return ops.bench(session, save=save, compare=compare)


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
