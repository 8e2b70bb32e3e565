"""FK002 (orphaned rows) vs a hand-written NOT EXISTS anti-join, same data, same run.

python bench/orphans.py [--quick]      # 1,000,000 child rows (100,000 with --quick)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pggate.checks.context import CheckContext  # noqa: E402
from pggate.checks.fk.fk002_orphans import OrphanedRows  # noqa: E402
from pggate.config import load_project  # noqa: E402
from pggate.embedded import EmbeddedServer  # noqa: E402

GOAL = 1.5
SETUP = """
create table parents (id bigint primary key);
insert into parents select g from generate_series(1, %(parents)s) g;
create table children (id bigint, parent_id bigint);
insert into children select g, (g %% (%(parents)s + 100)) + 1 from generate_series(1, %(rows)s) g;
alter table children add constraint children_parent_fk foreign key (parent_id) references parents (id) not valid;
analyze parents; analyze children;
"""
BY_HAND = """select count(*) from children c
where c.parent_id is not null and not exists (select 1 from parents p where p.id = c.parent_id)"""


def run(quick: bool = False) -> list[dict]:
    """Time of the FK002 check and of the hand-written anti-join, best of 3 each."""
    rows = 100_000 if quick else 1_000_000
    with EmbeddedServer.temporary() as server, tempfile.TemporaryDirectory() as tmp:
        with psycopg.connect(server.url(), autocommit=True, row_factory=dict_row) as conn:
            for statement in filter(str.strip, SETUP.split(";")):
                conn.execute(statement, {"parents": rows // 10, "rows": rows})
            (Path(tmp) / "pggate.toml").write_text("[project]\n")
            ctx = CheckContext(conn, load_project(tmp))
            check = OrphanedRows()
            ours, floor = [], []
            for _ in range(3):
                started = time.perf_counter()
                check.run(ctx)
                ours.append(time.perf_counter() - started)
                started = time.perf_counter()
                conn.execute(BY_HAND).fetchone()
                floor.append(time.perf_counter() - started)
    best, base = min(ours), min(floor)
    return [
        {
            "benchmark": "orphans",
            "measure": f"FK002 on {rows:,} child rows",
            "value": round(best, 3),
            "floor": round(base, 3),
            "ratio": round(best / base, 2),
            "goal": f"<= {GOAL}",
        }
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    for row in run(parser.parse_args().quick):
        print(
            f"{row['measure']}: {row['value']} s vs NOT EXISTS {row['floor']} s, ratio {row['ratio']} (goal {row['goal']})"
        )
