"""Timing bench queries on the server's clock, with their plans.

Each query runs ``warmup`` times unrecorded, then ``repeat`` times under
``EXPLAIN (ANALYZE, VERBOSE, TIMING OFF, FORMAT JSON)``: the planning plus execution
time the server reports, so network latency and client overhead stay out of
the figures. Every run is in its own savepoint inside a transaction the caller
rolls back, so a bench query that writes leaves nothing behind and sees the
same data each time.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

import psycopg

from ..sqlfiles import Actors, SqlFile, savepoint, statements, still_in_transaction

INDEX_SCANS = frozenset({"Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"})


@dataclass(frozen=True)
class Measurement:
    """One query's timings (milliseconds) and plan, or why it could not be measured."""

    file: str
    median_ms: float = 0.0
    p95_ms: float = 0.0
    min_ms: float = 0.0
    runs: int = 0
    total_cost: float = 0.0
    nodes: tuple[str, ...] = ()  # "Seq Scan on public.tasks", "Index Scan on public.tasks"
    error: str | None = None
    samples: tuple[float, ...] = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        """Whether it was measured."""
        return self.error is None

    def scans(self, kinds: frozenset[str]) -> set[str]:
        """Tables scanned with one of ``kinds`` of node."""
        return {
            node.split(" on ", 1)[1]
            for node in self.nodes
            if " on " in node and node.split(" on ", 1)[0] in kinds
        }

    def to_dict(self) -> dict[str, Any]:
        """For baselines and the gate summary (samples left out)."""
        data: dict[str, Any] = {"file": self.file}
        if self.error is not None:
            return {**data, "error": self.error}
        return {
            **data,
            "median_ms": round(self.median_ms, 4),
            "p95_ms": round(self.p95_ms, 4),
            "min_ms": round(self.min_ms, 4),
            "runs": self.runs,
            "total_cost": self.total_cost,
            "nodes": list(self.nodes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        """Rebuild from ``to_dict()``."""
        return cls(
            file=data["file"],
            median_ms=data.get("median_ms", 0.0),
            p95_ms=data.get("p95_ms", 0.0),
            min_ms=data.get("min_ms", 0.0),
            runs=data.get("runs", 0),
            total_cost=data.get("total_cost", 0.0),
            nodes=tuple(data.get("nodes", ())),
            error=data.get("error"),
        )


def measure(
    conn: psycopg.Connection[Any], actors: Actors, check: SqlFile, *, repeat: int, warmup: int
) -> Measurement:
    """Time the file's last statement (earlier ones are setup) as the file's role."""
    with savepoint(conn):
        try:
            values = actors.become(check)
            *setup, (query, params) = statements(check, values)
            for text, args in setup:
                conn.execute(text, args or None)
                still_in_transaction(conn, check, text)
            explain = "explain (analyze, verbose, timing off, format json) " + query
            plans = [_explain(conn, explain, params) for _ in range(warmup + repeat)][warmup:]
        except (psycopg.Error, LookupError) as exc:
            return Measurement(check.shown, error=(str(exc).strip().splitlines() or [""])[0])
    samples = sorted(p["Planning Time"] + p["Execution Time"] for p in plans)
    top = plans[0]["Plan"]
    return Measurement(
        file=check.shown,
        median_ms=statistics.median(samples),
        p95_ms=samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        min_ms=samples[0],
        runs=len(samples),
        total_cost=float(top.get("Total Cost", 0.0)),
        nodes=tuple(_nodes(top)),
        samples=tuple(samples),
    )


def _explain(conn: psycopg.Connection[Any], explain: str, params: dict[str, Any]) -> dict[str, Any]:
    # Client-side binding: EXPLAIN is a utility statement and takes no server-side parameters.
    # A savepoint per run: a bench query that writes must see the same data every time.
    with savepoint(conn):
        cursor = psycopg.ClientCursor(conn)
        cursor.execute(explain, params or None)
        row = cursor.fetchone()
    assert row is not None
    document = row[0] if not isinstance(row, dict) else next(iter(row.values()))
    return document[0]


def _nodes(plan: dict[str, Any]) -> list[str]:
    """Every node of the plan tree: its type, and the relation it scans."""
    relation = plan.get("Relation Name")
    name = plan["Node Type"]
    if relation:
        name += f" on {plan.get('Schema', 'public')}.{relation}"
    found = [name]
    for child in plan.get("Plans", ()):
        found.extend(_nodes(child))
    return found
