"""The gates: the one gate table, and a package per gate with a module per check id.

``GATES`` is the only list of gates. ``verify`` runs them in this order, ``stage``
runs each in the step named here, a rollback re-runs the ``health`` ones, and
docs/checks.md is generated in this order. A gate package is
``pggate/checks/<name>/`` with a ``run(ctx) -> GateResult``; its checks are the
``Check`` classes of the modules inside it, found by importing every module of
the package (``load``), so a check module is registered by being there.

tests/checks/test_registry.py fails when a package under ``checks/`` is not in
this table, or a check is defined where its gate does not load it.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..results import GateResult
    from .context import CheckContext


@dataclass(frozen=True)
class Gate:
    """A gate: its name (the package), the ``stage`` step that runs it, what it proves."""

    name: str
    step: str  # security | integrity | performance
    title: str
    health: bool = False  # re-run after a rollback: the schema left must still be safe


GATES: tuple[Gate, ...] = (
    Gate("rls", "security", "static row-level security coverage", health=True),
    Gate("isolation", "security", "behavioural cross-tenant proof, rolled back"),
    Gate("views", "security", "views that bypass RLS or no longer work", health=True),
    Gate("functions", "security", "SECURITY DEFINER functions reachable from the API", health=True),
    Gate("identity", "security", "the identity model's contract"),
    Gate("traceability", "security", "history matches files and schema; audit", health=True),
    Gate("fk", "integrity", "required, orphaned, unindexed, unvalidated foreign keys"),
    Gate("schema", "integrity", "the project's own objects: keys, indexes, extensions, types"),
    Gate("smoke", "integrity", "the project's own SQL checks"),
    Gate("perf", "performance", "bench queries against a baseline"),
)
GATE_NAMES: tuple[str, ...] = tuple(g.name for g in GATES)
GATE_STEPS: tuple[str, ...] = ("security", "integrity", "performance")


def gate(name: str) -> Gate:
    """The gate called ``name`` (``KeyError`` when there is none)."""
    for candidate in GATES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def gates_of_step(step: str) -> tuple[str, ...]:
    """The gates the ``stage`` step ``step`` runs, in order."""
    return tuple(g.name for g in GATES if g.step == step)


def health_gates() -> tuple[str, ...]:
    """The gates re-run after a rollback."""
    return tuple(g.name for g in GATES if g.health)


def load(name: str) -> ModuleType:
    """Import gate ``name`` and every module inside it, so all its checks are registered."""
    package = importlib.import_module(f"{__name__}.{name}")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return package


def load_all() -> None:
    """Import every gate and its checks, and the lints: the whole finding catalogue."""
    for name in GATE_NAMES:
        load(name)
    importlib.import_module("pggate.migrations.lint_catalogue")


def run_gate(name: str, ctx: CheckContext) -> GateResult:
    """Run gate ``name`` on ``ctx``: the one way ``verify``, ``stage`` and rollback run a gate.

    A gate that raises becomes a failed gate with a GATE001 finding saying why, and the
    next gate runs: a check that could not run proved nothing and must not pass, nor take
    the other gates down with it. Bad input (a ``PggateError``: exit 2) and a lost
    connection (exit 3) still end the command, as everywhere else.
    """
    import time

    from ..errors import PggateError

    started = time.perf_counter()
    try:
        return load(name).run(ctx)
    except PggateError:
        raise
    except Exception as exc:  # noqa: BLE001 - turned into a finding, never swallowed
        if ctx.conn.closed or ctx.conn.broken:
            raise
        return _could_not_run(name, ctx, exc, (time.perf_counter() - started) * 1000)


def _could_not_run(name: str, ctx: CheckContext, exc: Exception, ms: float) -> GateResult:
    """The failed gate ``name``: one GATE001 finding naming ``exc``, its traceback in the log."""
    import dataclasses
    import traceback

    from ..catalogue import finding
    from ..events import Event
    from ..results import GateResult

    # A psycopg error's own SQLSTATE (db.RoleSwitchDenied, made by pggate, has no diag).
    sqlstate = getattr(getattr(exc, "diag", None), "sqlstate", None) or getattr(
        exc, "sqlstate", None
    )
    database = sqlstate is not None
    text = " ".join(str(exc).split()) or type(exc).__name__
    message = (
        f"gate {name} could not run: the database refused a query "
        f"({type(exc).__name__}, SQLSTATE {sqlstate}): {text}"
        if database
        else f"gate {name} could not run: {type(exc).__name__}: {text}"
    )
    hint = (
        f"{exc.hint}; nothing this gate checks was verified"  # type: ignore[attr-defined]
        if database and getattr(exc, "hint", None)
        else "fix what the error names (a privilege, a timeout, a lock) and run again; "
        "nothing this gate checks was verified"
        if database
        else "this is a bug in pggate: rerun with -v for the traceback and report it "
        "with the run log; nothing this gate checks was verified"
    )
    ctx.emit(
        Event(
            "gate.failed",
            message,
            {"gate": name, "traceback": traceback.format_exc(), "important": False},
        )
    )
    failed = finding("GATE001", name, message, hint, sqlstate=sqlstate)
    return GateResult(name, (dataclasses.replace(failed, gate=name),), ms)
