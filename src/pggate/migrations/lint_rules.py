"""The rules of the migration lints: one small function per hazard, reading parse-tree nodes.

Each rule is registered for the node kinds it reads (``@rule("IndexStmt")``)
and yields ``Found`` tuples: the lint id, a message naming the lock, a hint
with the safe SQL written with the statement's own names, and the tables the
hazard is about (a table new in the migration makes it harmless; ``lint.py``
decides that). ``record`` keeps what each statement creates or proves, for
the statements after it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .lint_catalogue import LINTS
from .parse import TRANSACTION_WORDS, Statement


@dataclass
class State:
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
    state: State

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


def record(site: Site) -> None:
    """Remember what the statement creates or establishes, for the statements after it."""
    kind, node, state = site.kind, site.node, site.state
    if kind in ("CreateStmt", "CreateTableAsStmt"):
        table = _name(node["relation"] if kind == "CreateStmt" else node["into"]["rel"])
        state.created.add(table)
        for element in node.get("tableElts", []):
            if "ColumnDef" in element:
                state.created.add(f"column:{table}.{element['ColumnDef']['colname']}")
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
            if cmd.get("subtype") == "AT_AddColumn":
                state.created.add(f"column:{table}.{cmd['def']['ColumnDef']['colname']}")
            _record_constraint(state, table, cmd, site.statement.line)


def _record_constraint(state: State, table: str, cmd: dict[str, Any], line: int) -> None:
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


# ---------------------------------------------------------------- the rules


@rule("IndexStmt")
def lnt001_index_not_concurrent(site: Site) -> Iterator[Found]:
    """CREATE INDEX without CONCURRENTLY on an existing table."""
    if site.kind == "IndexStmt" and not site.node.get("concurrent"):
        table = _name(site.node["relation"])
        # ON ONLY a partitioned table creates an empty, invalid parent index: instant.
        if site.existing(table) and site.node["relation"].get("inh", False):
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
    touched = tuple(t for t in _touched(site.kind, site.node) if site.existing(t))
    if touched:
        shown = ", ".join(t.removeprefix("column:") for t in touched)
        yield "LNT005", f"{message} ({shown})", _fix("LNT005"), touched


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


def _touched(kind: str, node: dict[str, Any]) -> list[str]:
    """The tables (``public.t``) and columns (``column:public.t.c``) a breaking change breaks."""
    if kind == "DropStmt":
        return [_dotted(obj["List"]["items"]) for obj in node.get("objects", []) if "List" in obj]
    if not node.get("relation"):
        return []
    table = _name(node["relation"])
    if kind == "AlterTableStmt":
        drops = (c for c in _alter_cmds(node) if c.get("subtype") == "AT_DropColumn")
        return [f"column:{table}.{c['name']}" for c in drops]
    if node.get("renameType") == "OBJECT_COLUMN":
        return [f"column:{table}.{node['subname']}"]
    return [table]


@rule("TransactionStmt", "VariableSetStmt")
def lnt007_transaction_control(site: Site) -> Iterator[Found]:
    """Transaction control inside a file pggate runs in one transaction."""
    if not site.state.transactional:
        return
    word = None
    if site.kind == "TransactionStmt":
        word = TRANSACTION_WORDS.get(site.node.get("kind", ""), "transaction control")
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


def enum_values_used(state: State, statement: Statement) -> Iterator[Found]:
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


_REWRITING_CMDS = {
    "AT_SetLogged": "SET LOGGED",
    "AT_SetUnLogged": "SET UNLOGGED",
    "AT_SetTableSpace": "SET TABLESPACE",
}


@rule("VacuumStmt", "ClusterStmt", "AlterTableStmt")
def lnt020_table_rewrite(site: Site) -> Iterator[Found]:
    """VACUUM FULL, CLUSTER and the ALTER TABLE forms that copy the whole table."""
    if site.kind == "AlterTableStmt":
        for table, cmd in _cmds(site, *_REWRITING_CMDS):
            yield _rewrite(f"ALTER TABLE {table} {_REWRITING_CMDS[cmd['subtype']]}", (table,))
        return
    if site.kind == "VacuumStmt":
        options = {
            o["DefElem"]["defname"]: o["DefElem"].get("arg") for o in site.node.get("options", [])
        }
        if "full" not in options or not _option_true(options["full"]):
            return
        relations = [r["VacuumRelation"].get("relation") for r in site.node.get("rels", [])]
        what = "VACUUM FULL"
    else:
        relations = [site.node.get("relation")]
        what = "CLUSTER"
    tables = tuple(_name(r) for r in relations if r)
    if not tables:  # every table of the database
        yield _rewrite(f"{what} of every table", ())
    elif existing := tuple(t for t in tables if site.existing(t)):
        yield _rewrite(f"{what} {', '.join(existing)}", existing)


def _rewrite(what: str, tables: tuple[str, ...]) -> Found:
    return Found(
        "LNT020",
        f"{what} rewrites the whole table and its indexes under ACCESS EXCLUSIVE: reads and "
        "writes wait until the copy is done",
        _fix("LNT020"),
        tables,
    )


@rule("AlterTableStmt")
def lnt021_detach_partition(site: Site) -> Iterator[Found]:
    """DETACH PARTITION without CONCURRENTLY."""
    for table, cmd in _cmds(site, "AT_DetachPartition"):
        partition_cmd = cmd["def"]["PartitionCmd"]
        if not partition_cmd.get("concurrent"):
            partition = _name(partition_cmd["name"])
            yield (
                "LNT021",
                f"DETACH PARTITION {partition} from {table} without CONCURRENTLY takes ACCESS "
                f"EXCLUSIVE on {table}: reads and writes of every partition wait",
                f"`alter table {table} detach partition {partition} concurrently;` (PostgreSQL "
                "14+) in its own file marked `-- pggate:no-transaction`",
                (table,),
            )
