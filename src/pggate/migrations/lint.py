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

The catalogue (``CATALOGUE``) holds each lint's id, name, severity, the lock
it takes and the safe SQL; ``docs/migrations.md`` renders it
(``python -m pggate.migrations.lint``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..results import Finding, Severity
from .files import Migration
from .parse import Statement, Tree, ascii_twin

GATE = "validate"


@dataclass(frozen=True)
class Lint:
    """One lint of the catalogue: what it catches, the lock it takes, the safe SQL."""

    id: str
    name: str
    severity: Severity
    catches: str
    lock: str
    fix: str
    default: bool = True  # the info-level type preferences are off unless [lint] enable lists them
    suppressible: bool = True


_EXISTING = "on a table that existed before the migration"

CATALOGUE: tuple[Lint, ...] = (
    Lint(
        "LNT001",
        "create-index-blocks-writes",
        Severity.WARNING,
        f"`CREATE INDEX` without `CONCURRENTLY` {_EXISTING}",
        "SHARE on the table for the whole build: inserts, updates and deletes wait",
        "`create index concurrently t_c_idx on t (c);` in its own file marked "
        "`-- pggate:no-transaction`",
    ),
    Lint(
        "LNT002",
        "add-required-column",
        Severity.WARNING,
        f"`ADD COLUMN ... NOT NULL` without a `DEFAULT` {_EXISTING} (identity, serial and "
        "generated columns fill themselves and are LNT011's)",
        "ACCESS EXCLUSIVE; the statement fails as soon as the table has a row",
        "`add column c text not null default '';` (a constant default is instant since "
        "PostgreSQL 11), or add it nullable, backfill, then follow LNT010's route to NOT NULL",
    ),
    Lint(
        "LNT003",
        "change-column-type",
        Severity.WARNING,
        f"`ALTER COLUMN ... TYPE` {_EXISTING}",
        "ACCESS EXCLUSIVE while every row is rewritten and every index on the table rebuilt",
        "add a new column, backfill it in batches, switch the code to it, drop the old one",
    ),
    Lint(
        "LNT004",
        "constraint-validates-under-lock",
        Severity.WARNING,
        f"a foreign key or check added without `NOT VALID` {_EXISTING}: `ADD CONSTRAINT`, "
        "`ADD COLUMN ... REFERENCES`, `ALTER DOMAIN ... ADD CONSTRAINT`",
        "a check: ACCESS EXCLUSIVE; a foreign key: SHARE ROW EXCLUSIVE on both tables; held "
        "through a scan of every row",
        "`alter table t add constraint t_c_fkey foreign key (c) references p not valid;` then, in "
        "the next migration, `alter table t validate constraint t_c_fkey;` (SHARE UPDATE "
        "EXCLUSIVE: reads and writes go on)",
    ),
    Lint(
        "LNT005",
        "breaking-change",
        Severity.WARNING,
        f"`DROP TABLE`, `DROP COLUMN`, `RENAME` of a table or column {_EXISTING}",
        "ACCESS EXCLUSIVE (brief); the damage is to code still using the old name",
        "expand/contract: deploy code that no longer uses it first, and make the down section "
        "restore it",
    ),
    Lint(
        "LNT006",
        "lock-timeout-missing",
        Severity.INFO,
        "a statement taking a strong lock with no `SET lock_timeout` before it in a "
        "transactional file",
        "a statement queued behind a long transaction makes every later query on the table "
        "queue behind it",
        "`set lock_timeout = '5s';` at the top of the file (pggate sets the environment's own; "
        "other tools do not)",
    ),
    Lint(
        "LNT007",
        "transaction-control",
        Severity.ERROR,
        "`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`, "
        "`RELEASE`, `PREPARE TRANSACTION`, `SET TRANSACTION` in a transactional file (up or "
        "down section); the runner refuses them too",
        "none taken: it ends or splits the transaction pggate runs the file in, so what "
        "follows commits on its own and a failure no longer rolls the migration back",
        "delete the statement: pggate already runs the file in one transaction; a file that "
        "must manage its own transactions goes outside one with `-- pggate:no-transaction`",
        suppressible=False,
    ),
    Lint(
        "LNT008",
        "validate-in-same-transaction",
        Severity.WARNING,
        "`VALIDATE CONSTRAINT` of a constraint added `NOT VALID` earlier in the same "
        "transactional file",
        "the ADD's lock (ACCESS EXCLUSIVE, or SHARE ROW EXCLUSIVE for a foreign key) is held "
        "until commit, so through the validating scan: NOT VALID bought nothing",
        "move `alter table t validate constraint c;` to the next migration file",
    ),
    Lint(
        "LNT009",
        "unique-constraint-builds-index",
        Severity.WARNING,
        f"`ADD CONSTRAINT ... UNIQUE` / `PRIMARY KEY` (without `USING INDEX`) or "
        f"`ADD COLUMN ... UNIQUE` / `PRIMARY KEY` {_EXISTING}",
        "ACCESS EXCLUSIVE while the unique index builds: reads and writes wait",
        "`create unique index concurrently t_c_key on t (c);` in a `-- pggate:no-transaction` "
        "file, then `alter table t add constraint t_c_key unique using index t_c_key;`",
    ),
    Lint(
        "LNT010",
        "set-not-null-scans",
        Severity.WARNING,
        f"`ALTER COLUMN ... SET NOT NULL` {_EXISTING}, unless a validated "
        "`CHECK (c IS NOT NULL)` already proves it",
        "ACCESS EXCLUSIVE through a scan of every row",
        "`alter table t add constraint t_c_not_null check (c is not null) not valid;` then, in "
        "the next migration, `alter table t validate constraint t_c_not_null;` `alter table t "
        "alter column c set not null;` (no scan: the check proves it) `alter table t drop "
        "constraint t_c_not_null;`",
    ),
    Lint(
        "LNT011",
        "add-column-rewrites",
        Severity.WARNING,
        f"`ADD COLUMN` that rewrites the table {_EXISTING}: a volatile default "
        "(`gen_random_uuid()`, `clock_timestamp()`, `random()`...; `now()` and constants are "
        "instant since PostgreSQL 11), a serial or identity column, a stored generated column",
        "ACCESS EXCLUSIVE while every row is rewritten and every index rebuilt",
        "add the column nullable with no default, `alter column c set default "
        "gen_random_uuid();` for new rows, backfill the old ones in batches, then LNT010's route "
        "to NOT NULL (a generated column: `virtual` on PostgreSQL 18, or a trigger)",
    ),
    Lint(
        "LNT012",
        "drop-index-blocks",
        Severity.WARNING,
        "`DROP INDEX` without `CONCURRENTLY` of an index that existed before the migration",
        "ACCESS EXCLUSIVE on the index's table: reads and writes wait",
        "`drop index concurrently t_c_idx;` in its own file marked `-- pggate:no-transaction`",
    ),
    Lint(
        "LNT013",
        "reindex-blocks",
        Severity.WARNING,
        "`REINDEX` without `CONCURRENTLY` of a table or index that existed before the "
        "migration, or of a whole schema or database",
        "SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index (queries using it "
        "wait)",
        "`reindex index concurrently t_c_idx;` in its own file marked `-- pggate:no-transaction`",
    ),
    Lint(
        "LNT014",
        "enum-value-used-in-same-transaction",
        Severity.WARNING,
        "a value added by `ALTER TYPE ... ADD VALUE` appearing in a later statement of the "
        "same transactional file",
        "none: PostgreSQL refuses the use (`unsafe use of new value`) until the ADD VALUE "
        "commits, and the migration fails",
        "add the value in one migration file and use it in the next one",
    ),
    Lint(
        "LNT015",
        "truncate-cascade",
        Severity.WARNING,
        f"`TRUNCATE ... CASCADE` {_EXISTING}",
        "ACCESS EXCLUSIVE on the table and on every table that references it, all of which "
        "are emptied",
        "`truncate t1, t2;` naming every table you mean to empty (without CASCADE it fails "
        "rather than empty a table you did not name)",
    ),
    Lint(
        "LNT016",
        "prefer-bigint-keys",
        Severity.INFO,
        "(off unless enabled) an `int`/`smallint`/`serial` primary key or identity column",
        "none now; widening it later is a rewrite under ACCESS EXCLUSIVE (LNT003)",
        "`id bigint generated by default as identity primary key`",
        default=False,
    ),
    Lint(
        "LNT017",
        "prefer-text",
        Severity.INFO,
        "(off unless enabled) a `varchar(n)` or `char(n)` column",
        "none now; changing n later takes ACCESS EXCLUSIVE (a rewrite when it shrinks)",
        "`c text check (char_length(c) <= 100)`: the check can be replaced NOT VALID",
        default=False,
    ),
    Lint(
        "LNT018",
        "prefer-timestamptz",
        Severity.INFO,
        "(off unless enabled) a `timestamp` (without time zone) column",
        "none now; converting it later is a rewrite under ACCESS EXCLUSIVE (LNT003)",
        "`c timestamptz`: stores an instant, shown in the session's time zone",
        default=False,
    ),
    Lint(
        "LNT019",
        "prefer-identity",
        Severity.INFO,
        "(off unless enabled) a `serial`, `bigserial` or `smallserial` column",
        "none; a serial's sequence has its own owner and grants to keep in step",
        "`id bigint generated by default as identity`",
        default=False,
    ),
)
LINTS: dict[str, Lint] = {lint.id: lint for lint in CATALOGUE}
# Lints whose statement takes a strong lock: LNT006 asks for a lock_timeout before them.
_STRONG_LOCK = frozenset(
    {"LNT001", "LNT002", "LNT003", "LNT004", "LNT009", "LNT010", "LNT011", "LNT012", "LNT013"}
)
_IGNORE = re.compile(
    r"(?:--|/\*)\s*pggate:ignore(?P<file>-file)?\s+(?P<ids>[A-Za-z0-9_,\s]*?[A-Za-z]+\d+)"
    r"(?P<reason>[^\n]*?)\s*(?:\*/|$)",
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


@dataclass
class _State:
    """What the statements before the current one did, within the file."""

    transactional: bool
    created: set[str] = field(default_factory=set)
    facts: set[str] = field(default_factory=set)
    not_valid: dict[tuple[str, str], str] = field(default_factory=dict)  # (table, name) -> fact
    # value added by ALTER TYPE ... ADD VALUE -> (type, its line, its statement index)
    enum_values: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    validated: list[tuple[str, int]] = field(default_factory=list)
    lock_timeout_line: int | None = None


@dataclass(frozen=True)
class Site:
    """A statement to lint: its parse-tree node and what the file did before it."""

    kind: str
    node: dict[str, Any]
    statement: Statement
    state: _State

    def existing(self, name: str) -> bool:
        """Whether ``name`` (``schema.table``) was not created earlier in this file."""
        return name not in self.state.created


class Found(NamedTuple):
    """What a rule found in one statement (see ``Hit``)."""

    id: str
    message: str
    hint: str
    tables: tuple[str, ...] = ()
    unless: str | None = None


Rule = Callable[[Site], Iterable[tuple[Any, ...]]]
RULES: dict[str, list[Rule]] = {}  # parse-tree node kind -> the rules that read it


def rule(*kinds: str) -> Callable[[Rule], Rule]:
    """Register a rule (a function from a ``Site`` to what it found) for node ``kinds``."""

    def register(function: Rule) -> Rule:
        for kind in kinds:
            RULES.setdefault(kind, []).append(function)
        return function

    return register


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
    state = _State(transactional)
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
            _record(site)
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


def _record(site: Site) -> None:
    """Remember what the statement creates or establishes, for the statements after it."""
    kind, node, state = site.kind, site.node, site.state
    if kind in ("CreateStmt", "CreateTableAsStmt"):
        state.created.add(_name(node["relation"] if kind == "CreateStmt" else node["into"]["rel"]))
    elif kind == "IndexStmt" and node.get("idxname"):
        schema = node["relation"].get("schemaname", "public")
        state.created.add(f"index:{schema}.{node['idxname']}")
    elif kind == "VariableSetStmt" and node.get("name") == "lock_timeout":
        if state.lock_timeout_line is None:
            state.lock_timeout_line = site.statement.line
    elif kind == "AlterEnumStmt" and node.get("newVal") is not None and state.transactional:
        type_name = _dotted(node["typeName"])
        state.enum_values[node["newVal"]] = (type_name, site.statement.line, site.statement.index)
    elif kind == "AlterTableStmt":
        table = _name(node["relation"])
        for cmd in _alter_cmds(node):
            _record_constraint(state, table, cmd, site.statement.line)


def _record_constraint(state: _State, table: str, cmd: dict[str, Any], line: int) -> None:
    if cmd.get("subtype") == "AT_AddConstraint":
        constraint = cmd["def"]["Constraint"]
        fact = _not_null_fact(table, constraint)
        if constraint.get("skip_validation"):
            state.not_valid[(table, constraint.get("conname", ""))] = fact or ""
        elif fact:
            state.facts.add(fact)
    elif cmd.get("subtype") == "AT_ValidateConstraint":
        key = (table, cmd.get("name", ""))
        if key not in state.not_valid:
            state.validated.append((f"{table}.{key[1]}", line))
        fact = state.not_valid.pop(key, None)
        if fact:
            state.facts.add(fact)


def _not_null_fact(table: str, constraint: dict[str, Any]) -> str | None:
    """``notnull:<table>.<column>`` for ``CHECK (column IS NOT NULL)``."""
    test = (
        constraint.get("raw_expr", {}).get("NullTest")
        if constraint["contype"] == "CONSTR_CHECK"
        else None
    )
    if not test or test.get("nulltesttype") != "IS_NOT_NULL":
        return None
    fields = test.get("arg", {}).get("ColumnRef", {}).get("fields", [])
    if len(fields) != 1 or "String" not in fields[0]:
        return None
    return f"notnull:{table}.{fields[0]['String']['sval']}"


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


# ---------------------------------------------------------------- helpers for the rules


def _name(relation: dict[str, Any]) -> str:
    return f"{relation.get('schemaname', 'public')}.{relation['relname']}"


def _strings(items: list[dict[str, Any]]) -> list[str]:
    return [item["String"]["sval"] for item in items if "String" in item]


def _dotted(names: list[dict[str, Any]]) -> str:
    parts = _strings(names)
    return ".".join(parts if len(parts) > 1 else ["public", *parts])


def _alter_cmds(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["AlterTableCmd"] for c in node.get("cmds", []) if "AlterTableCmd" in c]


def _cmds(site: Site, *subtypes: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(table, cmd)`` of the ALTER TABLE's subcommands of ``subtypes`` on an existing table."""
    if site.kind != "AlterTableStmt" or site.node.get("objtype") not in ("OBJECT_TABLE", None):
        return
    table = _name(site.node["relation"])
    if site.existing(table):
        for cmd in _alter_cmds(site.node):
            if cmd.get("subtype") in subtypes:
                yield table, cmd


def _added_columns(site: Site) -> Iterator[tuple[str, dict[str, Any], set[str]]]:
    """``(table, ColumnDef, constraint kinds)`` of each ADD COLUMN on an existing table."""
    for table, cmd in _cmds(site, "AT_AddColumn"):
        column = cmd["def"]["ColumnDef"]
        kinds = {c["Constraint"]["contype"] for c in column.get("constraints", [])}
        yield table, column, kinds


def _constraints(column: dict[str, Any], contype: str) -> list[dict[str, Any]]:
    found = (c["Constraint"] for c in column.get("constraints", []))
    return [c for c in found if c["contype"] == contype]


def _type_name(column: dict[str, Any]) -> tuple[str, bool]:
    """The column's type name (``int4``, ``serial``) and whether it has a length (``(n)``)."""
    type_name = column.get("typeName", {})
    names = _strings(type_name.get("names", []))
    return (names[-1].lower() if names else ""), bool(type_name.get("typmods"))


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a parse-tree node."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _fix(lint_id: str) -> str:
    return LINTS[lint_id].fix.replace("`", "")


_SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}
VOLATILE_DEFAULTS = frozenset(
    {
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "uuidv4",
        "uuidv7",
        "random",
        "random_normal",
        "clock_timestamp",
        "timeofday",
        "nextval",
        "gen_random_bytes",
    }
)
_TRANSACTION_WORDS = {
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


# ---------------------------------------------------------------- the rules


@rule("IndexStmt")
def lnt001_index_not_concurrent(site: Site) -> Iterator[Found]:
    """CREATE INDEX without CONCURRENTLY on an existing table."""
    if site.kind == "IndexStmt" and not site.node.get("concurrent"):
        table = _name(site.node["relation"])
        if site.existing(table):
            concurrent = _CREATE_INDEX.sub(r"\1 concurrently ", _statement_sql(site), count=1)
            yield (
                "LNT001",
                f"CREATE INDEX on existing table {table} without CONCURRENTLY takes a SHARE lock: "
                "writes to the table wait for the whole build",
                f"`{concurrent};` in its own file marked `-- pggate:no-transaction`",
                (table,),
            )


_CREATE_INDEX = re.compile(r"^(create\s+(?:unique\s+)?index)\s+", re.IGNORECASE)


def _statement_sql(site: Site) -> str:
    """The statement's text on one line, for a hint."""
    return " ".join(site.statement.sql.split())


@rule("AlterTableStmt")
def lnt002_required_column(site: Site) -> Iterator[Found]:
    """ADD COLUMN NOT NULL without DEFAULT (and not filled by identity, serial or generation)."""
    self_filling = {"CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"}
    for table, column, kinds in _added_columns(site):
        serial = _type_name(column)[0] in _SERIALS
        if "CONSTR_NOTNULL" in kinds and not kinds & self_filling and not serial:
            name = column["colname"]
            yield (
                "LNT002",
                f"ADD COLUMN {name} NOT NULL without a DEFAULT on existing table {table} fails as "
                "soon as the table has a row (ACCESS EXCLUSIVE)",
                f"give it a constant default (`... not null default ...`: instant since PostgreSQL "
                f"11), or add {name} nullable, backfill it, then follow LNT010's route to NOT NULL",
                (table,),
            )


@rule("AlterTableStmt")
def lnt003_type_change(site: Site) -> Iterator[Found]:
    """ALTER COLUMN TYPE on an existing table."""
    for table, cmd in _cmds(site, "AT_AlterColumnType"):
        yield (
            "LNT003",
            f"changing the type of {table}.{cmd['name']} can rewrite the table and rebuild its "
            "indexes under an ACCESS EXCLUSIVE lock (reads and writes wait)",
            f"add a new column beside {cmd['name']}, backfill it in batches, switch the code to "
            "it, then drop the old column in a later migration",
            (table,),
        )


@rule("AlterTableStmt", "AlterDomainStmt")
def lnt004_constraint_validated(site: Site) -> Iterator[Found]:
    """A foreign key or check added without NOT VALID to an existing table (or domain)."""
    for table, cmd in _cmds(site, "AT_AddConstraint"):
        constraint = cmd["def"]["Constraint"]
        kind = constraint["contype"]
        if kind in ("CONSTR_FOREIGN", "CONSTR_CHECK") and not constraint.get("skip_validation"):
            what = "FOREIGN KEY" if kind == "CONSTR_FOREIGN" else "CHECK"
            name = constraint.get("conname") or "<name>"
            yield (
                "LNT004",
                f"ADD CONSTRAINT {name} {what} on existing table {table} scans every row while "
                f"holding {_validation_lock(kind, table, constraint)}",
                f"add it with `not valid` at the end (`alter table {table} add constraint {name} "
                f"{what.lower()} (...) not valid;`), then in the next migration `alter table "
                f"{table} validate constraint {name};` (SHARE UPDATE EXCLUSIVE: reads and writes "
                "go on)",
                (table,),
            )
    for table, column, _kinds in _added_columns(site):
        for constraint in _constraints(column, "CONSTR_FOREIGN"):
            name, parent = column["colname"], _name(constraint["pktable"])
            yield (
                "LNT004",
                f"ADD COLUMN {name} REFERENCES {parent} on existing table {table} validates the "
                "new foreign key by scanning every row while holding "
                f"{_validation_lock('CONSTR_FOREIGN', table, constraint)}",
                f"add {name} without REFERENCES, then `alter table {table} add constraint "
                f"{table.split('.')[-1]}_{name}_fkey foreign key ({name}) references {parent} not "
                f"valid;` and `validate constraint` it in the next migration",
                (table,),
            )
    if site.kind == "AlterDomainStmt" and site.node.get("subtype") == "C":
        constraint = site.node["def"]["Constraint"]
        if not constraint.get("skip_validation"):
            domain = _dotted(site.node["typeName"])
            yield (
                "LNT004",
                f"ALTER DOMAIN {domain} ADD CONSTRAINT checks every column of that domain in "
                "every table, holding a SHARE lock on each (writes wait)",
                f"add it `not valid`, then `alter domain {domain} validate constraint "
                f"{constraint.get('conname') or '<name>'};` in the next migration",
                (),
            )


def _validation_lock(kind: str, table: str, constraint: dict[str, Any]) -> str:
    if kind == "CONSTR_FOREIGN":
        parent = _name(constraint["pktable"])
        tables = table if parent == table else f"{table} and {parent}"
        return f"SHARE ROW EXCLUSIVE on {tables} (writes wait)"
    return "ACCESS EXCLUSIVE (reads and writes wait)"


@rule("DropStmt", "AlterTableStmt", "RenameStmt")
def lnt005_breaking_change(site: Site) -> Iterator[Found]:
    """DROP TABLE, DROP COLUMN or RENAME of a table or column that existed before."""
    message = breaking_change(site.kind, site.node)
    if not message:
        return
    tables = tuple(t for t in _touched_tables(site.kind, site.node) if site.existing(t))
    if tables:
        yield "LNT005", f"{message} ({', '.join(tables)})", _fix("LNT005"), tables


def breaking_change(kind: str, node: dict[str, Any]) -> str | None:
    """What breaks running code in a DROP TABLE, DROP COLUMN or RENAME statement, if it is one."""
    if kind == "DropStmt" and node.get("removeType") == "OBJECT_TABLE":
        return "DROP TABLE breaks code that still uses the table"
    if kind == "AlterTableStmt" and any(
        c.get("subtype") == "AT_DropColumn" for c in _alter_cmds(node)
    ):
        return "DROP COLUMN breaks code that still reads or writes the column"
    if kind == "RenameStmt" and node.get("renameType") in ("OBJECT_TABLE", "OBJECT_COLUMN"):
        return "RENAME breaks code that uses the old name"
    return None


def drops_data(kind: str, node: dict[str, Any]) -> bool:
    """Whether the statement drops a table or a column (rolling it back destroys data)."""
    message = breaking_change(kind, node)
    return message is not None and message.startswith("DROP")


def _touched_tables(kind: str, node: dict[str, Any]) -> list[str]:
    if kind == "DropStmt":
        return [_dotted(obj["List"]["items"]) for obj in node.get("objects", []) if "List" in obj]
    return [_name(node["relation"])] if node.get("relation") else []


@rule("TransactionStmt", "VariableSetStmt")
def lnt007_transaction_control(site: Site) -> Iterator[Found]:
    """Transaction control inside a file pggate runs in one transaction."""
    if not site.state.transactional:
        return
    word = None
    if site.kind == "TransactionStmt":
        word = _TRANSACTION_WORDS.get(site.node.get("kind", ""), "transaction control")
        if word == "COMMIT" and site.statement.sql[:3].lower() == "end":
            word = "END"
        if word == "ROLLBACK" and site.statement.sql[:5].lower() == "abort":
            word = "ABORT"
    elif site.kind == "VariableSetStmt" and site.node.get("name") == "TRANSACTION":
        word = "SET TRANSACTION"
    if word:
        yield (
            "LNT007",
            f"{word} in a transactional migration: pggate runs the whole file in one transaction, "
            f"and {word} would end or split it (what follows would commit on its own, and a "
            "failure could no longer roll the migration back)",
            _fix("LNT007"),
            (),
        )


@rule("AlterTableStmt")
def lnt008_validate_same_transaction(site: Site) -> Iterator[Found]:
    """VALIDATE CONSTRAINT of a constraint added NOT VALID earlier in the same transaction."""
    if not site.state.transactional:
        return
    for table, cmd in _cmds(site, "AT_ValidateConstraint"):
        if (table, cmd.get("name", "")) in site.state.not_valid:
            yield (
                "LNT008",
                f"VALIDATE CONSTRAINT {cmd['name']} runs in the same transaction that added it NOT "
                f"VALID: the lock the ADD took on {table} is held through the validating scan",
                f"move `alter table {table} validate constraint {cmd['name']};` to the next "
                "migration file",
                (table,),
            )


@rule("AlterTableStmt")
def lnt009_unique_builds_index(site: Site) -> Iterator[Found]:
    """UNIQUE / PRIMARY KEY added to an existing table without USING INDEX."""
    for table, cmd in _cmds(site, "AT_AddConstraint"):
        constraint = cmd["def"]["Constraint"]
        if constraint["contype"] in _UNIQUE_WORDS and not constraint.get("indexname"):
            word = _UNIQUE_WORDS[constraint["contype"]]
            columns = _strings(constraint.get("keys", []))
            yield (
                "LNT009",
                f"ADD CONSTRAINT {constraint.get('conname', '')} {word} on existing table {table} "
                "builds its index under ACCESS EXCLUSIVE: reads and writes wait for the whole build",
                _using_index(table, columns, word, constraint.get("conname")),
                (table,),
            )
    for table, column, kinds in _added_columns(site):
        for kind in sorted(kinds & _UNIQUE_WORDS.keys()):
            word = _UNIQUE_WORDS[kind]
            yield (
                "LNT009",
                f"ADD COLUMN {column['colname']} {word} on existing table {table} builds a unique "
                "index under ACCESS EXCLUSIVE: reads and writes wait for the whole build",
                f"add {column['colname']} without {word}, then "
                + _using_index(table, [column["colname"]], word, None),
                (table,),
            )


_UNIQUE_WORDS = {"CONSTR_UNIQUE": "UNIQUE", "CONSTR_PRIMARY": "PRIMARY KEY"}


def _using_index(table: str, columns: list[str], word: str, name: str | None) -> str:
    suffix = "pkey" if word == "PRIMARY KEY" else "key"
    name = name or "_".join([table.split(".")[-1], *columns, suffix])
    return (
        f"`create unique index concurrently {name} on {table} ({', '.join(columns)});` in a "
        f"`-- pggate:no-transaction` file, then `alter table {table} add constraint {name} "
        f"{word.lower()} using index {name};` (a brief lock, no build)"
    )


@rule("AlterTableStmt")
def lnt010_set_not_null(site: Site) -> Iterator[Found]:
    """SET NOT NULL on an existing table with no validated CHECK (c IS NOT NULL) to prove it."""
    for table, cmd in _cmds(site, "AT_SetNotNull"):
        fact = f"notnull:{table}.{cmd['name']}"
        if fact in site.state.facts:
            continue
        column = cmd["name"]
        check = f"{table.split('.')[-1]}_{column}_not_null"
        yield (
            "LNT010",
            f"SET NOT NULL on {table}.{column} scans every row under ACCESS EXCLUSIVE "
            "(reads and writes wait)",
            f"`alter table {table} add constraint {check} check ({column} is not null) not "
            f"valid;` then, in the next migration, `alter table {table} validate constraint "
            f"{check};` `alter table {table} alter column {column} set not null;` (no scan: the "
            f"check proves it) `alter table {table} drop constraint {check};`",
            (table,),
            fact,  # an earlier file's validated CHECK (c IS NOT NULL) makes it safe
        )


@rule("AlterTableStmt")
def lnt011_add_column_rewrites(site: Site) -> Iterator[Found]:
    """ADD COLUMN with a volatile default, serial, identity or stored generated column."""
    for table, column, kinds in _added_columns(site):
        reason = _rewrite_reason(column, kinds)
        if reason:
            what, fix = reason
            yield (
                "LNT011",
                f"ADD COLUMN {column['colname']} {what} on existing table {table}: every row is "
                "rewritten (and every index rebuilt) under ACCESS EXCLUSIVE",
                fix.format(table=table, column=column["colname"]),
                (table,),
            )


_BACKFILL = (
    "add {column} nullable with no default, then `alter table {table} alter column {column} "
    "set default {default};` for new rows, backfill the old rows in batches, and take LNT010's "
    "route to NOT NULL"
)


def _rewrite_reason(column: dict[str, Any], kinds: set[str]) -> tuple[str, str] | None:
    """What makes an added column rewrite the table, and the fix."""
    type_name = _type_name(column)[0]
    if type_name in _SERIALS:
        return (
            f"of type {type_name} (a nextval() default for each row)",
            "add {column} as a plain nullable bigint, backfill it in batches, then `alter table "
            "{table} alter column {column} set not null` (LNT010's route) and `alter column "
            "{column} add generated by default as identity` (no rewrite)",
        )
    if "CONSTR_IDENTITY" in kinds:
        return (
            "as an identity column (a value for each row)",
            "add {column} as a plain nullable bigint, backfill it in batches, reach NOT NULL by "
            "LNT010's route, then `alter table {table} alter column {column} add generated by "
            "default as identity` (no rewrite)",
        )
    for generated in _constraints(column, "CONSTR_GENERATED"):
        if generated.get("generated_kind", "s") == "s":
            return (
                "as a STORED generated column (computed for each row)",
                "on PostgreSQL 18 make it `virtual` (computed when read, no rewrite); otherwise "
                "add a plain nullable column, keep it current with a trigger and backfill in "
                "batches",
            )
    for default in _constraints(column, "CONSTR_DEFAULT"):
        calls = {
            _strings(n["FuncCall"]["funcname"])[-1].lower()
            for n in _walk(default.get("raw_expr"))
            if "FuncCall" in n
        }
        volatile = sorted(calls & VOLATILE_DEFAULTS)
        if volatile:
            return (
                f"with the volatile default {volatile[0]}() (evaluated for each row)",
                _BACKFILL.replace("{default}", f"{volatile[0]}()"),
            )
    return None


@rule("DropStmt")
def lnt012_drop_index(site: Site) -> Iterator[Found]:
    """DROP INDEX without CONCURRENTLY of an index that existed before the migration."""
    if site.kind != "DropStmt" or site.node.get("removeType") != "OBJECT_INDEX":
        return
    if site.node.get("concurrent"):
        return
    indexes = [_dotted(o["List"]["items"]) for o in site.node.get("objects", []) if "List" in o]
    existing = [i for i in indexes if site.existing(f"index:{i}")]
    if existing:
        fixes = " ".join(f"`drop index concurrently {i};`" for i in existing)
        yield (
            "LNT012",
            f"DROP INDEX {', '.join(existing)} without CONCURRENTLY takes ACCESS EXCLUSIVE on its "
            "table: reads and writes wait",
            f"{fixes} in its own file marked `-- pggate:no-transaction` (one index per statement)",
            tuple(f"index:{i}" for i in existing),
        )


@rule("ReindexStmt")
def lnt013_reindex(site: Site) -> Iterator[Found]:
    """REINDEX without CONCURRENTLY."""
    if site.kind != "ReindexStmt" or reindex_concurrently(site.node):
        return
    kind = site.node.get("kind", "")
    what = kind.removeprefix("REINDEX_OBJECT_")
    if what in ("INDEX", "TABLE"):
        name = _name(site.node["relation"])
        key = f"index:{name}" if what == "INDEX" else name
        if site.existing(key):
            yield (
                "LNT013",
                f"REINDEX {what} {name} without CONCURRENTLY blocks writes to the table (SHARE) and "
                "queries using its indexes (ACCESS EXCLUSIVE on each)",
                f"`reindex {what.lower()} concurrently {name};` in its own file marked "
                "`-- pggate:no-transaction`",
                (key,),
            )
        return
    target = site.node.get("name") or ""
    yield (
        "LNT013",
        f"REINDEX {what} {target} without CONCURRENTLY blocks writes to every table of the "
        f"{what.lower()} in turn",
        f"`reindex {what.lower()} concurrently {target};` in its own file marked "
        "`-- pggate:no-transaction`",
        (),
    )


def reindex_concurrently(node: dict[str, Any]) -> bool:
    """Whether a ReindexStmt runs CONCURRENTLY (``(concurrently false)`` does not)."""
    for param in node.get("params", []):
        option = param.get("DefElem", {})
        if option.get("defname") == "concurrently":
            return _option_true(option.get("arg"))
    return False


def _option_true(arg: dict[str, Any] | None) -> bool:
    """The value of a boolean option: absent is true; ``false``/``off``/``0`` are false."""
    if arg is None:
        return True
    if "Integer" in arg:
        return bool(arg["Integer"].get("ival", 0))
    if "Boolean" in arg:
        return bool(arg["Boolean"].get("boolval", False))
    value = (arg.get("String") or arg.get("A_Const", {}).get("sval") or {}).get("sval", "")
    return str(value).lower() not in ("false", "off", "0", "no")


def enum_values_used(state: _State, statement: Statement) -> Iterator[Found]:
    """LNT014: a value added to an enum, quoted in a later statement of the same transaction.

    It reads the statement's text, not its tree, so it also sees the data-only
    statements (INSERT, UPDATE) the parser is not asked about.
    """
    for value, (type_name, line, index) in sorted(state.enum_values.items()):
        literal = "'" + value.replace("'", "''") + "'"
        if index < statement.index and literal in statement.sql:
            yield Found(
                "LNT014",
                f"'{value}' is used in the transaction that added it to enum {type_name} (line "
                f"{line}): PostgreSQL refuses it until that commits (unsafe use of new value)",
                f"keep `alter type {type_name} add value '{value}'` in its own migration file and "
                "use the value from the next one",
            )


@rule("TruncateStmt")
def lnt015_truncate_cascade(site: Site) -> Iterator[Found]:
    """TRUNCATE ... CASCADE."""
    if site.kind != "TruncateStmt" or site.node.get("behavior") != "DROP_CASCADE":
        return
    tables = [_name(r["RangeVar"]) for r in site.node.get("relations", []) if "RangeVar" in r]
    existing = tuple(t for t in tables if site.existing(t))
    if existing:
        yield (
            "LNT015",
            f"TRUNCATE {', '.join(existing)} CASCADE also empties every table that references "
            "them, taking ACCESS EXCLUSIVE on each",
            f"`truncate {', '.join(tables)}, <each referencing table you mean to empty>;` "
            "without CASCADE: it fails rather than empty a table you did not name",
            existing,
        )


@rule("CreateStmt", "AlterTableStmt")
def type_preferences(site: Site) -> Iterator[Found]:
    """LNT016-LNT019: column types that are hard to change later (info, off by default)."""
    for table, column, primary in _defined_columns(site):
        type_name, sized = _type_name(column)
        where = f"{table}.{column['colname']}"
        identity = bool(_constraints(column, "CONSTR_IDENTITY"))
        if type_name in _SMALL_KEYS and (primary or identity):
            limit = "2^15" if type_name in ("int2", "smallserial", "serial2") else "2^31"
            shown = _TYPE_SHOWN.get(type_name, type_name)
            yield "LNT016", f"{where} is a {shown} key: it runs out at {limit}", _fix("LNT016"), ()
        if type_name in ("varchar", "bpchar") and sized:
            shown = "varchar(n)" if type_name == "varchar" else "char(n)"
            message = f"{where} is {shown}: changing n later locks the table"
            yield "LNT017", message, _fix("LNT017"), ()
        if type_name == "timestamp":
            yield "LNT018", f"{where} is timestamp without time zone", _fix("LNT018"), ()
        if type_name in _SERIALS:
            message = f"{where} is {type_name}: prefer an identity column"
            yield "LNT019", message, _fix("LNT019"), ()


_SMALL_KEYS = {"int4", "int2", "serial", "serial4", "smallserial", "serial2"}
_TYPE_SHOWN = {"int4": "integer", "int2": "smallint"}


def _defined_columns(site: Site) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """``(table, ColumnDef, is a primary key)`` of CREATE TABLE and ADD COLUMN (any table)."""
    if site.kind == "CreateStmt":
        table = _name(site.node["relation"])
        elements = site.node.get("tableElts", [])
        keys = {
            key
            for e in elements
            if e.get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
            for key in _strings(e["Constraint"].get("keys", []))
        }
        for element in elements:
            if "ColumnDef" in element:
                column = element["ColumnDef"]
                primary = column["colname"] in keys or bool(_constraints(column, "CONSTR_PRIMARY"))
                yield table, column, primary
    elif site.kind == "AlterTableStmt":
        table = _name(site.node["relation"])
        for cmd in _alter_cmds(site.node):
            if cmd.get("subtype") == "AT_AddColumn":
                column = cmd["def"]["ColumnDef"]
                yield table, column, bool(_constraints(column, "CONSTR_PRIMARY"))
            elif cmd.get("subtype") == "AT_AlterColumnType":
                yield table, {"colname": cmd["name"], **cmd["def"]["ColumnDef"]}, False


# A down section is checked for transaction control only.
_DOWN_RULES = {
    kind: [lnt007_transaction_control] for kind in ("TransactionStmt", "VariableSetStmt")
}


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
    return Finding(
        hit.id,
        GATE,
        severity,
        migration.shown,
        f"{migration.shown}:{hit.line}: {message}",
        hit.hint,
        file=migration.shown,
        line=hit.line,
        details=details,
    )


# ---------------------------------------------------------------- docs


def markdown() -> str:
    """The lint table of docs/migrations.md."""
    rows = ["| id | name | severity | catches | lock | fix |", "|---|---|---|---|---|---|"]
    for lint in CATALOGUE:
        severity = str(lint.severity) + ("" if lint.default else ", off unless enabled")
        rows.append(
            f"| {lint.id} | {lint.name} | {severity} | {lint.catches} | {lint.lock} | {lint.fix} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
