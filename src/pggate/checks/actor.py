"""Acting as a member of a tenant: what the isolation proof, smoke checks and the pytest plugin share.

``[tenancy.actor]`` says how: a role to ``SET LOCAL ROLE`` to, a ``setup``
statement (for example the JWT claims PostgREST would set) and a
``member_query`` returning one user of a tenant. ``{user}`` and ``{tenant}`` in
them are bound as query parameters, never formatted into the SQL.
Everything here runs inside a transaction the caller rolls back.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from ..config import Tenancy
from ..db import set_local_role


def bind(template: str) -> str:
    """``{user}``/``{tenant}`` placeholders as psycopg parameters (a literal ``%`` survives)."""
    return (
        template.replace("%", "%%").replace("{user}", "%(user)s").replace("{tenant}", "%(tenant)s")
    )


def tenants_with_rows(
    conn: psycopg.Connection[Any], tables: list[dict[str, Any]], column: str, limit: int = 2
) -> list[Any]:
    """The tenants owning the most rows across ``tables``, in one query (as the caller's role)."""
    if not tables:
        return []
    parts = [
        sql.SQL("select {col} as tenant from {table} where {col} is not null").format(
            col=sql.Identifier(column), table=sql.Identifier(t["schema"], t["table"])
        )
        for t in tables
    ]
    query = sql.SQL(
        "select tenant from ({}) all_rows group by tenant order by count(*) desc, 1 limit {}"
    ).format(sql.SQL(" union all ").join(parts), sql.Literal(limit))
    return [row["tenant"] for row in conn.execute(query).fetchall()]


def find_member(conn: psycopg.Connection[Any], tenancy: Tenancy, tenant: Any) -> Any | None:
    """One user of ``tenant`` from ``member_query`` (``None`` when there is none)."""
    row = conn.execute(
        bind(tenancy.actor.member_query), {"tenant": tenant, "user": None}
    ).fetchone()
    return next(iter(row.values())) if row else None


def role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    """Whether ``role`` exists on the server."""
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def act_as(conn: psycopg.Connection[Any], tenancy: Tenancy, user: Any, tenant: Any) -> None:
    """Become the actor of ``tenant`` for the rest of the current transaction."""
    set_local_role(conn, tenancy.actor.role)
    if tenancy.actor.setup.strip():
        conn.execute(bind(tenancy.actor.setup), {"user": _text(user), "tenant": _text(tenant)})


def _text(value: Any) -> Any:
    # JWT claims are text; a uuid or int user id is passed as its text form.
    return None if value is None else str(value)
