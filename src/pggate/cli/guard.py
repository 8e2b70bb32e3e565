"""Every failure of a command run becomes a message and an exit code, in one place.

Both ways of running a command (the Typer app in ``runner``, the hot path in ``hot``) go
through ``guarded``: a ``PggateError`` prints its message and hint and exits with its code,
a lost connection or a missing privilege is said as such (exit 3), Ctrl-C exits 130, and
anything else is an internal error that asks for a report. With ``--format json`` stdout
still gets one JSON document. No Typer here.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from ..errors import DatabaseUnavailable, InternalError, PggateError
from .output import Output, install_masking
from .settings import Settings


def guarded(argv: list[str], work: Callable[[bool, bool], int]) -> int:
    """``work(json_mode, verbose)``'s exit code, or the code of the failure it raised."""
    install_masking()
    verbose = any(a in ("-v", "--verbose") for a in argv)
    json_mode = _json_requested(argv)
    try:
        return work(json_mode, verbose)
    except SystemExit as exc:
        return exit_code_of(exc.code)
    except PggateError as exc:
        report(exc, verbose, json_mode)
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except Exception as exc:  # noqa: BLE001 - the one place that catches everything
        return _unexpected(exc, verbose, json_mode)


def exit_code_of(code: object) -> int:
    """The exit code a ``SystemExit(code)`` means: None is 0, a message is printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1


def report(exc: PggateError, verbose: bool, json_mode: bool) -> None:
    """Print ``exc`` (and its traceback with -v); in JSON mode also the JSON error document."""
    if verbose:
        traceback.print_exc()
    Output(Settings(format=_fmt(json_mode), verbose=verbose)).error(exc)


def _unexpected(exc: Exception, verbose: bool, json_mode: bool) -> int:
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        # The connection died under us (server restart, backend terminated, network).
        error: PggateError = DatabaseUnavailable(
            f"lost the database connection: {' '.join(str(exc).split())}",
            hint="check the server; a migration in flight was rolled back by PostgreSQL, and "
            "`pggate status` shows which ones committed",
        )
        report(error, verbose, json_mode)
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
        report(denied, verbose, json_mode)
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
    from .settings import Format

    return Format.json if json_mode else Format.text
