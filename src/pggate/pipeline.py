"""The staged pipeline (``pggate stage``): nine steps, an evidence package, GO or NO-GO.

Steps run in order; each returns a ``StepResult`` that is written to the
evidence package as soon as it is known, so a crash still leaves what was
proven. A failed *mandatory* step (environment, validate, migrate) stops the
run: the remaining steps are recorded as skipped and the report is still
written. The gate steps never stop it, so the report lists every finding.

The pipeline holds one session for the whole run (one embedded server start,
one Supabase shim check, one load of the migration files) and runs each step
as ``operations`` on it; ``api`` does the same with one session per command.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import api
from . import operations as ops
from .catalogue import finding
from .config import Project, check_env_name, inside
from .errors import ConfirmationRefused, PggateError
from .events import NULL_EMIT, Emit, Event, fan_out
from .results import (
    Finding,
    RunResult,
    Status,
    StepResult,
    VerifyResult,
    status_of,
    verdict_of,
)
from .session import Session, open_session

if TYPE_CHECKING:
    from .migrations.files import MigrationSet
    from .migrations.runner import MigrateResult
    from .migrations.validate import ValidateResult

STEPS = (
    "environment",
    "validate",
    "baseline",
    "migrate",
    "security",
    "integrity",
    "performance",
    "rollback",
    "report",
)
MANDATORY = frozenset({"environment", "validate", "migrate"})


@dataclass
class _Run:
    """What the steps share during one run."""

    project: Project
    env: str
    run_id: str
    started: datetime
    rehearse_rollback: bool
    confirm: api.Confirm | None
    emit: Emit
    session: Session | None = None  # opened by the environment step, held until the end
    mset: MigrationSet | None = None  # the migration files, read once when the run starts
    validated: ValidateResult | None = None
    version_before: str = "0"
    applied: list[dict[str, Any]] = field(default_factory=list)
    perf_baseline: dict[str, Any] | None = None
    fingerprint_after: str | None = None
    artifacts: dict[str, Any] = field(default_factory=dict)  # schema snapshots for the package
    steps: list[StepResult] = field(default_factory=list)  # recorded so far
    approved: frozenset[str] = frozenset()  # the questions the one confirmation covered
    confirmation: str | None = None  # the question asked, when one was
    refusal: PggateError | None = None  # why the run was not confirmed
    gates_lock: ExitStack = field(default_factory=ExitStack)  # held from migrate to the gates


def stage(
    project: api.ProjectRef = None,
    env: str = "local",
    *,
    rehearse_rollback: bool = False,
    evidence: str | os.PathLike[str] | None = None,
    confirm: api.Confirm | None = None,
    emit: Emit = NULL_EMIT,
) -> RunResult:
    """Run the staged pipeline on ``env`` and write its evidence package and reports."""
    from .evidence import EvidencePackage

    proj = api.load(project)
    started = datetime.now(UTC)
    run_id = started.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    check_env_name(env)  # before it names a folder
    folder = (
        Path(evidence)
        if evidence
        else inside(proj.evidence_dir / f"{env}_{run_id}", proj.evidence_dir, "the evidence folder")
    )
    mset = ops.migration_set(proj)  # read once: the manifest, every step and the gates use it
    package = EvidencePackage.create(
        folder,
        proj,
        run_id=run_id,
        env=env,
        started=started.isoformat(timespec="seconds"),
        steps=STEPS,
        migrations=mset,
    )
    run = _Run(proj, env, run_id, started, rehearse_rollback, confirm, fan_out(emit, package.log))
    run.mset = mset
    # Where the evidence goes, for whoever must say what a run cut short left (cli.interrupts).
    run.emit(
        Event(
            "stage.started",
            f"stage {run_id}: evidence in {folder}",
            {"run_id": run_id, "evidence": str(folder), "important": False},
        )
    )
    steps = run.steps
    with ExitStack() as stack:
        stopped_by: str | None = None
        for number, name in enumerate(STEPS[:-1], start=1):
            if stopped_by is None and name == ASK_BEFORE:
                run.refusal = _ask_once(run)
            if name == "rollback":
                run.gates_lock.close()  # the gates are done; the rehearsal takes it exclusively
            if stopped_by is not None:
                reason = f"not run: step {stopped_by} did not pass"
                result = StepResult(name, Status.SKIP, data={"reason": reason})
            elif run.refusal is not None and name != "migrate":
                reason = "not run: the run was not confirmed"
                result = StepResult(name, Status.SKIP, data={"reason": reason})
            else:
                result = _run_step(run, name, stack)
            steps.append(result)
            package.write_step(number, result, target=_target(run))
            if name in MANDATORY and result.status.rank >= Status.FAIL.rank and stopped_by is None:
                stopped_by = name
        report = _report_step(run, package, steps)
        steps.append(report)
        package.write_step(len(STEPS), report, target=_target(run))
    result = RunResult(
        run_id,
        env,
        tuple(steps),
        str(folder),
        {"started_at": started.isoformat(timespec="seconds")},
    )
    package.finish(result, run.artifacts, target=_target(run), previous=_previous(run, folder))
    return result


def _previous(run: _Run, folder: Path) -> Path | None:
    """The last finished package of this environment: the reports show what changed since."""
    from .evidence.compare import previous_package

    return previous_package(run.project.evidence_dir, run.env, folder)


# ------------------------------------------------------------ one confirmation

ASK_BEFORE = "baseline"  # the first step after the read-only ones: ask before any work


def _ask_once(run: _Run) -> PggateError | None:
    """Ask once, before anything changes, for everything the run will do; the refusal if refused.

    The question names the migrations to apply and, with ``--rehearse-rollback``, the
    rollback and every down statement that needs confirmation (``migrations/downs.py``). The answer pre-approves exactly
    those questions of ``operations.migrate``/``rollback``; any other question (the plan
    changed under the run) is refused. Time spent here is in no step's duration.
    """
    try:
        questions, question = _run_questions(run)
        if question is None:
            run.approved = frozenset(questions)
            return None
        run.emit(Event("stage.confirm", question, {"question": question}))
        answer = _answer(run, question)
    except PggateError as exc:
        return exc
    if not answer:
        return ConfirmationRefused(
            f"Nothing was changed: staging {run.env} was not confirmed.",
            hint="answer yes, or pass --yes to confirm",
            question=question,
        )
    run.confirmation = question
    run.approved = frozenset(questions)
    return None


def _answer(run: _Run, question: str) -> bool:
    """The answer to the run's one question; nobody to ask is a refusal saying how to confirm."""
    if run.confirm is None:
        return False
    try:
        return run.confirm(question)
    except ConfirmationRefused as exc:
        raise ConfirmationRefused(
            f"Nothing was changed: staging {run.env} needs confirmation and this run "
            "is not interactive.",
            hint=exc.hint or "pass --yes to confirm",
            question=question,
        ) from None


