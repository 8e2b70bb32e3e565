"""Parsing and splitting SQL with the real PostgreSQL parser (pglast / libpg_query).

Offsets from pglast are character offsets into the section; file lines and
columns are counted from the section's first line. Everything here is linear
in the size of the section: a 7 MB file of 150,000 statements splits in about
a second (the positions are counted incrementally, never by rescanning the
text before each statement).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

Tree = list[tuple[str, dict[str, Any]]]

# Statements led by these words only read or write rows: no lint or transaction
# rule looks inside them, so they are not parsed a second time into trees. A
# 150,000-row seed file is mostly INSERTs.
_DATA_ONLY = re.compile(
    r"(?:insert|update|delete|select|values|with|merge|table|comment)\b", re.IGNORECASE
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_BATCH_CHARS = 64_000  # statements parsed per parser call: one call per statement costs ~40 µs


class Statement(NamedTuple):
    """One statement of a section: its text, index and where it starts in the file.

    A named tuple: a 150,000-statement file builds 150,000 of them, and a
    frozen dataclass costs several times more to construct.
    """

    sql: str
    index: int  # 0-based within the section
    offset: int  # character offset of the statement within the section
    line: int  # 1-based file line
    column: int  # 1-based column

    @property
    def first_line(self) -> str:
        """The statement's first line, for messages."""
        return self.sql.strip().splitlines()[0] if self.sql.strip() else ""

    @property
    def end(self) -> int:
        """Character offset just after the statement (before its ``;``)."""
        return self.offset + len(self.sql)


@dataclass
class SqlSyntaxError(Exception):
    """A section does not parse: the parser's message and where."""

    message: str
    line: int
    column: int
    source_line: str


def line_column(text: str, offset: int, first_line: int = 1) -> tuple[int, int]:
    """1-based file ``(line, column)`` of character ``offset`` in ``text``."""
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return first_line + line, column


def ascii_twin(text: str) -> str:
    """``text`` with every non-ASCII character replaced by ``x``: same length, same tokens.

    PostgreSQL's scanner treats characters above 127 as identifier characters
    (or as content inside strings, comments and dollar quotes), as it does
    ``x``, so statement boundaries and comments sit at the same character
    offsets. On ASCII text pglast's byte-to-character mapping is free; on other
    text it costs a pass over every multibyte character for every statement
    (150,000 rows with an accent each: minutes).
    """
    return text if text.isascii() else _NON_ASCII.sub("x", text)


def split(text: str, first_line: int = 1) -> list[Statement]:
    """The statements of ``text`` (comments and blank statements dropped).

    The parser returns the statements' texts; each one's offset is found by
    skipping the whitespace, semicolons and comments between statements, so
    the whole split is one pass over the text (pglast's own offsets cost a
    Python call per character). Raises ``SqlSyntaxError`` with the file line
    and column when it does not parse.
    """
    from pglast import parser

    twin = ascii_twin(text)
    try:
        pieces = parser.split(twin, with_parser=True)
    except parser.ParseError as exc:
        raise _syntax_error(text, first_line, exc) from None
    statements = []
    line, line_start, position, counted = first_line, 0, 0, 0
    for index, piece in enumerate(pieces):
        start = _skip_gap(twin, position)
        if not twin.startswith(piece, start):  # never expected: fall back to pglast's offsets
            return _split_by_slices(text, twin, first_line)
        newlines = text.count("\n", counted, start)
        if newlines:
            line += newlines
            line_start = text.rfind("\n", counted, start) + 1
        counted, position = start, start + len(piece)
        statements.append(
            Statement(text[start:position], index, start, line, start - line_start + 1)
        )
    return statements


_GAP = re.compile(r"(?:[ \t\n\r\f\v]+|;|--[^\n]*)*")
_COMMENT_EDGE = re.compile(r"/\*|\*/")


def _skip_gap(text: str, position: int) -> int:
    """The offset of the next token: past whitespace, ``;``, line and (nested) block comments."""
    while True:
        position = _GAP.match(text, position).end()  # type: ignore[union-attr]
        if not text.startswith("/*", position):
            return position
        depth = 0
        for edge in _COMMENT_EDGE.finditer(text, position):
            depth += 1 if edge.group() == "/*" else -1
            if depth == 0:
                position = edge.end()
                break
        else:
            return len(text)


