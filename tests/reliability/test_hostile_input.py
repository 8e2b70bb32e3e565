"""Hostile input: broken config and env files, odd URLs, odd identifiers, huge and binary files.

Every case through the real ``pggate`` process, judged the same way: the exit
code DESIGN.md gives it (0 ok, 1 failed, 2 bad input, 3 database unreachable),
a message that names the problem, nothing lost in the database, and no Python
traceback on stderr. Inputs live in ``corpus/`` (``{url}`` stands for the test
database); the 50 MB and binary files are made at test time.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.conftest import write_project
from tests.reliability.helpers import applied_versions, assert_clean_stderr, relations

CORPUS = Path(__file__).parent / "corpus"
OK = {"001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;\n"}


def run_ok(run_pggate, *args, cwd, code: int, says: str | tuple[str, ...] = ()):
    """Run pggate, assert the exit code, the message and a clean stderr; the result."""
    result = run_pggate(*args, cwd=cwd)
    assert result.exit_code == code, (args, result.output)
    assert_clean_stderr(result.stderr)
    for text in (says,) if isinstance(says, str) else says:
        assert text in " ".join(result.output.split()), (text, result.output)
    return result


# ---------------------------------------------------------------- pggate.toml

TOML_CASES = {
    "unclosed_table.toml": "not valid TOML",
    "unterminated_string.toml": "not valid TOML",
    "duplicate_key.toml": "not valid TOML",
    "wrong_type.toml": "project.migrations: Input should be a valid string",
    "unknown_key.toml": "project.migratons: unknown key",
    "bad_duration.toml": "environments.test.lock_timeout",
    "history_not_qualified.toml": "project.history_table: Value error, must be schema.table",
}


@pytest.mark.parametrize("case", sorted(TOML_CASES))
def test_malformed_project_file_exits_2_naming_the_problem(run_pggate, tmp_path, case):
    root = write_project(tmp_path / "p", migrations=OK)
    (root / "pggate.toml").write_text((CORPUS / "toml" / case).read_text())
    (root / ".env.test").write_text("DATABASE_URL=postgresql://nobody@127.0.0.1:1/x\n")
    result = run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=2, says=TOML_CASES[case])
    assert "pggate.toml" in result.stderr and "hint:" in result.stderr


def test_binary_project_file_exits_2(run_pggate, tmp_path):
    root = write_project(tmp_path / "p", migrations=OK)
    (root / "pggate.toml").write_bytes(random.Random(1).randbytes(2048))
    run_ok(run_pggate, "status", "--env", "test", cwd=root, code=2, says="pggate.toml")


# ---------------------------------------------------------------- env files

ENV_CASES = {
    # file: (exit code, what the message must say)
    "export_single_quoted.env": (0, ""),
    "double_quoted_comment.env": (0, ""),
    "spaces_around_equals.env": (0, ""),
    "multiline_other_value.env": (0, ""),
    "unclosed_double_quote.env": (2, 'the " quote opened for DATABASE_URL is never closed'),
    "unclosed_single_quote.env": (2, "the ' quote opened for DATABASE_URL is never closed"),
    "missing_equals.env": (2, ".env.test:1: expected KEY=value"),
    "bad_key.env": (2, ".env.test:1: expected KEY=value"),
    "empty_value.env": (2, "has no database URL"),
    "not_postgres.env": (2, "is not a PostgreSQL URL"),
}


@pytest.mark.parametrize("case", sorted(ENV_CASES))
def test_env_file_quoting(run_pggate, tmp_path, db_url, case):
    code, says = ENV_CASES[case]
    root = write_project(tmp_path / "p", url=db_url, migrations=OK)
    (root / ".env.test").write_text((CORPUS / "env" / case).read_text().replace("{url}", db_url))
    result = run_ok(run_pggate, "status", "--env", "test", cwd=root, code=code, says=says)
    assert "Zq7Secret" not in result.output


@pytest.mark.parametrize("encoding", ["crlf", "bom", "bom+crlf"])
def test_env_file_from_windows_editors(run_pggate, tmp_path, db_url, encoding):
    root = write_project(tmp_path / "p", url=db_url, migrations=OK)
    text = f"# staging\nDATABASE_URL={db_url}\n"
    data = text.replace("\n", "\r\n").encode() if "crlf" in encoding else text.encode()
    if "bom" in encoding:
        data = b"\xef\xbb\xbf" + data
    (root / ".env.test").write_bytes(data)
    run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0, says="applied 1 migration")


def test_binary_env_file_exits_2(run_pggate, tmp_path):
    root = write_project(tmp_path / "p", url="postgresql://x@127.0.0.1:1/x", migrations=OK)
    (root / ".env.test").write_bytes(b"\xff\xfe" + random.Random(2).randbytes(512))
    run_ok(run_pggate, "status", "--env", "test", cwd=root, code=2, says="not UTF-8")


# ---------------------------------------------------------------- passwords in URLs

PASSWORD = "Zq7Secret@h:5/x#y?z%&'\" ;"


@pytest.fixture
def odd_role(pg_server: str, db_url: str):
    """A login role whose password holds every character that breaks URLs; (name, enforced).

    ``enforced`` tells whether the server checks passwords (trust auth does not,
    and then only the parsing and the masking are under test).
    """
    name = f"rel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(
            sql.SQL("create role {} login password {}").format(
                sql.Identifier(name), sql.Literal(PASSWORD)
            )
        )
    with psycopg.connect(db_url, autocommit=True) as owner:
        # PostgreSQL 15+ no longer lets every role create in public.
        owner.execute(sql.SQL("grant create on schema public to {}").format(sql.Identifier(name)))
        database = sql.Identifier(owner.info.dbname)
        # CREATE on the database: pggate makes its own schema on the first migrate.
        owner.execute(
            sql.SQL("grant create on database {} to {}").format(database, sql.Identifier(name))
        )
    try:
        try:
            psycopg.connect(with_credentials(db_url, name, "wrong-password")).close()
            enforced = False
        except psycopg.OperationalError:
            enforced = True
        yield name, enforced
    finally:
        drop_role(pg_server, db_url, name)


def drop_role(pg_server: str, db_url: str, name: str) -> None:
    """Drop what ``name`` owns in the test database, then the role."""
    with psycopg.connect(db_url, autocommit=True) as owner:
        owner.execute(sql.SQL("drop owned by {} cascade").format(sql.Identifier(name)))
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(sql.SQL("drop role {}").format(sql.Identifier(name)))


def with_credentials(url: str, user: str, password: str) -> str:
    """``url`` with ``user:password@`` (the password as given: encode it yourself)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_percent_encoded_password_with_special_characters_connects(
    run_pggate, tmp_path, db_url, odd_role
):
    name, enforced = odd_role
    url = with_credentials(db_url, name, quote(PASSWORD, safe=""))
    root = write_project(tmp_path / "p", url=url, migrations=OK)
    for fmt in ("text", "json"):
        result = run_ok(
            run_pggate, "check-env", "--env", "test", "-v", "--format", fmt, cwd=root, code=0
        )
        assert "Zq7Secret" not in result.output and quote(PASSWORD, safe="") not in result.output
    migrated = run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0)
    assert "Zq7Secret" not in migrated.output
    if enforced:
        wrong = with_credentials(db_url, name, quote("Zq7Wrong@/", safe=""))
        (root / ".env.test").write_text(f"DATABASE_URL={wrong}\n")
        failed = run_ok(
            run_pggate,
            "status",
            "--env",
            "test",
            cwd=root,
            code=3,
            says="password authentication failed",
        )
        assert "Zq7Wrong" not in failed.output


