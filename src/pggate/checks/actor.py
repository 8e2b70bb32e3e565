"""Acting as a member of a tenant: what the isolation proof, smoke checks and the pytest plugin share.

An actor (``[tenancy.actor]`` or one of ``[[tenancy.actors]]``) says how: a role to
``SET LOCAL ROLE`` to, a ``setup`` statement (the JWT claims PostgREST would set)
and a ``member_query`` returning one user of a tenant. ``{user}`` and ``{tenant}``
are bound as query parameters, never formatted into the SQL: as ``text`` in
``setup`` (claims and settings are text, and ``json_build_object('sub', {user})``
needs a type), untyped in ``member_query`` (compared with a column, they take its
type). Without a ``setup`` pggate sets the claims Supabase's auth server puts in a
user's JWT; without a ``member_query`` it reads ``[tenancy] members_table``.
Everything here runs inside a transaction the caller rolls back.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from ..config import Actor, Tenancy
from ..db import set_local_role, split_qualified

# The claims GoTrue signs into a user's access token, with the user's e-mail and metadata
# from auth.users, valid for an hour from now; the legacy one-setting-per-claim style too.
_CLAIMS = """
select set_config('request.jwt.claims', c.claims::text, true),
       set_config('request.jwt.claim.sub', c.claims ->> 'sub', true),
       set_config('request.jwt.claim.role', c.claims ->> 'role', true),
       set_config('request.jwt.claim.email', coalesce(c.claims ->> 'email', ''), true)
from (select jsonb_build_object(
        'sub', s.sub, 'role', %(role)s::text, 'aud', 'authenticated',
        'iat', floor(extract(epoch from now()))::bigint,
        'exp', floor(extract(epoch from now()))::bigint + 3600,
        'email', {email}, 'phone', '', 'aal', 'aal1', 'is_anonymous', false,
        'app_metadata', {app}, 'user_metadata', {meta}) as claims
      from (select %(user)s::text as sub) s {join}) c
"""
_AUTH_JOIN = "left join auth.users u on u.id::text = s.sub"


def bind(template: str, typed: bool = False) -> str:
    """``{user}``/``{tenant}`` placeholders as psycopg parameters (a literal ``%`` survives).

    ``typed`` binds them as ``text``, where nothing else would give them a type.
    """
    cast = "::text" if typed else ""
    return (
        template.replace("%", "%%")
        .replace("{user}", f"(%(user)s{cast})")
        .replace("{tenant}", f"(%(tenant)s{cast})")
    )


def tenants_with_rows(
    conn: psycopg.Connection[Any], tables: list[dict[str, Any]], column: str, limit: int = 2
) -> list[Any]:
    """The tenants owning the most rows across ``tables``, in one query (as the caller's role).

    Each table's own ``column`` key names its tenant column (``column`` otherwise); a
    table without one is left out.
    """
    parts = [
        sql.SQL("select {col}::text as tenant from {table} where {col} is not null").format(
            col=sql.Identifier(t.get("column", column)),
            table=sql.Identifier(t["schema"], t["table"]),
        )
        for t in tables
        if t.get("column", column)
    ]
    if not parts:
        return []
    query = sql.SQL(
        "select tenant from ({}) all_rows group by tenant order by count(*) desc, 1 limit {}"
    ).format(sql.SQL(" union all ").join(parts), sql.Literal(limit))
    return [row["tenant"] for row in conn.execute(query).fetchall()]


def member_query(conn: psycopg.Connection[Any], tenancy: Tenancy, actor: Actor) -> str | None:
    """The actor's ``member_query``, or one built from ``[tenancy]`` (``None``: no members table)."""
    if actor.member_query:
        return actor.member_query
    table = tenancy.members_table
    mapped = tenancy.table_columns.get(table)
    wanted = [mapped] if mapped else tenancy.tenant_columns
    row = conn.execute(
        "select a.attname from pg_attribute a where a.attrelid = to_regclass(%(table)s) "
        "and a.attname = any(%(wanted)s) and not a.attisdropped "
        "order by array_position(%(wanted)s, a.attname::text) limit 1",
        {"table": table, "wanted": wanted},
    ).fetchone()
    if row is None:
        return None
    query = sql.SQL("select {user}::text from {table} where {col} = {{tenant}} limit 1").format(
        user=sql.Identifier(tenancy.member_column),
        table=sql.Identifier(*split_qualified(table)),
        col=sql.Identifier(row["attname"]),
    )
    return query.as_string(conn)


def find_member(
    conn: psycopg.Connection[Any], tenancy: Tenancy, tenant: Any, actor: Actor | None = None
) -> Any | None:
    """One user of ``tenant`` from the actor's member query (``None`` when there is none)."""
    query = member_query(conn, tenancy, actor or tenancy.all_actors[0])
    if query is None:
        return None
    row = conn.execute(bind(query), {"tenant": _text(tenant), "user": None}).fetchone()
    return next(iter(row.values())) if row else None


def role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    """Whether ``role`` exists on the server."""
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def can_become(conn: psycopg.Connection[Any], role: str) -> bool:
    """Whether the connecting role may ``SET ROLE`` to ``role`` (a member of it, or superuser).

    PostgreSQL 16 grants membership with or without SET; before 16, membership is enough.
    """
    privilege = "SET" if conn.info.server_version >= 160000 else "MEMBER"
    row = conn.execute(
        "select pg_has_role(current_user, %s, %s) as ok", (role, privilege)
    ).fetchone()
    return bool(row and next(iter(row.values())))


def act_as(
    conn: psycopg.Connection[Any],
    tenancy: Tenancy,
    user: Any,
    tenant: Any,
    actor: Actor | None = None,
) -> None:
    """Become the actor of ``tenant`` for the rest of the current transaction."""
    actor = actor or tenancy.all_actors[0]
    params = {"user": _text(user), "tenant": _text(tenant), "role": actor.role}
    if actor.setup is None:
        conn.execute(_claims_sql(conn), params)  # as the connecting role: it reads auth.users
        set_local_role(conn, actor.role)
        return
    set_local_role(conn, actor.role)
    if actor.setup.strip():
        conn.execute(bind(actor.setup, typed=True), params)


def _claims_sql(conn: psycopg.Connection[Any]) -> str:
    has_auth = conn.execute("select to_regclass('auth.users') is not null as yes").fetchone()
    if has_auth and has_auth["yes"]:
        return _CLAIMS.format(
            email="u.email",
            app='coalesce(u.raw_app_meta_data, \'{"provider": "email", "providers": ["email"]}\')',
            meta="coalesce(u.raw_user_meta_data, '{}')",
            join=_AUTH_JOIN,
        )
    return _CLAIMS.format(email="null", app="'{}'::jsonb", meta="'{}'::jsonb", join="")


def _text(value: Any) -> Any:
    # JWT claims are text; a uuid or int user id is passed as its text form.
    return None if value is None else str(value)
