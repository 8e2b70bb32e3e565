"""The gate table is the one list of gates, and every check is registered where its gate runs it.

A check is registered by being a ``Check`` class in a module of its gate's package
(``pggate/checks/<gate>/``): ``checks.load`` imports every module there. These tests fail
for a check that no gate loads (defined elsewhere, or in another gate's package), for a
package under ``checks/`` that is not in the gate table, and for a gate that ``verify`` or
``stage`` does not run.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pggate.checks as checks_package
from pggate import api, pipeline
from pggate.checks import GATE_NAMES, GATE_STEPS, GATES, gates_of_step, load_all
from pggate.checks.base import REGISTRY, Check, checks_of

CHECKS_DIR = Path(checks_package.__file__).parent


def _runtime_checks() -> dict[str, type[Check]]:
    """What verify and stage run: the checks each gate's own loading registers."""
    return {c.id: c for gate in GATE_NAMES for c in checks_of(gate)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(CHECKS_DIR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import(path: Path):
    """The module at ``path`` (every file under checks/ is importable by its dotted name)."""
    return importlib.import_module(_module_name(path))


def _defined_checks() -> list[tuple[Path, type[Check]]]:
    """Every concrete Check class defined in any file under pggate/checks/."""
    found = []
    for path in sorted(CHECKS_DIR.rglob("*.py")):
        module = _import(path)
        for _name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, Check)
                and obj is not Check
                and obj.__module__ == module.__name__
                and not obj.__dict__.get("abstract", False)
            ):
                found.append((path, obj))
    return found


def test_every_check_defined_under_checks_is_run_by_its_gate():
    runtime = _runtime_checks()
    problems = []
    for path, cls in _defined_checks():
        where = path.relative_to(CHECKS_DIR.parent.parent)
        gate_dir = CHECKS_DIR / cls.gate
        if gate_dir not in path.parents:
            problems.append(
                f"{where}: {cls.__name__} ({cls.id}, gate {cls.gate}) is not in "
                f"pggate/checks/{cls.gate}/, so gate {cls.gate} never loads it: move the module there"
            )
        elif runtime.get(cls.id) is None or runtime[cls.id].__qualname__ != cls.__qualname__:
            problems.append(f"{where}: {cls.__name__} ({cls.id}) is not registered")
    assert not problems, "\n".join(problems)


def test_every_registered_check_is_one_a_gate_runs():
    load_all()
    runtime = _runtime_checks()
    assert set(REGISTRY) == set(runtime), set(REGISTRY) ^ set(runtime)


def test_every_package_under_checks_is_a_gate_of_the_gate_table():
    packages = {m.name for m in pkgutil.iter_modules(checks_package.__path__) if m.ispkg}
    missing = sorted(packages - set(GATE_NAMES))
    assert not missing, (
        f"pggate/checks/{missing[0]}/ is a gate package but not in the gate table: add "
        f'Gate("{missing[0]}", step, title) to GATES in pggate/checks/__init__.py, '
        "or verify and stage never run it"
    )
    for name in GATE_NAMES:
        assert name in packages, f"gate {name} has no package pggate/checks/{name}/"
        assert callable(getattr(importlib.import_module(f"pggate.checks.{name}"), "run", None)), (
            f"pggate/checks/{name}/__init__.py has no run(ctx)"
        )


def test_stage_and_verify_run_every_gate_of_the_table():
    stage_gate_steps = [s for s in pipeline.STEPS if s in GATE_STEPS]
    for gate in GATES:
        assert gate.step in stage_gate_steps, (
            f"gate {gate.name}: step {gate.step!r} is not a gate step of stage "
            f"({', '.join(stage_gate_steps)})"
        )
        assert gate.step in pipeline.STEP_FUNCTIONS, gate.step
    staged = [g for step in stage_gate_steps for g in gates_of_step(step)]
    assert sorted(staged) == sorted(GATE_NAMES)
    assert api.available_gates() == list(GATE_NAMES)


def test_verify_runs_every_gate_and_each_reports_its_registered_checks(project):
    root = project()
    result = api.verify(root, "test")
    assert [g.gate for g in result.gates] == list(GATE_NAMES)
    for gate in result.gates:
        registered = sorted(c.id for c in checks_of(gate.gate))
        if gate.skipped is not None and not gate.checks:
            continue
        assert sorted(gate.checks) == registered, gate.gate