def test_role_that_cannot_create_pggate_schema_exits_3(run_pggate, tmp_path, db_url, odd_role):
    name, _enforced = odd_role
    with psycopg.connect(db_url, autocommit=True) as owner:
        owner.execute(
            sql.SQL("revoke create on database {} from {}").format(
                sql.Identifier(owner.info.dbname), sql.Identifier(name)
            )
        )
    url = with_credentials(db_url, name, quote(PASSWORD, safe=""))
    root = write_project(tmp_path / "p", url=url, migrations=OK)
    run_ok(
        run_pggate,
        "migrate",
        "--env",
        "test",
        cwd=root,
        code=3,
        says=(
            "cannot create pggate's tables",
            "permission denied",
            "hint: have an owner run `create schema pggate authorization",
        ),
    )
    assert relations_of(db_url) == {}


def test_unencoded_password_is_refused_without_showing_any_of_it(
    run_pggate, tmp_path, db_url, odd_role
):
    name, _enforced = odd_role
    root = write_project(
        tmp_path / "p", url=with_credentials(db_url, name, PASSWORD), migrations=OK
    )
    result = run_ok(
        run_pggate,
        "status",
        "--env",
        "test",
        cwd=root,
        code=2,
        says=("must be percent-encoded", "hint: write @ as %40"),
    )
    verbose = run_pggate("migrate", "--env", "test", "-v", "--format", "json", cwd=root)
    assert verbose.exit_code == 2 and verbose.json()["exit_code"] == 2
    for fragment in ("Zq7Secret", "h:5/x", "#y?z", "%&'"):
        assert fragment not in result.output + verbose.output, fragment
    assert relations_of(db_url) == {}


