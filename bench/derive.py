"""Derived-down time for a migration that dropped 10 vs 1000 tables, in the same run.

``pggate down`` compares two recorded snapshots in memory; recreating N dropped tables
(columns, constraints, indexes, policies, grants) must grow about linearly with N. Prints
both timings and their ratio (linear would be 100 for 1000 vs 10).

    python bench/derive.py [--quick]
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
from pggate.migrations.derive import derive  # noqa: E402
from pggate.migrations.files import Migration, Sections  # noqa: E402
from pggate.schema.snapshot import take  # noqa: E402

TABLE = """create table t{i} (id bigint generated always as identity primary key,
    tenant_id uuid not null, title text not null default '', created_at timestamptz default now());
create index t{i}_tenant on t{i} (tenant_id);
alter table t{i} enable row level security;
create policy t{i}_p on t{i} using (tenant_id = current_setting('app.t', true)::uuid);
grant select on t{i} to public;
"""
DROP = Migration(
    version="2",
    name="drop",
    folder=Path("."),
    file="2_drop.sql",
    down_file=None,
    transactional=True,
    checksum="",
    down_checksum=None,
    has_down=False,
    texts=Sections(("drop schema s cascade;", None)),
)


def snapshot_of(conn: psycopg.Connection, count: int) -> dict:
    conn.execute("drop schema if exists s cascade; create schema s; set search_path = s")
    conn.execute("".join(TABLE.format(i=i) for i in range(count)))
    conn.execute("reset search_path")
    return take(conn)


def best_time(before: dict, after: dict, repeats: int) -> tuple[float, int]:
    best, statements = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        statements = len(derive(DROP, before, after).statements)
        best = min(best, time.perf_counter() - started)
    return best, statements


def run(quick: bool = False) -> list[dict]:
    """Derivation time for 10 and ``big`` dropped tables, and their ratio."""
    big = 200 if quick else 1000
    repeats = 2 if quick else 5
    with EmbeddedServer.temporary() as server:
        with psycopg.connect(server.url(), autocommit=True, row_factory=dict_row) as conn:
            empty = snapshot_of(conn, 0)
            small = snapshot_of(conn, 10)
            large = snapshot_of(conn, big)
    small_time, _ = best_time(small, empty, repeats)
    big_time, statements = best_time(large, empty, repeats)
    return [
        {
            "benchmark": "derive",
            "measure": f"down recreating {big} vs 10 tables",
            "value": round(big_time, 4),
            "floor": round(small_time, 4),
            "ratio": round(big_time / small_time, 1),
            "goal": f"about linear ({big // 10}); {statements} statements",
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
