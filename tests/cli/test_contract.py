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


def test_version_and_help_exit_0(run_pggate):
    assert run_pggate("--version").exit_code == 0
    helped = run_pggate("migrate", "--help")
    assert helped.exit_code == 0
    assert "--dry-run" in helped.stdout


def test_an_internal_error_json_document_carries_the_process_exit_code(capsys):
    import json

    from pggate.cli.runner import _unexpected

    code = _unexpected(ValueError("boom"), verbose=False, json_mode=True)
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == code == 1
    assert document["message"] == "internal error: ValueError: boom"
