"""One confirmation per stage, asked up front; no rehearsal on a NO-GO; the exit code is the verdict's."""

import json
import time

import psycopg

from pggate import pipeline
from pggate.results import RunResult, Status, StepResult
from tests.integration.gates.test_security_verify import example_on

LEAKY = (
    "create table public.leaky_notes (id bigint primary key, organization_id uuid not null);\n"
    "-- migrate:down\ndrop table public.leaky_notes;\n"
)


def _confirm_environment(example):
    toml = (example / "pggate.toml").read_text()
    toml = toml.replace('env_file = ".env.test"', 'env_file = ".env.test"\nconfirm = true')
    (example / "pggate.toml").write_text(toml)


class Recorder:
    """A confirm callable and an emit that time-stamp what happens."""

    def __init__(self, answer=True, pause=0.0):
        self.answer = answer
        self.pause = pause
        self.questions = []
        self.prompts = []  # (start, end)
        self.steps = {}  # step -> (started, finished)

    def confirm(self, question):
        start = time.perf_counter()
        self.questions.append(question)
        time.sleep(self.pause)
        self.prompts.append((start, time.perf_counter()))
        return self.answer

    def emit(self, event):
        now = time.perf_counter()
        if event.kind == "step.started":
            self.steps[event.data["step"]] = (now, None)
        elif event.kind == "step.finished":
            self.steps[event.data["step"]] = (self.steps[event.data["step"]][0], now)


def _stage(example, recorder, **kwargs):
    return pipeline.stage(
        example,
        "test",
        evidence=example / "evidence" / "run",
        confirm=recorder.confirm,
        emit=recorder.emit,
        **kwargs,
    )


def test_a_confirm_environment_is_asked_once_for_the_whole_rehearsed_run(tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    _confirm_environment(example)
    recorder = Recorder(pause=0.3)
    result = _stage(example, recorder, rehearse_rollback=True)
    assert result.verdict == "GO", [(s.step, s.status, s.error) for s in result.steps]
    assert len(recorder.questions) == 1, recorder.questions
    question = recorder.questions[0]
    assert "apply 7 migration(s)" in question and "roll them back to version 0" in question
    assert "drop table" in question.lower()  # the downs that drop data, listed in the one question
    rollback = next(s for s in result.steps if s.step == "rollback")
    assert rollback.status == Status.PASS and rollback.data["reapplied"]
    # The time at the prompt lies outside every step's timed interval.
    (prompt_start, prompt_end) = recorder.prompts[0]
    for step, (started, finished) in recorder.steps.items():
        assert finished <= prompt_start or started >= prompt_end, step
    migrate = next(s for s in result.steps if s.step == "migrate")
    assert migrate.data["confirmed"] == question


def test_a_failed_gate_skips_the_rehearsal_and_stays_exit_1(tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    _confirm_environment(example)
    (example / "supabase" / "migrations" / "20991231000000_leaky.sql").write_text(LEAKY)
    recorder = Recorder()
    result = _stage(example, recorder, rehearse_rollback=True)
    assert len(recorder.questions) == 1
    steps = {s.step: s for s in result.steps}
    assert steps["security"].status == Status.FAIL
    assert steps["rollback"].status == Status.SKIP
    assert "security failed" in steps["rollback"].data["reason"]
    assert result.verdict == "NO-GO" and result.exit_code() == 1
    with psycopg.connect(db_url) as conn:  # not rolled back: the rehearsal did not run
        assert conn.execute("select to_regclass('public.leaky_notes')").fetchone()[0]


def test_refusing_the_one_question_changes_nothing_and_says_how_to_confirm(tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    _confirm_environment(example)
    recorder = Recorder(answer=False)
    result = _stage(example, recorder, rehearse_rollback=True)
    assert len(recorder.questions) == 1
    assert result.exit_code() == 2
    steps = {s.step: s for s in result.steps}
    assert steps["migrate"].status == Status.ERROR
    assert steps["baseline"].status == Status.SKIP
    assert steps["rollback"].status == Status.SKIP
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select to_regclass('public.organizations')").fetchone()[0] is None
    report = (example / "evidence" / "run" / "report.md").read_text()
    assert "Nothing was changed: staging test was not confirmed." in report
    assert "pass --yes" in report


def test_without_a_terminal_the_refusal_is_one_whole_sentence(run_pggate, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    _confirm_environment(example)
    result = run_pggate(
        "stage", "--env", "test", "--rehearse-rollback", "--evidence", "evidence/run", cwd=example
    )
    assert result.exit_code == 2, result.output
    report = json.loads((example / "evidence" / "run" / "report.json").read_text())
    migrate = next(s for s in report["steps"] if s["step"] == "migrate")
    assert migrate["error"]["message"] == (
        "Nothing was changed: staging test needs confirmation and this run is not interactive."
    )
    assert "--yes" in migrate["error"]["hint"]


def test_the_exit_code_is_the_first_failed_step_s_whatever_followed():
    steps = (
        StepResult("security", Status.FAIL),
        StepResult("rollback", Status.ERROR, error={"message": "refused", "exit_code": 2}),
    )
    assert RunResult("r", "test", steps).exit_code() == 1
    unreachable = (
        StepResult("environment", Status.ERROR, error={"message": "down", "exit_code": 3}),
        StepResult("validate", Status.SKIP),
    )
    assert RunResult("r", "test", unreachable).exit_code() == 3


def test_in_a_terminal_stage_asks_once_and_the_prompt_is_not_migrate_time(tmp_path, db_url):
    """A real pseudo-terminal: one question for the whole rehearsed run, answered after a pause."""
    import os
    import pty
    import select
    import subprocess
    import sys

    example = example_on(tmp_path, db_url)
    _confirm_environment(example)
    leader, follower = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pggate",
            "stage",
            "--env",
            "test",
            "--rehearse-rollback",
            "--evidence",
            "evidence/run",
        ],
        cwd=example,
        env={**environ, "COLUMNS": "200"},
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    seen, answered = b"", 0
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                seen += chunk
            if seen.count(b"[y/N]") > answered:  # answer every question asked, and count them
                time.sleep(2.0)  # the person reads the question
                os.write(leader, b"y\n")
                answered += 1
            if process.poll() is not None and not ready:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        os.close(leader)
    text = seen.decode(errors="replace")
    assert process.returncode == 0, text[-3000:]
    assert text.count("[y/N]") == 1, text
    assert "roll them back to version 0" in text and "drop table" in text
    migrate = json.loads(
        next((example / "evidence" / "run" / "steps").glob("04_migrate.json")).read_text()
    )
    rollback = json.loads(
        next((example / "evidence" / "run" / "steps").glob("08_rollback.json")).read_text()
    )
    assert rollback["status"] == "pass"
    # The two seconds at the prompt are in no step: asked after validate finished and before
    # the baseline started, between two timed steps.
    assert text.index("validate") < text.index("[y/N]") < text.index("baseline")
    assert "confirmed" in migrate["data"]