def relations_of(url: str) -> dict[str, bool]:
    """``relations`` of the database at ``url``."""
    with psycopg.connect(url, row_factory=psycopg.rows.dict_row) as conn:
        return relations(conn)


# ---------------------------------------------------------------- identifiers

ODD_NAMES = """
create schema "we""ird";
create table "we""ird"."select" (
    "id" bigint generated always as identity primary key,
    tenant_id uuid not null,
    "from" text,
    "naïve ✓ column" int,
    "Mixed Case" text
);
create index "idx ""quoted"" name" on "we""ird"."select" (tenant_id);
alter table "we""ird"."select" enable row level security;
create policy "pol"" x" on "we""ird"."select" using (tenant_id = current_setting('app.tenant', true)::uuid);
create table public."select" (id int primary key, tenant_id uuid not null, "order" int);
create table public."Order" (id int primary key, "select_id" int references public."select"(id));
alter table public."select" enable row level security;
create view public."my view" with (security_invoker = true) as select "order" from public."select";
create function "we""ird"."fn()"("user" int) returns int language sql as 'select $1';
-- migrate:down
drop function "we""ird"."fn()"(int);
drop view public."my view";
drop table public."Order";
drop table public."select";
drop schema "we""ird" cascade;
"""


def test_odd_identifiers_pass_through_every_gate_and_back(run_pggate, tmp_path, db_url, db):
    # The first migration's table lives outside the exposed schemas: after the rollback to it,
    # the health gates find nothing to object to, so exit 0 is the proof's alone.
    first = {
        "001_app.sql": "create schema app;\ncreate table app.a (id int);\n-- migrate:down\ndrop schema app cascade;\n"
    }
    root = write_project(
        tmp_path / "p",
        url=db_url,
        migrations={**first, "002_odd.sql": ODD_NAMES},
        extra_toml='[tenancy]\nexposed_schemas = ["public", "we\\"ird"]\n',
    )
    run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0)
    verified = run_pggate("verify", "--env", "test", "--format", "json", cwd=root)
    assert verified.exit_code in (0, 1), verified.output  # findings are fine, crashes are not
    assert_clean_stderr(verified.stderr)
    gates = {g["gate"]: g for g in verified.json()["gates"]}
    assert set(gates) >= {"rls", "fk", "views", "functions"}, sorted(gates)
    objects = {f["object"] for g in gates.values() for f in g["findings"]}
    # RLS without FORCE on the odd table is reported under its real (quoted) name.
    assert any("select" in o and "ird" in o for o in objects), objects
    for command in (("status",), ("schema",), ("verify",), ("validate",)):
        run_ok(run_pggate, *command, "--env", "test", cwd=root, code=None or _code(command))
    run_ok(
        run_pggate,
        "rollback",
        "--env",
        "test",
        "--to",
        "1",
        "--yes",
        cwd=root,
        code=0,
        says="proven",
    )
    assert applied_versions(db) == ["001"]
    assert db.execute('select to_regnamespace(\'"we""ird"\') as s').fetchone()["s"] is None


def _code(command: tuple[str, ...]) -> int:
    return 1 if command == ("verify",) else 0


# ---------------------------------------------------------------- files


@pytest.mark.slow
def test_fifty_megabyte_migration(run_pggate, tmp_path, db_url, db):
    root = write_project(tmp_path / "p", url=db_url, migrations=OK)
    row = "('" + "x" * 990 + "'),"
    with (root / "migrations" / "002_big.sql").open("w") as out:
        out.write("create table big (payload text);\n")
        for _ in range(52):  # 52 statements of ~1 MB: a bulk data migration
            out.write("insert into big (payload) values " + row * 1000 + "('end');\n")
    assert (root / "migrations" / "002_big.sql").stat().st_size > 50_000_000
    run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0, says="applied 2 migration")
    assert db.execute("select count(*) as n from big").fetchone()["n"] == 52 * 1001
    run_ok(run_pggate, "status", "--env", "test", cwd=root, code=0)


