"""The isolation proof on 10 vs 1000 empty tenant tables, measured in the same run.

Every table starts empty, so the proof makes a row of each of the two tenants in every
table before probing it (both directions, the positive path, anon). Its cost must grow
linearly with the tables: a savepoint and a few statements per probe, no catalog query
per table. The figure is the cost per table of the big schema over that of the small one
(1.0 is perfectly linear; the goal is at most 1.5).

    python bench/isolation_scaling.py [--quick]
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

GOAL = 1.5
SETUP = """
do $$ begin create role bench_actor; exception when duplicate_object then null; end $$;
create schema private;
grant usage on schema private to bench_actor;
create table public.tenants (id uuid primary key, name text not null);
insert into public.tenants values ('00000000-0000-0000-0000-00000000000a', 'a'),
                                  ('00000000-0000-0000-0000-00000000000b', 'b');
create table private.memberships (user_id int, tenant_id uuid);
insert into private.memberships values (1, '00000000-0000-0000-0000-00000000000a'),
                                       (2, '00000000-0000-0000-0000-00000000000b');
create function private.my_tenants() returns setof uuid language sql stable security definer
  set search_path = '' as $$ select tenant_id from private.memberships
  where user_id = current_setting('app.user', true)::int $$;
grant execute on function private.my_tenants() to bench_actor;
alter table public.tenants enable row level security;
alter table public.tenants force row level security;
create policy p on public.tenants using (id in (select private.my_tenants()));
grant select on public.tenants to bench_actor;
"""
TABLE = """create table t{i} (id bigint generated always as identity primary key,
    tenant_id uuid not null references public.tenants, title text not null, done boolean not null);
alter table t{i} enable row level security; alter table t{i} force row level security;
create policy t{i}_p on t{i} using (tenant_id in (select private.my_tenants()))
    with check (tenant_id in (select private.my_tenants()));
grant select, insert, update, delete on t{i} to bench_actor;
"""
TOML = """[environments.bench]
env_file = ".env.bench"
[tenancy]
exposed_schemas = ["public"]
roots = ["public.tenants"]
members_table = "private.memberships"
[tenancy.actor]
role = "bench_actor"
setup = "select set_config('app.user', {user}, true)"
"""


def project_with(admin: str, count: int, root: Path) -> Path:
    name = f"isolation_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = with_database(admin, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SETUP + "".join(TABLE.format(i=i) for i in range(count)))
    root.mkdir(parents=True)
    (root / ".env.bench").write_text(f"DATABASE_URL={url}\n")
    (root / "pggate.toml").write_text(TOML)
    return root


def best(root: Path, repeats: int, tables: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = api.verify(root, "bench", ["isolation"])
        times.append(time.perf_counter() - started)
        summary = result.gates[0].summary
        if result.gates[0].findings or summary.get("proven_tables") != tables + 1:
            raise RuntimeError(f"the proof did not prove every table: {summary.get('proven')}")
    return min(times)


def run(quick: bool = False) -> list[dict]:
    """Isolation proof time for a small and a big schema, per table, and their ratio."""
    small_count, big_count = 10, 100 if quick else 1000
    repeats = 1 if quick else 2
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        small_root = project_with(server.url(), small_count, Path(tmp) / "small")
        big_root = project_with(server.url(), big_count, Path(tmp) / "big")
        small = best(small_root, repeats, small_count)
        large = best(big_root, repeats, big_count)
    per_small, per_large = small / small_count, large / big_count
    return [
        {
            "benchmark": "isolation_scaling",
            "measure": f"isolation s/table, {big_count} vs {small_count} tables",
            "value": round(per_large, 4),
            "floor": round(per_small, 4),
            "ratio": round(per_large / per_small, 2),
            "goal": f"<= {GOAL}",
            "total_s": round(large, 2),
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']}: {row['value']} s vs {row['floor']} s per table, ratio "
            f"{row['ratio']} (goal {row['goal']}); {row['total_s']} s in all"
        )
