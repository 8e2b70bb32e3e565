"""SMK001: a smoke check's expectation failed; and how one smoke file is run."""

from __future__ import annotations

import time
from typing import Any

import psycopg

from ...results import Finding, Severity
from ..base import GateCheck
from ..context import CheckContext
from ..sqlfiles import Actors, SqlFile, body, savepoint, statements, still_in_transaction
from .expectation import Expectation, Outcome

_SHOWN_QUERY = 600  # characters of the query quoted in a finding


class FailedExpectation(GateCheck):
    """A smoke check's expectation failed.

    **Problem**: a query the team wrote to prove the release works (a member sees their
    projects, anon sees nothing, an insert into another tenant fails with 42501) did not
    return what its ``-- expect:`` line says. The finding shows the query, what was
    expected and what came back.

    **Fix**: fix the migration (or the seed) that broke it; if the behaviour changed on
    purpose, update the check's ``-- expect:`` line in the same change.
    """

    id = "SMK001"
    gate = "smoke"
    severity = Severity.ERROR
    verified = "every smoke check met its expectation"


def run_one(
    ctx: CheckContext, actors: Actors, check: SqlFile, expectation: Expectation
) -> tuple[dict[str, Any], Finding | None]:
    """Run one file in its own savepoint: its summary row and its finding, if any."""
    started = time.perf_counter()
    row: dict[str, Any] = {
        "file": check.shown,
        "description": check.description,
        "as": check.as_role or "",
        "expect": expectation.text,
    }
    try:
        outcome = _execute(ctx.conn, actors, check)
    except LookupError as exc:
        from .smk002_not_run import NotRun

        row.update(status="not run", got=str(exc))
        finding = NotRun().finding(
            check.shown,
            f"{check.name}: not run: {exc}",
            "configure [gates.smoke] seed or fix [tenancy.actor]",
        )
        return row, finding
    row.update(duration_ms=round((time.perf_counter() - started) * 1000, 1), got=outcome.describe())
    if expectation.met_by(outcome):
        row["status"] = "pass"
        return row, None
    row["status"] = "fail"
    finding = FailedExpectation().finding(
        check.shown,
        f"{check.name}: expected {expectation.text}, got {outcome.describe()}",
        check.description or "fix the migration that broke it, or update the -- expect: line",
        query=body(check.sql)[:_SHOWN_QUERY],
        expected=expectation.text,
        got=outcome.describe(),
    )
    return row, finding


def _execute(conn: psycopg.Connection[Any], actors: Actors, check: SqlFile) -> Outcome:
    """Every statement of the file as the check's role; the last one's outcome."""
    with savepoint(conn):
        try:
            values = actors.become(check)
        except psycopg.Error as exc:
            raise LookupError(f"cannot act as {check.as_role}: {_first_line(exc)}") from None
        try:
            cursor = None
            for query, params in statements(check, values):
                cursor = conn.execute(query, params or None)
                still_in_transaction(conn, check, query)
        except psycopg.Error as exc:
            return Outcome(sqlstate=exc.sqlstate, error=_first_line(exc))
        if cursor is None or cursor.description is None:
            return Outcome(rows=cursor.rowcount if cursor is not None else 0)
        rows = cursor.fetchall()
        first = next(iter(rows[0].values())) if rows else None
        return Outcome(rows=len(rows), value=None if first is None else str(first))


def _first_line(exc: psycopg.Error) -> str:
    return (str(exc).strip().splitlines() or [""])[0]
