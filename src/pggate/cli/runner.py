"""Running the Typer app: one place that turns every failure into a message and an exit code.

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
import traceback

import typer

from ..errors import DatabaseUnavailable, InternalError, PggateError, UsageError
from .options import Settings
from .output import Output, install_masking


def run(app: typer.Typer, argv: list[str]) -> int:
    """Run ``app`` on ``argv``: exit codes from results and errors, secrets masked."""
    install_masking()
    verbose = any(a in ("-v", "--verbose") for a in argv)
    json_mode = _json_requested(argv)
    try:
        if json_mode:
            return _run_for_json(app, argv, verbose)
        app(args=argv, prog_name="pggate", standalone_mode=True)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except PggateError as exc:
        _report(exc, verbose, json_mode)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that catches everything
        return _unexpected(exc, verbose, json_mode)
    return 0


def _run_for_json(app: typer.Typer, argv: list[str], verbose: bool) -> int:
    """The app outside standalone mode: a usage error becomes a JSON error document too."""
    try:
        return _exit_code(app(args=argv, prog_name="pggate", standalone_mode=False))
    except typer.Abort:  # what standalone mode says as "Aborted!" (stdin closed at a prompt)
        aborted = PggateError("aborted")
        aborted.exit_code = 1
        _report(aborted, verbose, json_mode=True)
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
        _report(error, verbose=False, json_mode=True)
        return error.exit_code


def _is_click_error(exc: Exception) -> bool:
    # click's ClickException (typer's copy or click itself), told by its interface.
    return callable(getattr(exc, "format_message", None)) and hasattr(exc, "exit_code")


def exit_with(code: object, **_: object) -> None:
    """The app's result callback: a command's return value becomes the process exit code."""
    if code:
        raise typer.Exit(int(code))  # type: ignore[call-overload]


def _exit_code(code: object) -> int:
    # sys.exit(None) is success; a string is a message printed by whoever raised it.
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def _report(exc: PggateError, verbose: bool, json_mode: bool) -> None:
    if verbose:
        traceback.print_exc()
    Output(Settings(format=_fmt(json_mode), verbose=verbose)).error(exc)


def _unexpected(exc: Exception, verbose: bool, json_mode: bool) -> int:
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        # The connection died under us (server restart, backend terminated, network).
        error: PggateError = DatabaseUnavailable(
            f"lost the database connection: {' '.join(str(exc).split())}",
            hint="check the server; a migration in flight was rolled back by PostgreSQL",
        )
        _report(error, verbose, json_mode)
        return error.exit_code
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        # The role lacks a privilege a step needs: the database cannot be used as it is.
        said = " ".join(str(exc).split())
        denied: PggateError = DatabaseUnavailable(
            said if said.startswith("permission denied") else f"permission denied: {said}",
            hint=getattr(exc, "hint", None)  # db.RoleSwitchDenied names the grant
            or exc.diag.message_hint
            or "grant the connecting role the privilege named above, or connect as a role that has it",
        )
        _report(denied, verbose, json_mode)
        return denied.exit_code
    if verbose:
        traceback.print_exc()
    internal = InternalError(
        f"internal error: {type(exc).__name__}: {exc}",
        hint="this is a bug in pggate; rerun with -v for the traceback and report it",
    )
    Output(Settings(format=_fmt(json_mode), verbose=verbose)).error(internal)
    return internal.exit_code


# The short options that take no value, so more letters may follow them in one argument.
_SHORT_FLAGS = frozenset("hvy")


def _json_requested(argv: list[str]) -> bool:
    """Whether the command line asks for ``--format json``, as click would read it.

    ``--format json``, ``--format=JSON``, ``-f json``, ``-fjson`` and clusters such as
    ``-vf json`` (the format is case-insensitive; the last one given wins).
    """
    wanted: str | None = None
    index = 0
    while index < len(argv):
        arg, after = argv[index], argv[index + 1 : index + 2]
        index += 1
        if arg == "--":
            break
        if arg == "--format":
            wanted = after[0] if after else None
            index += 1
        elif arg.startswith("--format="):
            wanted = arg.split("=", 1)[1]
        elif arg.startswith("-") and not arg.startswith("--"):
            for position, letter in enumerate(arg[1:], start=2):
                if letter in _SHORT_FLAGS:
                    continue
                if letter == "f":
                    rest = arg[position:]
                    wanted = rest or (after[0] if after else None)
                    index += 0 if rest else 1
                break  # any other option takes the rest of the argument as its value
    return wanted is not None and wanted.lower() == "json"


def _fmt(json_mode: bool):  # type: ignore[no-untyped-def]
    from .options import Format

    return Format.json if json_mode else Format.text
