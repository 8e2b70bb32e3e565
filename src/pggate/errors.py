"""Failures as exceptions, each with the exit code DESIGN.md gives it.

Findings are data (see ``results``); these are for things that stop a command.
The CLI catches ``PggateError`` in one place and prints ``error:`` and ``hint:``.
"""

from __future__ import annotations


class PggateError(Exception):
    """Base of every error pggate reports to a user.

    Args:
        message: what went wrong, naming the file, key or object.
        hint: what to do about it.
    """

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, object]:
        """The error as JSON-ready data (already masked by the caller)."""
        data: dict[str, object] = {
            "error": type(self).__name__,
            "message": self.message,
            "exit_code": self.exit_code,
        }
        if self.hint:
            data["hint"] = self.hint
        data.update({k: v for k, v in self.details.items() if v is not None})
        return data


class UsageError(PggateError):
    """The command line cannot be read: an unknown option or command, a bad value (exit 2)."""

    exit_code = 2


class ConfigError(PggateError):
    """The project file, an environment or an env file is wrong (exit 2)."""

    exit_code = 2


class MigrationFileError(PggateError):
    """A migration file cannot be used as it is (exit 2)."""

    exit_code = 2


class ConfirmationRefused(PggateError):
    """The user said no, or nobody could be asked (exit 2)."""

    exit_code = 2


class TargetMismatch(PggateError):
    """The server answered with another identity than the environment pins (exit 2)."""

    exit_code = 2


class DatabaseUnavailable(PggateError):
    """The database cannot be reached or used (exit 3)."""

    exit_code = 3


class LockTimeout(PggateError):
    """Another runner holds the migration lock, or a table lock could not be had (exit 3)."""

    exit_code = 3


class InternalError(PggateError):
    """pggate itself failed: a bug, reported with the exception's type (exit 1)."""

    exit_code = 1


class Interrupted(PggateError):
    """The user pressed Ctrl-C (SIGINT); the message says what was left (exit 130)."""

    exit_code = 130


class MigrationFailed(PggateError):
    """A migration failed and was rolled back (exit 1)."""

    exit_code = 1
