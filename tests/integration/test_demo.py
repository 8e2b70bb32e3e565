"""pggate demo on the bundled example: what `make demo` runs."""

import json
from pathlib import Path


def test_demo_stages_the_example_on_a_throwaway_server(cli):
    result = cli("demo", "--format", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["verdict"] == "GO"
    steps = {s["step"]: s for s in data["steps"]}
    applied = [m["version"] for m in steps["migrate"]["data"]["applied"]]
    assert applied and applied == sorted(applied)
    assert steps["rollback"]["status"] == "pass" and steps["rollback"]["data"]["identical"]
    folder = Path(data["evidence_dir"])
    assert (folder / "report.md").read_text().count("## ") >= 9
    assert json.loads((folder / "manifest.json").read_text())["verdict"] == "GO"
    demo = Path(data["demo_folder"])
    assert not (demo / ".pggate" / "local").exists()  # the server's data is gone
