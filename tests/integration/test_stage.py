"""pggate stage end to end: the verdict, the evidence package, the reports, failure paths."""

import json
import shutil
import xml.etree.ElementTree as ET

from tests.cli.test_no_secrets import PLANTED, url_with_password
from tests.integration.gates.test_security_verify import example_on

SECTIONS = (  # what needs attention first, then what was proven, then the sign-off
    "## Executive summary",
    "## Needs attention",
    "## Steps",
    "## Migrations applied",
    "## Isolation proof",
    "## Rollback rehearsal",
    "## Performance",
    "## What was proven",
    "## Environment and versions",
    "## Production recommendation",
    "## Approval",
    "## Evidence files",
)
STEP_FILES = (
    "01_environment",
    "02_validate",
    "03_baseline",
    "04_migrate",
    "05_security",
    "06_integrity",
    "07_performance",
    "08_rollback",
    "09_report",
)


def _stage(cli, example, *extra):
    return cli(
        "stage",
        "--env",
        "test",
        "--yes",
        "--evidence",
        str(example / "evidence" / "run"),
        *extra,
        cwd=example,
    )


def _secret_example(tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    (example / ".env.test").write_text(f"DATABASE_URL={url_with_password(db_url)}\n")
    return example


def test_the_example_is_go_with_a_full_evidence_package(cli, tmp_path, db_url):
    example = _secret_example(tmp_path, db_url)
    result = _stage(cli, example, "--rehearse-rollback", "--format", "json")
    assert result.exit_code == 0, result.output
    run = result.json()
    assert run["verdict"] == "GO"
    folder = example / "evidence" / "run"
    assert sorted(p.stem for p in (folder / "steps").glob("*.json")) == list(STEP_FILES)
    for name in (
        "manifest.json",
        "schema_before.json",
        "schema_after.json",
        "run.log",
        "report.md",
        "report.html",
        "junit.xml",
        "report.json",
    ):
        assert (folder / name).is_file(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["verdict"] == "GO" and manifest["env"] == "test"
    assert manifest["target"]["server_version"]
    assert [s["status"] for s in manifest["steps"]][:4] in (
        ["pass"] * 4,
        ["warn", "pass", "pass", "pass"],
    )
    assert {m["file"] for m in manifest["migrations"]} == {
        str(p.relative_to(example)) for p in (example / "supabase" / "migrations").glob("*.sql")
    }
    rollback = json.loads((folder / "steps" / "08_rollback.json").read_text())
    assert rollback["status"] == "pass" and rollback["data"]["identical"] is True
    report = (folder / "report.md").read_text()
    positions = [report.index(section) for section in SECTIONS]
    assert positions == sorted(positions)
    assert report.splitlines()[0].endswith("GO") and "**Verdict: GO**" in report[:300]
    for line in (folder / "run.log").read_text().splitlines():
        json.loads(line)
    for path in folder.rglob("*"):  # nothing secret in any file of the package
        if path.is_file():
            assert PLANTED not in path.read_text(errors="replace"), path
    assert PLANTED not in result.output


def test_junit_has_one_testcase_per_check_and_object(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert _stage(cli, example).exit_code == 0
    folder = example / "evidence" / "run"
    root = ET.parse(folder / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    for step in ("security", "integrity", "performance"):
        data = json.loads(next((folder / "steps").glob(f"*_{step}.json")).read_text())
        for gate in data["gates"]:
            suite = suites[gate["gate"]]
            cases = suite.findall("testcase")
            if gate["status"] == "skip":
                assert cases[0].find("skipped") is not None
                continue
            expected = sum(
                max(1, sum(f["check"] == c for f in gate["findings"])) for c in gate["checks"]
            )
            assert len(cases) == expected == int(suite.get("tests")), gate["gate"]
    assert int(root.get("failures")) == 0
    names = [c.get("name") for c in suites["pipeline"].findall("testcase")]
    steps = [n.split(":")[0] for n in names if ": " in n and " " not in n.split(":")[0]]
    assert steps[:2] == ["environment", "validate"], names


def test_report_rebuilds_identical_reports_from_the_package_alone(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert _stage(cli, example).exit_code == 0
    folder = example / "evidence" / "run"
    moved = tmp_path / "elsewhere" / folder.name
    shutil.copytree(folder, moved)  # no project, no database: the folder alone
    names = ("report.md", "report.html", "junit.xml", "report.json")
    before = {n: (moved / n).read_bytes() for n in names}
    for name in names:
        (moved / name).unlink()
    result = cli("report", str(moved), cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert {n: (moved / n).read_bytes() for n in names} == before


def test_a_tenant_table_without_rls_is_no_go_naming_table_and_check(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    (example / "supabase" / "migrations" / "20991231000000_leaky.sql").write_text(
        "create table public.leaky_notes (id bigint primary key, organization_id uuid not null);\n"
        "-- migrate:down\ndrop table public.leaky_notes;\n"
    )
    result = _stage(cli, example)
    assert result.exit_code == 1, result.output
    report = (example / "evidence" / "run" / "report.md").read_text()
    assert "**Verdict: NO-GO**" in report
    summary = report[: report.index("## Needs attention")]
    assert "RLS001 on public.leaky_notes" in summary
    assert "| RLS001 | error | `public.leaky_notes` |" in report


def test_a_failed_migration_is_no_go_and_the_report_names_file_and_line(
    run_pggate, tmp_path, db_url
):
    example = example_on(tmp_path, db_url)
    (example / "supabase" / "migrations" / "20991231000000_broken.sql").write_text(
        "create table public.fine (id int primary key);\n"
        "\n"
        "alter table public.nowhere add column x int;\n"
        "-- migrate:down\ndrop table public.fine;\n"
    )
    summary_file = tmp_path / "summary.md"
    result = run_pggate(
        "stage",
        "--env",
        "test",
        "--yes",
        "--evidence",
        "evidence/run",
        cwd=example,
        env={"GITHUB_STEP_SUMMARY": str(summary_file), "GITHUB_ACTIONS": "true"},
    )
    assert result.exit_code == 1, result.output
    folder = example / "evidence" / "run"
    report = (folder / "report.md").read_text()
    assert "supabase/migrations/20991231000000_broken.sql:3" in report
    steps = {
        s["step"]: s["status"] for s in json.loads((folder / "manifest.json").read_text())["steps"]
    }
    assert steps["migrate"] == "fail" or steps["migrate"] == "error"
    migrate = json.loads((folder / "steps" / "04_migrate.json").read_text())
    [failed] = migrate["findings"]
    assert (failed["check"], failed["line"], failed["details"]["sqlstate"]) == (
        "MIG012",
        3,
        "42P01",
    )
    assert steps["security"] == steps["rollback"] == "skip" and steps["report"] == "pass"
    assert "::error file=supabase/migrations/20991231000000_broken.sql,line=3" in result.stdout
    assert "**Verdict: NO-GO**" in summary_file.read_text()


def test_confirm_environment_without_yes_refuses_and_still_reports(run_pggate, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    toml = (
        (example / "pggate.toml")
        .read_text()
        .replace('env_file = ".env.test"', 'env_file = ".env.test"\nconfirm = true')
    )
    (example / "pggate.toml").write_text(toml)
    result = run_pggate("stage", "--env", "test", "--evidence", "evidence/run", cwd=example)
    assert result.exit_code == 2, result.output
    assert "pass --yes" in (example / "evidence" / "run" / "report.md").read_text()


def test_an_unreachable_database_exits_3_with_a_report(run_pggate, tmp_path):
    example = example_on(tmp_path, "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2")
    result = run_pggate(
        "stage", "--env", "test", "--evidence", "evidence/run", "--format", "json", cwd=example
    )
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["verdict"] == "NO-GO"
    assert "could not complete" in (example / "evidence" / "run" / "report.md").read_text()