def _run_questions(run: _Run) -> tuple[list[str], str | None]:
    """What ``migrate`` and the rehearsal would ask, and the one question covering them all."""
    from .migrations.rollback import lossy_downs
    from .migrations.runner import plan

    environment = _session(run).target.environment
    url = _session(run).target.masked_url
    mset = _files(run)
    history = ops.history(_session(run))
    applied = history.applied()
    before = applied[-1].version if applied else "0"
    pending = list(plan(mset.migrations, history).pending)
    if not pending:
        return [], None
    # Without a down somewhere the rehearsal is not applicable (step 8 says so): nothing to ask.
    rehearse = run.rehearse_rollback and all(m.has_down for m in pending)
    lossy = lossy_downs(list(reversed(pending))) if rehearse else []
    questions = [ops.migrate_question(run.env, url, len(pending))]
    if rehearse:
        questions.append(ops.rollback_question(run.env, len(pending), before, lossy))
    if not environment.confirm and not lossy:
        return questions, None
    versions = ", ".join(m.version for m in pending)
    question = f"stage {run.env} ({url}): apply {len(pending)} migration(s) ({versions})"
    if rehearse:
        question += f", then roll them back to version {before} and apply them again"
    question += "."
    if lossy:
        question += (
            "\nThe rehearsal's down statements can remove data or do what pggate cannot see:"
            "\n  " + "\n  ".join(lossy) + "\n"
        )
    return questions, question + ("Proceed?" if lossy else " Proceed?")


def _approved(run: _Run) -> api.Confirm:
    """Answers the questions the run was confirmed for, and refuses any other."""
    return lambda question: question in run.approved


def _target(run: _Run) -> dict[str, Any]:
    if run.session is None:
        return {"name": run.env}
    info = run.session.info
    return {
        "name": run.env,
        "url": run.session.target.masked_url,
        "server_version": info.version,
        "embedded": run.session.target.embedded,
    }


# --------------------------------------------------------------- running steps


