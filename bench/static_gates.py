"""All static gates (rls, views, functions, fk) as a whole command, 10 vs 1000 tenant tables.

Each table has a foreign key to a tenants table, so FK002 has 1000 keys to check over
small tables; the floor is the same command on 10 tables, in the same run. The command
is ``pggate verify`` in a fresh process (imports and connection included). Goal: at
most 3x. A second row isolates FK002: the fk gate on the 1000 keys, batched as shipped vs
one statement per key (BATCH = 1), in-process.

    python bench/static_gates.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api  # noqa: E402
from pggate.checks.fk import fk002_orphans  # noqa: E402
from pggate.embedded import EmbeddedServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sibling import sibling  # noqa: E402

GATES_SCALING = sibling("gates_scaling")  # its Supabase-shaped tenant tables, plus a foreign key
TABLE = GATES_SCALING.TABLE.replace(
    "tenant_id uuid not null,", "tenant_id uuid not null references tenants (id),"
)
assert "references tenants" in TABLE, "gates_scaling.TABLE changed: update the foreign key"

GOAL = 3.0
GATES = "rls,views,functions,fk"
TENANTS = """create table tenants (id uuid primary key default gen_random_uuid());
insert into tenants default values;
"""


def project_with(admin: str, count: int, root: Path) -> Path:
    return GATES_SCALING.project_with(admin, count, root, table=TABLE, prelude=TENANTS)


def command(root: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pggate", "verify", "--env", "bench", "--gate", GATES],
            cwd=root,
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return min(times)


def fk_gate(root: Path, repeats: int, batch: int) -> float:
    saved, fk002_orphans.BATCH = fk002_orphans.BATCH, batch
    try:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            api.verify(root, "bench", ["fk"])
            times.append(time.perf_counter() - started)
        return min(times)
    finally:
        fk002_orphans.BATCH = saved


def run(quick: bool = False) -> list[dict]:
    """The static gates' scaling, whole command, and FK002's batching gain."""
    big = 200 if quick else 1000
    repeats = 2 if quick else 5
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        small_root = project_with(server.url(), 10, Path(tmp) / "small")
        big_root = project_with(server.url(), big, Path(tmp) / "big")
        small, large = command(small_root, repeats), command(big_root, repeats)
        batched = fk_gate(big_root, repeats, fk002_orphans.BATCH)
        one_by_one = fk_gate(big_root, repeats, 1)
    return [
        {
            "benchmark": "static_gates",
            "measure": f"verify {GATES}, {big} vs 10 tables",
            "value": round(large, 3),
            "floor": round(small, 3),
            "ratio": round(large / small, 2),
            "goal": f"<= {GOAL}",
        },
        {
            "benchmark": "static_gates",
            "measure": f"fk gate, {big} keys batched vs 1 per statement",
            "value": round(batched, 3),
            "floor": round(one_by_one, 3),
            "ratio": round(batched / one_by_one, 2),
            "goal": "< 1",
        },
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']}: {row['value']} s vs {row['floor']} s, ratio {row['ratio']} (goal {row['goal']})"
        )
