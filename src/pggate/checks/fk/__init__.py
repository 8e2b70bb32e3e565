"""Gate ``fk``: required foreign keys, orphaned rows, unindexed and unvalidated foreign keys."""

from __future__ import annotations

from typing import Any

from ...config import Record, parse_duration, validates
from ...results import GateResult
from ..base import run_checks
from ..context import CheckContext
from ..identity.contract import parse_foreign_key

_FOREIGN_KEYS = """
select format('%%I.%%I', n.nspname, c.relname) as table_name, k.conname as name,
       format('%%I.%%I', pn.nspname, p.relname) as parent
from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
where k.contype = 'f' and c.oid <> all(%(pggate)s::oid[]) and n.nspname not like 'pg\\_%%'
  and n.nspname <> 'information_schema'
order by 1, 2
"""


class FkConfig(Record):
    """``[gates.fk]``."""

    required: list[str] = []  # "public.memberships(user_id) -> auth.users(id) [on delete cascade]"
    logical: list[str] = []  # relationships without a constraint, checked for orphans too
    statement_timeout: str = "30s"  # per foreign key, for the orphan anti-join
    check_orphans: bool = True

    @validates("statement_timeout")
    def _duration(value: str) -> str:
        parse_duration(value)  # a bad one is a config error now, not when the gate runs
        return value

    @validates("required", "logical")
    def _specs(value: list[str]) -> list[str]:
        for spec in value:
            parse_foreign_key(spec)
        return value

    @property
    def timeout_seconds(self) -> float | None:
        """The per-FK time budget in seconds."""
        return parse_duration(self.statement_timeout)


def config(ctx: CheckContext) -> FkConfig:
    """The gate's validated configuration."""
    return ctx.gate_config("fk", FkConfig)


def run(ctx: CheckContext) -> GateResult:
    """Run every check; the summary lists each table's foreign keys for the report."""
    result = run_checks("fk", ctx)
    rows = ctx.conn.execute(_FOREIGN_KEYS, {"pggate": ctx.pggate_tables()}).fetchall()
    summary: dict[str, Any] = {}
    for row in rows:
        summary.setdefault(row["table_name"], []).append(f"{row['name']} -> {row['parent']}")
    return GateResult(
        result.gate, result.findings, result.duration_ms, {"foreign_keys": summary}, result.checks
    )
