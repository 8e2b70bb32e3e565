"""Install the local Supabase surface on a database, idempotently.

What a team's ``supabase/migrations`` folder assumes exists before its first
file runs: Supabase's roles, the ``auth``/``storage``/``extensions`` schemas,
``auth.users`` and the ``auth.uid()`` family, storage's tables and helpers, the
``supabase_realtime`` publication, the webhooks' ``supabase_functions`` schema,
``graphql_public.graphql``, and the extensions Supabase pre-installs
(``PREINSTALLED``: ``uuid-ossp``/``pgcrypto``/``pg_net`` in ``extensions``, on
the database's ``search_path``; ``pg_graphql``; ``supabase_vault``, as plain SQL
where the server cannot load the stand-in). The SQL lives in ``sql/*.sql``,
applied in file order in one transaction; an upgrade from an older shim version
runs only the files that version lacked (``SQL_SINCE``).

Extensions the server lacks get labelled local stand-ins (``extensions/``)
through PostgreSQL 18's ``extension_control_path``, searched after ``$system``
so a real extension always wins. Older servers use what they have.

Only ``session.open_session`` calls ``install``, and only for a local target
of a project with ``supabase = true``: this never runs against staging or
production. The installed version is kept as the database setting
``pggate.supabase_shim`` (not part of the schema), so a second run changes
nothing, and what migrations later did to ``auth`` or ``storage`` is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ..errors import DatabaseUnavailable
from ..events import NULL_EMIT, Emit, Event

SHIM_VERSION = "2"
MARKER = "pggate.supabase_shim"
SQL_DIR = Path(__file__).parent / "sql"
STANDIN_DIR = Path(__file__).parent / "extensions"  # holds extension/<name>.control
STANDINS = (
    "pgcrypto",
    "uuid-ossp",
    "pgjwt",
    "http",
    "pg_net",
    "pg_cron",
    "supabase_vault",
    "pg_graphql",
    "pgsodium",
)
# What a fresh Supabase database (``supabase start``) has installed, and in which schema.
PREINSTALLED = {
    "uuid-ossp": "extensions",
    "pgcrypto": "extensions",
    "pg_graphql": "graphql",
    "supabase_vault": "vault",
    "pg_net": "extensions",  # the CLI's webhook setup installs it with supabase_functions
}
# The shim version that introduced each SQL file (default 1): an upgrade runs only newer files,
# so what migrations later did to auth or storage is never overwritten.
SQL_SINCE = {"60_functions.sql": 2, "70_graphql.sql": 2}
VAULT_SQL = STANDIN_DIR / "extension" / "supabase_vault--0.3.1.sql"
SEARCH_PATH = '"$user", public, extensions'
CONTROL_PATH_SINCE = 180000  # server_version_num of PostgreSQL 18
_LOCK_KEY = 0x7067676174655342  # "pggateSB": one installer per database at a time


@dataclass(frozen=True)
class ShimResult:
    """What ``install`` did on one database."""

    database: str
    installed: bool  # False: version SHIM_VERSION was already in place
    standins: tuple[str, ...] = ()  # extensions served by pggate's stand-ins here
    unavailable: tuple[str, ...] = ()  # neither real nor stand-in (servers before 18)
    extensions: tuple[str, ...] = ()  # created in schema extensions by this run

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for events and evidence."""
        return {
            "database": self.database,
            "installed": self.installed,
            "version": SHIM_VERSION,
            "standins": list(self.standins),
            "unavailable": list(self.unavailable),
            "extensions": list(self.extensions),
        }


def extension_control_path() -> str:
    """``$system`` first, then the stand-ins: a real extension always wins."""
    return f"$system:{STANDIN_DIR}"


def install(conn: psycopg.Connection[Any], *, emit: Emit = NULL_EMIT) -> ShimResult:
    """Install (or confirm) the Supabase surface on ``conn``'s database.

    Leaves the connection's own ``search_path`` (and ``extension_control_path`` on
    PostgreSQL 18+) set as new connections get them from the database.

    Raises:
        DatabaseUnavailable: the connecting role cannot create roles and schemas.
    """
    database, superuser, version = _server(conn)
    if not superuser:
        raise DatabaseUnavailable(
            f"the Supabase shim needs a superuser on database {database}: the connecting role "
            "cannot create Supabase's roles and schemas",
            hint="connect the local environment as a superuser (postgres), "
            "or set supabase = false in pggate.toml",
        )
    settings = _database_settings(conn)
    standins: tuple[str, ...] = ()
    if version >= CONTROL_PATH_SINCE:
        standins = _standins_needed(conn)
        _set(conn, "extension_control_path", extension_control_path())
    done = settings.get(MARKER) == SHIM_VERSION and _has_auth(conn)
    previous = _installed_version(settings.get(MARKER), conn)
    created: list[str] = []
    unavailable: list[str] = []
    if not done:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            if not (_database_settings(conn).get(MARKER) == SHIM_VERSION and _has_auth(conn)):
                for path in sorted(SQL_DIR.glob("*.sql")):
                    if SQL_SINCE.get(path.name, 1) > previous:
                        conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[call-overload]
                created, unavailable = _preinstall_extensions(conn)
                if "supabase_vault" in unavailable and _vault_missing(conn):
                    # No extension_control_path before PostgreSQL 18: Vault's objects as plain SQL.
                    conn.execute(_vault_sql())  # type: ignore[call-overload]
                    unavailable.remove("supabase_vault")
                wanted = {"search_path": SEARCH_PATH, MARKER: SHIM_VERSION}
                if version >= CONTROL_PATH_SINCE:
                    wanted["extension_control_path"] = extension_control_path()
                for key, value in wanted.items():
                    _alter_database(conn, database, key, value)
    elif version >= CONTROL_PATH_SINCE and settings.get("extension_control_path") != (
        extension_control_path()
    ):
        # The checkout moved (another venv, another folder): point the database at this one.
        _alter_database(conn, database, "extension_control_path", extension_control_path())
    _set(conn, "search_path", SEARCH_PATH)
    if version < CONTROL_PATH_SINCE:
        unavailable = sorted({*unavailable, *_missing_everywhere(conn)})
    result = ShimResult(database, not done, standins, tuple(unavailable), tuple(created))
    emit(Event("supabase.shim", _describe(result), result.to_dict()))
    return result


