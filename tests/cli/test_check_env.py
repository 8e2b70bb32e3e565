"""check-env end to end: exit codes, output, and no planted secret anywhere."""

import json

import pytest

from tests.conftest import write_project

PLANTED = "Pl4ntedPw-9x7"


def test_live_server_exits_0_and_shows_the_version(cli, project):
    root = project()
    result = cli("check-env", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert "server version" in result.stdout
    assert "pin this environment with" in result.stdout


def test_json_is_one_document_on_stdout(cli, project, server_version):
    root = project()
    result = cli("check-env", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 0
    data = result.json()
    assert data["facts"]["server_version_num"] == server_version
    assert data["status"] in ("pass", "warn")
    assert {f["check"] for f in data["findings"]} >= {"ENV004"}


def test_options_before_the_command_work_too(cli, project):
    root = project()
    result = cli("--env", "test", "--format", "json", "check-env", cwd=root)
    assert result.exit_code == 0
    assert result.json()["env"] == "test"


def test_unreachable_server_exits_3_with_reason_and_no_password(cli, tmp_path):
    root = write_project(tmp_path / "p", url=f"postgresql://app:{PLANTED}@127.0.0.1:1/app")
    for fmt in ("text", "json"):
        result = cli("check-env", "--env", "test", "--format", fmt, cwd=root)
        assert result.exit_code == 3
        assert PLANTED not in result.output
        assert "cannot connect" in result.output
        assert "127.0.0.1:1" in result.output
    assert json.loads(result.stdout)["exit_code"] == 3


def test_unknown_environment_exits_2_listing_known_ones(cli, project):
    root = project()
    result = cli("check-env", "--env", "prod", cwd=root)
    assert result.exit_code == 2
    assert "unknown environment 'prod'" in result.stderr
    assert "known environments: local, test" in result.stderr


def test_url_conflict_exits_2_both_masked(cli, tmp_path, monkeypatch):
    root = write_project(tmp_path / "p", url=f"postgresql://app:{PLANTED}@db1/app")
    monkeypatch.setenv("DATABASE_URL", f"postgresql://app:{PLANTED}x@db2/app")
    result = cli("check-env", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "db1/app" in result.stderr and "db2/app" in result.stderr
    assert PLANTED not in result.output


def test_planted_password_never_appears_in_a_real_process(run_pggate, tmp_path, db_url):
    # The test server takes trust auth, so a password in the URL is accepted and ignored:
    # the run succeeds and every byte it prints is checked for the planted secret.
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(db_url)
    if parts.hostname is None:  # embedded server over a socket: put the password in userinfo
        url = db_url.replace("postgres@", f"postgres:{PLANTED}@", 1)
    else:
        netloc = f"{parts.username or 'postgres'}:{PLANTED}@{parts.hostname}:{parts.port or 5432}"
        url = urlunsplit(parts._replace(netloc=netloc))
    root = write_project(tmp_path / "p", url=url)
    (root / ".env.test").write_text(f"DATABASE_URL={url}\nSERVICE_ROLE_KEY={PLANTED}k\n")
    for args in (
        ("check-env", "--env", "test", "-v"),
        ("check-env", "--env", "test", "--format", "json"),
    ):
        result = run_pggate(*args, cwd=root)
        assert result.exit_code == 0, result.output
        assert PLANTED not in result.output


def test_pin_mismatch_refuses_with_exit_2(cli, project):
    root = project(extra_toml="")
    toml = (root / "pggate.toml").read_text() + 'pin = "1/not-this-db"\n'
    (root / "pggate.toml").write_text(toml)
    result = cli("check-env", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "pinned to 1/not-this-db" in result.stderr


def test_pin_match_passes(cli, project):
    root = project()
    identity = cli("check-env", "--env", "test", "--format", "json", cwd=root).json()["facts"][
        "identity"
    ]
    (root / "pggate.toml").write_text((root / "pggate.toml").read_text() + f'pin = "{identity}"\n')
    assert cli("check-env", "--env", "test", cwd=root).exit_code == 0


@pytest.mark.parametrize("args", [("--help",), ("check-env", "--help"), ("--version",)])
def test_help_and_version(cli, args):
    result = cli(*args)
    assert result.exit_code == 0
    assert "pggate" in result.stdout
