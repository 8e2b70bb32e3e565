"""One `pggate stage` of examples/saas vs the same work as separate commands, in the same run.

The floor is what a script calling the commands one by one does: check-env, validate
--env, migrate, verify (every gate), and with the rehearsal rollback and migrate again,
each its own command with its own session (so its own embedded server start, connection
and Supabase shim check, and its own read of the migration files). ``stage`` does all of
that and more (the baseline snapshot and bench timings, the evidence package, four
reports) on one session. Both sides run in this process on a fresh copy of the example
whose embedded server was initialised (initdb) before the clock starts.

    python bench/stage.py [--quick] [--repeats N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api, pipeline  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "saas"
GOAL = "< 1 (one session saves more than stage adds)"


def fresh_copy(tmp: Path, name: str) -> Path:
    """A copy of the example with its embedded server initialised but stopped."""
    folder = tmp / name
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".pggate", "evidence", ".env*"))
    api.check_env(folder, "local")  # initdb happens here, outside the timings
    return folder


def time_stage(folder: Path, rehearse: bool) -> float:
    started = time.perf_counter()
    result = pipeline.stage(
        folder, "local", rehearse_rollback=rehearse, confirm=lambda _question: True
    )
    elapsed = time.perf_counter() - started
    assert result.verdict == "GO", [f.to_dict() for f in result.findings if f.severity == "error"]
    return elapsed


def time_commands(folder: Path, rehearse: bool) -> float:
    started = time.perf_counter()
    api.check_env(folder, "local")
    api.validate(folder, "local")
    before = api.status(folder, "local").applied
    api.migrate(folder, "local", confirm=lambda _question: True)
    api.verify(folder, "local")
    if rehearse:
        to = before[-1].version if before else "0"
        api.rollback(folder, "local", to=to, confirm=lambda _question: True)
        api.migrate(folder, "local", confirm=lambda _question: True)
    return time.perf_counter() - started


def run(quick: bool = False, repeats: int | None = None) -> list[dict]:
    """Rows of the shared bench contract: stage time / separate commands time."""
    repeats = repeats or (1 if quick else 3)
    rows = []
    cases = [False] if quick else [False, True]
    with tempfile.TemporaryDirectory(prefix="pggate-bench-stage-") as tmp:
        for rehearse in cases:
            ours, floor = [], []
            for i in range(repeats):  # interleaved: the machine's noise hits both sides alike
                floor.append(time_commands(fresh_copy(Path(tmp), f"c{rehearse}{i}"), rehearse))
                ours.append(time_stage(fresh_copy(Path(tmp), f"s{rehearse}{i}"), rehearse))
            rows.append(
                {
                    "benchmark": "stage",
                    "measure": "stage saas" + (" --rehearse-rollback" if rehearse else ""),
                    "value": round(min(ours), 3),
                    "floor": round(min(floor), 3),
                    "ratio": round(min(ours) / min(floor), 2),
                    "goal": GOAL,
                }
            )
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    args = parser.parse_args()
    print(f"{'measure':36} {'stage s':>8} {'commands s':>10} {'ratio':>6}  goal")
    for row in run(args.quick, args.repeats):
        print(
            f"{row['measure']:36} {row['value']:8.3f} {row['floor']:10.3f} {row['ratio']:6.2f}  "
            f"{row['goal']}"
        )