def _describe(result: ShimResult) -> str:
    action = "installed" if result.installed else "already in place"
    text = f"Supabase shim v{SHIM_VERSION} {action} on {result.database}"
    if result.standins:
        text += f" (local stand-ins: {', '.join(result.standins)})"
    return text


def _server(conn: psycopg.Connection[Any]) -> tuple[str, bool, int]:
    row = conn.execute(
        "select current_database() as db, r.rolsuper as superuser, "
        "current_setting('server_version_num')::int as version "
        "from pg_roles r where r.rolname = current_user"
    ).fetchone()
    assert row is not None
    return _get(row, "db", 0), bool(_get(row, "superuser", 1)), int(_get(row, "version", 2))


def _get(row: Any, key: str, index: int) -> Any:
    return row[key] if isinstance(row, dict) else row[index]


def _database_settings(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """``ALTER DATABASE ... SET`` values of the current database (for every role)."""
    row = conn.execute(
        "select coalesce(s.setconfig, '{}') as config from pg_database d "
        "left join pg_db_role_setting s on s.setdatabase = d.oid and s.setrole = 0 "
        "where d.datname = current_database()"
    ).fetchone()
    config = _get(row, "config", 0) if row else []
    return dict(item.split("=", 1) for item in config if "=" in item)


def _installed_version(marker: str | None, conn: psycopg.Connection[Any]) -> int:
    """The shim version already on the database (0: none, or its auth schema is gone)."""
    if marker is None or not marker.isdigit() or not _has_auth(conn):
        return 0
    return int(marker)


def _vault_missing(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("select to_regclass('vault.secrets') is null as missing").fetchone()
    return bool(row and _get(row, "missing", 0))


def _vault_sql() -> str:
    """The Vault stand-in's script for schema ``vault``, without its psql-only guard line."""
    text = VAULT_SQL.read_text(encoding="utf-8").replace("@extschema@", "vault")
    return "\n".join(line for line in text.splitlines() if not line.startswith("\\echo"))


def _has_auth(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute(
        "select to_regclass('auth.users') is not null "
        "and to_regprocedure('auth.uid()') is not null as ok"
    ).fetchone()
    return bool(row and _get(row, "ok", 0))


def _standins_needed(conn: psycopg.Connection[Any]) -> tuple[str, ...]:
    """The stand-in extensions this server lacks for real (PostgreSQL 18+)."""
    with conn.transaction():
        conn.execute("set local extension_control_path = '$system'")
        rows = conn.execute(
            "select name from pg_available_extensions where name = any(%s)", (list(STANDINS),)
        ).fetchall()
    real = {_get(r, "name", 0) for r in rows}
    return tuple(name for name in STANDINS if name not in real)


def _missing_everywhere(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute(
        "select name from pg_available_extensions where name = any(%s)", (list(STANDINS),)
    ).fetchall()
    available = {_get(r, "name", 0) for r in rows}
    return [name for name in STANDINS if name not in available]


def _preinstall_extensions(conn: psycopg.Connection[Any]) -> tuple[list[str], list[str]]:
    """What Supabase pre-installs (``PREINSTALLED``), unless already installed anywhere."""
    rows = conn.execute(
        "select e.name, x.extname is not null as installed from unnest(%s::text[]) e(name) "
        "left join pg_extension x on x.extname = e.name "
        "where x.extname is not null "
        "   or exists (select 1 from pg_available_extensions a where a.name = e.name)",
        (list(PREINSTALLED),),
    ).fetchall()
    found = {_get(r, "name", 0): bool(_get(r, "installed", 1)) for r in rows}
    created = []
    for name, schema in PREINSTALLED.items():
        if name in found and not found[name]:
            conn.execute(
                sql.SQL("create extension if not exists {} with schema {}").format(
                    sql.Identifier(name), sql.Identifier(schema)
                )
            )
            created.append(name)
    return created, [name for name in PREINSTALLED if name not in found]


def _alter_database(conn: psycopg.Connection[Any], database: str, key: str, value: str) -> None:
    conn.execute(
        sql.SQL("alter database {} set {} = {}").format(
            sql.Identifier(database),
            sql.SQL(".").join(sql.Identifier(part) for part in key.split(".")),
            sql.Literal(value) if key != "search_path" else sql.SQL(value),
        )
    )


def _set(conn: psycopg.Connection[Any], key: str, value: str) -> None:
    conn.execute("select set_config(%s, %s, false)", (key, value))
