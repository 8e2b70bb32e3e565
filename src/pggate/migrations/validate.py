"""Offline validation (``pggate validate``): every file parses, versions are sane, downs exist.

MIG findings (errors unless noted):

| id | catches |
|---|---|
| MIG001 | a section does not parse (file:line:column, the parser's message, the line) |
| MIG002 | two files share a version |
| MIG003 | a file name does not match ``<version>_<name>.sql``; a down file without its up |
| MIG004 | a file with no up SQL |
| MIG005 | no down section (warning; error with ``--require-down``) |
| MIG006 | a statement that cannot run in a transaction inside a transactional file (``CONCURRENTLY``, ``VACUUM``, ``REINDEX SCHEMA``...) |
| MIG009 | a file is not UTF-8 text |
| MIG010 | a file has both a down section and a ``.down.sql`` file |
| MIG013 | ``COPY ... FROM STDIN`` or ``COPY ... TO STDOUT``: data pggate has no client side for |

With ``--env`` the API adds what the history says: TRC001 (applied files edited or
missing) and TRC002 (schema drift), the findings the traceability gate reports.
Severities and docs of every id are in ``pggate.catalogue``.

The lock-hazard lints (LNT) are in ``lint.py``. Parsing is the expensive part:
``file_facts`` caches what a file's text yields (``cache.py``), and only the
context of the earlier files is applied afresh on every run. The whole verdict
(the files' findings) is cached too, under ``verdict_key``: every file's facts
key, how it is shown, whether it is pending, and the settings; a run with the
same key (a no-op ``migrate``) reads it back without loading any file's facts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from ..catalogue import finding
from ..results import Finding, Severity, Status, count_by_severity, status_of, worst_first
from .cache import ParseCache
from .files import Migration, MigrationSet
from .history import Applied
from .lint import Context, FileLint, LintSettings, findings, lint_file, reindex_concurrently
from .parse import SqlSyntaxError, Statement, Tree, control_words, split, trees

# The words that can start transaction control: all a down section is checked for (LNT007).
TRANSACTION_CONTROL = re.compile(
    r"(?:begin|start|commit|end|rollback|abort|savepoint|release|prepare|set)\b", re.IGNORECASE
)
# What a down section is parsed for: transaction control and COPY (MIG013).
DOWN_PARSED = re.compile(rf"(?:{TRANSACTION_CONTROL.pattern}|copy\b)", re.IGNORECASE)
NO_TRANSACTION_NODES = {
    "VacuumStmt": "VACUUM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
}
# REINDEX of these cannot run in a transaction block even without CONCURRENTLY.
NO_TRANSACTION_REINDEX = {
    "REINDEX_OBJECT_SCHEMA": "REINDEX SCHEMA",
    "REINDEX_OBJECT_DATABASE": "REINDEX DATABASE",
    "REINDEX_OBJECT_SYSTEM": "REINDEX SYSTEM",
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
                    "has_down": m.has_down,
                    "transactional": m.transactional,
                }
                for m in self.migrations
            ],
            "counts": count_by_severity(self.findings),
            "findings": [f.to_dict() for f in worst_first(self.findings)],
            "checked_history": self.checked_history,
        }


def validate(
    mset: MigrationSet,
    *,
    require_down: bool = False,
    applied: list[Applied] | None = None,
    settings: LintSettings | None = None,
    cache: ParseCache | None = None,
) -> ValidateResult:
    """Validate every migration of ``mset`` offline (and against ``applied`` history if given).

    With ``applied`` known, tables created by earlier files that are still
    pending are new when a file runs, and the lock lints leave them alone.
    Without it any earlier file may already be applied: only tables created
    earlier in the same file are exempt.
    """
    settings = settings or LintSettings()
    cache = cache or ParseCache.disabled()
    applied_versions = {row.version for row in applied} if applied is not None else None
    key = verdict_key(mset.migrations, require_down, applied_versions, settings)
    known = _known_verdict(cache, key)
    if known is None:
        known = _verdict(mset.migrations, require_down, applied_versions, settings, cache)
        stored = json.loads(json.dumps([f.to_dict() for f in known]))
        if [Finding.from_dict(f) for f in stored] == known:  # only what JSON gives back whole
            cache.put_verdict(key, stored)
        cache.save()
    return ValidateResult(mset.migrations, (*mset.findings, *known), applied is not None)


def _verdict(
    migrations: tuple[Migration, ...],
    require_down: bool,
    applied_versions: set[str] | None,
    settings: LintSettings,
    cache: ParseCache,
) -> list[Finding]:
    """The findings of the files, in order: each file's facts in the context of the earlier ones."""
    context = Context()
    out: list[Finding] = []
    for migration in migrations:
        facts = file_facts(migration, cache)
        out.extend(_findings_of(migration, facts, require_down))
        out.extend(findings(migration, facts.lint, context, settings))
        out.extend(findings(migration, facts.down_lint, Context(), settings))
        pending = applied_versions is not None and migration.version not in applied_versions
        context.advance(facts.lint, pending)
    return out


