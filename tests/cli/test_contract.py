"""The README's CLI contract: usage errors exit 2 with a usage message, never "internal error"."""

import pytest

from tests.conftest import write_project

USAGE_ERRORS = {
    "unknown option": (["--bogus"], "--bogus"),
    "unknown option after a command": (["validate", "--bogus"], "--bogus"),
    "unknown command": (["bogus"], "bogus"),
    "missing --to": (["rollback"], "--to"),
    "bad --format": (["validate", "--format", "yaml"], "yaml"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_exit_2_with_a_usage_message(run_pggate, tmp_path, case):
    args, named = USAGE_ERRORS[case]
    root = write_project(tmp_path / "p")
    result = run_pggate(*args, cwd=root)
    assert result.exit_code == 2, result.output
    assert "Usage: pggate" in result.stderr
    assert named in result.stderr
    assert "internal error" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("case", sorted(set(USAGE_ERRORS) - {"bad --format"}))
def test_usage_errors_asked_for_in_json_print_a_json_error_too(run_pggate, tmp_path, case):
    args, named = USAGE_ERRORS[case]
    root = write_project(tmp_path / "p")
    result = run_pggate(*args, "--format", "json", cwd=root)
    assert result.exit_code == 2, result.output
    document = result.json()  # the one document on stdout
    assert document["exit_code"] == 2 and document["error"] == "UsageError"
    assert named in document["message"]
    assert "Usage: pggate" in result.stderr and named in result.stderr
    assert "internal error" not in result.output


def test_a_bad_format_is_no_request_for_json(run_pggate, tmp_path):
    root = write_project(tmp_path / "p")
    for fmt in ("yaml", "jsonl"):
        result = run_pggate("validate", "-f", fmt, "--bogus", cwd=root)
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
    upper = run_pggate("validate", "-f", "JSON", "--bogus", cwd=root)  # as accepted: any case
    assert upper.exit_code == 2 and upper.json()["exit_code"] == 2


def test_version_and_help_exit_0(run_pggate):
    assert run_pggate("--version").exit_code == 0
    helped = run_pggate("migrate", "--help")
    assert helped.exit_code == 0
    assert "--dry-run" in helped.stdout


def test_an_internal_error_json_document_carries_the_process_exit_code(capsys):
    import json

    from pggate.cli.guard import _unexpected

    code = _unexpected(ValueError("boom"), verbose=False, json_mode=True)
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == code == 1
    assert document["message"] == "internal error: ValueError: boom"


def test_stage_shows_why_a_step_could_not_run_and_counts_it(run_pggate, tmp_path):
    root = write_project(tmp_path / "p", url="postgresql://app:pw@127.0.0.1:1/app")
    result = run_pggate("stage", "--env", "test", cwd=root)
    assert result.exit_code == 3, result.output
    step_line = next(line for line in result.stderr.splitlines() if "environment" in line)
    assert "ERROR" in step_line
    after = result.stderr.split(step_line, 1)[1]
    assert "error:" in after and "127.0.0.1" in after
    assert "hint:" in after
    assert "NO-GO  test: 1 error(s)" in result.stdout
    assert (
        run_pggate("stage", "--env", "test", "-f", "json", cwd=root).json()["counts"]["error"] == 1
    )


def test_stage_exits_2_on_a_migration_file_error_as_validate_does(run_pggate, project):
    root = project(migrations={"001_bad.sql": "create tabel x (id int);\n"})
    assert run_pggate("validate", cwd=root).exit_code == 2
    staged = run_pggate("stage", "--env", "test", cwd=root)
    assert staged.exit_code == 2, staged.output
    assert "MIG001" in staged.stdout
    assert "SKIP migrate (not run: step validate did not pass)" in staged.stdout


def test_a_skipped_gate_says_why_in_text(cli, project):
    root = project(migrations={"001_a.sql": "create table a (id int);"})
    result = cli("verify", "--env", "test", "--gate", "perf", cwd=root)
    assert result.exit_code == 0, result.output
    assert "gate perf: SKIP (no checks/bench/ folder)" in result.stdout


def test_verbose_migrate_shows_each_statement_and_its_time(run_pggate, project):
    root = project(
        migrations={"001_a.sql": "create table a (id int);\ninsert into a values (1);\n"}
    )
    quiet = run_pggate("migrate", "--env", "test", "--dry-run", cwd=root)
    assert quiet.exit_code == 0 and "create table a" not in quiet.stderr
    result = run_pggate("migrate", "--env", "test", "-v", cwd=root)
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    first = next(line for line in lines if "migrations/001_a.sql:1" in line)
    second = next(line for line in lines if "migrations/001_a.sql:2" in line)
    assert "create table a (id int)" in first and first.rstrip().endswith("ms)")
    assert "insert into a values (1)" in second and second.rstrip().endswith("ms)")
    assert any(line.startswith("applied 001_a (") for line in lines), result.stderr


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["validate", "--format", "json"], True),
        (["validate", "--format=JSON"], True),
        (["-f", "json", "validate"], True),
        (["validate", "-fjson"], True),
        (["validate", "-vf", "json"], True),
        (["validate", "-vyfJson"], True),
        (["validate", "--format", "text"], False),
        (["validate", "-f", "yaml"], False),
        (["validate", "-p", "f", "json"], False),  # -p takes "f": no format given
        (["validate", "-pf", "json"], False),  # the project is "f"
        (["validate", "--", "-f", "json"], False),
        (["validate", "--format"], False),
    ],
)
def test_json_is_asked_for_as_click_reads_the_line(argv, wanted):
    from pggate.cli.guard import _json_requested

    assert _json_requested(argv) is wanted


@pytest.mark.parametrize(
    "argv",
    [
        ["--format", "json", "--version"],
        ["--version", "-f", "json"],
        ["-f", "json", "--help"],
        ["-f", "json", "status", "--help"],
        ["migrate", "-h", "--format=json"],
    ],
)
def test_version_and_help_asked_for_in_json_print_one_json_document(run_pggate, tmp_path, argv):
    from pggate import __version__

    result = run_pggate(*argv, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    document = result.json()  # the one document on stdout, nothing else
    if "--version" in argv:
        assert document == {"version": __version__}
    else:
        assert document["help"].startswith("Usage: pggate") and "--format" in document["help"]
