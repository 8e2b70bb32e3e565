"""Every run has its own package, and a killed run leaves one that renders (incomplete NO-GO)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

from pggate import pipeline
from pggate.errors import ConfigError
from pggate.evidence import Evidence
from tests.conftest import write_project

MIGRATIONS = {
    "20240101000000_notes.sql": "create table notes (id int primary key);\n"
    "-- migrate:down\ndrop table notes;\n"
}


def test_ten_concurrent_stages_leave_ten_packages(tmp_path, db_url):
    root = write_project(tmp_path / "p", url=db_url, migrations=MIGRATIONS)
    barrier = threading.Barrier(10)
    results, errors = [], []

    def one():
        barrier.wait()
        try:
            results.append(pipeline.stage(root, "test", confirm=lambda _q: True))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    folders = sorted((root / "evidence").iterdir())
    assert len(folders) == 10
    assert sorted(r.evidence_dir for r in results) == sorted(str(f) for f in folders)
    for run in results:
        folder = root / "evidence" / f"test_{run.run_id}"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["run_id"] == run.run_id and manifest["complete"] is True
        assert [s["step"] for s in manifest["steps"]] == list(pipeline.STEPS)
        log_runs = {
            json.loads(line).get("data", {}).get("run_id")
            for line in (folder / "run.log").read_text().splitlines()
        }
        assert log_runs <= {run.run_id, None}


def test_runs_racing_for_one_explicit_folder_leave_it_to_one_of_them(tmp_path, db_url):
    root = write_project(tmp_path / "p", url=db_url, migrations=MIGRATIONS)
    folder = root / "evidence" / "shared"
    barrier = threading.Barrier(4)
    outcomes = []

    def one():
        barrier.wait()
        try:
            outcomes.append(pipeline.stage(root, "test", evidence=folder).run_id)
        except ConfigError as exc:
            outcomes.append(exc.message)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    refused = [o for o in outcomes if "already holds an evidence package" in o]
    assert len(outcomes) == 4 and len(refused) == 3, outcomes
    (winner,) = set(outcomes) - set(refused)
    assert json.loads((folder / "manifest.json").read_text())["run_id"] == winner
    assert len(list((folder / "steps").glob("*.json"))) == len(pipeline.STEPS)


def test_a_stage_killed_mid_run_leaves_a_package_that_renders_incomplete(
    tmp_path, db_url, run_pggate
):
    root = write_project(
        tmp_path / "p",
        url=db_url,
        migrations=MIGRATIONS,
        extra_toml='\n[gates.smoke]\npath = "checks/smoke"\n',
    )
    (root / "checks" / "smoke").mkdir(parents=True)
    (root / "checks" / "smoke" / "slow.sql").write_text(
        "-- The integrity step is still running when the test kills the run.\n"
        "-- timeout: 300s\nselect pg_sleep(300);\n"
    )
    folder = root / "evidence" / "killed"
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "pggate", "stage", "--env", "test", "--evidence", str(folder)],
        cwd=root,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not (folder / "steps" / "05_security.json").exists():
            assert process.poll() is None, "stage ended before the smoke check"
            assert time.monotonic() < deadline, "the security step never finished"
            time.sleep(0.05)
        manifest = json.loads((folder / "manifest.json").read_text())
        assert manifest["complete"] is False  # written first, updated after each step
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    evidence = Evidence.load(folder)
    assert not evidence.complete and evidence.stopped_during == "integrity"
    result = run_pggate("report", str(folder), cwd=root)
    assert result.exit_code == 1, result.output
    report = (folder / "report.md").read_text()
    assert "**Verdict: NO-GO**" in report
    assert "Incomplete" in report and "stopped during step integrity" in report
    steps = {s.step: s.status for s in evidence.run.steps}
    assert steps["migrate"] == "pass" and steps["security"] in ("pass", "warn", "fail")
    assert steps["integrity"] == "error" and steps["report"] == "skip"
    assert "1 migration(s) applied" in report or "20240101000000" in report
