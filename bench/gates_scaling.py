"""Static gates (rls, views, functions, schema) on 10 vs 1000 tenant tables, measured in the same run.

Catalog checks are set-based (one query per check across all tables), so 100x the
tables must cost far less than 100x the time: the goal is at most 3x.

    python bench/gates_scaling.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api  # noqa: E402
from pggate.db import with_database  # noqa: E402
from pggate.embedded import EmbeddedServer  # noqa: E402

GOAL = 3.0
# Supabase-shaped: the API roles exist and public is granted to them, so every table is
# exposed (a plain database exposes nothing and the gates would have nothing to read).
API = """do $$ begin create role anon nologin; exception when duplicate_object then null; end $$;
do $$ begin create role authenticated nologin; exception when duplicate_object then null; end $$;
grant usage on schema public to anon, authenticated;
alter default privileges in schema public grant all on tables to anon, authenticated;
"""
TABLE = """create table t{i} (id bigint generated always as identity primary key, tenant_id uuid not null,
    title text not null default '');
create index t{i}_tenant on t{i} (tenant_id);
alter table t{i} enable row level security; alter table t{i} force row level security;
create policy t{i}_p on t{i} using (tenant_id = current_setting('app.t', true)::uuid)
    with check (tenant_id = current_setting('app.t', true)::uuid);
"""


def project_with(
    admin: str, count: int, root: Path, *, table: str = TABLE, prelude: str = ""
) -> Path:
    """A project on a new database of ``count`` tables (``table`` formatted with ``i``)."""
    name = f"gates_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = with_database(admin, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(API + prelude + "".join(table.format(i=i) for i in range(count)))
    root.mkdir(parents=True)
    (root / ".env.bench").write_text(f"DATABASE_URL={url}\n")
    (root / "pggate.toml").write_text('[environments.bench]\nenv_file = ".env.bench"\n')
    return root


def best(root: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        api.verify(root, "bench", ["rls", "views", "functions", "schema"])
        times.append(time.perf_counter() - started)
    return min(times)


def run(quick: bool = False) -> list[dict]:
    """Static gate time for a small and a big schema, and their ratio."""
    big = 200 if quick else 1000
    repeats = 2 if quick else 5
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        small_root = project_with(server.url(), 10, Path(tmp) / "small")
        big_root = project_with(server.url(), big, Path(tmp) / "big")
        small, large = best(small_root, repeats), best(big_root, repeats)
    return [
        {
            "benchmark": "gates_scaling",
            "measure": f"rls+views+functions+schema, {big} vs 10 tables",
            "value": round(large, 3),
            "floor": round(small, 3),
            "ratio": round(large / small, 2),
            "goal": f"<= {GOAL}",
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']}: {row['value']} s vs {row['floor']} s, ratio {row['ratio']} (goal {row['goal']})"
        )
