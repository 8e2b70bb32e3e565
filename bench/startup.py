"""Start-up cost: ``--help``, and no-op ``status`` and ``migrate`` on 1000 migrations.

The floor is the interpreter starting and doing nothing, measured in the same
run, so the ratio says how much pggate adds to a bare Python start. ``status``
reads every file's checksum, connects to an embedded PostgreSQL where all 1000
are applied, compares, and checks for drift; ``migrate`` validates the files and
finds nothing to apply. Their goal is absolute (under 0.3 s, from the issue); the
seconds are printed beside the ratio.

Every command runs with bytecode writing on (``PYTHONDONTWRITEBYTECODE`` removed):
an installed pggate has its modules compiled, so compiling them on every run would
measure something no user pays.

    python bench/startup.py [--quick] [--count N] [--instructions]

``--instructions`` counts what each command executes with valgrind's callgrind
instead of timing it: the ratio then holds on a machine busy with other work.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api  # noqa: E402
from pggate.embedded import EmbeddedServer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sibling import sibling  # noqa: E402

GOALS = {"--help": "<= 3", "--version": "<= 3", "status": "< 0.3 s", "migrate": "< 0.3 s"}
COMMANDS = (
    ("--help", ["--help"]),
    ("--version", ["--version"]),
    ("status", ["status", "--env", "bench"]),
    ("migrate", ["migrate", "--env", "bench"]),
)
ENVIRONMENT = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def pggate_command() -> list[str]:
    """The installed ``pggate`` script beside this interpreter, else ``python -m pggate``."""
    script = Path(sys.executable).parent / "pggate"
    return [str(script)] if script.exists() else [sys.executable, "-m", "pggate"]


def best_time(command: list[str], repeats: int, cwd: Path | None = None) -> float:
    """Best wall time of ``repeats`` runs of ``command`` (which must exit 0)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=ENVIRONMENT, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}: {done.stderr[-300:]}"
            )
    return min(times)


def instructions(command: list[str], cwd: Path | None = None) -> int:
    """User-space instructions ``command`` executes, counted by valgrind's callgrind.

    Unlike seconds, the count is the same whatever else the machine is doing, so a
    change's effect shows on a loaded machine too (the server's work is not counted:
    it runs in another process).
    """
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=cwd,
        env=ENVIRONMENT,
        capture_output=True,
        text=True,
    )
    match = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"callgrind of {' '.join(command)} failed: {done.stderr[-300:]}")
    return int(match[1])


def run(quick: bool = False, count: int = 1000, *, counting: bool = False) -> list[dict]:
    """Rows of the shared bench contract: command time / ``python -c pass`` time."""
    repeats = 3 if quick else 10
    rows = []
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        bench = sibling("migrate_vs_psql")
        url = bench.fresh_database(server.url())
        root = bench.write_project(Path(tmp) / "project", count, url)
        api.migrate(root, "bench")  # status then compares 1000 files with 1000 history rows
        _settle(root)
        if counting:
            return _counted(root, count)
        floor = best_time([sys.executable, "-c", "pass"], repeats)
        for label, args in COMMANDS:
            best_time([*pggate_command(), *args], 1, cwd=root)  # compiles the modules once
            seconds = best_time([*pggate_command(), *args], repeats, cwd=root)
            rows.append(
                {
                    "benchmark": "startup",
                    "measure": _measure(label, count),
                    "value": round(seconds, 3),
                    "floor": round(floor, 3),
                    "ratio": round(seconds / floor, 1),
                    "goal": GOALS[label],
                }
            )
    return rows


def _settle(root: Path) -> None:
    """Wait until every file is older than the file index's racy window (2 s).

    The index never vouches for a file written in the last two seconds (see
    ``migrations/cache.py``), so the first runs would read every file; a user's
    migrations folder is older than that.
    """
    newest = max(path.stat().st_mtime for path in (root / "migrations").iterdir())
    time.sleep(max(0.0, newest + 2.1 - time.time()))


def _measure(label: str, count: int) -> str:
    return f"pggate {label}" + ("" if label.startswith("-") else f" ({count} migrations)")


def _counted(root: Path, count: int) -> list[dict]:
    """The same commands, in instructions, against ``python -c pass`` in instructions."""
    python = [sys.executable, str(Path(sys.executable).parent / "pggate")]
    floor = instructions([sys.executable, "-c", "pass"])
    rows = []
    for label, args in COMMANDS:
        if label == "--version":
            continue  # the same path as --help
        best_time([*python, *args], 1, cwd=root)  # compiles the modules once
        counted = instructions([*python, *args], cwd=root)
        rows.append(
            {
                "benchmark": "startup",
                "measure": f"{_measure(label, count)}, instructions",
                "value": counted,
                "floor": floor,
                "ratio": round(counted / floor, 1),
                "goal": GOALS[label],
            }
        )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions with valgrind instead of timing (steady on a busy machine)",
    )
    args = parser.parse_args()
    unit = "instructions" if args.instructions else "seconds"
    print(f"{'measure':48} {unit:>14} {'python -c pass':>14} {'ratio':>6}  goal")
    for row in run(args.quick, args.count, counting=args.instructions):
        value, floor = row["value"], row["floor"]
        shown = (
            (f"{value:14,d}", f"{floor:14,d}")
            if args.instructions
            else (f"{value:14.3f}", f"{floor:14.3f}")
        )
        print(f"{row['measure']:48} {shown[0]} {shown[1]} {row['ratio']:6.1f}  {row['goal']}")