def _run_step(run: _Run, name: str, stack: ExitStack) -> StepResult:
    """Run one step, timed, turning a pggate error into an ``error`` step (never raising)."""
    run.emit(Event("step.started", f"{name}", {"step": name}))
    clock = time.perf_counter()
    try:
        result = STEP_FUNCTIONS[name](run, stack)
    except PggateError as exc:
        result = StepResult(
            name, Status.ERROR, error=exc.to_dict(), findings=_error_findings(name, exc)
        )
    except Exception as exc:  # noqa: BLE001 - the run must still end with a report
        import psycopg

        if not isinstance(exc, psycopg.Error):
            raise
        unusable = (psycopg.OperationalError, psycopg.errors.InsufficientPrivilege)
        code = 3 if isinstance(exc, unusable) else 1
        error = {"error": type(exc).__name__, "message": str(exc).strip(), "exit_code": code}
        if getattr(exc, "hint", None):
            error["hint"] = exc.hint  # type: ignore[attr-defined]  # db.RoleSwitchDenied
        result = StepResult(name, Status.ERROR, error=error)
    result = StepResult(
        result.step,
        result.status,
        (time.perf_counter() - clock) * 1000,
        result.findings,
        result.gates,
        result.data,
        result.error,
    )
    run.emit(
        Event(
            "step.finished",
            f"{name}: {result.status}",
            {
                "step": name,
                "status": str(result.status),
                "duration_ms": round(result.duration_ms, 1),
                # Why a step could not run, for the live view (the report has it too).
                "error": _reason(result.error),
            },
        )
    )
    return result


def _reason(error: dict[str, Any] | None) -> dict[str, str] | None:
    if not error:
        return None
    return {"message": str(error.get("message", "")), "hint": str(error.get("hint") or "")}


def _error_findings(step: str, exc: PggateError) -> tuple[Finding, ...]:
    """A failed migration as a finding pointing into its file (for the report and annotations)."""
    failure = exc.details.get("failure") if isinstance(exc.details.get("failure"), dict) else None
    if step != "migrate" or failure is None:
        return ()
    details = {
        k: v for k, v in failure.items() if k in ("sqlstate", "statement", "message", "column")
    }
    return (
        finding(
            "MIG012",
            str(failure.get("file") or "migration"),
            exc.message.splitlines()[0],
            exc.hint or "",
            file=failure.get("file"),
            line=failure.get("line"),
            details=details,
        ),
    )


def _environment(run: _Run, stack: ExitStack) -> StepResult:
    run.session = stack.enter_context(open_session(run.project, run.env, emit=run.emit))
    report = ops.check_env(run.session)
    return StepResult("environment", report.status, findings=report.findings, data=report.to_dict())


def _validate(run: _Run, stack: ExitStack) -> StepResult:
    result = run.validated = ops.validate(run.project, _files(run), _session(run))
    data = {"files": len(result.migrations), "checked_history": result.checked_history}
    return StepResult("validate", status_of(result.findings), findings=result.findings, data=data)


def _baseline(run: _Run, stack: ExitStack) -> StepResult:
    from .checks import perf
    from .checks.context import CheckContext
    from .schema import fingerprint
    from .schema.snapshot import take

    conn = _session(run).conn
    applied = ops.history(_session(run)).applied()
    run.version_before = applied[-1].version if applied else "0"
    snapshot = take(conn)
    run.artifacts["schema_before"] = {"fingerprint": fingerprint.of(snapshot), "snapshot": snapshot}
    ctx = CheckContext(conn, run.project, session=run.session, emit=run.emit)
    run.perf_baseline = perf.measure_all(ctx)
    saved = None
    if run.perf_baseline is not None:
        name = f"stage-{run.run_id}"
        saved = perf.baselines.save(run.project.root, run.env, name, run.perf_baseline)
        run.perf_baseline["name"] = name
    data = {
        "version": run.version_before,
        "fingerprint": fingerprint.of(snapshot),
        "objects": sum(len(v) for v in snapshot.values()),
        "bench_queries": len(run.perf_baseline["queries"]) if run.perf_baseline else 0,
        "perf_baseline": str(saved.relative_to(run.project.root)) if saved else None,
    }
    return StepResult("baseline", Status.PASS, data=data)


def _migrate(run: _Run, stack: ExitStack) -> StepResult:
    if run.refusal is not None:
        raise run.refusal
    _hold_gates_lock(run, stack)
    result = _forward(run, run.run_id)
    run.applied = list(result.applied)
    run.fingerprint_after = _fingerprint(run)
    data = {**result.to_dict(), "fingerprint": run.fingerprint_after}
    if run.confirmation is not None:
        data["confirmed"] = run.confirmation
    return StepResult("migrate", Status.PASS, data=data)


