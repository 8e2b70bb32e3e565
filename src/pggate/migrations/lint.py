"""Lock-hazard lints (LNT): statements that lock or break a busy production table.

Each rule is one small function taking a ``Site`` (a parsed statement and what
the migration created before it) and returning a message and hint, or
``None``. Tables created earlier in the same migration are new and empty, so
locking them is harmless and they are exempt.

| id | catches |
|---|---|
| LNT001 | CREATE INDEX without CONCURRENTLY on an existing table (blocks writes while it builds) |
| LNT002 | ADD COLUMN ... NOT NULL without a DEFAULT on an existing table (fails on rows, or rewrites) |
| LNT003 | ALTER COLUMN ... TYPE on an existing table (rewrites the table under ACCESS EXCLUSIVE) |
| LNT004 | ADD CONSTRAINT (foreign key / check) without NOT VALID on an existing table (full scan under lock) |
| LNT005 | DROP TABLE / DROP COLUMN / RENAME (breaks code still running against the old schema) |
| LNT006 | (info) a risky statement with no ``SET lock_timeout`` before it in the file (other tools would queue all traffic) |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..results import Finding, Severity
from .files import Migration
from .parse import Statement

GATE = "validate"


@dataclass(frozen=True)
class Site:
    """A statement to lint (its parse-tree node) and the tables created before it in the migration."""

    kind: str
    node: dict[str, Any]
    statement: Statement
    created: frozenset[str]

    def existing(self, relation: dict[str, Any] | None) -> bool:
        """Whether ``relation`` (a RangeVar) existed before this migration."""
        return relation is not None and _name(relation) not in self.created


def _name(relation: dict[str, Any]) -> str:
    return f"{relation.get('schemaname', 'public')}.{relation['relname']}"


def _cmds(site: Site, subtype: str) -> list[dict[str, Any]]:
    if site.kind != "AlterTableStmt" or not site.existing(site.node.get("relation")):
        return []
    cmds = (c["AlterTableCmd"] for c in site.node.get("cmds", []) if "AlterTableCmd" in c)
    return [c for c in cmds if c.get("subtype") == subtype]


Rule = Callable[[Site], tuple[str, str] | None]


def lnt001_index_not_concurrent(site: Site) -> tuple[str, str] | None:
    """LNT001: CREATE INDEX without CONCURRENTLY on an existing table."""
    node = site.node
    if site.kind == "IndexStmt" and not node.get("concurrent") and site.existing(node["relation"]):
        return (
            f"CREATE INDEX on existing table {_name(node['relation'])} without CONCURRENTLY "
            "blocks writes while it builds",
            "use CREATE INDEX CONCURRENTLY in its own file marked -- pggate:no-transaction",
        )
    return None


def lnt002_not_null_without_default(site: Site) -> tuple[str, str] | None:
    """LNT002: ADD COLUMN NOT NULL without DEFAULT on an existing table."""
    for cmd in _cmds(site, "AT_AddColumn"):
        column = cmd["def"]["ColumnDef"]
        kinds = {c["Constraint"]["contype"] for c in column.get("constraints", [])}
        if "CONSTR_NOTNULL" in kinds and "CONSTR_DEFAULT" not in kinds:
            return (
                f"ADD COLUMN {column['colname']} NOT NULL without DEFAULT on existing table "
                f"{_name(site.node['relation'])} fails when the table has rows",
                "add a DEFAULT, or add the column nullable, backfill in batches, then SET NOT NULL",
            )
    return None


def lnt003_type_change(site: Site) -> tuple[str, str] | None:
    """LNT003: ALTER COLUMN TYPE on an existing table."""
    for cmd in _cmds(site, "AT_AlterColumnType"):
        return (
            f"changing the type of {_name(site.node['relation'])}.{cmd['name']} can rewrite the "
            "table under an ACCESS EXCLUSIVE lock",
            "add a new column, backfill it in batches, switch reads, then drop the old column",
        )
    return None


def lnt004_constraint_validated(site: Site) -> tuple[str, str] | None:
    """LNT004: foreign key or check added without NOT VALID to an existing table."""
    for cmd in _cmds(site, "AT_AddConstraint"):
        constraint = cmd["def"]["Constraint"]
        kind = constraint["contype"]
        if kind in ("CONSTR_FOREIGN", "CONSTR_CHECK") and not constraint.get("skip_validation"):
            return (
                f"ADD CONSTRAINT {constraint.get('conname', '')} on existing table "
                f"{_name(site.node['relation'])} scans the whole table under lock",
                "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration (weaker lock)",
            )
    return None


def lnt005_breaking_change(site: Site) -> tuple[str, str] | None:
    """LNT005: DROP TABLE, DROP COLUMN or RENAME."""
    if site.kind == "DropStmt" and site.node.get("removeType") == "OBJECT_TABLE":
        return "DROP TABLE breaks code that still uses the table", _EXPAND_CONTRACT
    if _cmds(site, "AT_DropColumn"):
        return "DROP COLUMN breaks code that still reads or writes the column", _EXPAND_CONTRACT
    if site.kind == "RenameStmt" and site.node.get("renameType") in (
        "OBJECT_TABLE",
        "OBJECT_COLUMN",
    ):
        return "RENAME breaks code that uses the old name", _EXPAND_CONTRACT
    return None


_EXPAND_CONTRACT = (
    "deploy code that no longer uses it first (expand/contract), and make sure "
    "the down section restores it"
)

RULES: dict[str, Rule] = {
    "LNT001": lnt001_index_not_concurrent,
    "LNT002": lnt002_not_null_without_default,
    "LNT003": lnt003_type_change,
    "LNT004": lnt004_constraint_validated,
    "LNT005": lnt005_breaking_change,
}
_RISKY = ("LNT001", "LNT002", "LNT003", "LNT004")


def lint(
    migration: Migration, statements: list[Statement], trees: list[list[tuple[str, dict[str, Any]]]]
) -> list[Finding]:
    """LNT findings (warnings) for the up section of ``migration`` (``trees``: one per statement)."""
    findings: list[Finding] = []
    created: set[str] = set()
    lock_timeout_set = False
    warned_timeout = False
    for statement, nodes in zip(statements, trees, strict=True):
        for kind, node in nodes:
            site = Site(kind, node, statement, frozenset(created))
            hits = [(rule_id, rule(site)) for rule_id, rule in RULES.items()]
            for rule_id, hit in hits:
                if hit:
                    findings.append(_finding(rule_id, migration, statement, *hit))
            risky = any(hit for rule_id, hit in hits if rule_id in _RISKY)
            if risky and not lock_timeout_set and migration.transactional and not warned_timeout:
                warned_timeout = True
                findings.append(
                    _finding(
                        "LNT006",
                        migration,
                        statement,
                        "a statement that takes a strong lock runs without SET lock_timeout before it "
                        "in this file",
                        "pggate sets the environment's lock_timeout; add "
                        "`set lock_timeout = '5s';` at the top of the file for runs by other tools",
                    )
                )
            if kind == "VariableSetStmt" and node.get("name") == "lock_timeout":
                lock_timeout_set = True
            if kind in ("CreateStmt", "CreateTableAsStmt"):
                relation = node["relation"] if kind == "CreateStmt" else node["into"]["rel"]
                created.add(_name(relation))
    return findings


def _finding(
    check: str, migration: Migration, statement: Statement, message: str, hint: str
) -> Finding:
    # LNT006 is info: pggate itself always runs migrations under the environment's lock_timeout.
    severity = Severity.INFO if check == "LNT006" else Severity.WARNING
    return Finding(
        check,
        GATE,
        severity,
        migration.shown,
        message,
        hint,
        file=migration.shown,
        line=statement.line,
    )
