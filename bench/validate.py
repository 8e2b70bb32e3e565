"""``pggate validate`` at parser speed: one huge file, and 1000 small files cold and cached.

Floors, measured in the same run on the same files:

* the huge file (150,000 statements, about 7.4 MB): pglast splitting it with the
  PostgreSQL parser, the least any parser-based linter must do;
* 1000 small files: reading each and parsing it with pglast into a JSON tree,
  what a file linter built on the PostgreSQL parser does.

``validate`` is timed in-process as CPU time (pggate's own time, without the
interpreter's start or the machine's other work); peak memory of the huge file comes from ``pggate validate`` in a child
process.

    python bench/validate.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate import api  # noqa: E402

SMALL = """create table t{i} (
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
GOALS = {"huge": "<= 5 x split", "cold": "", "warm": "< 0.15 s"}


def write_project(root: Path, files: dict[str, str]) -> Path:
    folder = root / "migrations"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    (root / "pggate.toml").write_text('[project]\nmigrations = "migrations"\n')
    return root


def huge_file(statements: int) -> str:
    rows = "".join(f"insert into big values ({i}, 'name-{i:07d}');\n" for i in range(statements))
    return f"create table big (id bigint primary key, name text);\n{rows}-- migrate:down\ndrop table big;\n"


def best(function, repeats: int) -> float:  # noqa: ANN001
    """Least CPU time of ``repeats`` calls: steadier than wall time on a shared machine."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return min(times)


def validate_cold(root: Path) -> None:
    shutil.rmtree(root / ".pggate", ignore_errors=True)
    result = api.validate(root)
    assert result.exit_code() == 0, [f.message for f in result.findings if f.severity == "error"]


def peak_rss_mb(root: Path) -> float:
    """Peak RSS of ``pggate validate`` on ``root`` in a child process (no cache)."""
    shutil.rmtree(root / ".pggate", ignore_errors=True)
    script = Path(sys.executable).parent / "pggate"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pggate"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([*command, "--project", str(root), "validate"], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def run(quick: bool = False) -> list[dict]:
    """Rows of the shared bench contract."""
    from pglast import parser

    statements = 15_000 if quick else 150_000
    count = 200 if quick else 1000
    repeats = 1 if quick else 3
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        text = huge_file(statements)
        huge = write_project(Path(tmp) / "huge", {"001_big.sql": text})
        floor = best(lambda: parser.split(text, with_parser=True), repeats)
        seconds = best(lambda: validate_cold(huge), repeats)
        size = f"{len(text) / 1e6:.1f} MB"
        rows.append(_row(f"validate 1 file, {statements} stmts ({size})", seconds, floor, "huge"))
        rss = peak_rss_mb(huge)
        rows.append(
            {
                "benchmark": "validate",
                "measure": f"peak RSS of that validate, MB ({size} file)",
                "value": round(rss),
                "floor": "",
                "ratio": "",
                "goal": "proportional",
            }
        )
        files = {f"{i:05d}_t{i}.sql": SMALL.format(i=i) for i in range(1, count + 1)}
        small = write_project(Path(tmp) / "small", files)
        paths = sorted((small / "migrations").glob("*.sql"))
        floor = best(lambda: [parser.parse_sql_json(p.read_text()) for p in paths], repeats)
        cold = best(lambda: validate_cold(small), repeats)
        rows.append(_row(f"validate {count} files, no cache", cold, floor, "cold"))
        api.validate(small)  # fills the cache
        warm = best(lambda: api.validate(small), repeats)
        rows.append(_row(f"validate {count} files, cached", warm, floor, "warm"))
    return rows


def _row(measure: str, seconds: float, floor: float, goal: str) -> dict:
    return {
        "benchmark": "validate",
        "measure": measure,
        "value": round(seconds, 3),
        "floor": round(floor, 3),
        "ratio": round(seconds / floor, 2),
        "goal": GOALS[goal],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']:48} {row['value']!s:>8} {row['floor']!s:>8} {row['ratio']!s:>6}  "
            f"{row['goal']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