def _split_by_slices(text: str, twin: str, first_line: int) -> list[Statement]:
    from pglast import parser

    statements = []
    for index, piece in enumerate(parser.split(twin, with_parser=True, only_slices=True)):
        line, column = line_column(text, piece.start, first_line)
        statements.append(Statement(text[piece], index, piece.start, line, column))
    return statements


def _syntax_error(text: str, first_line: int, exc: Exception) -> SqlSyntaxError:
    """The parser's error, with the message it gives for the original text (not the twin)."""
    from pglast import parser

    try:
        parser.parse_sql_json(text)
    except parser.ParseError as original:
        exc = original
    message, offset = _parse_error(exc, len(text))
    line, column = line_column(text, offset, first_line)
    return SqlSyntaxError(message, line, column, _line_at(text, offset))


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]


def parse_tree(sql: str) -> Tree:
    """``(node kind, node)`` of each statement in ``sql``, from the parser's JSON tree.

    JSON dicts rather than pglast's AST objects: ten times faster to build, which
    matters when validating hundreds of files before every migrate.
    """
    from pglast import parser

    tree = json.loads(parser.parse_sql_json(sql))
    return [next(iter(raw["stmt"].items())) for raw in tree.get("stmts", [])]


def trees(statements: list[Statement], only: re.Pattern[str] | None = None) -> list[Tree]:
    """One parse tree per statement; data-only statements (INSERT, SELECT...) get ``[]``.

    With ``only`` (a pattern matched at each statement's start) just those are parsed.

    Statements are parsed in batches of about 64 kB: one parser call per
    statement would cost more than the rules that read the trees. They are
    joined with a newline before each ``;`` so a trailing ``--`` comment cannot
    swallow the separator.
    """
    out: list[Tree] = [[] for _ in statements]
    for batch in _batches(statements, only):
        nodes = _parse_batch([statements[i].sql for i in batch])
        for i, node in zip(batch, nodes, strict=True):
            out[i] = node
    return out


def _parse_batch(sqls: list[str]) -> list[Tree]:
    from pglast import parser

    try:
        nodes = parse_tree("\n;\n".join(sqls))
    except parser.ParseError:
        nodes = []
    if len(nodes) == len(sqls):
        return [[node] for node in nodes]
    return [parse_tree(sql) for sql in sqls]  # never expected: exact, one by one


def _batches(statements: list[Statement], only: re.Pattern[str] | None) -> Iterator[list[int]]:
    batch: list[int] = []
    size = 0
    for position, statement in enumerate(statements):
        if (only.match(statement.sql) is None) if only else _DATA_ONLY.match(statement.sql):
            continue
        batch.append(position)
        size += len(statement.sql)
        if size >= _BATCH_CHARS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _parse_error(exc: Exception, length: int) -> tuple[str, int]:
    args = getattr(exc, "args", ())
    message = str(args[0]) if args else str(exc)
    offset = args[1] if len(args) > 1 and isinstance(args[1], int) else length
    return message, min(max(offset, 0), length)


def describe(path: Path, line: int, column: int | None = None) -> str:
    """``path:line[:column]`` for messages."""
    return f"{path}:{line}" + (f":{column}" if column else "")


# TransactionStmt kinds as users write them, for messages (lints and the runner).
TRANSACTION_WORDS = {
    "TRANS_STMT_BEGIN": "BEGIN",
    "TRANS_STMT_START": "START TRANSACTION",
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
    "TRANS_STMT_RELEASE": "RELEASE SAVEPOINT",
    "TRANS_STMT_ROLLBACK_TO": "ROLLBACK TO SAVEPOINT",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}


def control_words(tree: Tree) -> list[str]:
    """What each transaction-control node of one statement's parse tree is (``COMMIT``...)."""
    found = []
    for kind, node in tree:
        if kind == "TransactionStmt":
            found.append(TRANSACTION_WORDS.get(node.get("kind", ""), "BEGIN"))
        elif kind == "VariableSetStmt" and node.get("name") == "TRANSACTION":
            found.append("SET TRANSACTION")
    return found
