"""What the reports say, from hand-written packages: each case is one a reviewer met."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from pggate.api import report

STEPS = ("environment", "validate", "baseline", "migrate", "security", "rollback", "report")


def write_package(folder: Path, steps: dict[str, dict]) -> Path:
    """A finished package with the given step results (the others passed)."""
    (folder / "steps").mkdir(parents=True)
    for number, name in enumerate(STEPS, 1):
        step = {"step": name, "status": "pass", "duration_ms": 10.0, "findings": []}
        step.update(steps.get(name, {}))
        (folder / "steps" / f"{number:02d}_{name}.json").write_text(json.dumps(step))
    manifest = {
        "run_id": "run-1",
        "env": "staging",
        "complete": True,
        "planned_steps": STEPS,
        "started_at": "2026-12-01T09:00:00+00:00",
        "migrations": [],
        "steps": [],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _isolation(tables, findings=(), checks=("RLS010", "RLS011", "RLS012", "RLS013")):
    status = "fail" if any(f["severity"] == "error" for f in findings) else "pass"
    return {
        "status": status,
        "gates": [
            {
                "gate": "isolation",
                "status": status,
                "checks": list(checks),
                "findings": list(findings),
                "summary": {"actor": "authenticated", "tenants": ["a", "b"], "tables": tables},
            }
        ],
        "data": {
            "verified": {
                "RLS012": "a member of one tenant cannot insert or move a row into another tenant"
            }
        },
    }


def test_a_probe_that_did_not_run_is_never_next_to_a_green_pass(tmp_path):
    ok = {"read": "ok (0 rows)", "update": "ok (0 rows)", "delete": "ok (0 rows)"}
    folder = write_package(
        tmp_path / "p",
        {
            "security": _isolation(
                {
                    "public.tasks": {**ok, "insert": "ok (42501)", "move": "ok (42501)"},
                    "public.notes": {
                        **ok,
                        "insert": "not run: the actor sees none of its own rows to copy",
                        "move": "not run: the actor sees none of its own rows to copy",
                    },
                }
            )
        },
    )
    report(folder)
    md = (folder / "report.md").read_text()
    assert "Proven 1 of 2 table(s)" in md
    notes_row = next(line for line in md.splitlines() if line.startswith("| `public.notes`"))
    assert "NOT PROVEN" in notes_row and "PASS" not in notes_row.replace("NOT PROVEN", "")
    rls012 = next(line for line in md.splitlines() if line.startswith("| RLS012"))
    assert "NOT PROVEN" in rls012 and "public.notes" in rls012
    assert "the actor sees none of its own rows to copy" in md
    html = (folder / "report.html").read_text()
    assert 'class="cell not-run"' in html and 'title="ok · 0 rows">ok</td>' in html
    case = next(
        c
        for c in ET.parse(folder / "junit.xml").getroot().iter("testcase")
        if c.get("name").startswith("RLS012")
    )
    assert case.find("skipped") is not None  # not a pass


def test_per_table_probe_detail_from_the_gate_is_shown(tmp_path):
    # A gate summary carrying rows, actor and the leaked key per probe is rendered as given.
    tables = {
        "public.projects": {
            "read": {"outcome": "leak", "rows": 3, "actor": "user 11 of tenant a", "key": "b-0101"},
            "update": {"outcome": "ok", "rows": 0},
        }
    }
    finding = {
        "check": "RLS010",
        "gate": "isolation",
        "severity": "error",
        "object": "public.projects",
        "message": "read rows of another tenant",
        "hint": "scope it",
    }
    folder = write_package(tmp_path / "p", {"security": _isolation(tables, [finding])})
    report(folder)
    md = (folder / "report.md").read_text()
    row = next(line for line in md.splitlines() if line.startswith("| `public.projects`"))
    assert "LEAK · 3 row(s)" in row and "ok · 0 row(s)" in row
    assert "one leaked row's key is `b-0101`" in md and "user 11 of tenant a" in md
    assert "Gate isolation failed with 1 error(s): RLS010 on public.projects. Fix: scope it." in md


def test_a_rollback_error_keeps_its_list_and_the_summary_is_a_whole_sentence(tmp_path):
    lines = [f"  supabase/migrations/2024010100{i:04d}_x.sql: no down section" for i in range(19)]
    error = {
        "error": "MigrationFileError",
        "exit_code": 2,
        "message": "cannot roll back; nothing was changed:\n" + "\n".join(lines),
        "hint": "add a `-- migrate:down` section to each file named",
    }
    folder = write_package(tmp_path / "p", {"rollback": {"status": "error", "error": error}})
    report(folder)
    md = (folder / "report.md").read_text()
    summary = md[: md.index("## Needs attention")]
    assert (
        "- Step Rollback rehearsal could not complete: cannot roll back; nothing was changed "
        "(listed under Needs attention). Fix: add a `-- migrate:down` section to each file "
        "named."
    ) in summary
    attention = md[md.index("## Needs attention") : md.index("## Steps")]
    for line in lines:
        assert "\n  " + line + "\n" in attention  # one statement per line, in a code block
    html = (folder / "report.html").read_text()
    assert "<pre>cannot roll back; nothing was changed:\n" + lines[0] in html


def test_the_recommendation_is_a_real_list(tmp_path):
    finding = {
        "check": "RLS001",
        "gate": "rls",
        "severity": "error",
        "object": "public.t",
        "message": "RLS is not enabled",
        "hint": "alter table public.t enable row level security",
    }
    folder = write_package(
        tmp_path / "p",
        {
            "security": {
                "status": "fail",
                "gates": [
                    {"gate": "rls", "status": "fail", "checks": ["RLS001"], "findings": [finding]}
                ],
            }
        },
    )
    report(folder)
    md = (folder / "report.md").read_text()
    section = md[md.index("## Production recommendation") : md.index("## Approval")]
    assert "\n- Alter table public.t enable row level security.\n" in section
    assert "- fix:" not in section
    html = (folder / "report.html").read_text()
    assert "<li>Alter table public.t enable row level security.</li>" in html


def test_an_isolation_summary_with_runs_per_probe_renders_coverage_actors_and_reasons(tmp_path):
    # The shape a gate reporting every run of every probe writes: combined cells per probe,
    # the runs themselves, rows found or synthesized per tenant, the actors, the coverage.
    entry = {
        "tenant": "organization_id",
        "status": "unproven",
        "rows": {"a": "found", "b": "synthesized"},
        "read": "refused (2 runs, 0 rows)",
        "update": "refused (2 runs, 0 rows)",
        "delete": "refused (2 runs, 0 rows)",
        "insert": "UNPROVEN (member, a -> b)",
        "move": "n/a",
        "own": {"select": "ok (1 runs, 1 rows)"},
        "probes": [
            {
                "actor": "member",
                "direction": "a -> b",
                "probe": "insert",
                "result": "unproven",
                "rows": 0,
                "message": "no row of a to copy",
            },
            {
                "actor": "member",
                "direction": "a -> b",
                "probe": "read",
                "result": "refused",
                "rows": 0,
            },
        ],
    }
    security = _isolation({"public.notes": entry})
    security["gates"][0]["summary"].update(
        proven="proven 0 of 1 tables",
        proven_tables=0,
        tenant_tables=1,
        actors=[{"name": "member", "role": "authenticated", "direction": "a -> b", "user": "u1"}],
        notes=["anon: no claims"],
    )
    folder = write_package(tmp_path / "p", {"security": security})
    report(folder)
    md = (folder / "report.md").read_text()
    assert "Proven 0 of 1 table(s)**, acting as `member (authenticated)`" in md
    row = next(line for line in md.splitlines() if line.startswith("| `public.notes`"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells == [
        "`public.notes`",
        "NOT PROVEN",
        "refused",
        "refused",
        "refused",
        "unproven",
        "n/a",
        "a: found, b: synthesized",
    ]
    assert "`public.notes` insert: unproven by member (a -> b): no row of a to copy" in md
    assert "anon: no claims" in md
    rls012 = next(line for line in md.splitlines() if line.startswith("| RLS012"))
    assert "NOT PROVEN" in rls012


def test_long_tenant_ids_are_named_once_and_cells_say_a_and_b(tmp_path):
    a, b = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
    entry = {
        "read": f"LEAK (owner, {a} -> {b})",
        "rows": {a: "existing", b: "made"},
        "probes": [
            {
                "actor": "owner",
                "direction": f"{a} -> {b}",
                "probe": "read",
                "result": "leak",
                "rows": 1,
                "message": "1 row(s)",
            }
        ],
    }
    security = _isolation({"public.projects": entry})
    security["gates"][0]["summary"]["tenants"] = [a, b]
    folder = write_package(tmp_path / "p", {"security": security})
    report(folder)
    md = (folder / "report.md").read_text()
    assert f"between tenants `A = {a}`, `B = {b}`" in md
    row = next(line for line in md.splitlines() if line.startswith("| `public.projects`"))
    assert "LEAK · owner, A -> B" in row and "A: existing, B: made" in row and a not in row
    assert "`public.projects` read: leak by owner (A -> B): 1 row(s)" in md
