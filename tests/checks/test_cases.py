"""Checks are tested with data: ``cases/<ID>.yml`` holds named cases, each with setup SQL
and the findings of that check it must produce (at least one case expects none).

One generic test runs every case on a fresh database of the real test server.

    config: |             # optional: extra pggate.toml for every case of the file
      [tenancy]
      column = "org_id"
    cases:
      - name: table without RLS
        setup: |
          create table public.t (id int primary key, tenant_id int);
        expect:
          - object: public.t
            severity: error          # optional
            message: contains this   # optional substring
      - name: RLS enabled and forced
        setup: ...
        expect: []

A case may also have ``migrations`` (file name -> SQL, applied with pggate before the
check), ``edit`` (file name -> new text, or null to delete, after applying) and
``after`` (SQL run after applying). ``files`` (path -> text) are written into the
project folder first (smoke checks, bench queries, seeds). ``save_baseline: true``
measures the bench queries before ``after`` runs and hands that baseline to the check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pggate.checks import load_all
from pggate.checks.base import REGISTRY
from pggate.checks.context import CheckContext
from pggate.config import load_project
from pggate.session import open_session
from tests.conftest import write_project

CASES = Path(__file__).parent / "cases"
load_all()


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def _all_cases() -> list:
    params = []
    for path in sorted(CASES.glob("*.yml")):
        if path.stem.startswith(("LNT", "MIG")):  # migration ids: offline, test_lint_cases.py
            continue
        data = _load(path)
        for case in data.get("cases", []):
            params.append(
                pytest.param(
                    path.stem, data.get("config", ""), case, id=f"{path.stem}-{case['name']}"
                )
            )
    return params


def run_case(check_id: str, config: str, case: dict, tmp_path: Path, db_url: str, db) -> list:
    """Run ``case`` on the fresh database and return the findings of ``check_id``."""
    if case.get("setup"):
        db.execute(case["setup"])
    root = write_project(
        tmp_path / "p",
        url=db_url,
        extra_toml=config + "\n" + case.get("config", ""),
        migrations=case.get("migrations"),
    )
    for name, text in (case.get("files") or {}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    if case.get("migrations"):
        from pggate import api

        api.migrate(root, "test")
    for name, text in (case.get("edit") or {}).items():  # files changed after they were applied
        path = root / "migrations" / name
        path.unlink() if text is None else path.write_text(text)
    options = dict(case.get("options", {}))
    if case.get("save_baseline"):
        from pggate.checks.perf import measure_all

        project = load_project(root)
        with open_session(project, "test") as session:
            options["perf_baseline"] = measure_all(
                CheckContext(session.conn, project, session=session)
            )
    if case.get("after"):
        db.execute(case["after"])
    project = load_project(root)
    with open_session(project, "test") as session:
        ctx = CheckContext(session.conn, project, session=session, options=options)
        return REGISTRY[check_id]().run(ctx)


@pytest.mark.parametrize(("check_id", "config", "case"), _all_cases())
def test_case(check_id, config, case, tmp_path, db_url, db):
    assert check_id in REGISTRY, f"cases/{check_id}.yml but no check registers {check_id}"
    findings = run_case(check_id, config, case, tmp_path, db_url, db)
    got = sorted((f.object, str(f.severity)) for f in findings if f.check == check_id)
    expected = case.get("expect") or []
    want = sorted(
        (e["object"], e.get("severity", str(REGISTRY[check_id].severity))) for e in expected
    )
    assert got == want, "\n".join(f"{f.check} {f.object}: {f.message}" for f in findings)
    for item in expected:
        if "message" in item:
            messages = [f.message for f in findings if f.object == item["object"]]
            assert any(item["message"] in m for m in messages), messages


def test_catalogue_every_check_has_docs_and_cases_both_ways():
    for check_id, check in sorted(REGISTRY.items()):
        path = CASES / f"{check_id}.yml"
        assert path.exists(), f"{check_id}: no tests/checks/cases/{check_id}.yml"
        cases = _load(path).get("cases", [])
        assert any(c.get("expect") for c in cases), f"{check_id}: no case that triggers it"
        assert any(not c.get("expect") for c in cases), f"{check_id}: no case expecting no finding"
        assert check.doc(), check_id


def test_catalogue_every_check_says_what_a_clean_run_proves():
    # Reports and JUnit name a passing check by what it verified, never by the problem it
    # catches ("every table the API roles can reach has row-level security enabled").
    for check_id, check in sorted(REGISTRY.items()):
        phrase = check.verified
        assert phrase, f"{check_id}: set verified = what a run without findings proves"
        assert phrase[0].islower() and not phrase.endswith("."), f"{check_id}: {phrase!r}"
        assert phrase != check.doc().splitlines()[0], check_id
