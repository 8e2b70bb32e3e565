"""Migration lints are tested with files, offline: no server is started.

``cases/LNT*.yml`` (and ``MIG*.yml``) hold named cases, each a set of migration
files and the findings of that id it must produce; at least one case of each
file expects none.

    config: |                 # optional: pggate.toml lines for every case of the file
      [lint]
      enable = ["LNT016"]
    cases:
      - name: index on a table from an earlier, applied file
        migrations:
          001_t.sql: |
            create table public.t (id bigint primary key, x int);
          002_i.sql: |
            create index t_x_idx on public.t (x);
        applied: ["001"]      # optional: the history is known (as with --env); else offline
        config: ...           # optional: more pggate.toml for this case
        expect:
          - file: 002_i.sql
            line: 1
            severity: warning  # optional (the lint's own)
            message: SHARE     # optional substring
      - name: ...
        expect: []

Each case runs twice: the second run reads the parse cache under ``.pggate/``
the first one wrote, and must give exactly the same findings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from pggate.config import load_project
from pggate.migrations.cache import ParseCache
from pggate.migrations.files import load_folder
from pggate.migrations.history import Applied
from pggate.migrations.lint import LINTS, LintSettings
from pggate.migrations.validate import validate
from tests.conftest import write_project

CASES = Path(__file__).parent / "cases"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "migrations.md"


def _files() -> list[Path]:
    return sorted(p for p in CASES.glob("*.yml") if p.stem.startswith(("LNT", "MIG")))


def _cases() -> list:
    params = []
    for path in _files():
        data = yaml.safe_load(path.read_text()) or {}
        for case in data.get("cases", []):
            params.append(
                pytest.param(
                    path.stem, data.get("config", ""), case, id=f"{path.stem}-{case['name']}"
                )
            )
    return params


def run_lint_case(lint_id: str, config: str, case: dict, root: Path) -> list:
    """Validate the case's files (twice: fresh, then from the cache); the findings of ``lint_id``."""
    write_project(
        root, extra_toml=config + "\n" + case.get("config", ""), migrations=case["migrations"]
    )
    project = load_project(root)
    lint = project.settings.lint
    settings = LintSettings.from_config(lint.ignore, lint.enable)
    mset = load_folder(project.migrations_dir, project.root)
    applied = _history(mset, case["applied"]) if "applied" in case else None
    runs = []
    for _ in range(2):
        cache = ParseCache.for_project(root)
        result = validate(mset, applied=applied, settings=settings, cache=cache)
        runs.append([f for f in result.findings if f.check == lint_id])
    assert (root / ".pggate" / "cache" / "parse.json").is_file()
    assert runs[0] == runs[1], "the cached run differs from the fresh one"
    return runs[0]


def _history(mset, versions: list) -> list[Applied]:
    now = datetime.now(UTC)
    by_version = mset.by_version()
    return [
        Applied(
            str(v),
            by_version[str(v)].name,
            by_version[str(v)].checksum,
            None,
            True,
            now,
            now,
            1.0,
            "test",
            None,
            None,
            None,
            None,
        )
        for v in versions
    ]


@pytest.mark.parametrize(("lint_id", "config", "case"), _cases())
def test_lint_case(lint_id, config, case, tmp_path):
    findings = run_lint_case(lint_id, config, case, tmp_path / "p")
    got = sorted((Path(f.file).name, f.line, str(f.severity)) for f in findings)
    expected = case.get("expect") or []
    default = str(LINTS[lint_id].severity) if lint_id in LINTS else "error"
    want = sorted((e["file"], e.get("line"), e.get("severity", default)) for e in expected)
    assert got == want, "\n".join(
        f"{f.check} {f.file}:{f.line} {f.severity}: {f.message}" for f in findings
    )
    for item in expected:
        if "message" in item:
            messages = [
                f.message + " / " + f.hint for f in findings if Path(f.file).name == item["file"]
            ]
            assert any(item["message"] in m for m in messages), messages


def test_every_lint_has_cases_both_ways():
    for lint_id in LINTS:
        path = CASES / f"{lint_id}.yml"
        assert path.exists(), f"{lint_id}: no tests/checks/cases/{lint_id}.yml"
        cases = (yaml.safe_load(path.read_text()) or {}).get("cases", [])
        assert any(c.get("expect") for c in cases), f"{lint_id}: no case that triggers it"
        assert any(not c.get("expect") for c in cases), f"{lint_id}: no case expecting no finding"


def test_docs_migrations_md_lists_every_lint_from_the_catalogue():
    from pggate.migrations.lint import markdown

    assert markdown() in DOCS.read_text(), (
        "regenerate the lint table in docs/migrations.md: python -m pggate.migrations.lint_catalogue"
    )