def _hold_gates_lock(run: _Run, stack: ExitStack) -> None:
    """Hold the gates lock (shared) from the migrate through the gates.

    Shared with other stages; a rollback takes it exclusively, so it waits until this
    run's gates have judged the schema this run migrated (and this run waits for a
    rollback in progress). Released before the rollback rehearsal, and at the latest
    before the session closes.
    """
    from .config import parse_duration
    from .db import GATES_LOCK_KEY, advisory_lock

    session = _session(run)
    stack.enter_context(run.gates_lock)
    run.gates_lock.enter_context(
        advisory_lock(
            session.conn,
            GATES_LOCK_KEY,
            wait=parse_duration(session.target.environment.lock_wait) or 0.0,
            emit=run.emit,
            shared=True,
        )
    )


def _gates(step: str) -> Callable[[_Run, ExitStack], StepResult]:
    """The step that runs the gates the gate table puts in ``step``."""

    def run_gates(run: _Run, stack: ExitStack) -> StepResult:
        from .checks import gates_of_step

        selected = list(gates_of_step(step))
        options = {"perf_baseline": run.perf_baseline} if run.perf_baseline else {}
        result: VerifyResult = ops.verify(
            _session(run), selected, options=options, migrations=run.mset
        )
        data = {"titles": _titles(result), "verified": _verified(result)}
        return StepResult(step, result.status, gates=result.gates, data=data)

    return run_gates


def _titles(result: VerifyResult) -> dict[str, str]:
    """Each check's one-line title, stored with the step so reports need no code to show it."""
    from .catalogue import CATALOGUE

    return {
        check: CATALOGUE[check].title.replace("``", "`")
        for gate in result.gates
        for check in gate.checks
        if check in CATALOGUE
    }


def _verified(result: VerifyResult) -> dict[str, str]:
    """What each check proves when it finds nothing (reports name passing checks by it)."""
    from .catalogue import CATALOGUE

    return {
        check: CATALOGUE[check].verified
        for gate in result.gates
        for check in gate.checks
        if check in CATALOGUE and CATALOGUE[check].verified
    }


def _rollback(run: _Run, stack: ExitStack) -> StepResult:
    """Roll back to the version before this run, prove it, migrate forward, prove it again."""
    if not run.rehearse_rollback:
        return StepResult(
            "rollback", Status.SKIP, data={"reason": "not asked (--rehearse-rollback)"}
        )
    if not run.applied:
        return StepResult("rollback", Status.SKIP, data={"reason": "this run applied nothing"})
    failed = [s.step for s in run.steps if s.status.rank >= Status.FAIL.rank]
    if failed:
        reason = (
            f"not run: step {', '.join(failed)} failed, so the run is NO-GO; "
            "the rehearsal runs once the gates pass"
        )
        return StepResult("rollback", Status.SKIP, data={"reason": reason})
    missing = _without_down(run)
    if missing:
        return _rehearsal_not_applicable(missing)
    back = ops.rollback(_session(run), _files(run), to=run.version_before, confirm=_approved(run))
    findings = [] if back.proven else [_unproven_rollback(run, back.proof, bool(back.undone))]
    data: dict[str, Any] = {
        "to": run.version_before,
        "reverted": list(back.reverted),
        "undone": list(back.undone),
        "proof": back.proof,
        "fingerprint_first": run.fingerprint_after,
    }
    try:
        forward = _forward(run, f"{run.run_id}-reapply")
    except PggateError as exc:
        # What the rollback left behind often breaks the way forward: keep its proof and diff.
        data.update(reapplied=[], identical=False, reapply_error=exc.to_dict())
        findings.append(
            finding(
                "RBK002",
                "migrate after rollback",
                "migrating forward again after the rollback failed: "
                + exc.message.strip().splitlines()[0],
                "a down leaves something behind that the up then cannot create; "
                "complete the down sections",
                error=exc.message,
            )
        )
        return StepResult("rollback", status_of(findings), findings=tuple(findings), data=data)
    again = _fingerprint(run)
    if again != run.fingerprint_after:
        findings.append(
            finding(
                "RBK002",
                "migrate after rollback",
                "migrating forward again gave a different schema than the first apply",
                "a down leaves something behind that the up does not recreate the same way",
                first=run.fingerprint_after,
                again=again,
            )
        )
    data.update(
        reapplied=list(forward.applied),
        fingerprint_again=again,
        identical=again == run.fingerprint_after,
    )
    return StepResult("rollback", status_of(findings), findings=tuple(findings), data=data)


