"""Lock-hazard lints (LNT): statements that lock, rewrite or break a busy production table.

Linting a file happens in two passes, so the expensive one can be cached:

1. ``lint_file`` walks the parse trees of one file and returns a ``FileLint``:
   every hazard it found (a ``Hit``), the tables and indexes the file creates
   and the facts it establishes (a validated ``CHECK (c IS NOT NULL)``). It
   depends on the file's text alone.
2. ``findings`` turns the hits into findings in the context of the migrations
   before the file: a hit on a table created by an earlier *pending* file (or
   earlier in the same file) is dropped, because that table is new and empty;
   disabled lints are dropped; suppressed ones become info findings that keep
   their reason in ``details``.

The catalogue of lints is ``lint_catalogue.py``; the rules, one function per
hazard, are ``lint_rules.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..catalogue import finding
from ..results import Finding, Severity
from .files import Migration
from .lint_catalogue import CATALOGUE, LINTS, Lint, markdown
from .lint_rules import (
    RULES,
    Found,
    Site,
    State,
    breaking_change,
    drops_data,
    enum_values_used,
    lnt007_transaction_control,
    record,
    reindex_concurrently,
)
from .parse import Statement, Tree, ascii_twin

__all__ = [
    "CATALOGUE",
    "LINTS",
    "Context",
    "FileLint",
    "Hit",
    "Lint",
    "LintSettings",
    "breaking_change",
    "drops_data",
    "findings",
    "lint_file",
    "markdown",
    "reindex_concurrently",
]

# A down section is checked for transaction control only.
_DOWN_RULES = {
    kind: [lnt007_transaction_control] for kind in ("TransactionStmt", "VariableSetStmt")
}
# Lints whose statement takes a strong lock: LNT006 asks for a lock_timeout before them.
_STRONG_LOCK = frozenset(
    {
        "LNT001",
        "LNT002",
        "LNT003",
        "LNT004",
        "LNT009",
        "LNT010",
        "LNT011",
        "LNT012",
        "LNT013",
        "LNT020",
        "LNT021",
    }
)
_IGNORE = re.compile(
    r"(?:--|/\*)\s*pggate:ignore(?P<file>-file)?\s+"
    r"(?P<ids>[A-Za-z]+\d+(?:\s*,\s*[A-Za-z]+\d+)*)(?P<reason>[^\n]*?)\s*(?:\*/|$)",
    re.MULTILINE,
)

# ---------------------------------------------------------------- the file pass


class Hit(NamedTuple):
    """A hazard found in one file, before the context of the earlier files is applied.

    ``tables``: the hit stands only if one of these existed before the file (a
    hit with none always stands). ``unless``: a fact from an earlier file that
    makes the statement safe. ``suppressed``: the reason of a
    ``-- pggate:ignore`` comment.
    """

    id: str
    line: int
    message: str
    hint: str
    tables: tuple[str, ...] = ()
    unless: str | None = None
    suppressed: str | None = None


@dataclass(frozen=True)
class FileLint:
    """What one file's text yields for the lints: cacheable, no context needed."""

    hits: tuple[Hit, ...] = ()
    creates: tuple[str, ...] = ()  # "public.t" and "index:public.t_c_idx"
    facts: tuple[str, ...] = ()  # "notnull:public.t.c": a validated CHECK (c IS NOT NULL)
    lock_timeout_line: int | None = None  # first SET lock_timeout
    # CHECK (c IS NOT NULL) NOT VALID left for a later file to validate: "public.t.name=fact"
    not_valid_checks: tuple[str, ...] = ()
    validated: tuple[tuple[str, int], ...] = ()  # VALIDATE of a constraint from an earlier file

    def to_json(self) -> dict[str, Any]:
        """JSON for the parse cache."""
        return {
            "hits": [hit._asdict() for hit in self.hits],
            "creates": list(self.creates),
            "facts": list(self.facts),
            "lock_timeout_line": self.lock_timeout_line,
            "not_valid_checks": list(self.not_valid_checks),
            "validated": [list(item) for item in self.validated],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FileLint:
        """Rebuild from ``to_json``."""
        hits = tuple(Hit(**{**hit, "tables": tuple(hit.get("tables", ()))}) for hit in data["hits"])
        return cls(
            hits,
            tuple(data["creates"]),
            tuple(data["facts"]),
            data.get("lock_timeout_line"),
            tuple(data.get("not_valid_checks", ())),
            tuple((name, line) for name, line in data.get("validated", ())),
        )


def lint_file(
    text: str,
    statements: list[Statement],
    trees: list[Tree],
    *,
    transactional: bool,
    section: str = "up",
) -> FileLint:
    """Every hazard of one section (``trees``: one per statement), with its suppressions.

    A down section is only checked for transaction control (it runs in a
    transaction too); its locks are the price of undoing.
    """
    state = State(transactional)
    hits: list[Hit] = []
    for statement, nodes in zip(statements, trees, strict=True):
        for kind, node in nodes:
            site = Site(kind, node, statement, state)
            rules = RULES.get(kind, ()) if section == "up" else _DOWN_RULES.get(kind, ())
            for function in rules:
                for raw in function(site):
                    found = Found(*raw)
                    hits.append(
                        Hit(
                            found.id,
                            statement.line,
                            found.message,
                            found.hint,
                            found.tables,
                            found.unless,
                        )
                    )
            record(site)
        if state.enum_values and section == "up":
            for found in enum_values_used(state, statement):
                hits.append(Hit(found.id, statement.line, found.message, found.hint))
    hits = _apply_ignore_comments(hits, text, statements)
    return FileLint(
        tuple(hits),
        tuple(sorted(state.created)),
        tuple(sorted(state.facts)),
        state.lock_timeout_line,
        tuple(sorted(f"{t}.{name}={fact}" for (t, name), fact in state.not_valid.items() if fact)),
        tuple(state.validated),
    )


def _apply_ignore_comments(hits: list[Hit], text: str, statements: list[Statement]) -> list[Hit]:
    """Mark hits named by a ``-- pggate:ignore ID reason`` comment.

    The comment sits on its own line(s) before the statement, or after the
    statement's ``;`` on its last line. ``-- pggate:ignore-file ID reason``
    anywhere in the file covers every statement. Comments are looked for only
    between statements (the parser's slices), so a string holding the text is
    never taken for one.
    """
    if not hits:
        return hits
    per_line, whole_file = _ignore_comments(text, statements)
    out = []
    for hit in hits:
        reason = per_line.get((hit.line, hit.id)) or whole_file.get(hit.id)
        if reason is not None and LINTS[hit.id].suppressible:
            hit = hit._replace(suppressed=reason)
        out.append(hit)
    return out


def _ignore_comments(
    text: str, statements: list[Statement]
) -> tuple[dict[tuple[int, str], str], dict[str, str]]:
    per_line: dict[tuple[int, str], str] = {}
    whole_file: dict[str, str] = {}
    for gap, before, after in _gaps(text, statements):
        for match in _IGNORE.finditer(gap):
            reason = match.group("reason").strip() or "no reason given"
            ids = re.findall(r"[A-Za-z]+\d+", match.group("ids"))
            if match.group("file"):
                whole_file.update({i.upper(): reason for i in ids})
                continue
            same_line = before is not None and "\n" not in gap[: match.start()]
            target = before if same_line else after
            if target is not None:
                per_line.update({(target.line, i.upper()): reason for i in ids})
    for statement in statements:  # a comment inside the statement's own text (before its ;)
        if "pggate:ignore" in statement.sql:
            for match in _comments_in(statement.sql):
                reason = match.group("reason").strip() or "no reason given"
                ids = [i.upper() for i in re.findall(r"[A-Za-z]+\d+", match.group("ids"))]
                if match.group("file"):
                    whole_file.update(dict.fromkeys(ids, reason))
                else:
                    per_line.update({(statement.line, i): reason for i in ids})
    return per_line, whole_file


def _comments_in(sql: str) -> list[re.Match[str]]:
    """Ignore comments inside a statement that the scanner confirms are comments."""
    from pglast import parser

    try:
        tokens = parser.scan(ascii_twin(sql))  # byte offsets equal character offsets
        starts = {t.start for t in tokens if t.name in ("SQL_COMMENT", "C_COMMENT")}
    except Exception:  # noqa: BLE001 - it parsed before; a scanner failure means no comment
        return []
    return [m for m in _IGNORE.finditer(sql) if m.start() in starts]


def _gaps(
    text: str, statements: list[Statement]
) -> Iterator[tuple[str, Statement | None, Statement | None]]:
    """The text between consecutive statements, with the statements on either side."""
    previous: Statement | None = None
    position = 0
    for statement in statements:
        yield text[position : statement.offset], previous, statement
        previous, position = statement, statement.end
    yield text[position:], previous, None


# ---------------------------------------------------------------- the context pass


@dataclass(frozen=True)
class LintSettings:
    """``[lint]`` of pggate.toml: ids to ignore, and off-by-default ids to enable."""

    ignore: frozenset[str] = frozenset()
    enable: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, ignore: Iterable[str], enable: Iterable[str]) -> LintSettings:
        """Settings from ``[lint]``; raises ``ValueError`` naming ids no lint has."""
        ignore, enable = frozenset(ignore), frozenset(enable)
        unknown = sorted((ignore | enable) - LINTS.keys())
        if unknown:
            raise ValueError(f"unknown lint id(s) {', '.join(unknown)}")
        return cls(ignore, enable)

    def enabled(self, lint_id: str) -> bool:
        """Whether ``lint_id`` runs."""
        return LINTS[lint_id].default or lint_id in self.enable


