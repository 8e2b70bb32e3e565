"""Scaffold a new check: its module, its case file and its row in docs/checks.md.

    make new-check ID=RLS020 GATE=rls NAME=policy_without_role
    python -m pggate.checks.new_check RLS020 rls policy_without_role

The files it writes are placeholders marked ``TODO``; the tests then say what is
missing, one thing at a time: the query that finds the rows, the case that triggers
the check and the one that does not, the docstring (tests/checks/test_catalogue.py
refuses a ``TODO`` left in a check or its cases).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..catalogue import CATALOGUE, ID_PATTERN, STEP_FAMILIES
from . import GATE_NAMES, load_all

MODULE = '''from __future__ import annotations

from ...results import Severity
from ..base import QueryCheck


class {class_name}(QueryCheck):
    """TODO: one line, what the check catches.

    **Problem**: TODO: why it matters, what goes wrong in production.

    **Fix**::

        TODO: the SQL that fixes it
    """

    id = "{check_id}"
    gate = "{gate}"
    severity = Severity.WARNING  # TODO: ERROR when it must stop a promotion
    verified = "TODO: what a run that finds nothing proves, lower case, no full stop"
    # One set-based catalog query for all objects (never one per table); one row per finding,
    # its object in ``name``. ctx.params() binds exposed_schemas, tenant_oids, ...
    query = """
        select 'TODO'::text as name where false
    """
    message = "TODO: {{name}} ..."
    hint = "TODO: the statement that fixes {{name}}"
'''

CASES = """# Cases of {check_id}: setup SQL and the findings it must produce (see tests/checks/test_cases.py).
cases:
  - name: TODO a schema that triggers {check_id}
    setup: |
      -- TODO
    expect:
      - object: TODO
  - name: TODO the same schema, fixed
    setup: |
      -- TODO
    expect: []
"""


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) or "NewCheck"


def write(repo: Path, check_id: str, gate: str, name: str) -> list[Path]:
    """Write the module and the case file of ``check_id`` under ``repo``; the paths written."""
    match = ID_PATTERN.match(check_id)
    if match is None or match["family"] in STEP_FAMILIES:
        raise SystemExit(f"ID={check_id!r}: a check id looks like RLS020 (not ENV/MIG/LNT/RBK)")
    if gate not in GATE_NAMES:
        raise SystemExit(
            f"GATE={gate!r} is not in the gate table ({', '.join(GATE_NAMES)}); for a new gate "
            "add Gate(name, step, title) to GATES in src/pggate/checks/__init__.py and create "
            "src/pggate/checks/<name>/__init__.py with run(ctx) first"
        )
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit(f"NAME={name!r}: use lower_case_with_underscores")
    load_all()
    if check_id in CATALOGUE:
        raise SystemExit(f"{check_id} is taken: {CATALOGUE[check_id].title}")
    module = repo / "src" / "pggate" / "checks" / gate / f"{check_id.lower()}_{name}.py"
    cases = repo / "tests" / "checks" / "cases" / f"{check_id}.yml"
    for path in (module, cases):
        if path.exists():
            raise SystemExit(f"{path} exists already")
    module.write_text(MODULE.format(class_name=_class_name(name), check_id=check_id, gate=gate))
    cases.write_text(CASES.format(check_id=check_id))
    return [module, cases]


def main(argv: list[str]) -> int:
    """``new_check ID GATE [NAME]``: write the files, then regenerate docs/checks.md."""
    if len(argv) not in (2, 3):
        print("usage: python -m pggate.checks.new_check ID GATE [NAME]", file=sys.stderr)
        return 2
    repo = Path(__file__).resolve().parents[3]
    written = write(repo, argv[0], argv[1], argv[2] if len(argv) == 3 else "new_check")
    import subprocess

    # A fresh interpreter imports the new module along with the others.
    docs = subprocess.run(
        [sys.executable, "-m", "pggate.checks.catalog"], check=True, capture_output=True, text=True
    ).stdout
    (repo / "docs" / "checks.md").write_text(docs)
    for path in [*written, repo / "docs" / "checks.md"]:
        print(f"wrote {path.relative_to(repo)}")
    print(
        f"next: .venv/bin/pytest tests/checks -k {argv[0]} -q, and fix what it says is missing "
        "(the query, both cases, the docstring); see docs/architecture.md, 'Adding a check'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
