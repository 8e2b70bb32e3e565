"""Reading a folder of 1000 applied migrations: without the file index, with it, and validated.

What every command does first (``files.load_folder``), timed in-process, best of 10 wall
times, on the workload of ``migrate_vs_psql.py`` (a table, an index, RLS and a policy per
file). Floors, measured in the same run on the same files:

* listing the folder and a ``stat`` of each file: the least a check by stat can do,
  for the runs the index serves (every file unchanged);
* reading each file's bytes: the least a loader that reads the files can do, for the
  run without an index (``.pggate/cache/files.json`` missing: as after ``git checkout``
  rewrote every file, the marker cache still there).

The third row adds ``validate`` with its caches (what a no-op ``migrate`` runs before it
connects). Files written less than 2 s before the index is saved are not recorded (see
``migrations/cache.py``), so the benchmark waits that long after writing them.

    python bench/load_folder.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate.migrations import cache as caches  # noqa: E402
from pggate.migrations.cache import ParseCache  # noqa: E402
from pggate.migrations.files import load_folder  # noqa: E402
from pggate.migrations.validate import validate  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sibling import sibling  # noqa: E402

GOALS = {"cold": "", "indexed": "<= 4", "validated": "<= 5"}  # cold: reads as before the index


def best(function: Callable[[], object], repeats: int) -> float:
    """Least wall time of ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def stat_all(folder: Path) -> None:
    for entry in os.scandir(folder):
        entry.stat()


def read_all(folder: Path) -> None:
    for entry in os.scandir(folder):
        with open(entry.path, "rb") as handle:
            handle.read()


def run(quick: bool = False, count: int = 1000) -> list[dict]:
    """Rows of the shared bench contract: load time / floor time."""
    repeats = 3 if quick else 10
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = sibling("migrate_vs_psql").write_project(Path(tmp) / "p", count, "postgresql://x/y")
        folder = root / "migrations"
        index = root / caches.FOLDER / caches.FileIndex.FILE
        time.sleep(caches.RACY_SECONDS + 0.2)  # older than the racy window: indexable

        def cold() -> None:
            index.unlink(missing_ok=True)
            load_folder(folder, root)

        load_folder(folder, root)  # the marker cache, as a project has it
        seconds = best(cold, repeats)
        rows.append(
            _row(
                f"load {count} files, no index",
                seconds,
                best(lambda: read_all(folder), repeats),
                "cold",
            )
        )
        load_folder(folder, root)
        assert index.is_file(), "the index was not written"
        floor = best(lambda: stat_all(folder), repeats)
        rows.append(
            _row(
                f"load {count} files, indexed",
                best(lambda: load_folder(folder, root), repeats),
                floor,
                "indexed",
            )
        )

        def validated() -> None:
            result = validate(load_folder(folder, root), cache=ParseCache.for_project(root))
            assert result.exit_code() == 0

        validated()
        rows.append(
            _row(
                f"load + validate {count}, all cached", best(validated, repeats), floor, "validated"
            )
        )
    return rows


def _row(measure: str, seconds: float, floor: float, goal: str) -> dict:
    return {
        "benchmark": "load_folder",
        "measure": measure,
        "value": round(seconds, 4),
        "floor": round(floor, 4),
        "ratio": round(seconds / floor, 1),
        "goal": GOALS[goal],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'measure':38} {'seconds':>8} {'floor':>8} {'ratio':>6}  goal")
    for row in run(args.quick, args.count):
        print(
            f"{row['measure']:38} {row['value']:8.4f} {row['floor']:8.4f} {row['ratio']:6.1f}  "
            f"{row['goal']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