@dataclass
class Context:
    """What the files before the current one established, for ``findings``.

    ``new_tables``: tables and indexes created by earlier files that are not
    applied yet (so they are new and empty when this file runs); ``facts``:
    what earlier files proved, applied or not.
    """

    new_tables: set[str] = field(default_factory=set)
    facts: set[str] = field(default_factory=set)
    not_valid_checks: dict[str, str] = field(default_factory=dict)  # "public.t.name" -> fact

    def advance(self, file_lint: FileLint, pending: bool) -> None:
        """Take in a file once its own findings are made."""
        if pending:
            self.new_tables.update(file_lint.creates)
        self.facts.update(file_lint.facts)
        for name, _line in file_lint.validated:
            fact = self.not_valid_checks.pop(name, None)
            if fact:
                self.facts.add(fact)
        for entry in file_lint.not_valid_checks:
            name, fact = entry.split("=", 1)
            self.not_valid_checks[name] = fact

    def proves(self, fact: str, file_lint: FileLint, line: int) -> bool:
        """Whether ``fact`` holds at ``line`` of the file.

        It holds when an earlier file proved it, or when the file validated,
        before ``line``, a check an earlier file added NOT VALID.
        """
        if fact in self.facts:
            return True
        return any(
            self.not_valid_checks.get(name) == fact and at < line
            for name, at in file_lint.validated
        )


