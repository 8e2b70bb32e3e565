"""What a Ctrl-C left behind, per command: the message of its exit 130.

Every command that touches a database names one of these in ``@command(on_interrupt=...)``.
A command that only reads says so: its work runs in transactions that are rolled back, the
interrupted one too (PostgreSQL rolls back what a closed connection left open). A command
that writes reads the database back and says what it holds now, never what it hoped for:
``migrate`` which migration was in flight, ``rollback`` how far it got, ``repair``,
``baseline`` and ``adopt`` (one transaction each: all of it or none) what the history
records, ``stage`` the step it was in and that its evidence package is incomplete.
"""

from __future__ import annotations

from typing import Any

from .invocation import Explain, Invocation


def reads_only(how: str) -> Explain:
    """For a command that writes nothing to the database; ``how`` says why that holds."""

    def explain(run: Invocation, options: dict[str, Any]) -> str:
        return f"interrupted: {how}; nothing in the database was changed"

    return explain


def history_now(run: Invocation) -> str:
    """``<env> now records N applied (latest V), M pending``, read from the database."""
    from .. import api

    state = api.status(run.project, run.env)
    latest = f" (latest {state.applied[-1].version})" if state.applied else ""
    return (
        f"{run.env} now records {len(state.applied)} applied{latest}, {len(state.pending)} pending"
    )


def writes_history(name: str) -> Explain:
    """For ``repair``, ``baseline`` and ``adopt``: one transaction on pggate's history."""

    def explain(run: Invocation, options: dict[str, Any]) -> str:
        return (
            f"interrupted: {name} changes pggate's history in one transaction, so all of its "
            f"changes or none were made; {history_now(run)}"
        )

    return explain


def after_migrate(run: Invocation, options: dict[str, Any]) -> str:
    """What a Ctrl-C during migrate left, read back from the database."""
    from .. import api

    planned = next((e.data["pending"] for e in run.events if e.kind == "migrate.planned"), None)
    pending = api.status(run.project, run.env).pending
    waiting = f"{len(pending)} pending"
    if planned is None:
        return f"interrupted before any migration ran; {waiting}"
    still = {m.label: m for m in pending}
    done = [label for label in planned if label not in still]
    applied = f"{len(done)} applied by this run; " if done else ""
    in_flight = next((still[label] for label in planned if label in still), None)
    if in_flight is None:
        return f"interrupted after the last migration committed; {applied}{waiting}"
    if options.get("dry_run") or options.get("single_transaction"):
        return (
            f"interrupted: the run was one transaction and was rolled back; "
            f"nothing of it applied; {waiting}"
        )
    if not in_flight.transactional:
        return (
            f"interrupted: {in_flight.label} runs outside a transaction: its statements before "
            f"the interrupted one stay applied, and it is still pending; {applied}{waiting}"
        )
    return (
        f"interrupted: {in_flight.label} was rolled back; nothing of it applied; {applied}{waiting}"
    )


def after_rollback(run: Invocation, options: dict[str, Any]) -> str:
    """What a Ctrl-C during rollback left: the versions still applied above the target."""
    from .. import api

    if options.get("dry_run"):
        return (
            "interrupted: the rehearsal ran in one transaction and was rolled back; nothing "
            f"was reverted; {history_now(run)}"
        )
    state = api.status(run.project, run.env)
    target = str(options.get("to"))
    above = [a for a in state.applied if not target.isdigit() or int(a.version) > int(target)]
    said = f"interrupted: {history_now(run)}; {len(above)} version(s) above {target} still applied"
    loose = [a.version for a in above if not a.transactional]
    if loose:
        said += (
            f"; the downs of {', '.join(loose)} run outside a transaction: if one was running, "
            "its statements before the interrupted one stay reverted"
        )
    return said


def after_stage(run: Invocation, options: dict[str, Any]) -> str:
    """The step stage was in, what the database holds now, and its evidence package."""
    started = next((e.data for e in run.events if e.kind == "stage.started"), None)
    finished = {e.data["step"] for e in run.events if e.kind == "step.finished"}
    running = [
        e.data["step"]
        for e in run.events
        if e.kind == "step.started" and e.data["step"] not in finished
    ]
    if started is None:
        return "interrupted before the run began; nothing was written"
    where = f" during step {running[-1]}" if running else " between steps"
    if running and running[-1] == "migrate":
        state = after_migrate(run, {}).removeprefix("interrupted")
        state = state.removeprefix(": ").removeprefix("; ").lstrip()
    else:
        state = history_now(run)
    return (
        f"interrupted{where}: {state}; the evidence package {started['evidence']} is incomplete "
        "and reads as NO-GO"
    )


def after_demo(run: Invocation, options: dict[str, Any]) -> str:
    """The demo's server is its own: stopped and removed whatever happened."""
    return (
        "interrupted: the demo ran on a throwaway embedded server, which was stopped and "
        "removed; no other database was touched"
    )
