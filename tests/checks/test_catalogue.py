"""The finding catalogue: every id pggate reports is declared once, documented and tested."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pggate.catalogue import CATALOGUE, aliases, finding
from pggate.checks import load_all
from pggate.checks.base import REGISTRY, Check
from pggate.results import Severity

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "pggate"
DOCS = REPO / "docs" / "checks.md"
ID_LITERAL = re.compile(r"""["']([A-Z]{2,4}\d{3})["']""")

load_all()


def test_every_id_in_the_source_is_in_the_catalogue():
    retired = aliases()
    families = {e.family for e in CATALOGUE.values()}  # not "HS256" and the like
    unknown = {}
    for path in SRC.rglob("*.py"):
        for found in ID_LITERAL.findall(path.read_text()):
            if found[:-3] not in families:
                continue
            if found not in CATALOGUE and found not in retired:
                unknown.setdefault(found, str(path.relative_to(REPO)))
    assert not unknown, f"ids used but not declared in pggate/catalogue.py: {unknown}"


def test_findings_are_made_from_catalogue_entries_only():
    # Finding(...) by hand would let an id (and its severity) live outside the catalogue.
    allowed = {"results.py", "catalogue.py", "checks/base.py"}
    # The report shows a step that could not run as an item whose "check" is the error's
    # type (MigrationFailed), not a finding id.
    allowed.add("evidence/view.py")
    by_hand = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if str(p.relative_to(SRC)) not in allowed
        and re.search(r"\bFinding\(\s*\n?\s*[\"'a-z]", p.read_text())
    ]
    assert not by_hand, (
        f"build findings with catalogue.finding(ID, ...) or Check.finding: {by_hand}"
    )


def test_every_entry_has_a_title_docs_and_a_test_that_names_it():
    for check_id, entry in sorted(CATALOGUE.items()):
        assert entry.title and "\n" not in entry.title, check_id
        assert "**Problem**" in entry.docs and "**Fix**" in entry.docs, check_id
        assert entry.cases, f"{check_id}: no test triggers it; write one and set its cases"
        path = REPO / entry.cases
        assert path.exists(), f"{check_id}: cases {entry.cases} does not exist"
        named = path.stem == check_id or check_id in path.read_text()
        assert named, f"{check_id}: {entry.cases} does not name it"


def test_retired_ids_are_never_reported():
    for old, new in aliases().items():
        assert old not in CATALOGUE and new in CATALOGUE
        with pytest.raises(KeyError, match=old):
            finding(old, "x", "y")


def test_details_may_use_any_key():
    found = finding("MIG012", "f.sql", "failed", details={"message": "m", "sqlstate": "42P01"})
    assert found.message == "failed" and found.details == {"message": "m", "sqlstate": "42P01"}


def test_a_step_id_keeps_its_declared_severities():
    assert finding("MIG005", "f.sql", "m").severity == Severity.WARNING
    assert finding("MIG005", "f.sql", "m", severity=Severity.ERROR).severity == Severity.ERROR
    with pytest.raises(AssertionError):
        finding("ENV004", "t", "m", severity=Severity.ERROR)


DOC = """Something.

    **Problem**: p

    **Fix**: f
    """


def _define(**attrs):
    namespace = {"__doc__": DOC, "gate": "rls", "severity": Severity.ERROR, **attrs}
    return type("Probe", (Check,), namespace)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"id": "rls1"}, "must look like RLS001"),
        ({"id": "MIG001"}, "must look like RLS001"),  # a step's family
        ({"id": "RLS001"}, "already used"),  # a check's id
        ({"id": "ENV001"}, "must look like RLS001"),
        ({"id": "RLS990", "gate": "nope"}, "not in the gate table"),
        ({"id": "RLS990", "severity": "error"}, "severity must be a Severity"),
        ({"id": "RLS990", "__doc__": "No fix."}, "docstring must explain"),
    ],
)
def test_check_conventions_are_enforced_when_the_class_is_defined(attrs, message):
    before = (dict(REGISTRY), dict(CATALOGUE))
    with pytest.raises(TypeError, match=message):
        _define(**attrs)
    assert (dict(REGISTRY), dict(CATALOGUE)) == before


def test_docs_checks_md_is_generated_from_the_catalogue():
    from pggate.checks.catalog import markdown

    assert DOCS.read_text() == markdown(), (
        "regenerate: python -m pggate.checks.catalog > docs/checks.md (or make docs)"
    )


def _todos(check_id: str, cases_dir: Path = REPO / "tests" / "checks" / "cases") -> list[str]:
    """What the scaffold left for the author of ``check_id`` to write."""
    cls = REGISTRY[check_id]
    left = [
        part
        for part in ("__doc__", "verified", "query", "message", "hint")
        if "TODO" in str(getattr(cls, part, "") or "")
    ]
    cases = cases_dir / f"{check_id}.yml"
    if cases.exists() and "TODO" in cases.read_text():
        left.append(f"tests/checks/cases/{check_id}.yml")
    return left


def test_no_check_keeps_a_scaffold_todo():
    left = {check_id: _todos(check_id) for check_id in REGISTRY if _todos(check_id)}
    assert not left, f"write what the scaffold left as TODO: {left}"


def test_the_scaffold_writes_a_check_that_the_tests_then_describe(tmp_path):
    import importlib.util

    from pggate.checks.new_check import write

    (tmp_path / "src" / "pggate" / "checks" / "rls").mkdir(parents=True)
    (tmp_path / "tests" / "checks" / "cases").mkdir(parents=True)
    module, cases = write(tmp_path, "RLS990", "rls", "demo_thing")
    assert module.name == "rls990_demo_thing.py" and cases.name == "RLS990.yml"
    before = (dict(REGISTRY), dict(CATALOGUE))
    try:
        # Imported as a module of the rls gate, it registers like any check.
        spec = importlib.util.spec_from_file_location("pggate.checks.rls.rls990_demo_thing", module)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        assert REGISTRY["RLS990"].__name__ == "DemoThing"
        assert CATALOGUE["RLS990"].where == "rls"
        assert CATALOGUE["RLS990"].cases == "tests/checks/cases/RLS990.yml"
        assert _todos("RLS990", cases.parent) == [
            "__doc__",
            "verified",
            "query",
            "message",
            "hint",
            "tests/checks/cases/RLS990.yml",
        ]
    finally:
        REGISTRY.clear()
        REGISTRY.update(before[0])
        CATALOGUE.clear()
        CATALOGUE.update(before[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("RLS001", "rls", "x"), "taken"),
        (("MIG020", "rls", "x"), "not ENV/MIG/LNT/RBK"),
        (("AUD001", "audit", "x"), "not in the gate table"),
        (("RLS991", "rls", "Bad-Name"), "lower_case"),
    ],
)
def test_the_scaffold_refuses_what_would_not_register(tmp_path, args, message):
    from pggate.checks.new_check import write

    with pytest.raises(SystemExit, match=message):
        write(tmp_path, *args)
