"""``pggate --version`` and ``pggate --help`` answer without importing the CLI."""

import subprocess
import sys
from pathlib import Path

from pggate import __version__
from pggate._entry import HELP_FILE, render_help

PROBE = (
    "import sys, io, contextlib\n"
    "from pggate._entry import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main([{arg!r}])\n"
    "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'psycopg', 'rich')"
    " or m.startswith('pggate.cli')))\n"
)


def _loaded_after(arg: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(arg=arg)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_shipped_help_is_what_the_app_prints():
    assert Path(HELP_FILE).read_text() == render_help(), (
        "the CLI changed: regenerate with python -m pggate._entry --regenerate-help"
    )


def test_version_and_help_import_no_cli_module():
    assert _loaded_after("--version") == "[]"
    assert _loaded_after("--help") == "[]"
    assert _loaded_after("-h") == "[]"


def test_version_and_help_print_the_same_as_the_app(run_pggate):
    version = run_pggate("--version")
    assert (version.exit_code, version.stdout) == (0, f"pggate {__version__}\n")
    helped = run_pggate("--help")
    assert helped.exit_code == 0
    assert helped.stdout == Path(HELP_FILE).read_text()
    assert "stage" in helped.stdout and "--version" in helped.stdout


def test_anything_else_still_reaches_the_app(run_pggate):
    result = run_pggate("--version", "--help")  # not the fast path: the app decides
    assert result.exit_code == 0
    assert result.stdout.startswith("pggate ")
