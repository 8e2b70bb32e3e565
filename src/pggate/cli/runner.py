"""Running the Typer app: its usage errors, aborts and exit codes (failures: ``guard``).

Only typer's public API is used here (``typer.Exit``, ``typer.Abort`` and the app's
standalone mode): current typer ships its own copy of click and older ones depend on click,
so importing ``click`` directly breaks one or the other. In standalone mode typer itself
prints usage errors (unknown option or command, a missing or invalid value) with the usage
line on stderr and exits 2; commands report their exit code by raising ``typer.Exit``.

When the command line asks for ``--format json`` (``-f json``), the app runs outside
standalone mode instead, so a usage error reaches this module: the usage line and the
problem go to stderr as always, and stdout gets the one JSON document ``--format json``
promises, with ``exit_code`` 2.
"""

from __future__ import annotations

import sys

import typer

from ..errors import PggateError, UsageError
from .guard import exit_code_of, guarded, report


def run(app: typer.Typer, argv: list[str]) -> int:
    """Run ``app`` on ``argv``: exit codes from results and errors, secrets masked."""

    def work(json_mode: bool, verbose: bool) -> int:
        if json_mode:
            return _run_for_json(app, argv, verbose)
        app(args=argv, prog_name="pggate", standalone_mode=True)
        return 0

    return guarded(argv, work)


def _run_for_json(app: typer.Typer, argv: list[str], verbose: bool) -> int:
    """The app outside standalone mode: a usage error becomes a JSON error document too."""
    try:
        return exit_code_of(app(args=argv, prog_name="pggate", standalone_mode=False))
    except typer.Abort:  # what standalone mode says as "Aborted!" (stdin closed at a prompt)
        aborted = PggateError("aborted")
        aborted.exit_code = 1
        report(aborted, verbose, json_mode=True)
        return 1
    except Exception as exc:
        if not _is_click_error(exc):
            raise
        context = getattr(exc, "ctx", None)
        if context is not None:
            sys.stderr.write(context.get_usage() + "\n")
        path = context.command_path if context is not None else "pggate"
        error = UsageError(exc.format_message(), hint=f"see `{path} --help`")  # type: ignore[attr-defined]
        error.exit_code = int(getattr(exc, "exit_code", 2))
        report(error, verbose=False, json_mode=True)
        return error.exit_code


def _is_click_error(exc: Exception) -> bool:
    # click's ClickException (typer's copy or click itself), told by its interface.
    return callable(getattr(exc, "format_message", None)) and hasattr(exc, "exit_code")


def exit_with(code: object, **_: object) -> None:
    """The app's result callback: a command's return value becomes the process exit code."""
    if code:
        raise typer.Exit(int(code))  # type: ignore[call-overload]
