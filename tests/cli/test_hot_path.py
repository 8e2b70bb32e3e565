"""The hot path runs plain ``status`` and ``migrate`` lines without Typer, as the app would."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from pggate.cli import app, hot
from pggate.cli.settings import Format

MIGRATIONS = {
    "001_tasks.sql": "create table tasks (id int primary key);\n-- migrate:down\ndrop table tasks;\n",
    "002_notes.sql": "create table notes (id int primary key);\n-- migrate:down\ndrop table notes;\n",
}


def _app_options(params) -> dict[str, tuple[str, bool]]:
    return {
        opt: (p.name, bool(p.is_flag))
        for p in params
        if p.param_type_name == "option"
        for opt in p.opts
    }


def test_the_tables_are_what_the_app_accepts():
    group = typer.main.get_command(app)
    globals_ = _app_options(group.params)
    globals_.pop("--version")  # eager: printed by the app, never run here
    hot_globals = {o: (k, True) for o, k in hot.SHARED_FLAGS.items()}
    hot_globals |= {o: (k, False) for o, (k, _) in hot.SHARED_VALUES.items()}
    assert hot_globals == globals_
    for command in hot.COMMANDS.values():
        wanted = _app_options(group.commands[command.name].params)
        known = {
            o: (command.accepts(o), o in command.flags or o in hot.SHARED_FLAGS)
            for o in [*command.flags, *command.values, *hot.SHARED_FLAGS, *hot.SHARED_VALUES]
        }
        assert {o: v for o, v in known.items() if v[0]} == wanted, command.name


@pytest.mark.parametrize(
    ("argv", "command", "settings", "options"),
    [
        (["status"], "status", {}, {}),
        (["status", "--env", "ci", "--all"], "status", {"env": "ci"}, {"show_all": True}),
        (["-e", "ci", "status", "-fJSON"], "status", {"env": "ci", "format": Format.json}, {}),
        (["--env=a", "status", "--env=b"], "status", {"env": "b"}, {}),
        (
            ["-y", "-v", "status", "-p", "x"],
            "status",
            {"yes": True, "verbose": True, "project": Path("x")},
            {},
        ),
        (
            ["migrate", "--to", "003", "--lock-wait=2.5", "--dry-run", "-y"],
            "migrate",
            {"yes": True},
            {"to": "003", "lock_wait": 2.5, "dry_run": True},
        ),
        (
            ["migrate", "--plan", "--single-transaction"],
            "migrate",
            {},
            {"show_plan": True, "single_transaction": True},
        ),
    ],
)
def test_plain_lines_are_read_here(argv, command, settings, options):
    parsed = hot.parse(argv)
    assert parsed is not None
    assert parsed.command.name == command
    assert {
        k: v for k, v in vars(parsed.settings).items() if v not in (None, False, Format.text)
    } == settings
    assert parsed.options == options


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["verify"],
        ["status", "--help"],
        ["-h", "status"],
        ["--version", "status"],
        ["status", "--yes"],  # status takes --yes only before its name
        ["-vy", "migrate"],  # a cluster: the app reads it
        ["status", "--all=1"],
        ["status", "extra"],
        ["status", "--"],
        ["status", "--env"],
        ["status", "--env", "--all"],
        ["status", "--env", ""],
        ["status", "-f", "yaml"],
        ["migrate", "--lock-wait", "1e3"],
        ["migrate", "--lock-wait", "inf"],
        ["migrate", "--lock-wait", "5s"],
        ["migrate", "--bogus"],
        ["status", "--al"],
    ],
)
def test_anything_unusual_goes_to_the_app(argv):
    assert hot.parse(argv) is None


def _both(
    argv: list[str], cwd: Path
) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """``argv`` through the hot path (the script's entry) and through the Typer app."""
    entry = "from pggate._entry import main; import sys; sys.exit(main(sys.argv[1:]))"
    app_only = "from pggate.cli import main; import sys; sys.exit(main(sys.argv[1:]))"
    runs = []
    for code in (entry, app_only):
        runs.append(
            subprocess.run(
                [sys.executable, "-c", code, *argv],
                cwd=cwd,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=120,
            )
        )
    return runs[0], runs[1]


def test_the_same_lines_print_the_same_through_either_parser(project, cli):
    root = project(migrations=MIGRATIONS)
    assert cli("migrate", "--env", "test", "--to", "001", cwd=root).exit_code == 0
    lines = [
        ["status", "--env", "test"],
        ["--env", "test", "status", "--all", "-f", "json"],
        ["migrate", "--env", "test", "--plan"],
        ["migrate", "-e", "test", "--plan", "--format=json"],
        ["status", "--env", "nowhere"],  # an unknown environment: exit 2, the same error
        ["--format", "json", "status", "--env", "nowhere"],
        ["migrate", "--env", "test", "--to", "999", "--plan"],
    ]
    for argv in lines:
        assert hot.parse(argv) is not None, argv
        fast, typed = _both(argv, root)
        assert (fast.returncode, fast.stdout, fast.stderr) == (
            typed.returncode,
            typed.stdout,
            typed.stderr,
        ), argv


def test_migrate_on_the_hot_path_applies_and_records(project, run_pggate, db_url):
    import psycopg

    root = project(migrations=MIGRATIONS)
    applied = run_pggate("migrate", "--env", "test", "--format", "json", cwd=root)
    assert applied.exit_code == 0, applied.output
    assert [m["version"] for m in applied.json()["applied"]] == ["001", "002"]
    with psycopg.connect(db_url) as conn:
        versions = [
            r[0] for r in conn.execute("select version from pggate.schema_migrations order by 1")
        ]
        tables = conn.execute(
            "select count(*) from pg_tables where tablename in ('tasks', 'notes')"
        ).fetchone()
    assert versions == ["001", "002"] and tables == (2,)
    again = run_pggate("migrate", "--env", "test", cwd=root)
    assert again.exit_code == 0 and "nothing to apply" in again.output


PROBE = (
    "import sys, io, contextlib\n"
    "from pggate._entry import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    code = main(sys.argv[1:])\n"
    "print(code, sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in "
    "('typer', 'click', 'pglast', 'pydantic')} | {m for m in sys.modules if m.startswith('pggate.cli.commands')}))\n"
)


def test_status_and_migrate_import_neither_typer_nor_the_command_modules(project, cli):
    root = project(migrations=MIGRATIONS)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    for argv in (["status", "--env", "test"], ["migrate", "--env", "test"]):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, *argv],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.stdout.strip() == "0 []", (argv, done.stdout, done.stderr)
    fallback = subprocess.run(
        [sys.executable, "-c", PROBE, "status", "--env", "test", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "typer" in fallback.stdout  # the app answered


def test_a_usage_error_is_still_the_apps(project, run_pggate):
    root = project(migrations=MIGRATIONS)
    wrong = run_pggate("status", "--yes", "--env", "test", cwd=root)
    assert wrong.exit_code == 2
    assert "No such option" in wrong.stderr and "--yes" in wrong.stderr
    as_json = run_pggate("migrate", "--lock-wait", "soon", "--format", "json", cwd=root)
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["exit_code"] == 2


RICH_PROBE = (
    "import sys\n"
    "from pggate._entry import main\n"
    "code = main(sys.argv[1:])\n"
    'sys.stderr.write(f\'{code} {sorted(m for m in sys.modules if m.split(".")[0] == "rich")}\')\n'
)


def test_piped_migrate_prints_its_result_without_importing_rich(project):
    root = project(
        migrations={
            **MIGRATIONS,
            "003_a[b]_[dim]x :smile:.sql": "create table odd (id int);\n",
        }
    )
    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    done = subprocess.run(
        [sys.executable, "-c", RICH_PROBE, "migrate", "--env", "test"],
        cwd=root,
        env=environ,
        capture_output=True,  # stdout and stderr are pipes
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert done.stderr.endswith("0 []"), done.stderr
    lines = done.stdout.splitlines()
    assert [re.sub(r"\d+ ms", "N ms", line) for line in lines] == [
        "  applied 001_tasks  N ms",
        "  applied 002_notes  N ms",
        "  applied 003_a[b]_[dim]x :smile:  N ms",
        "applied 3 migration(s) in N ms",
    ]
