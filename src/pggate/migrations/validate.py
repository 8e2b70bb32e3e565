"""Offline validation (``pggate validate``): every file parses, versions are sane, downs exist.

MIG findings (errors unless noted):

| id | catches |
|---|---|
| MIG001 | a section does not parse (file:line:column, the parser's message, the line) |
| MIG002 | two files share a version |
| MIG003 | a file name does not match ``<version>_<name>.sql``; a down file without its up |
| MIG004 | a file with no up SQL |
| MIG005 | no down section (warning; error with ``--require-down``) |
| MIG006 | a statement that cannot run in a transaction inside a transactional file |
| MIG007 | an applied migration's file was edited (checksum drift) — with ``--env`` |
| MIG008 | a version applied in the database is missing from the folder (warning) — with ``--env`` |
| MIG009 | a file is not UTF-8 text |
| MIG010 | a file has both a down section and a ``.down.sql`` file |
| MIG011 | the live schema differs from the fingerprint recorded after the last migration (warning) — with ``--env`` |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..results import Finding, Severity, Status, count_by_severity, status_of, worst_first
from .executor import statements_of
from .files import GATE, Migration, MigrationSet
from .history import Applied
from .lint import lint
from .parse import SqlSyntaxError, parse_tree

NO_TRANSACTION_NODES = {
    "VacuumStmt": "VACUUM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
}


@dataclass(frozen=True)
class ValidateResult:
    """What ``pggate validate`` returns."""

    migrations: tuple[Migration, ...]
    findings: tuple[Finding, ...]
    checked_history: bool = False

    @property
    def status(self) -> Status:
        """``fail`` on any error finding."""
        return status_of(self.findings)

    def exit_code(self) -> int:
        """2 (bad input) on an error finding, else 0."""
        return 2 if self.status == Status.FAIL else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``validate --format json``."""
        return {
            "status": str(self.status),
            "migrations": [
                {
                    "version": m.version,
                    "name": m.name,
                    "file": m.shown,
                    "checksum": m.checksum,
                    "has_down": m.down_sql is not None,
                    "transactional": m.transactional,
                }
                for m in self.migrations
            ],
            "counts": count_by_severity(self.findings),
            "findings": [f.to_dict() for f in worst_first(self.findings)],
            "checked_history": self.checked_history,
        }


def validate(
    mset: MigrationSet, *, require_down: bool = False, applied: list[Applied] | None = None
) -> ValidateResult:
    """Validate every migration of ``mset`` offline (and against ``applied`` history if given)."""
    findings = list(mset.findings)
    for migration in mset.migrations:
        findings.extend(_validate_one(migration, require_down))
    if applied is not None:
        findings.extend(drift(mset, applied))
    return ValidateResult(mset.migrations, tuple(findings), applied is not None)


def _validate_one(migration: Migration, require_down: bool) -> list[Finding]:
    findings: list[Finding] = []
    try:
        statements = statements_of(migration, "up")
    except SqlSyntaxError as err:
        return [_syntax(migration, "up", err)]
    if not statements:
        findings.append(
            Finding(
                "MIG004",
                GATE,
                Severity.ERROR,
                migration.shown,
                f"{migration.label} has no up SQL",
                "write the migration, or delete the file",
                file=migration.shown,
            )
        )
    trees = [parse_tree(statement.sql) for statement in statements]
    if migration.transactional:
        findings.extend(_no_transaction_statements(migration, statements, trees))
    findings.extend(lint(migration, statements, trees))
    if migration.down_sql is None:
        severity = Severity.ERROR if require_down else Severity.WARNING
        findings.append(
            Finding(
                "MIG005",
                GATE,
                severity,
                migration.shown,
                f"{migration.label} has no down section",
                "add a `-- migrate:down` section (or a .down.sql file) so it can be rolled back",
                file=migration.shown,
            )
        )
    else:
        try:
            statements_of(migration, "down")
        except SqlSyntaxError as err:
            findings.append(_syntax(migration, "down", err))
    return findings


def _syntax(migration: Migration, section: str, err: SqlSyntaxError) -> Finding:
    path = migration.shown_file(section)
    return Finding(
        "MIG001",
        GATE,
        Severity.ERROR,
        str(path),
        f"{path}:{err.line}:{err.column}: {err.message} ({section} section)\n    {err.source_line}",
        "fix the SQL at that position",
        file=str(path),
        line=err.line,
    )


def _no_transaction_statements(
    migration: Migration, statements: list[Any], trees: list[list[tuple[str, dict[str, Any]]]]
) -> list[Finding]:
    findings = []
    for statement, nodes in zip(statements, trees, strict=True):
        for kind, node in nodes:
            what = NO_TRANSACTION_NODES.get(kind)
            if kind in ("IndexStmt", "DropStmt") and node.get("concurrent"):
                what = f"{'CREATE' if kind == 'IndexStmt' else 'DROP'} INDEX CONCURRENTLY"
            params = node.get("params", []) if kind == "ReindexStmt" else []
            if any(p.get("DefElem", {}).get("defname") == "concurrently" for p in params):
                what = "REINDEX CONCURRENTLY"
            if what:
                findings.append(
                    Finding(
                        "MIG006",
                        GATE,
                        Severity.ERROR,
                        migration.shown,
                        f"{migration.shown}:{statement.line}: {what} cannot run inside a transaction",
                        "move it to its own migration file with `-- pggate:no-transaction` at the top",
                        file=migration.shown,
                        line=statement.line,
                    )
                )
    return findings


def drift(mset: MigrationSet, applied: list[Applied]) -> list[Finding]:
    """MIG007 for applied files edited since, MIG008 for applied versions missing locally."""
    local = mset.by_version()
    findings = []
    for row in applied:
        migration = local.get(row.version)
        if migration is None:
            findings.append(
                Finding(
                    "MIG008",
                    GATE,
                    Severity.WARNING,
                    f"{row.version}_{row.name}",
                    f"version {row.version} ({row.name}) is applied in the database but not in "
                    f"{mset.folder}",
                    "restore the file from git, or roll it back where it was applied",
                )
            )
        elif migration.checksum != row.checksum:
            findings.append(
                Finding(
                    "MIG007",
                    GATE,
                    Severity.ERROR,
                    migration.shown,
                    f"{migration.shown} was edited after it was applied (checksum {row.checksum[:19]}... "
                    f"recorded, {migration.checksum[:19]}... now)",
                    "restore the applied version (git checkout) and put the change in a new migration",
                    file=migration.shown,
                )
            )
    return findings
