"""A wrong password: exit 3, the server's reason shown, the password never."""

from tests.conftest import write_project

WRONG = "Wr0ng-Planted-pw"


def test_wrong_password_exits_3_with_reason_and_nothing_leaks(cli, tmp_path, password_server):
    url = password_server.url().replace("postgres@", f"app:{WRONG}@", 1)
    root = write_project(tmp_path / "p", url=url)
    for fmt in ("text", "json"):
        result = cli("check-env", "--env", "test", "--format", fmt, "-v", cwd=root)
        assert result.exit_code == 3, result.output
        assert "password authentication failed" in result.output
        assert "check the user and password" in result.output
        assert WRONG not in result.output


def test_right_password_connects(cli, tmp_path, password_server):
    url = password_server.url().replace("postgres@", "app:right-pw-123@", 1)
    root = write_project(tmp_path / "p", url=url)
    result = cli("check-env", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert "right-pw-123" not in result.output
