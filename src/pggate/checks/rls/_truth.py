"""Whether a policy expression is always true or always false, whatever the row.

A policy's text (as ``pg_get_expr`` prints it) is parsed with pglast and folded as
PostgreSQL's planner would: ``x OR <true>`` is true, ``x AND <false>`` false,
``coalesce(<true>, ...)`` true, ``NOT`` flips. The leaves that reference no column, no
subquery and no parameter are then asked of the server itself: ``EXPLAIN (VERBOSE)
SELECT (<leaf>)`` shows the constant the planner folded it to, which it does only when
every function and operator in it is immutable, so ``1 = 1``, ``'a' = 'a'`` or an
immutable function returning true count, while ``current_setting(...)`` or ``auth.uid()``
never do. Nothing is executed: planning alone folds constants, inside a transaction that is
rolled back, with a statement timeout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import psycopg
from pglast import ast, parse_sql
from pglast.enums import BoolExprType
from pglast.stream import RawStream

from ..context import CheckContext

# Nodes that make an expression depend on the row or the query: never constant.
_ROW_NODES = (ast.ColumnRef, ast.SubLink, ast.ParamRef, ast.A_Star)


def truth(ctx: CheckContext, text: str) -> bool | None:
    """``True`` if ``text`` holds for every row, ``False`` if for none, else ``None``."""
    plain = text.strip().lower()
    while plain.startswith("(") and plain.endswith(")"):
        plain = plain[1:-1].strip()
    if plain in ("true", "false"):
        return plain == "true"
    if not plain:
        return None
    cache: dict[str, bool | None] = ctx._cache.setdefault("policy_truth", {})
    if text not in cache:
        node = parse_expression(text)
        cache[text] = None if node is None else _fold(ctx, node)
    return cache[text]


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> ast.Node | None:
    """A policy expression's parse tree (``None``: syntax pglast does not know)."""
    try:
        statements = parse_sql(f"select ({text})")
    except Exception:  # noqa: BLE001 - syntax pglast does not know: not provably constant
        return None
    target = statements[0].stmt.targetList  # type: ignore[union-attr]
    return target[0].val if target and len(target) == 1 else None


def function_calls(node: Any, *, bare: bool = False) -> Iterator[tuple[str, str]]:
    """``(schema or '', name)`` of the function calls below ``node``, in order.

    ``bare``: only calls a policy evaluates once per row, which is not those inside a
    subquery (one referencing no column is an initPlan, run once) nor those whose
    arguments reference a column.
    """
    if bare and isinstance(node, ast.SubLink):
        return
    if isinstance(node, ast.FuncCall) and (not bare or _row_free(node.args or ())):
        parts = [p.sval for p in node.funcname]
        yield ("", parts[-1]) if len(parts) == 1 else (parts[-2], parts[-1])
    if isinstance(node, tuple | list):
        for item in node:
            yield from function_calls(item, bare=bare)
    elif isinstance(node, ast.Node):
        for name in node.__slots__:
            yield from function_calls(getattr(node, name), bare=bare)


def _fold(ctx: CheckContext, node: Any) -> bool | None:
    if isinstance(node, ast.A_Const):
        value = node.val
        return value.boolval if isinstance(value, ast.Boolean) else None
    if isinstance(node, ast.BoolExpr):
        args = [_fold(ctx, arg) for arg in node.args]
        if node.boolop == BoolExprType.NOT_EXPR:
            return None if args[0] is None else not args[0]
        if node.boolop == BoolExprType.OR_EXPR:
            return True if True in args else (False if all(a is False for a in args) else None)
        return False if False in args else (True if all(a is True for a in args) else None)
    if isinstance(node, ast.CoalesceExpr):
        first = _fold(ctx, node.args[0])
        return first  # a non-null constant first argument is the result
    if _row_free(node):
        return _planner_constant(ctx, RawStream()(node))
    return None


def _row_free(node: Any) -> bool:
    """No column, subquery or parameter anywhere below ``node``."""
    if isinstance(node, _ROW_NODES):
        return False
    if isinstance(node, tuple | list):
        return all(_row_free(item) for item in node)
    if isinstance(node, ast.Node):
        return all(_row_free(getattr(node, name)) for name in node.__slots__)
    return True


def _planner_constant(ctx: CheckContext, expression: str) -> bool | None:
    """What the planner folds ``expression`` to (``None`` unless a boolean constant)."""
    query = f"explain (verbose, costs off, format json) select ({expression})::boolean"
    try:
        with ctx.conn.transaction(force_rollback=True):
            ctx.conn.execute("set local statement_timeout = '2s'")
            row = ctx.conn.execute(query).fetchone()  # type: ignore[call-overload]
    except psycopg.Error:
        return None
    plan = row[next(iter(row))] if isinstance(row, dict) else row[0]  # type: ignore[index]
    if isinstance(plan, str):
        plan = json.loads(plan)
    output = plan[0]["Plan"].get("Output", [])
    if output == ["true"]:
        return True
    if output == ["false"]:
        return False
    return None
