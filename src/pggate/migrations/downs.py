"""What a down statement can do to data, classified by the PostgreSQL parser.

A rollback runs the down sections without a question only when every statement
is known to leave data alone: creating, altering or dropping objects that hold
no rows (indexes, views, policies, functions, triggers, grants, comments) and
drops without ``CASCADE`` (which fail rather than take dependents with them).
Everything else needs confirmation, listed with why: a drop of a table, column,
schema or sequence, any ``CASCADE``, ``TRUNCATE``, ``DELETE``/``UPDATE``/
``INSERT``/``MERGE``, and whatever pggate cannot see into (``DO`` blocks,
``CALL``, ``EXECUTE``, ``SELECT`` of functions, statements it does not know).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import MigrationFileError
from .executor import statements_of
from .files import Migration
from .parse import SqlSyntaxError, Statement

# Statement kinds that create or change objects without touching rows.
_SAFE_KINDS = frozenset(
    {
        "CreateStmt",
        "IndexStmt",
        "ViewStmt",
        "CreateFunctionStmt",
        "CreatePolicyStmt",
        "AlterPolicyStmt",
        "CreateTrigStmt",
        "CreateSeqStmt",
        "AlterSeqStmt",
        "CreateSchemaStmt",
        "CreateEnumStmt",
        "AlterEnumStmt",
        "CompositeTypeStmt",
        "CreateDomainStmt",
        "CreateRangeStmt",
        "CreateExtensionStmt",
        "GrantStmt",
        "GrantRoleStmt",
        "AlterDefaultPrivilegesStmt",
        "CommentStmt",
        "RenameStmt",
        "AlterOwnerStmt",
        "AlterObjectSchemaStmt",
        "AlterFunctionStmt",
        "VariableSetStmt",
        "CreateRoleStmt",
        "AlterRoleStmt",
        "CreatePublicationStmt",
        "AlterPublicationStmt",
        "RuleStmt",
        "LockStmt",
    }
)
# DROP of these removes no rows (and without CASCADE fails when something depends on it).
_DROPS_WITHOUT_DATA = frozenset(
    {
        "OBJECT_INDEX",
        "OBJECT_VIEW",
        "OBJECT_MATVIEW",
        "OBJECT_POLICY",
        "OBJECT_TRIGGER",
        "OBJECT_FUNCTION",
        "OBJECT_PROCEDURE",
        "OBJECT_ROUTINE",
        "OBJECT_AGGREGATE",
        "OBJECT_TYPE",
        "OBJECT_DOMAIN",
        "OBJECT_RULE",
        "OBJECT_PUBLICATION",
        "OBJECT_FOREIGN_TABLE",
        "OBJECT_SCHEMA",  # only when empty, without CASCADE
    }
)
_DROP_WORDS = {
    "OBJECT_TABLE": "drops a table and its rows",
    "OBJECT_SEQUENCE": "drops a sequence and its position",
    "OBJECT_EXTENSION": "drops an extension and any tables it owns",
}
# ALTER TABLE subcommands that can lose or rewrite data.
_LOSSY_ALTERS = {
    "AT_DropColumn": "drops a column and its values",
    "AT_AlterColumnType": "changes a column type (values may be converted or cut)",
    "AT_DetachPartition": "detaches a partition (its rows leave the table)",
    "AT_DropInherit": "detaches a child table (its rows leave the parent)",
    "AT_SetUnLogged": "makes a table unlogged (its rows are lost on a crash)",
}
_OPAQUE = {
    "DoStmt": "a DO block: pggate cannot see what it does",
    "CallStmt": "calls a procedure: pggate cannot see what it does",
    "ExecuteStmt": "executes a prepared statement: pggate cannot see what it does",
    "SelectStmt": "a SELECT may call functions that change anything",
    "CreateTableAsStmt": "runs a query, which may call functions that change anything",
}
_WRITES = {
    "TruncateStmt": "empties tables",
    "DeleteStmt": "deletes rows",
    "UpdateStmt": "changes rows",
    "InsertStmt": "writes rows",
    "MergeStmt": "writes rows",
    "DropOwnedStmt": "drops everything a role owns",
}


@dataclass(frozen=True)
class Risk:
    """A down statement that needs confirmation, and why."""

    file: str
    line: int
    statement: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.statement} ({self.reason})"


def risks(migrations: list[Migration]) -> list[Risk]:
    """Every statement of these migrations' down sections that needs confirmation."""
    from .parse import parse_tree

    found = []
    for migration in migrations:
        for statement in _statements(migration):
            for kind, node in parse_tree(statement.sql):
                reason = why(kind, node)
                if reason is not None:
                    found.append(
                        Risk(
                            migration.shown_file("down"),
                            statement.line,
                            _first_line(statement.sql),
                            reason,
                        )
                    )
    return found


def _statements(migration: Migration) -> list[Statement]:
    """The down's statements; a down the parser cannot read is refused (exit 2), never run."""
    try:
        return statements_of(migration, "down")
    except SqlSyntaxError as exc:
        raise MigrationFileError(
            f"{migration.shown_file('down')}:{exc.line}:{exc.column}: the down section does "
            f"not parse ({exc.message}); nothing was changed",
            hint="fix the down section (pggate validate shows the same error), then rerun",
        ) from None


def why(kind: str, node: dict[str, Any]) -> str | None:
    """Why this statement needs confirmation; ``None`` when it is known to leave data alone."""
    if kind == "DropStmt":
        return _drop(node)
    if kind == "AlterTableStmt":
        return _alter_table(node)
    if kind == "AlterSeqStmt" and any(
        option.get("DefElem", {}).get("defname") == "restart" for option in node.get("options", [])
    ):
        return "restarts a sequence (its position is lost)"
    if kind in _WRITES:
        return _WRITES[kind]
    if kind in _OPAQUE:
        return _OPAQUE[kind]
    if kind in _SAFE_KINDS:
        return None
    return f"{kind.removesuffix('Stmt')}: not a statement pggate knows to leave data alone"


def _drop(node: dict[str, Any]) -> str | None:
    if node.get("behavior") == "DROP_CASCADE":
        return "CASCADE drops every object that depends on it, with their data"
    object_type = node.get("removeType", "")
    if object_type in _DROPS_WITHOUT_DATA:
        return None
    return _DROP_WORDS.get(object_type, f"drops a {object_type.removeprefix('OBJECT_').lower()}")


def _alter_table(node: dict[str, Any]) -> str | None:
    for item in node.get("cmds", []):
        cmd = item.get("AlterTableCmd", {})
        if cmd.get("behavior") == "DROP_CASCADE":
            return "CASCADE drops every object that depends on it, with their data"
        reason = _LOSSY_ALTERS.get(cmd.get("subtype", ""))
        if reason is not None:
            return reason
    return None


def _first_line(sql: str) -> str:
    line = sql.strip().splitlines()[0] if sql.strip() else ""
    return line if len(line) <= 100 else line[:97] + "..."