@pytest.mark.parametrize(
    "content",
    [
        random.Random(3).randbytes(64 * 1024),
        b"create table z (id int);\x00\x01\x02",
        b"\xff\xfe\x00c",
    ],
    ids=["random-bytes", "nul-bytes", "utf16-bom"],
)
def test_binary_garbage_migration_exits_2_and_applies_nothing(
    run_pggate, tmp_path, db_url, db, content
):
    root = write_project(tmp_path / "p", url=db_url, migrations=OK)
    (root / "migrations" / "002_garbage.sql").write_bytes(content)
    for command in ("validate", "migrate"):
        run_ok(run_pggate, command, "--env", "test", cwd=root, code=2, says="002_garbage.sql")
    assert applied_versions(db) == [] and relations(db) == {}


@pytest.mark.parametrize(
    "statement",
    [
        "drop table pggate.schema_migrations;",
        "drop schema pggate cascade;",
        "alter table pggate.schema_migrations rename to gone;",
        "truncate pggate.schema_migrations;",
    ],
)
def test_migration_that_destroys_the_history_fails_and_loses_nothing(
    run_pggate, tmp_path, db_url, db, statement
):
    root = write_project(
        tmp_path / "p",
        url=db_url,
        migrations={
            **OK,
            "002_evil.sql": f"create table evil (id int);\n{statement}\n",
            "003_after.sql": "create table after (id int);",
        },
    )
    run_ok(run_pggate, "migrate", "--env", "test", "--to", "1", cwd=root, code=0)
    result = run_ok(
        run_pggate, "migrate", "--env", "test", cwd=root, code=1, says=("002_evil", "history")
    )
    assert "hint:" in result.stderr
    assert applied_versions(db) == ["001"], "the history survived"
    assert set(relations(db)) == {"a"}, "the migration was rolled back whole"


def test_migration_leaving_role_search_path_and_timeouts_set_does_not_leak(
    run_pggate, tmp_path, db_url, db, pg_server
):
    role = f"rel_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(sql.SQL("create role {}").format(sql.Identifier(role)))
    db.execute(sql.SQL("grant create, usage on schema public to {}").format(sql.Identifier(role)))
    try:
        root = write_project(
            tmp_path / "p",
            url=db_url,
            migrations={
                "001_role.sql": f'set role "{role}";\ncreate table owned_by_role (id int);\n'
                "set search_path = '';\nset statement_timeout = '1ms';\n",
                "002_next.sql": "create table next_one (id int);\nselect pg_sleep(0.05);",
                "003_outside.sql": f'-- pggate:no-transaction\nset role "{role}";\nset search_path = pg_catalog;\n',
                "004_last.sql": "create table last_one (id int);",
            },
        )
        run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0, says="applied 4 migration")
        rows = db.execute("select tablename, tableowner from pg_tables where schemaname = 'public'")
        owners = {r["tablename"]: r["tableowner"] for r in rows}
        me = db.execute("select current_user as u").fetchone()["u"]
        assert owners == {"owned_by_role": role, "next_one": me, "last_one": me}, owners
        rows = db.execute("select version, applied_by from pggate.schema_migrations order by 1")
        assert {r["applied_by"] for r in rows} == {me}, "history rows are written as pggate's user"
    finally:
        drop_role(pg_server, db_url, role)


def test_verify_json_stays_one_document_with_odd_names(run_pggate, tmp_path, db_url):
    """Names with quotes and newlines-like text never break the JSON on stdout."""
    root = write_project(
        tmp_path / "p",
        url=db_url,
        migrations={
            "001_q.sql": 'create table "a""b\\c" (tenant_id uuid, "x""y" int);',
        },
        extra_toml='[tenancy]\nexposed_schemas = ["public"]\n',  # so the table has findings
    )
    run_ok(run_pggate, "migrate", "--env", "test", cwd=root, code=0)
    result = run_pggate("verify", "--env", "test", "--format", "json", cwd=root)
    assert_clean_stderr(result.stderr)
    document = json.loads(result.stdout)
    objects = {f["object"] for g in document["gates"] for f in g["findings"]}
    assert 'public."a""b\\c"' in objects, objects  # quoted the way PostgreSQL reads it back
