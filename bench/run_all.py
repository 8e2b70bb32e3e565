"""Run every benchmark in bench/ (each exposes ``run(quick) -> rows``) and print one table.

    python bench/run_all.py [--quick]

A benchmark that fails prints an error row; the others still run, and the exit
code stays 0: benchmarks report figures, they do not gate.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):  # noqa: ANN201
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    quick = parser.parse_args().quick
    rows = []
    for path in sorted(HERE.glob("*.py")):
        if path.name.startswith("_") or path.name == "run_all.py":
            continue
        try:
            module = load(path)
            if hasattr(module, "run"):
                rows.extend(module.run(quick))
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc(file=sys.stderr)
            rows.append(
                {
                    "benchmark": path.stem,
                    "measure": f"error: {exc}",
                    "value": "",
                    "floor": "",
                    "ratio": "",
                    "goal": "",
                }
            )
    print(f"{'benchmark':18} {'measure':38} {'value':>9} {'floor':>9} {'ratio':>6}  goal")
    for row in rows:
        print(
            f"{row['benchmark']:18} {row['measure']:38} {row['value']!s:>9} {row['floor']!s:>9} "
            f"{row['ratio']!s:>6}  {row['goal']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
