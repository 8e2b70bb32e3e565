"""Peak memory (RSS) of ``pggate validate`` and ``pggate migrate`` on 1000 migration files.

Each command runs in its own process; the figure is that process's peak resident set
(``wait4``'s ``ru_maxrss``), against the same interpreter importing pggate's CLI and doing
nothing else, measured in the same run. Goal: under 100 MB for either command.

    python bench/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate.embedded import EmbeddedServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sibling import sibling  # noqa: E402

GOAL_MB = 100


def peak_mb(command: list[str], cwd: Path) -> float:
    """Peak RSS of one run of ``command`` (which must exit 0), in MB."""
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {child.returncode}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def run(quick: bool = False) -> list[dict]:
    """Peak RSS of validate and migrate on ``count`` files, and of a bare CLI import."""
    count = 200 if quick else 1000
    pggate = [sys.executable, "-m", "pggate"]
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        bench = sibling("migrate_vs_psql")
        root = bench.write_project(Path(tmp) / "project", count, bench.fresh_database(server.url()))
        floor = peak_mb([sys.executable, "-c", "from pggate.cli import app"], root)  # the Typer app
        figures = {
            "validate": peak_mb([*pggate, "validate"], root),
            "migrate": peak_mb([*pggate, "migrate", "--env", "bench"], root),
        }
    return [
        {
            "benchmark": "memory",
            "measure": f"peak RSS MB, {name} {count} files",
            "value": round(mb, 1),
            "floor": round(floor, 1),
            "ratio": round(mb / floor, 2),
            "goal": f"< {GOAL_MB} MB",
        }
        for name, mb in figures.items()
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(f"{row['measure']}: {row['value']} MB (bare CLI import {row['floor']} MB)")
