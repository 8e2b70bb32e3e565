from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from ...db import split_qualified
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ..identity.contract import parse_foreign_key

_CONSTRAINTS = """
select n.nspname as child_schema, c.relname as child_table, pn.nspname as parent_schema,
       p.relname as parent_table, k.conname as name, k.confmatchtype::text as match,
       array(select a.attname::text from unnest(k.conkey) with ordinality u(att, i)
             join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.att order by u.i) as child_columns,
       array(select a.attname::text from unnest(k.confkey) with ordinality u(att, i)
             join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.att order by u.i) as parent_columns,
       -- relpages, not pg_relation_size(): that takes a lock and would wait behind a
       -- migration. Partitioned tables keep their rows in partitions: never "small".
       c.relkind <> 'p' and p.relkind <> 'p' and c.relpages + p.relpages <= %(small_pages)s as small
from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
join pg_class p on p.oid = k.confrelid join pg_namespace pn on pn.oid = p.relnamespace
where k.contype = 'f' and c.oid <> all(%(pggate)s::oid[]) and n.nspname not like 'pg\\_%%'
  and n.nspname <> 'information_schema'
order by 1, 2, 5
"""


# Foreign keys whose child and parent together take at most this many pages (8 MB at the
# default block size, by the planner's estimate) are checked together, BATCH per statement:
# on many small tables the round trip, not the scan, is the cost. A batch runs under the
# per-key time budget and is rerun key by key on any error, so a table bigger than its
# estimate costs time, never a result. Bigger ones (and logical keys) get a statement of
# their own.
SMALL_PAGES = 1024
BATCH = 100


class OrphanedRows(Check):
    """Child rows whose foreign key value has no parent row.

    **Problem**: rows loaded while triggers were disabled, under a ``NOT VALID`` constraint,
    before a constraint existed, or for a "logical" relationship with no constraint
    (``[gates.fk] logical``) point at parents that do not exist. Joins silently drop them.
    Every foreign key is checked with an anti-join (``NOT EXISTS`` against the parent's
    key), MATCH SIMPLE semantics (a row with a NULL key column is not checked; MATCH FULL
    also flags partly-NULL keys), within a time budget (``[gates.fk] statement_timeout``,
    default 30 s). Keys over small tables share one statement, up to 100 at a time; a key
    over a big table gets a statement and a budget of its own.

    **Fix**: delete or repair the orphans (the finding shows up to 5 sample keys), then
    ``validate constraint`` or add the missing foreign key.
    """

    id = "FK002"
    gate = "fk"
    severity = Severity.ERROR
    verified = "every foreign key value has its parent row"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        from . import config

        settings = config(ctx)
        if not settings.check_orphans:
            return []
        keys = ctx.conn.execute(
            _CONSTRAINTS,
            {"pggate": ctx.pggate_tables(), "small_pages": SMALL_PAGES},
        ).fetchall()
        keys += [_logical(spec) for spec in settings.logical]
        timeout = settings.timeout_seconds
        small = [key for key in keys if key["small"]]
        results = []
        for start in range(0, len(small), BATCH):
            results += _probe_batch(ctx, small[start : start + BATCH], timeout)
        results += [_probe(ctx, key, timeout) for key in keys if not key["small"]]
        return sorted(results, key=lambda r: (r["child_schema"], r["child_table"], r["name"]))

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            label = (
                f"{row['child_schema']}.{row['child_table']}({', '.join(row['child_columns'])}) -> "
                f"{row['parent_schema']}.{row['parent_table']}"
            )
            if row["error"]:
                yield self.finding(
                    label,
                    f"orphan check of {row['name']} {_what_stopped(row)}: {row['error']}",
                    _unfinished_hint(row),
                    severity=Severity.WARNING,
                    sqlstate=row["sqlstate"],
                )
            elif row["orphans"]:
                samples = "; ".join(f"({s})" for s in row["samples"])
                yield self.finding(
                    label,
                    f"{row['orphans']} row(s) of {row['child_schema']}.{row['child_table']} point at no "
                    f"{row['parent_schema']}.{row['parent_table']} row ({row['name']}); sample keys: {samples}",
                    "delete or repair the orphans, then validate the constraint",
                    orphans=row["orphans"],
                    sample_keys=row["samples"],
                )


_TIMED_OUT = "57014"  # query_canceled: the per-key statement_timeout
_NO_PRIVILEGE = "42501"  # insufficient_privilege


def _what_stopped(row: dict[str, Any]) -> str:
    return "did not finish" if row["sqlstate"] == _TIMED_OUT else "could not run"


