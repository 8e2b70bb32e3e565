"""A planted password stays hidden where tests/cli/test_no_secrets.py does not look.

That test runs every command with a password in the URL. This one plants the
password where it gets echoed back: in a failing statement the server quotes in
its error, under a secret-looking key of an env file written with odd quoting,
and through ``-v`` tracebacks; then it reads stdout, stderr, every file the run
left in the project (evidence, logs, state) and pggate's own events table.
"""

from __future__ import annotations

import pytest

from tests.conftest import write_project
from tests.reliability.helpers import all_text_under

PLANTED = "Qv4-Planted-Hostile"


# Three spellings of the same secret under secret-looking keys: each must be understood.
ENV_LINES = (
    f"API_SERVICE_KEY='{PLANTED}'\n"
    f'export JWT_SECRET="{PLANTED}"   # trailing comment\n'
    f"DB_PASSWORD = {PLANTED}\n"
)


@pytest.mark.slow
def test_password_echoed_by_the_server_is_masked_everywhere(run_pggate, tmp_path, db_url, db):
    root = write_project(
        tmp_path / "p",
        url=db_url,
        migrations={
            "001_ok.sql": "create table ok (id int);\n-- migrate:down\ndrop table ok;",
            # The server quotes the bad value in its error, and pggate logs that error.
            "002_echo.sql": f"select '{PLANTED}'::int;\n-- migrate:down\nselect 1;",
        },
    )
    env_file = root / ".env.test"
    env_file.write_text(env_file.read_text() + ENV_LINES)
    outputs = []
    for extra in ((), ("-v",), ("--format", "json"), ("-v", "--format", "json")):
        result = run_pggate("migrate", "--env", "test", *extra, cwd=root)
        assert result.exit_code == 1, result.output
        outputs.append(result.output)
        for command in ("status", "validate", "verify"):
            outputs.append(run_pggate(command, "--env", "test", *extra, cwd=root).output)
    assert "invalid input syntax for type integer" in outputs[0], "the echo really happened"
    for output in outputs:
        assert PLANTED not in output, output
    assert PLANTED not in all_text_under(root, skip={".env.test", "002_echo.sql"})
    logged = db.execute("select message, details::text as details from pggate.events").fetchall()
    assert logged and all(PLANTED not in (r["message"] or "") + r["details"] for r in logged)