def _unproven_rollback(run: _Run, proof: dict[str, Any], undone: bool) -> Finding:
    """RBK001 with the objects that differ from the schema recorded at the target version."""
    diff = list(proof.get("diff", []))
    if proof.get("status") == "mismatch":
        message = (
            f"rolling back to {run.version_before} did not restore the schema recorded there: "
            f"{len(diff)} object(s) differ"
        )
        if undone:
            message += (
                "; the downs were rolled back with the failed proof, so the schema is still "
                "the one this run migrated"
            )
    else:  # nothing to compare with: not proven, and not claimed
        message = (
            f"rolling back to {run.version_before} could not be proven "
            f"({proof.get('status')}): {proof.get('message', 'no proof')}"
        )
    return finding(
        "RBK001",
        f"version {run.version_before}",
        message,
        "complete the down sections: drop what is marked + (left behind), recreate what is "
        "marked - (missing), restore what is marked ~ (changed)",
        diff=diff[:200],
    )


def _without_down(run: _Run) -> list[str]:
    """Files this run applied that have no down section (Supabase migrations never do)."""
    applied = {row["version"] for row in run.applied}
    mset = _files(run)
    return [m.shown for m in mset.migrations if m.version in applied and not m.has_down]


def _rehearsal_not_applicable(missing: list[str]) -> StepResult:
    """No downs: there is nothing to rehearse, which is a finding, not a failed rehearsal."""
    reason = (
        f"not applicable: {len(missing)} migration(s) this run applied have no down section "
        f"({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})"
    )
    recommendation = (
        "roll back by restoring a backup taken before migrating (pg_dump/pg_restore, or "
        "Supabase's backups / point-in-time recovery); or review derived downs with "
        "`pggate down VERSION` and write them into the files with --write"
    )
    found = finding(
        "RBK003",
        "rollback rehearsal",
        f"the rollback rehearsal was not run: {reason.removeprefix('not applicable: ')}",
        recommendation,
        without_down=missing,
    )
    data = {"reason": reason, "recommendation": recommendation, "without_down": missing}
    return StepResult("rollback", Status.SKIP, findings=(found,), data=data)


def _session(run: _Run) -> Session:
    assert run.session is not None, "the environment step opens the session"
    return run.session


def _files(run: _Run) -> MigrationSet:
    assert run.mset is not None, "stage reads the migration files first"
    return run.mset


def _forward(run: _Run, run_id: str) -> MigrateResult:
    """Apply the pending migrations on the run's session (the files validated once)."""
    return ops.migrate(
        _session(run), _files(run), confirm=_approved(run), run_id=run_id, validated=run.validated
    )


def _fingerprint(run: _Run) -> str:
    from .schema import fingerprint
    from .schema.snapshot import take

    snapshot = take(_session(run).conn)
    run.artifacts["schema_after"] = {"fingerprint": fingerprint.of(snapshot), "snapshot": snapshot}
    return fingerprint.of(snapshot)


def _report_step(run: _Run, package: Any, steps: list[StepResult]) -> StepResult:
    data = {"verdict": verdict_of(steps), "reports": list(package.REPORTS)}
    return StepResult("report", Status.PASS, data=data)


STEP_FUNCTIONS: dict[str, Callable[[_Run, ExitStack], StepResult]] = {
    "environment": _environment,
    "validate": _validate,
    "baseline": _baseline,
    "migrate": _migrate,
    "security": _gates("security"),
    "integrity": _gates("integrity"),
    "performance": _gates("performance"),
    "rollback": _rollback,
}


# ---------------------------------------------------------------------- demo


@dataclass(frozen=True)
class DemoResult:
    """What ``pggate demo`` staged: the run, and where its copy of the example lives."""

    run: RunResult
    folder: str

    def exit_code(self) -> int:
        """The run's exit code."""
        return self.run.exit_code()

    def to_dict(self) -> dict[str, Any]:
        """The run as JSON and the demo folder."""
        return {**self.run.to_dict(), "demo_folder": self.folder}


def demo(example: str | os.PathLike[str] | None = None, *, emit: Emit = NULL_EMIT) -> DemoResult:
    """Stage the example project on a throwaway embedded server (``pggate demo``).

    The example is copied to a new temporary folder so the repository stays clean;
    the copy (with its evidence package) is kept for reading the reports, the
    server and its data are removed.
    """
    import shutil
    import tempfile

    source = Path(example) if example else api.example_project()
    folder = Path(tempfile.mkdtemp(prefix="pggate-demo-")) / source.name
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(".pggate", "evidence", ".env*"))
    project = api.load(folder)
    try:
        result = stage(
            project, "local", rehearse_rollback=True, confirm=lambda _question: True, emit=emit
        )
    finally:
        shutil.rmtree(folder / ".pggate" / "local", ignore_errors=True)  # the server's data
    return DemoResult(result, str(folder))
