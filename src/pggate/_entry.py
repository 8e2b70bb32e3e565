"""The ``pggate`` script's first stop: answer ``--version`` and ``--help`` without the CLI.

Importing the Typer app costs most of a second's tenth (typer, its click, every command
module); printing the version or the top-level help needs none of it. The help text is
rendered from the real app and shipped as ``_help.txt``; a test keeps the two equal
(regenerate with ``python -m pggate._entry --regenerate-help``). Plain command lines of
``status`` and ``migrate`` run on the hot path (``cli.hot``), also without Typer; anything
else goes to the Typer app.
"""

from __future__ import annotations

import os
import sys

# os.path, not pathlib: pathlib pulls in re and fnmatch, a third of this path's cost.
HELP_FILE = os.path.join(os.path.dirname(__file__), "_help.txt")
HELP_WIDTH = 80  # click's own cap, so the shipped text is what the app prints in a terminal


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pggate`` script; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        from . import __version__

        sys.stdout.write(f"pggate {__version__}\n")
        return 0
    if args in (["--help"], ["-h"]) and os.path.isfile(HELP_FILE):
        with open(HELP_FILE, encoding="utf-8") as shipped:
            sys.stdout.write(shipped.read())
        return 0
    from .cli.hot import run_hot

    code = run_hot(args)  # status and migrate, when the line is plain: no Typer
    if code is not None:
        return code
    from .cli import main as cli_main

    return cli_main(args)


def render_help() -> str:
    """The top-level help exactly as the Typer app prints it at ``HELP_WIDTH`` columns."""
    import io
    from contextlib import redirect_stdout

    from .cli import main as cli_main

    buffer, columns = io.StringIO(), os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        with redirect_stdout(buffer):
            cli_main(["--help"])
    finally:
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    return buffer.getvalue()


if __name__ == "__main__":
    if sys.argv[1:] == ["--regenerate-help"]:
        with open(HELP_FILE, "w", encoding="utf-8") as shipped:
            shipped.write(render_help())
    else:
        sys.exit(main())
