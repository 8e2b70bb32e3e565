"""Inputs that must not escape the project: links, odd entries, environment names, names."""

import re
from pathlib import Path

import pytest

from pggate.migrations.files import load_folder
from tests.conftest import write_project

CONTENT = "root:Zx-private-line-of-another-file"


def _project(tmp_path):
    root = write_project(tmp_path / "p", migrations={"001_ok.sql": "create table a (id int);\n"})
    outside = tmp_path / "outside.sql"
    outside.write_text(f"-- {CONTENT}\nselect 1;\n")
    return root, outside


def test_a_link_out_of_the_project_is_refused_naming_the_link_not_its_content(run_pggate, tmp_path):
    root, outside = _project(tmp_path)
    (root / "migrations" / "002_link.sql").symlink_to(outside)
    loaded = load_folder(root / "migrations", root)
    assert [m.name for m in loaded.migrations] == ["ok"]
    for fmt in ("text", "json"):
        result = run_pggate("validate", "--format", fmt, cwd=root)
        assert result.exit_code == 2, result.output
        assert "002_link.sql is a symbolic link that resolves outside the project" in result.output
        assert CONTENT not in result.output and str(outside) not in result.output


def test_a_link_inside_the_project_is_followed(tmp_path):
    root, _ = _project(tmp_path)
    (root / "shared.sql").write_text("create table b (id int);\n")
    (root / "migrations" / "002_shared.sql").symlink_to(root / "shared.sql")
    loaded = load_folder(root / "migrations", root)
    assert [m.name for m in loaded.migrations] == ["ok", "shared"] and not loaded.findings


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda m: (m / "002_gone.sql").symlink_to(m / "nowhere.sql"),
            "002_gone.sql is a symbolic link to a file that does not exist",
        ),
        (lambda m: (m / "005_x.sql").mkdir(), "005_x.sql is a folder, not a migration file"),
    ],
    ids=["dangling link", "folder named like a migration"],
)
def test_odd_entries_get_a_clear_message(run_pggate, tmp_path, make, message):
    root, _ = _project(tmp_path)
    make(root / "migrations")
    result = run_pggate("validate", cwd=root)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "internal error" not in result.output


def test_a_migrations_path_that_is_a_file_says_so(run_pggate, tmp_path):
    root = write_project(tmp_path / "p", migrations_dir="m")
    (root / "m").rmdir()
    (root / "m").write_text("not a folder\n")
    result = run_pggate("validate", "--format", "json", cwd=root)
    assert result.exit_code == 2, result.output
    # JSON, not the text table: a narrow terminal wraps the message across table cells
    assert "migrations folder" in result.stdout and "is a file" in result.stdout


@pytest.mark.parametrize("command", ["stage", "check-env", "bench", "migrate", "status"])
def test_an_environment_name_that_is_a_path_is_refused_before_any_path(
    run_pggate, tmp_path, command
):
    root, _ = _project(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run_pggate(command, "--env", "../../escaped", cwd=root)
    assert result.exit_code == 2, result.output
    assert "environment name '../../escaped' is not usable" in result.stderr
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    cache = Path("p/.pggate")  # the parse cache (validate runs before the environment)
    assert [p for p in after if p not in before and cache not in (p, *p.parents)] == []
    assert not (tmp_path.parent / "escaped").exists()


def test_an_environment_declared_with_a_path_name_is_a_config_error(run_pggate, tmp_path):
    root, _ = _project(tmp_path)
    (root / "pggate.toml").write_text(
        '[project]\nmigrations = "migrations"\n[environments."a/b"]\n'
    )
    result = run_pggate("validate", cwd=root)
    assert result.exit_code == 2, result.output
    assert "'a/b' is not usable" in result.stderr


def test_report_md_escapes_html_and_keeps_names_on_one_line(run_pggate, project):
    root = project(
        migrations={
            "001_<img src=x onerror=alert(1)>.sql": "create schema app;\n",
            "002_two\nlines.sql": "create table app.b (id int);\n",
        }
    )
    result = run_pggate("stage", "--env", "test", "--yes", cwd=root)
    assert result.exit_code == 0, result.output
    report = next((root / "evidence").rglob("report.md")).read_text()
    prose = re.sub(r"(`+).+?\1", "", report)  # code spans show their text literally
    assert "<img" not in prose
    assert "&lt;img src=x onerror=alert(1)>" in report
    section = report.split("## Migrations applied", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.strip()]
    assert all(line.startswith("|") for line in rows), section
    assert any("two<br>lines" in line for line in rows), section
