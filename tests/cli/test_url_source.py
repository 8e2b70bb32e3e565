"""Where the URL comes from: a process DATABASE_URL never silently redirects a run."""

from tests.conftest import write_project


def test_a_process_url_does_not_redirect_local_and_says_so(run_pggate, tmp_path, db_url):
    root = write_project(tmp_path / "p")
    result = run_pggate("check-env", "--format", "json", cwd=root, env={"DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    report = result.json()
    assert report["target"] != db_url and "embedded" in report["source"]
    assert "$DATABASE_URL is set but not used for 'local'" in result.stderr


def test_a_process_url_is_named_on_stderr_in_every_mode(run_pggate, tmp_path, db_url):
    root = write_project(tmp_path / "p", extra_toml="[environments.ci]\n")
    for fmt in ("text", "json"):
        result = run_pggate(
            "status", "--env", "ci", "--format", fmt, cwd=root, env={"DATABASE_URL": db_url}
        )
        assert result.exit_code == 0, result.output
        said = [line for line in result.stderr.splitlines() if "process variable" in line]
        assert len(said) == 1, result.stderr
        assert "using the database URL from the process variable $DATABASE_URL" in said[0]
        assert "for environment 'ci'" in said[0]