def findings(
    migration: Migration, file_lint: FileLint, context: Context, settings: LintSettings
) -> list[Finding]:
    """The findings of one file's hits, given the files before it."""
    standing = [
        h for h in file_lint.hits if _stands(h, file_lint, context) and settings.enabled(h.id)
    ]
    out = [_finding(migration, hit, settings) for hit in standing]
    risky = [
        h
        for h in standing
        if h.id in _STRONG_LOCK and not h.suppressed and h.id not in settings.ignore
    ]
    timeout = file_lint.lock_timeout_line
    unguarded = [h for h in risky if timeout is None or h.line < timeout]
    if unguarded and migration.transactional:
        first = unguarded[0]
        hit = Hit(
            "LNT006",
            first.line,
            f"{first.id}'s statement takes a strong lock with no SET lock_timeout before it in "
            "this file: behind a long transaction it would queue every query on the table",
            "pggate sets the environment's lock_timeout itself; add `set lock_timeout = '5s';` at "
            "the top of the file for runs by other tools",
        )
        out.append(_finding(migration, hit, settings))
    return out


def _stands(hit: Hit, file_lint: FileLint, context: Context) -> bool:
    if hit.tables and all(t in context.new_tables for t in hit.tables):
        return False
    return not (hit.unless and context.proves(hit.unless, file_lint, hit.line))


def _finding(migration: Migration, hit: Hit, settings: LintSettings) -> Finding:
    lint = LINTS[hit.id]
    reason = hit.suppressed
    if reason is None and hit.id in settings.ignore and lint.suppressible:
        reason = "[lint] ignore in pggate.toml"
    details: dict[str, Any] = {"lint": lint.name, "lock": lint.lock}
    severity, message = lint.severity, hit.message
    if reason is not None:
        details.update(suppressed=reason, severity=str(lint.severity))
        severity, message = Severity.INFO, f"suppressed ({reason}): {hit.message}"
    return finding(
        hit.id,
        migration.shown,
        f"{migration.shown}:{hit.line}: {message}",
        hit.hint,
        severity=severity,
        file=migration.shown,
        line=hit.line,
        details=details,
    )
