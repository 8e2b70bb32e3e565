"""Running a migration section statement by statement, with failures mapped to ``file:line``.

Migrate and rollback both run sections through ``execute_section``; a failure
becomes a ``StatementFailed`` naming the file, line, column, statement index,
SQLSTATE, the server's message, detail and hint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from ..events import Emit, Event
from ..masking import mask
from .files import Migration
from .parse import Statement, control_words, line_column, split

LOCK_NOT_AVAILABLE = "55P03"


@dataclass
class StatementFailed(Exception):
    """A statement of a migration failed on the server."""

    migration: Migration
    section: str
    file: Path
    line: int
    column: int
    statement_index: int
    statement: str
    sqlstate: str | None
    server_message: str
    detail: str | None = None
    server_hint: str | None = None

    @property
    def lock_timeout(self) -> bool:
        """Whether it failed waiting for a lock (``lock_timeout``)."""
        return self.sqlstate == LOCK_NOT_AVAILABLE

    @property
    def location(self) -> str:
        """``file:line:column``."""
        return f"{self.file}:{self.line}:{self.column}"

    def describe(self) -> str:
        """A multi-line, masked description for messages."""
        lines = [
            f"{self.location}: {self.server_message}",
            f"  statement {self.statement_index + 1} of the {self.section} section: "
            f"{_shorten(self.statement)}",
        ]
        if self.detail:
            lines.append(f"  detail: {self.detail}")
        if self.server_hint:
            lines.append(f"  server hint: {self.server_hint}")
        return mask("\n".join(lines))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, masked."""
        return {
            "file": str(self.file),
            "line": self.line,
            "column": self.column,
            "statement_index": self.statement_index,
            "statement": mask(self.statement),
            "sqlstate": self.sqlstate,
            "message": mask(self.server_message),
            "detail": mask(self.detail or "") or None,
            "hint": self.server_hint,
        }


@dataclass
class TransactionLost(Exception):
    """A statement ended the transaction pggate opened (the server reported no transaction)."""

    migration: Migration
    section: str
    file: Path
    line: int
    statement_index: int
    statement: str

    @property
    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


def transaction_control(statements: list[Statement]) -> list[tuple[Statement, str]]:
    """Statements that begin, end or change the transaction they run in, with what they are.

    Classified by the PostgreSQL parser: ``COMMIT``/``END``/``ROLLBACK``/``ABORT``,
    ``BEGIN``/``START TRANSACTION``, savepoints, two-phase commands and ``SET TRANSACTION``.
    Sent inside the transaction pggate opened, the first four end it, and what follows
    runs in autocommit: a migration would commit half, a rolled-back check would commit.
    """
    from .parse import parse_tree

    return [
        (statement, word)
        for statement in statements
        for word in control_words(parse_tree(statement.sql))
    ]


def refuse_transaction_control(
    migrations: list[Migration],
    section: str = "up",
    found_in: Callable[[Migration, str], list[tuple[int, str]]] | None = None,
) -> None:
    """Raise ``MigrationFileError`` (exit 2) naming every ``file:line`` of transaction control.

    Only transactional sections: a ``-- pggate:no-transaction`` file runs in autocommit,
    where its own ``BEGIN``/``COMMIT`` group statements without ending anything of pggate's.
    Checked before anything is sent, also for files edited after ``validate`` ran.
    ``found_in``: a section's ``(line, word)`` list, when the caller knows it (a runner
    passes what validation's parse of that very text found); otherwise it is parsed here.
    """
    from ..errors import MigrationFileError

    found_in = found_in or _parsed_control

    found = []
    for migration in migrations:
        if not migration.transactional or (section == "down" and not migration.has_down):
            continue
        for line, word in found_in(migration, section):
            found.append(f"{migration.shown_file(section)}:{line}: {word}")
    if found:
        raise MigrationFileError(
            "transaction control inside a transactional migration; nothing was applied:\n  "
            + "\n  ".join(found),
            hint="pggate runs each migration (and its history row) in one transaction of its "
            "own: remove these statements, or mark the file -- pggate:no-transaction",
        )


def _parsed_control(migration: Migration, section: str) -> list[tuple[int, str]]:
    return [(s.line, word) for s, word in transaction_control(statements_of(migration, section))]


def statements_of(migration: Migration, section: str = "up") -> list[Statement]:
    """The parsed statements of a section (raises ``SqlSyntaxError``)."""
    text, _path, first_line = migration.section(section)
    return split(text, first_line)


def execute_section(
    conn: psycopg.Connection[Any],
    migration: Migration,
    section: str = "up",
    statements: list[Statement] | None = None,
    trace: Emit | None = None,
) -> int:
    """Run every statement of ``section`` on ``conn``; the number run.

    The caller owns the transaction. Raises ``StatementFailed`` on the first error. When
    the caller opened one, each statement must leave it open: one that ends it raises
    ``TransactionLost`` at once, so nothing after it runs in autocommit.
    ``trace`` gets a ``statement.finished`` event per statement with its time (``-v``).
    """
    text, path, first_line = migration.section(section)
    statements = statements if statements is not None else split(text, first_line)
    guarded = conn.info.transaction_status == TransactionStatus.INTRANS
    for statement in statements:
        clock = time.perf_counter()
        try:
            conn.execute(statement.sql, prepare=False)
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError) and conn.broken:
                raise
            raise failure(exc, migration, section, statement, text, path, first_line) from None
        if guarded and conn.info.transaction_status != TransactionStatus.INTRANS:
            raise TransactionLost(
                migration,
                section,
                Path(migration.shown_file(section)),
                statement.line,
                statement.index,
                statement.sql,
            )
        if trace is not None:
            _trace(trace, migration, section, statement, (time.perf_counter() - clock) * 1000)
    return len(statements)


def _trace(
    emit: Emit, migration: Migration, section: str, statement: Statement, duration_ms: float
) -> None:
    where = f"{migration.shown_file(section)}:{statement.line}"
    emit(
        Event(
            "statement.finished",
            f"  {where}  {_shorten(statement.sql, 100)}  ({duration_ms:.1f} ms)",
            {"file": where, "duration_ms": round(duration_ms, 3), "important": False},
        )
    )


def failure(
    exc: psycopg.Error,
    migration: Migration,
    section: str,
    statement: Statement,
    text: str,
    path: Path,
    first_line: int,
) -> StatementFailed:
    """A ``StatementFailed`` from a driver error, the server's position mapped into the file."""
    diag = exc.diag
    line, column = statement.line, statement.column
    position = diag.statement_position
    if position and position.isdigit():
        line, column = line_column(text, statement.offset + int(position) - 1, first_line)
    return StatementFailed(
        migration=migration,
        section=section,
        file=Path(migration.shown_file(section)),
        line=line,
        column=column,
        statement_index=statement.index,
        statement=statement.sql,
        sqlstate=diag.sqlstate,
        server_message=diag.message_primary or str(exc).strip(),
        detail=diag.message_detail,
        server_hint=diag.message_hint,
    )


def _shorten(sql: str, width: int = 120) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."
