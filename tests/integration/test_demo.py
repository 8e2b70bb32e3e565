"""pggate demo on the bundled example: what `make demo` runs."""

import json
from pathlib import Path


def test_demo_stages_the_example_on_a_throwaway_server(cli, monkeypatch):
    from pggate.migrations import files

    loads = []
    real_load = files.load_folder
    monkeypatch.setattr(files, "load_folder", lambda *a, **k: loads.append(a) or real_load(*a, **k))
    result = cli("demo", "--format", "json")
    assert result.exit_code == 0, result.output
    data = result.json()
    assert data["verdict"] == "GO"
    steps = {s["step"]: s for s in data["steps"]}
    applied = [m["version"] for m in steps["migrate"]["data"]["applied"]]
    assert applied and applied == sorted(applied)
    assert steps["rollback"]["status"] == "pass" and steps["rollback"]["data"]["identical"]
    folder = Path(data["evidence_dir"])
    # One session for the whole run: one server start, one shim install, the files read once
    # (the rehearsal rolls back, re-runs the health gates and migrates forward on it too).
    events = [json.loads(line)["kind"] for line in (folder / "run.log").read_text().splitlines()]
    assert events.count("server.starting") == 1, events
    assert events.count("supabase.shim") == 1, events
    assert events.count("server.connected") == 1, events
    assert len(loads) == 1
    assert (folder / "report.md").read_text().count("## ") >= 9
    assert json.loads((folder / "manifest.json").read_text())["verdict"] == "GO"
    demo = Path(data["demo_folder"])
    assert not (demo / ".pggate" / "local").exists()  # the server's data is gone
