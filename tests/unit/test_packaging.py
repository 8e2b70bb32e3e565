"""What a plain ``pip install .`` gets: every import declared, the demo's example shipped."""

import ast
import fnmatch
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _imported_top_level_modules() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in (REPO / "src" / "pggate").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(REPO)))
    return found


def test_every_third_party_import_is_a_declared_dependency():
    declared = {
        Requirement(r).name.lower().replace("_", "-") for r in PYPROJECT["project"]["dependencies"]
    }
    # Packages a declared dependency brings by itself (psycopg[binary] -> psycopg_binary).
    distributions = packages_distributions()
    undeclared = {}
    for module, where in _imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module in ("pggate", "__future__"):
            continue
        if module == "pytest" and where.endswith("pytest_plugin.py"):
            continue  # loaded only by pytest itself, which is then installed
        owners = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not owners & declared:
            undeclared[module] = where
    assert not undeclared, f"imported but not in [project].dependencies: {undeclared}"


def test_every_file_of_the_example_ships_in_the_wheel():
    data_files = PYPROJECT["tool"]["setuptools"]["data-files"]
    patterns = [pattern for group in data_files.values() for pattern in group]
    example = REPO / "examples" / "saas"
    missing = [
        str(path.relative_to(REPO))
        for path in sorted(example.rglob("*"))
        if path.is_file()
        and ".pggate" not in path.parts
        and "evidence" not in path.parts
        and not any(fnmatch.fnmatch(str(path.relative_to(REPO)), p) for p in patterns)
    ]
    assert not missing, f"add these to [tool.setuptools.data-files] in pyproject.toml: {missing}"
