"""Schema snapshot time for 10 vs 1000 tables, measured in the same run.

The snapshot is one query per object kind, so 100x the tables must cost far less
than 100x the time. Prints both timings and their ratio.

    python bench/snapshot.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate.embedded import EmbeddedServer  # noqa: E402
from pggate.schema.snapshot import take  # noqa: E402

TABLE = """create table t{i} (id bigint generated always as identity primary key,
    tenant_id uuid not null, title text not null default '', created_at timestamptz default now());
create index t{i}_tenant on t{i} (tenant_id);
alter table t{i} enable row level security;
create policy t{i}_p on t{i} using (tenant_id = current_setting('app.t', true)::uuid);
"""


def build(conn: psycopg.Connection, schema: str, count: int) -> None:
    conn.execute(f"create schema {schema}; set search_path = {schema}")
    conn.execute("".join(TABLE.format(i=i) for i in range(count)))
    conn.execute("reset search_path")


def best_time(conn: psycopg.Connection, exclude: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        take(conn, exclude_schemas=exclude)
        best = min(best, time.perf_counter() - started)
    return best


def run(quick: bool = False) -> list[dict]:
    """Snapshot time for a small and a big schema, and their ratio."""
    big = 200 if quick else 1000
    repeats = 2 if quick else 5
    with EmbeddedServer.temporary() as server:
        with psycopg.connect(server.url(), autocommit=True, row_factory=dict_row) as conn:
            build(conn, "small", 10)
            build(conn, "big", big)
            small_time = best_time(conn, ["big"], repeats)
            big_time = best_time(conn, ["small"], repeats)
    return [
        {
            "benchmark": "snapshot",
            "measure": f"{big} vs 10 tables",
            "value": round(big_time, 4),
            "floor": round(small_time, 4),
            "ratio": round(big_time / small_time, 1),
            "goal": f"well under a second for {big} tables",
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']}: {row['value']:.4f} s vs {row['floor']:.4f} s (ratio {row['ratio']}); "
            f"goal: {row['goal']}"
        )
