"""Running the Typer app: one place that turns every failure into a message and an exit code.

Only typer's public API is used here (``typer.Exit`` and the app's standalone mode): current
typer ships its own copy of click and older ones depend on click, so importing ``click``
directly breaks one or the other. In standalone mode typer itself prints usage errors
(unknown option or command, a missing or invalid value) with the usage line on stderr and
exits 2; commands report their exit code by raising ``typer.Exit``.
"""

from __future__ import annotations

import sys
import traceback

import typer

from ..errors import DatabaseUnavailable, InternalError, PggateError
from .options import Settings
from .output import Output, install_masking


def run(app: typer.Typer, argv: list[str]) -> int:
    """Run ``app`` on ``argv``: exit codes from results and errors, secrets masked."""
    install_masking()
    verbose = any(a in ("-v", "--verbose") for a in argv)
    json_mode = _json_requested(argv)
    try:
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


def _json_requested(argv: list[str]) -> bool:
    for index, arg in enumerate(argv):
        if arg in ("--format=json", "-fjson"):
            return True
        if arg in ("--format", "-f") and argv[index + 1 : index + 2] == ["json"]:
            return True
    return False


def _fmt(json_mode: bool):  # type: ignore[no-untyped-def]
    from .options import Format

    return Format.json if json_mode else Format.text
