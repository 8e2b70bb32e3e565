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
    """The app outside standalone mode: a usage error becomes a JSON error document too.

    ``--version`` and ``--help`` print text in the app; asked for in JSON they print one
    document holding it (``{"version": ...}``, ``{"help": ...}``), as ``--format json``
    promises for every command line.
    """
    try:
        return _as_json_document(app, argv)
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


def _as_json_document(app: typer.Typer, argv: list[str]) -> int:
    import contextlib
    import io
    import json

    from .. import __version__

    given = argv[: argv.index("--")] if "--" in argv else argv
    if "--version" in given and given.index("--version") < _command_at(given):
        sys.stdout.write(json.dumps({"version": __version__}, indent=2) + "\n")
        return 0
    if "-h" not in given and "--help" not in given:
        return exit_code_of(app(args=argv, prog_name="pggate", standalone_mode=False))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = exit_code_of(app(args=argv, prog_name="pggate", standalone_mode=False))
    sys.stdout.write(json.dumps({"help": printed.getvalue()}, indent=2) + "\n")
    return code


def _command_at(argv: list[str]) -> int:
    """Where the command name is in ``argv`` (the first word that is no option or value)."""
    from .hot import SHARED_VALUES  # the global options that take a separate value

    index = 0
    while index < len(argv):
        if argv[index] in SHARED_VALUES:
            index += 2
        elif argv[index].startswith("-"):
            index += 1
        else:
            return index
    return len(argv)


def _is_click_error(exc: Exception) -> bool:
    # click's ClickException (typer's copy or click itself), told by its interface.
    return callable(getattr(exc, "format_message", None)) and hasattr(exc, "exit_code")


def exit_with(code: object, **_: object) -> None:
    """The app's result callback: a command's return value becomes the process exit code."""
    if code:
        raise typer.Exit(int(code))  # type: ignore[call-overload]
