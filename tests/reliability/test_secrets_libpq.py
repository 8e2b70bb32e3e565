"""A password libpq found by itself (PGPASSWORD, .pgpass, a service file, password=) is masked.

pggate registered only passwords it read from URLs and env files. Here the password
reaches libpq through each of its other channels, and migrations echo it: a column
default (success: the schema snapshot, -v statement traces, evidence) and a failing
statement the server quotes back (failure). Every output, every file the runs leave
and pggate's own tables are searched for it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
from psycopg import sql

from tests.conftest import write_project
from tests.reliability.helpers import all_text_under

SECRET = "p@ss:w/o%rd#?&Zq9"  # every character a URL, .pgpass or conninfo treats specially
CHANNELS = ("PGPASSWORD", "pgpass", "service", "conninfo")
MIGRATIONS = {
    "001_keep.sql": f"create table kept (v text default '{SECRET}');\n"
    "-- migrate:down\ndrop table kept;\n",
    "002_echo.sql": f"select '{SECRET}'::int;\n-- migrate:down\nselect 1;\n",
}


def _channel(channel: str, socket_dir: str, database: str, files: Path) -> tuple[str, dict]:
    """The URL for the env file and the process environment that give libpq the password."""
    url = f"postgresql://app@/{database}?host={socket_dir}"
    environ = {"PGPASSFILE": str(files / "no-such-pgpass"), "PGSERVICEFILE": str(files / "none")}
    if channel == "PGPASSWORD":
        environ["PGPASSWORD"] = SECRET
    elif channel == "pgpass":
        pgpass = files / "pgpass"
        escaped = SECRET.replace("\\", "\\\\").replace(":", "\\:")
        pgpass.write_text(f"*:*:{database}:app:{escaped}\n")
        pgpass.chmod(0o600)
        environ["PGPASSFILE"] = str(pgpass)
    elif channel == "service":
        service = files / "pg_service.conf"
        service.write_text(
            f"[pggate_test]\nhost={socket_dir}\ndbname={database}\nuser=app\npassword={SECRET}\n"
        )
        environ["PGSERVICEFILE"] = str(service)
        url = "service=pggate_test"
    else:
        url = f"host={socket_dir} dbname={database} user=app password='{SECRET}'"
    return url, environ


def _own_tables_text(conn: psycopg.Connection) -> str:
    tables = conn.execute(
        "select quote_ident(schemaname) || '.' || quote_ident(tablename) as name "
        "from pg_tables where schemaname = 'pggate'"
    ).fetchall()
    assert {t[0] for t in tables} >= {"pggate.schema_migrations", "pggate.events"}
    text = []
    for (name,) in tables:
        rows = conn.execute(
            sql.SQL("select row_to_json(t)::text from {} t").format(sql.SQL(name))
        ).fetchall()
        text += [r[0] for r in rows]
    return "\n".join(text)


@pytest.mark.slow
@pytest.mark.parametrize("channel", CHANNELS)
def test_the_password_libpq_used_is_masked_everywhere(
    run_pggate, tmp_path, password_server, channel
):
    admin_url = password_server.url()
    socket_dir = parse_qs(urlsplit(admin_url).query)["host"][0]
    database = f"app_{channel.lower()}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("alter role app password {}").format(sql.Literal(SECRET)))
        admin.execute(sql.SQL("create database {} owner app").format(sql.Identifier(database)))
    files = tmp_path / "secrets"
    files.mkdir()
    url, environ = _channel(channel, socket_dir, database, files)
    root = write_project(tmp_path / "p", migrations=MIGRATIONS)
    (root / "pggate.toml").write_text(
        (root / "pggate.toml").read_text() + '\n[environments.test]\nenv_file = ".env.test"\n'
    )
    (root / ".env.test").write_text(f'DATABASE_URL="{url}"\n')
    outputs = []

    def run(*args: str, expect: int) -> None:
        result = run_pggate(*args, "--env", "test", cwd=root, env=environ)
        assert result.exit_code == expect, (args, result.output)
        outputs.append(result.output)

    run("migrate", "--to", "001", "-v", expect=0)  # success: the default is in the trace
    run("schema", "--format", "json", expect=0)  # and in the snapshot
    run("migrate", "-v", expect=1)  # failure: the server quotes the value back
    run("migrate", "--format", "json", expect=1)
    run("status", expect=0)
    run("stage", "--yes", expect=1)
    run("stage", "--yes", "--format", "json", expect=1)
    echoed = next(o for o in outputs if "invalid input syntax for type integer" in o)
    assert "****" in echoed, "the failure was echoed (and masked)"
    for output in outputs:
        assert SECRET not in output, output
    evidence = root / "evidence"
    assert sorted(p.name for p in evidence.rglob("report.*")), "reports were written"
    assert SECRET not in all_text_under(root, skip={".env.test", *MIGRATIONS})
    with psycopg.connect(admin_url.replace("/postgres?", f"/{database}?"), autocommit=True) as db:
        assert (
            SECRET
            in db.execute(
                "select pg_get_expr(adbin, adrelid) from pg_attrdef where adrelid = 'kept'::regclass"
            ).fetchone()[0]
        )
        assert SECRET not in _own_tables_text(db)
    assert not os.environ.get("PGPASSWORD")
