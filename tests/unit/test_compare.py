"""``report --compare``: new and fixed findings, migrations added, bench queries moved.

The packages are written by hand (manifest and step files, as ``stage`` writes them),
so each difference is known exactly.
"""

import json
from pathlib import Path

from pggate.evidence import Evidence
from pggate.evidence.compare import compare, previous_package


def _finding(check, obj, severity="error"):
    return {
        "check": check,
        "gate": "rls",
        "severity": severity,
        "object": obj,
        "message": f"{check} on {obj}",
        "hint": "",
    }


def package(
    folder: Path,
    run_id: str,
    *,
    findings,
    migrations,
    bench,
    env="staging",
    started="2026-12-01T09:00:00+00:00",
    complete=True,
) -> Path:
    (folder / "steps").mkdir(parents=True)
    queries = [{"file": f, "after": {"median_ms": ms}, "status": "pass"} for f, ms in bench.items()]
    security = {
        "step": "security",
        "status": "fail" if findings else "pass",
        "duration_ms": 1.0,
        "findings": [],
        "gates": [
            {"gate": "rls", "status": "pass", "findings": findings, "checks": ["RLS001"]},
            {
                "gate": "perf",
                "status": "pass",
                "findings": [],
                "checks": [],
                "summary": {"queries": queries},
            },
        ],
    }
    (folder / "steps" / "05_security.json").write_text(json.dumps(security))
    manifest = {
        "run_id": run_id,
        "env": env,
        "started_at": started,
        "complete": complete,
        "planned_steps": ["security"],
        "migrations": [{"version": v, "name": n, "file": f"m/{v}_{n}.sql"} for v, n in migrations],
        "steps": [],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_compare_lists_new_and_fixed_findings_migrations_added_and_bench_moves(tmp_path):
    before = package(
        tmp_path / "staging_1",
        "run-1",
        findings=[_finding("RLS001", "public.notes"), _finding("RLS002", "public.tasks")],
        migrations=[("1", "init")],
        bench={"checks/bench/board.sql": 2.0, "checks/bench/gone.sql": 1.0},
    )
    after = package(
        tmp_path / "staging_2",
        "run-2",
        findings=[
            _finding("RLS002", "public.tasks"),
            _finding("RLS009", "public.tasks", "warning"),
        ],
        migrations=[("1", "init"), ("2", "notes_rls")],
        bench={"checks/bench/board.sql": 3.0, "checks/bench/new.sql": 0.5},
        started="2026-12-01T10:00:00+00:00",
    )
    diff = compare(Evidence.load(after), Evidence.load(before))
    assert diff.previous_run == "run-1" and diff.previous_verdict == "NO-GO"
    assert [(f["check"], f["object"]) for f in diff.new_findings] == [("RLS009", "public.tasks")]
    assert [(f["check"], f["object"]) for f in diff.fixed_findings] == [("RLS001", "public.notes")]
    assert [m["version"] for m in diff.migrations_added] == ["2"]
    moved = {b["file"]: b for b in diff.bench}
    assert moved["checks/bench/board.sql"]["change"] == 0.5  # 2 ms -> 3 ms
    assert moved["checks/bench/new.sql"]["before_ms"] is None
    assert moved["checks/bench/gone.sql"]["after_ms"] is None
    sections = dict(diff.sections())
    assert sections["Bench queries"][0] == "checks/bench/board.sql: 2.00 ms → 3.00 ms (+50%)"
    assert sections["Fixed findings"] == ["error RLS001 on public.notes: RLS001 on public.notes"]


def test_the_previous_package_is_the_newest_finished_one_of_the_same_environment(tmp_path):
    common = {"findings": [], "migrations": [], "bench": {}}
    package(tmp_path / "a", "a", started="2026-12-01T08:00:00+00:00", **common)
    package(tmp_path / "b", "b", started="2026-12-01T09:00:00+00:00", **common)
    package(tmp_path / "killed", "k", started="2026-12-01T09:30:00+00:00", complete=False, **common)
    package(tmp_path / "prod", "p", env="production", started="2026-12-01T09:40:00+00:00", **common)
    current = package(tmp_path / "c", "c", started="2026-12-01T10:00:00+00:00", **common)
    assert previous_package(tmp_path, "staging", current) == tmp_path / "b"
    assert previous_package(tmp_path, "qa", current) is None
    assert previous_package(tmp_path / "missing", "staging", current) is None


def test_report_compare_renders_the_changes_in_every_report_and_keeps_them(tmp_path, cli):
    before = package(
        tmp_path / "one",
        "run-1",
        findings=[_finding("RLS001", "public.notes")],
        migrations=[("1", "init")],
        bench={"checks/bench/board.sql": 2.0},
    )
    after = package(
        tmp_path / "two",
        "run-2",
        findings=[],
        migrations=[("1", "init"), ("2", "rls")],
        bench={"checks/bench/board.sql": 1.0},
        started="2026-12-01T10:00:00+00:00",
    )
    result = cli("report", str(after), "--compare", str(before), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    report = (after / "report.md").read_text()
    section = report[report.index("## Changes since the previous run") :]
    assert "Compared with run `run-1` (NO-GO → GO)" in section
    assert "- error RLS001 on public.notes" in section.split("**Fixed findings**")[1]
    assert "- 2 rls" in section.split("**Migrations added**")[1]
    assert "checks/bench/board.sql: 2.00 ms → 1.00 ms (-50%)" in section
    page = (after / "report.html").read_text()
    assert "Changes since the previous run" in page and "RLS001 on public.notes" in page
    saved = {n: (after / n).read_bytes() for n in ("report.md", "report.html")}
    assert cli("report", str(after), cwd=tmp_path).exit_code == 0  # compare.json keeps it
    assert {n: (after / n).read_bytes() for n in saved} == saved
