"""What a check runs against: a connection, the project's settings, and the tenant tables.

Catalog checks are set-based: one query per check across all tables. The
context hands every query the same named parameters (``params()``), so a
check's SQL can say ``n.nspname = any(%(exposed_schemas)s)`` or
``c.oid = any(%(tenant_oids)s)`` without Python loops over tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from ..config import Project, Tenancy
from ..db import split_qualified
from ..events import NULL_EMIT, Emit

if TYPE_CHECKING:
    import psycopg

    from ..session import Session

Model = TypeVar("Model", bound=BaseModel)

_TENANT_TABLES = """
select c.oid::int as oid, n.nspname as schema, c.relname as table,
       format('%%I.%%I', n.nspname, c.relname) as qualified,
       (n.nspname || '.' || c.relname) as name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and not c.relispartition
  and (n.nspname || '.' || c.relname) <> all(%(exclude)s)
  and c.relname <> all(%(exclude)s)
  and (
        (n.nspname = any(%(exposed_schemas)s)
         and exists (select 1 from pg_attribute a
                     where a.attrelid = c.oid and a.attname = %(tenant_column)s
                       and a.attnum > 0 and not a.attisdropped))
     or (n.nspname || '.' || c.relname) = any(%(extra_tables)s)
  )
order by n.nspname, c.relname
"""

_EXPOSED_TABLES = """
select c.oid::int as oid, n.nspname as schema, c.relname as table,
       (n.nspname || '.' || c.relname) as name
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and not c.relispartition
  and n.nspname = any(%(exposed_schemas)s)
  and (n.nspname || '.' || c.relname) <> all(%(exclude)s)
order by n.nspname, c.relname
"""


_POLICIES = """
select format('%%I.%%I', n.nspname, c.relname) as name, p.polname as policy, p.polcmd::text as command,
       p.polpermissive as permissive, c.oid = any(%(tenant_oids)s::oid[]) as tenant_scoped,
       coalesce(pg_get_expr(p.polqual, p.polrelid), '') as using_expr,
       coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') as check_expr
from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
where c.oid = any(%(tenant_oids)s::oid[]) or c.oid = any(%(exposed_oids)s::oid[])
order by 1, 2
"""


@dataclass
class CheckContext:
    """Everything a check may read. Built once per ``verify`` run and shared by its gates."""

    conn: psycopg.Connection[dict[str, Any]]
    project: Project
    session: Session | None = None
    emit: Emit = NULL_EMIT
    options: dict[str, Any] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def tenancy(self) -> Tenancy:
        """``[tenancy]`` of the project."""
        return self.project.tenancy

    def gate_config(self, gate: str, model: type[Model]) -> Model:
        """``[gates.<gate>]`` validated by the gate's model."""
        return self.project.gate_config(gate, model)

    def _base_params(self) -> dict[str, Any]:
        tenancy = self.tenancy
        return {
            "exposed_schemas": list(tenancy.exposed_schemas),
            "tenant_column": tenancy.column,
            "exclude": [_plain(name) for name in tenancy.exclude],
            "extra_tables": [_plain(name) for name in tenancy.tables],
            "actor_role": tenancy.actor.role,
        }

    def tenant_tables(self) -> list[dict[str, Any]]:
        """Tenant-scoped tables: exposed tables with the tenant column, plus configured, minus excluded."""
        if "tenant_tables" not in self._cache:
            self._cache["tenant_tables"] = self.conn.execute(
                _TENANT_TABLES, self._base_params()
            ).fetchall()
        return self._cache["tenant_tables"]

    def exposed_tables(self) -> list[dict[str, Any]]:
        """Every table in an exposed schema (minus excluded)."""
        if "exposed_tables" not in self._cache:
            self._cache["exposed_tables"] = self.conn.execute(
                _EXPOSED_TABLES, self._base_params()
            ).fetchall()
        return self._cache["exposed_tables"]

    def policies(self) -> list[dict[str, Any]]:
        """Policies of tenant-scoped and exposed tables with their expressions as text.

        Deparsing every policy is the costly part of the text-based checks; done once
        here and shared by them.
        """
        if "policies" not in self._cache:
            self._cache["policies"] = self.conn.execute(_POLICIES, self.params()).fetchall()
        return self._cache["policies"]

    def params(self) -> dict[str, Any]:
        """Named parameters every check query may use."""
        return {
            **self._base_params(),
            "tenant_oids": [t["oid"] for t in self.tenant_tables()],
            "exposed_oids": [t["oid"] for t in self.exposed_tables()],
        }


def _plain(name: str) -> str:
    """``'"my schema".t'`` -> ``'my schema.t'``: how the queries spell names."""
    return ".".join(split_qualified(name))
