"""pggate migrate vs plain psql applying the same files, measured in the same run.

The floor is psql in one session, each file in its own transaction
(``BEGIN; \\i file; COMMIT;``), which is what a careful shell script does.
Each workload migration is a tenant table, an index, RLS and a policy.

    python bench/migrate_vs_psql.py [--quick] [--count N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from functools import partial
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api  # noqa: E402
from pggate.db import with_database  # noqa: E402
from pggate.embedded import EmbeddedServer, wheel_engine  # noqa: E402

GOAL = 1.3

MIGRATION = """create table t{i} (
    id bigint generated always as identity primary key,
    tenant_id uuid not null,
    title text not null,
    created_at timestamptz not null default now()
);
create index t{i}_tenant_idx on t{i} (tenant_id);
alter table t{i} enable row level security;
create policy t{i}_tenant on t{i} using (tenant_id = current_setting('app.tenant', true)::uuid);
-- migrate:down
drop table t{i};
"""


def write_project(root: Path, count: int, url: str) -> Path:
    folder = root / "migrations"
    folder.mkdir(parents=True)
    for i in range(1, count + 1):
        (folder / f"{i:05d}_t{i}.sql").write_text(MIGRATION.format(i=i))
    (root / ".env.bench").write_text(f"DATABASE_URL={url}\n")
    (root / "pggate.toml").write_text(
        '[project]\nmigrations = "migrations"\n[environments.bench]\nenv_file = ".env.bench"\n'
    )
    return root


def fresh_database(admin_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return with_database(admin_url, name)


def time_psql(admin_url: str, folder: Path) -> float:
    url = fresh_database(admin_url)
    script = folder.parent / "psql_script.sql"
    lines = []
    for path in sorted(folder.glob("*.sql")):
        up = path.read_text().split("-- migrate:down")[0]
        up_file = folder.parent / "up" / path.name
        up_file.parent.mkdir(exist_ok=True)
        up_file.write_text(up)
        lines += ["begin;", f"\\i {up_file}", "commit;"]
    script.write_text("\n".join(lines) + "\n")
    psql = str(wheel_engine().tool("psql"))
    started = time.perf_counter()
    subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def time_pggate(admin_url: str, count: int, workdir: Path, single: bool = False) -> float:
    root = write_project(workdir / f"p{uuid.uuid4().hex[:6]}", count, fresh_database(admin_url))
    started = time.perf_counter()
    api.migrate(root, "bench", single_transaction=single)
    return time.perf_counter() - started


def time_psql_single(admin_url: str, folder: Path) -> float:
    url = fresh_database(admin_url)
    ups = [p.read_text().split("-- migrate:down")[0] for p in sorted(folder.glob("*.sql"))]
    script = folder.parent / "psql_single.sql"
    script.write_text("\n".join(ups))
    psql = str(wheel_engine().tool("psql"))
    started = time.perf_counter()
    subprocess.run(
        [psql, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(script)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def run(quick: bool = False, counts: list[int] | None = None) -> list[dict]:
    """Rows of the shared bench contract: pggate time / psql time per workload size."""
    counts = counts or ([300] if quick else [100, 300, 1000])
    rows = []
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        admin = server.url()
        for count in counts:
            workdir = Path(tmp) / f"w{count}"
            folder = write_project(workdir / "floor", count, "postgresql://unused/x") / "migrations"
            # Interleaved repeats, best of each: the machine's noise hits both sides alike.
            repeats = 1 if quick else 5
            floor, ours = _best_of(
                repeats,
                partial(time_psql, admin, folder),
                partial(time_pggate, admin, count, workdir),
            )
            rows.append(
                {
                    "benchmark": "migrate_vs_psql",
                    "measure": f"{count} migrations, one tx each",
                    "value": round(ours, 3),
                    "floor": round(floor, 3),
                    "ratio": round(ours / floor, 2),
                    "goal": f"<= {GOAL}",
                }
            )
            floor1, ours1 = _best_of(
                repeats,
                partial(time_psql_single, admin, folder),
                partial(time_pggate, admin, count, workdir, single=True),
            )
            rows.append(
                {
                    "benchmark": "migrate_vs_psql",
                    "measure": f"{count} migrations, single tx",
                    "value": round(ours1, 3),
                    "floor": round(floor1, 3),
                    "ratio": round(ours1 / floor1, 2),
                    "goal": "<= 1.15",
                }
            )
    return rows


def _best_of(repeats: int, floor, ours) -> tuple[float, float]:  # noqa: ANN001
    floors, ourses = [], []
    for _ in range(repeats):
        floors.append(floor())
        ourses.append(ours())
    return min(floors), min(ourses)


def print_rows(rows: list[dict]) -> None:
    print(f"{'measure':34} {'pggate s':>9} {'psql s':>9} {'ratio':>6}  goal")
    for row in rows:
        print(
            f"{row['measure']:34} {row['value']:9.3f} {row['floor']:9.3f} {row['ratio']:6.2f}  {row['goal']}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, action="append")
    args = parser.parse_args()
    print_rows(run(args.quick, args.count))