def _unfinished_hint(row: dict[str, Any]) -> str:
    """What to do about a probe that stopped, by why it stopped."""
    if row["sqlstate"] == _TIMED_OUT:
        return "raise [gates.fk] statement_timeout, or check it off-peak"
    if row["sqlstate"] == _NO_PRIVILEGE:
        schemas = " and ".join(dict.fromkeys((row["child_schema"], row["parent_schema"])))
        return (
            f"grant the connected role USAGE on schema {schemas} and SELECT on both "
            "tables, or verify as their owner"
        )
    return "fix what the error names and run again; these rows were not checked"


def _orphans_of(key: dict[str, Any]) -> sql.Composed:
    """``select key from child where <orphan>``: the sample key of every orphaned row."""
    child = sql.Identifier(key["child_schema"], key["child_table"])
    parent = sql.Identifier(key["parent_schema"], key["parent_table"])
    ccols = [sql.Identifier("c", col) for col in key["child_columns"]]
    pcols = [sql.Identifier("p", col) for col in key["parent_columns"]]
    all_set = sql.SQL(" and ").join(sql.SQL("{} is not null").format(c) for c in ccols)
    joined = sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(p, c) for p, c in zip(pcols, ccols, strict=True)
    )
    orphan = sql.SQL("({all_set} and not exists (select 1 from {parent} p where {joined}))").format(
        all_set=all_set, parent=parent, joined=joined
    )
    if key["match"] == "f" and len(ccols) > 1:  # MATCH FULL: partly-NULL keys are violations too
        some_set = sql.SQL(" or ").join(sql.SQL("{} is not null").format(c) for c in ccols)
        orphan = sql.SQL("({} or (({}) and not ({})))").format(orphan, some_set, all_set)
    sample = sql.SQL("concat_ws(', ', {})").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(c) for c in ccols)
    )
    return sql.SQL("select {sample} as key from {child} c where {orphan}").format(
        sample=sample, child=child, orphan=orphan
    )


def _counted(index: int, key: dict[str, Any]) -> sql.Composed:
    return sql.SQL(
        "select {i}::int as i, count(*) as orphans, (array_agg(o.key))[1:5] as samples from ({q}) o"
    ).format(i=sql.Literal(index), q=_orphans_of(key))


def _within_budget(ctx: CheckContext, query: sql.Composable, timeout: float | None) -> list:
    with ctx.conn.transaction():
        if timeout:
            ctx.conn.execute(f"set local statement_timeout = {int(timeout * 1000)}")
        return ctx.conn.execute(query).fetchall()


def _probe(ctx: CheckContext, key: dict[str, Any], timeout: float | None) -> dict[str, Any]:
    """One foreign key, one statement, under the per-key budget."""
    try:
        (row,) = _within_budget(ctx, _counted(0, key), timeout)
        return {**key, "orphans": row["orphans"], "samples": row["samples"] or [], "error": None}
    except psycopg.Error as exc:
        if ctx.conn.broken:
            raise  # the connection is gone: exit 3, not a finding per key
        message = exc.diag.message_primary or str(exc)
        return {**key, "orphans": None, "samples": [], "error": message, "sqlstate": exc.sqlstate}


def _probe_batch(
    ctx: CheckContext, keys: list[dict[str, Any]], timeout: float | None
) -> list[dict[str, Any]]:
    """Small foreign keys in one statement; any error reruns them one by one to name it."""
    if len(keys) == 1:
        return [_probe(ctx, keys[0], timeout)]
    query = sql.SQL(" union all ").join(_counted(i, key) for i, key in enumerate(keys))
    try:
        rows = _within_budget(ctx, query, timeout)
    except psycopg.Error:
        if ctx.conn.broken:
            raise
        return [_probe(ctx, key, timeout) for key in keys]
    found = {row["i"]: row for row in rows}
    return [
        {**key, "orphans": found[i]["orphans"], "samples": found[i]["samples"] or [], "error": None}
        for i, key in enumerate(keys)
    ]


def _logical(spec: str) -> dict[str, Any]:
    fk = parse_foreign_key(spec)
    child, parent = split_qualified(fk.child.table), split_qualified(fk.parent.table)
    return {
        "child_schema": child[0],
        "child_table": child[-1],
        "parent_schema": parent[0],
        "parent_table": parent[-1],
        "name": f"logical {spec}",
        "match": "s",
        "child_columns": fk.child.columns,
        "parent_columns": fk.parent.columns,
        "small": False,
    }