def verdict_key(
    migrations: tuple[Migration, ...],
    require_down: bool,
    applied_versions: set[str] | None,
    settings: LintSettings,
) -> str:
    """What the files' findings depend on besides the code (the cache's stamp holds that).

    Each file's facts key, how it is shown, whether it has a down and whether it is
    pending, in order (the context of earlier files is part of a file's findings), and
    ``[lint]``, ``--require-down``: the same key means the same findings.
    """
    parts = [
        f"down={require_down}",
        f"ignore={sorted(settings.ignore)}",
        f"enable={sorted(settings.enable)}",
        f"history={applied_versions is not None}",
    ]
    for m in migrations:
        pending = "" if applied_versions is None else m.version not in applied_versions
        parts.append(f"{cache_key(m)}|{m.label}|{m.shown}|{m.down_file}|{m.has_down}|{pending}")
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _known_verdict(cache: ParseCache, key: str) -> list[Finding] | None:
    stored = cache.verdict(key)
    if not isinstance(stored, list):
        return None
    try:
        return [Finding.from_dict(f) for f in stored]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None  # a damaged verdict: validate afresh and overwrite it


@dataclass(frozen=True)
class FileFacts:
    """What parsing one file yields: the part of validation that depends on its text alone."""

    up_error: SqlSyntaxError | None
    down_error: SqlSyntaxError | None
    statements: int
    no_transaction: tuple[tuple[int, str], ...]  # (line, what) for MIG006
    lint: FileLint
    down_lint: FileLint
    # (line, word) of each transaction-control statement, which the runner refuses
    control: tuple[tuple[int, str], ...] = ()
    down_control: tuple[tuple[int, str], ...] = ()
    client_copy: tuple[tuple[str, int, str], ...] = ()  # (section, line, what) for MIG013

    def control_of(self, section: str) -> list[tuple[int, str]]:
        """The transaction control of ``section`` (``up`` or ``down``)."""
        return list(self.control if section == "up" else self.down_control)

    def to_json(self) -> dict[str, Any]:
        """JSON for the parse cache."""
        return {
            "up_error": _error_json(self.up_error),
            "down_error": _error_json(self.down_error),
            "statements": self.statements,
            "no_transaction": [list(item) for item in self.no_transaction],
            "lint": self.lint.to_json(),
            "down_lint": self.down_lint.to_json(),
            "control": [list(item) for item in self.control],
            "down_control": [list(item) for item in self.down_control],
            "client_copy": [list(item) for item in self.client_copy],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileFacts:
        """Rebuild from ``to_json``."""
        return cls(
            _error_from(data["up_error"]),
            _error_from(data["down_error"]),
            data["statements"],
            tuple((line, what) for line, what in data["no_transaction"]),
            FileLint.from_json(data["lint"]),
            FileLint.from_json(data["down_lint"]),
            tuple((line, word) for line, word in data["control"]),
            tuple((line, word) for line, word in data["down_control"]),
            tuple((section, line, what) for section, line, what in data["client_copy"]),
        )


def _error_json(err: SqlSyntaxError | None) -> list[Any] | None:
    return None if err is None else [err.message, err.line, err.column, err.source_line]


def _error_from(data: list[Any] | None) -> SqlSyntaxError | None:
    return None if data is None else SqlSyntaxError(*data)


def cache_key(migration: Migration) -> str:
    """What the facts of a file depend on: its sections, their first lines, its mode."""
    return ":".join(
        str(part)
        for part in (
            migration.checksum,
            migration.down_checksum,
            migration.transactional,
            migration.up_line,
            migration.down_line,
        )
    )


def file_facts(migration: Migration, cache: ParseCache) -> FileFacts:
    """The parse facts of ``migration``, from the cache when its content is unchanged."""
    key = cache_key(migration)
    built = cache.built.get(key)
    if built is not None:
        return built
    stored = cache.facts(key)
    if stored is not None:
        try:
            facts = cache.built[key] = FileFacts.from_json(stored)
            return facts
        except (KeyError, TypeError, ValueError):
            pass  # a damaged entry: parse again and overwrite it
    facts = cache.built[key] = parse_file(migration)
    cache.put_facts(key, facts.to_json())
    return facts


def parse_file(migration: Migration) -> FileFacts:
    """Parse both sections of ``migration`` and lint them."""
    up_error = down_error = None
    lint, down_lint, no_transaction, count = FileLint(), FileLint(), (), 0
    control: tuple[tuple[int, str], ...] = ()
    down_control: tuple[tuple[int, str], ...] = ()
    client_copy: list[tuple[str, int, str]] = []
    try:
        statements = split(migration.up_sql, migration.up_line)
    except SqlSyntaxError as err:
        up_error = err
    else:
        count = len(statements)
        up_trees = trees(statements)
        if migration.transactional:
            no_transaction = tuple(_no_transaction(statements, up_trees))
        control = _control(statements, up_trees)
        client_copy += _client_copy("up", statements, up_trees)
        lint = lint_file(
            migration.up_sql, statements, up_trees, transactional=migration.transactional
        )
    if migration.down_sql is not None:
        try:
            down = split(migration.down_sql, migration.down_line)
        except SqlSyntaxError as err:
            down_error = err
        else:
            down_trees = trees(down, only=DOWN_PARSED)
            down_control = _control(down, down_trees)
            client_copy += _client_copy("down", down, down_trees)
            down_lint = lint_file(
                migration.down_sql,
                down,
                down_trees,
                transactional=migration.transactional,
                section="down",
            )
    return FileFacts(
        up_error,
        down_error,
        count,
        no_transaction,
        lint,
        down_lint,
        control,
        down_control,
        tuple(client_copy),
    )


def _client_copy(
    section: str, statements: list[Statement], parsed: list[Tree]
) -> list[tuple[str, int, str]]:
    """``COPY`` from or to the client: pggate sends SQL only, it has no data to stream."""
    found = []
    for statement, tree in zip(statements, parsed, strict=True):
        for kind, node in tree:
            if kind == "CopyStmt" and not node.get("filename"):
                what = "COPY ... FROM STDIN" if node.get("is_from") else "COPY ... TO STDOUT"
                found.append((section, statement.line, what))
    return found


def _control(statements: list[Statement], parsed: list[Tree]) -> tuple[tuple[int, str], ...]:
    return tuple(
        (statement.line, word)
        for statement, tree in zip(statements, parsed, strict=True)
        for word in control_words(tree)
    )


def _findings_of(migration: Migration, facts: FileFacts, require_down: bool) -> list[Finding]:
    if facts.up_error is not None:
        return [_syntax(migration, "up", facts.up_error)]
    out: list[Finding] = []
    if not facts.statements:
        out.append(
            finding(
                "MIG004",
                migration.shown,
                f"{migration.label} has no up SQL",
                "write the migration, or delete the file",
                file=migration.shown,
            )
        )
    out.extend(_mig006(migration, line, what) for line, what in facts.no_transaction)
    out.extend(_mig013(migration, *found) for found in facts.client_copy)
    if not migration.has_down:
        severity = Severity.ERROR if require_down else Severity.WARNING
        out.append(
            finding(
                "MIG005",
                migration.shown,
                f"{migration.label} has no down section",
                "add a `-- migrate:down` section (or a .down.sql file) so it can be rolled back",
                severity=severity,
                file=migration.shown,
            )
        )
    elif facts.down_error is not None:
        out.append(_syntax(migration, "down", facts.down_error))
    return out


def _syntax(migration: Migration, section: str, err: SqlSyntaxError) -> Finding:
    path = migration.shown_file(section)
    return finding(
        "MIG001",
        str(path),
        f"{path}:{err.line}:{err.column}: {err.message} ({section} section)\n    {err.source_line}",
        _syntax_hint(err),
        file=str(path),
        line=err.line,
    )


# What to do instead of the psql meta-commands scripts ported from psql carry most.
_META_FIX = {
    "copy": "load the data with INSERT, or COPY from a file the server can read",
    "i": "make the included file a migration of its own",
    "ir": "make the included file a migration of its own",
    "set": "remove it (pggate stops at the first error anyway)",
    "c": "remove it: pggate connects to the environment's database",
    "connect": "remove it: pggate connects to the environment's database",
}


def _syntax_hint(err: SqlSyntaxError) -> str:
    """What to do: for a psql meta-command (``\\copy``, ``\\i``...), that it is not SQL."""
    at = err.source_line[err.column - 1 :] if err.column else ""
    meta = re.match(r"\\([A-Za-z]+)", at)
    if meta is None:
        return "fix the SQL at that position"
    word = meta.group(1)
    fix = _META_FIX.get(word.lower(), "remove it, or run it with psql outside the migration")
    return (
        f"\\{word} is a psql meta-command, not SQL: pggate sends the statements to the "
        f"server as they are; {fix}"
    )


def _no_transaction(statements: list[Statement], trees: list[Tree]) -> list[tuple[int, str]]:
    """``(line, what)`` of each statement that cannot run inside a transaction block."""
    found = []
    for statement, nodes in zip(statements, trees, strict=True):
        for kind, node in nodes:
            what = NO_TRANSACTION_NODES.get(kind)
            if kind in ("IndexStmt", "DropStmt") and node.get("concurrent"):
                what = f"{'CREATE' if kind == 'IndexStmt' else 'DROP'} INDEX CONCURRENTLY"
            if kind == "ClusterStmt" and not node.get("relation"):
                what = "CLUSTER of every table"
            if kind == "AlterTableStmt" and _detaches_concurrently(node):
                what = "DETACH PARTITION ... CONCURRENTLY"
            if kind == "ReindexStmt":
                what = NO_TRANSACTION_REINDEX.get(node.get("kind", ""))
                if reindex_concurrently(node):
                    what = "REINDEX CONCURRENTLY"
            if what:
                found.append((statement.line, what))
    return found


def _detaches_concurrently(node: dict[str, Any]) -> bool:
    commands = (c.get("AlterTableCmd", {}) for c in node.get("cmds", []))
    return any(
        c.get("subtype") == "AT_DetachPartition"
        and c.get("def", {}).get("PartitionCmd", {}).get("concurrent")
        for c in commands
    )


def _mig013(migration: Migration, section: str, line: int, what: str) -> Finding:
    shown = migration.shown_file(section)
    return finding(
        "MIG013",
        migration.shown,
        f"{shown}:{line}: {what} streams data between the server and a client, and pggate "
        "sends SQL only: the statement would wait for data no one sends",
        "load the data with INSERT ... VALUES (or INSERT ... SELECT), or COPY from a file "
        "the server can read; to stream a local file, run psql's \\copy outside the migration",
        file=shown,
        line=line,
    )


def _mig006(migration: Migration, line: int, what: str) -> Finding:
    return finding(
        "MIG006",
        migration.shown,
        f"{migration.shown}:{line}: {what} cannot run inside a transaction",
        "move it to its own migration file with `-- pggate:no-transaction` at the top",
        file=migration.shown,
        line=line,
    )
