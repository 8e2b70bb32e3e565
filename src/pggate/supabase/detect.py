"""Is this database a Supabase database? Checked before a Supabase project migrates it.

A project with ``supabase = true`` pointed at a plain server (not local, so no shim)
would fail its first file with ``schema "auth" does not exist``. ``missing_surface``
names what is absent in one query, so ``check-env`` and ``migrate`` can say what it
means instead.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ..errors import ConfigError

# What every Supabase database has and Supabase migrations assume.
REQUIRED_SCHEMAS = ("auth", "storage", "extensions")
REQUIRED_ROLES = ("anon", "authenticated", "service_role")

NOT_SUPABASE = (
    "this is not a Supabase database; for your own server set `local = true` "
    "to install the local Supabase surface"
)


def missing_surface(conn: psycopg.Connection[Any]) -> list[str]:
    """``schema auth``, ``role anon``, ... that a Supabase database has and this one lacks."""
    row = conn.execute(
        "select array(select 'schema ' || s from unnest(%s::text[]) s "
        "             where to_regnamespace(s) is null order by 1) "
        "    || array(select 'role ' || r from unnest(%s::text[]) r "
        "             where not exists (select 1 from pg_roles where rolname = r) order by 1) "
        "    as missing",
        (list(REQUIRED_SCHEMAS), list(REQUIRED_ROLES)),
    ).fetchone()
    missing = row["missing"] if isinstance(row, dict) else row[0]  # type: ignore[index]
    return list(missing or [])


def refuse_if_not_supabase(conn: psycopg.Connection[Any], env: str) -> None:
    """Raise before a Supabase project migrates a database that is not Supabase.

    Raises:
        ConfigError: (exit 2) naming what is missing and how to fix the configuration.
    """
    missing = missing_surface(conn)
    if missing:
        raise ConfigError(
            f"environment {env!r}: {NOT_SUPABASE} (missing: {', '.join(missing)})",
            hint=f"add `local = true` to [environments.{env}] for a server of your own, or "
            "point it at the Supabase project's database; nothing was applied",
        )
