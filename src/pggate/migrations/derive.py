"""Derived downs: the reverse DDL of a migration, from the schema recorded before and after it.

Supabase migrations never have down sections. pggate records a schema snapshot after each
migration (and the baseline before the first), so for migration N it knows the schema
before (after N-1) and after N. ``derive`` compares the two and writes the statements that
turn *after* back into *before* for the object kinds the snapshot describes: schemas,
extensions, types, sequences, tables and columns (type, default, NOT NULL), constraints,
indexes, RLS flags, policies, views, functions, triggers, grants and comments.

What it cannot reverse is listed, never guessed: rows the up inserted or changed (data is
not in the snapshot), data in dropped tables and columns, enum labels added, identity or
generated columns changed, and functions whose earlier definition is not in an earlier
migration file (the snapshot keeps only a hash of a function body). A derived down is a
proposal: ``pggate down`` prints it for review, and ``rollback --derive-downs`` runs it and
then proves the result by fingerprint, so a wrong derivation fails loudly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .files import Migration

Snapshot = dict[str, Any]

_POLICY_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}
_DML = re.compile(r"^\s*(insert|update|delete|truncate|merge|copy)\b", re.IGNORECASE)
# Changes the snapshot does not describe (so the fingerprint proof cannot see them either).
_UNTRACKED = re.compile(
    r"^\s*(alter\s+publication|create\s+publication|drop\s+publication|"
    r"alter\s+default\s+privileges|create\s+role|alter\s+role|select\s+cron\.|"
    r"select\s+vault\.)",
    re.IGNORECASE,
)
_CREATE_ROUTINE = re.compile(
    r"^\s*create\s+(?:or\s+replace\s+)?(?:function|procedure)\s+(?P<name>[^\s(]+)\s*\(",
    re.IGNORECASE,
)
_INDEX_TABLE = re.compile(r"\sON\s+(?:ONLY\s+)?(?P<table>.+?)\s+USING\s", re.IGNORECASE)


@dataclass(frozen=True)
class DerivedDown:
    """The proposed down of one migration, and what it cannot reverse."""

    version: str
    statements: tuple[str, ...]
    irreversible: tuple[str, ...] = ()
    data_loss: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        """The down section's SQL (one statement per line group)."""
        return "\n".join(self.statements) + ("\n" if self.statements else "")

    def exit_code(self) -> int:
        """0: a proposal was made (what it cannot reverse is listed, not an error)."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``pggate down --format json``."""
        return {
            "version": self.version,
            "sql": self.sql,
            "irreversible": list(self.irreversible),
            "data_loss": list(self.data_loss),
        }


def split_name(key: str) -> list[str]:
    """The parts of a snapshot key (``format('%I.%I')``): dots inside quotes are kept."""
    parts, current, quoted, index = [], "", False, 0
    while index < len(key):
        char = key[index]
        if char == '"':
            if quoted and key[index + 1 : index + 2] == '"':
                current += '""'
                index += 2
                continue
            quoted = not quoted
            current += char
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    return parts


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _table_of(key: str) -> str:
    """``s.t`` of ``s.t.x`` (a column, constraint, policy or trigger key)."""
    return ".".join(split_name(key)[:2])


def _last(key: str) -> str:
    return split_name(key)[-1]


@dataclass
class _Diff:
    before: Snapshot
    after: Snapshot

    def kind(self, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.before.get(kind, {}), self.after.get(kind, {})

    def added(self, kind: str) -> list[str]:
        old, new = self.kind(kind)
        return sorted(k for k in new if k not in old)

    def removed(self, kind: str) -> list[str]:
        old, new = self.kind(kind)
        return sorted(k for k in old if k not in new)

    def changed(self, kind: str, ignore: Iterable[str] = ()) -> list[str]:
        old, new = self.kind(kind)
        skip = set(ignore)

        def strip(props: dict[str, Any]) -> dict[str, Any]:
            return {k: v for k, v in props.items() if k not in skip}

        return sorted(k for k in old if k in new and strip(old[k]) != strip(new[k]))


@dataclass
class _Writer:
    diff: _Diff
    earlier: list[Migration]
    out: list[str] = field(default_factory=list)
    irreversible: list[str] = field(default_factory=list)
    data_loss: list[str] = field(default_factory=list)

    _roles: set[str] | None = None

    def emit(self, statement: str) -> None:
        self.out.append(statement.rstrip(";") + ";")

    def roles(self) -> set[str]:
        """Every grantee in the schema before (computed once)."""
        if self._roles is None:
            self._roles = _roles_in(self.diff.before)
        return self._roles


def derive(
    migration: Migration, before: Snapshot, after: Snapshot, earlier: Iterable[Migration] = ()
) -> DerivedDown:
    """The down of ``migration``: statements turning ``after`` back into ``before``.

    Args:
        migration: the migration (its up section is scanned for data changes).
        before: the snapshot recorded before it (after the previous version, or the baseline).
        after: the snapshot recorded after it.
        earlier: the migrations before it, oldest first: where earlier function
            definitions are found.
    """
    writer = _Writer(_Diff(before, after), list(earlier))
    writer.emit("set local check_function_bodies = off")
    for step in (_drop_added, _restore_removed_and_changed, _restore_acls_and_comments):
        step(writer)
    writer.irreversible.extend(_untracked_statements(migration))
    statements = tuple(writer.out) if len(writer.out) > 1 else ()
    return DerivedDown(
        migration.version, statements, tuple(writer.irreversible), tuple(writer.data_loss)
    )


def _untracked_statements(migration: Migration) -> list[str]:
    """Top-level statements of the up whose effect the schema snapshot does not hold."""
    from .parse import split

    found = []
    for statement in split(migration.up_sql, migration.up_line):
        text = _strip_comments(statement.sql)
        first = text.splitlines()[0].strip() if text else ""
        if _DML.match(text):
            found.append(
                f"line {statement.line}: data change (rows are not in the schema): {first}"
            )
        elif _UNTRACKED.match(text):
            found.append(f"line {statement.line}: not part of the schema snapshot: {first}")
    return found


# ---------------------------------------------------------------- phase 1: drop what N added


def _drop_added(w: _Writer) -> None:
    d = w.diff
    new_tables = {k for k in d.added("relations") if d.after["relations"][k].get("kind") in "rpf"}
    for key in d.added("triggers") + d.changed("triggers"):
        if _table_of(key) not in new_tables:
            w.emit(f"drop trigger if exists {_ident_of(key)} on {_table_of(key)}")
    for key in d.added("policies") + d.changed("policies"):
        if _table_of(key) not in new_tables:
            w.emit(f"drop policy if exists {_ident_of(key)} on {_table_of(key)}")
    for key in d.added("relations"):
        kind = d.after["relations"][key].get("kind")
        if kind in ("v", "m"):
            word = "materialized view" if kind == "m" else "view"
            w.emit(f"drop {word} if exists {key} cascade")
    for key in d.changed("relations"):
        old, new = d.before["relations"][key], d.after["relations"][key]
        if new.get("kind") in ("v", "m") and _view_changed(old, new):
            word = "materialized view" if new.get("kind") == "m" else "view"
            w.emit(f"drop {word} if exists {key}")
    constraint_indexes = _constraint_indexes(d.after)
    changed_constraints = [k for k in d.changed("constraints") if _is_table_constraint(d, k)]
    added_constraints = [
        k for k in d.added("constraints") if _table_of(k) not in new_tables and _kind_ok(d, k)
    ]
    for key in sorted(added_constraints + changed_constraints, key=lambda k: _fk_first(d.after, k)):
        target = _constraint_target(d, key, d.after)
        w.emit(f"alter {target} drop constraint if exists {_ident_of(key)}")
    for key in d.added("indexes") + d.changed("indexes"):
        table = _index_table(d.after["indexes"][key])
        if table not in new_tables and key not in constraint_indexes:
            w.emit(f"drop index if exists {key}")
    for key in d.added("columns"):
        table = _table_of(key)
        if _is_table(d.before, table) and _is_table(d.after, table):
            w.emit(f"alter table {table} drop column if exists {_ident_of(key)}")
            w.data_loss.append(f"column {key}: its data is dropped")
    # A function taking or returning an added table's row type must go
    # before it; any other added function after the tables, whose defaults may call it.
    typed = [k for k in d.added("functions") if _uses_added_type(d, k, new_tables)]
    for key in typed:
        _drop_function(w, key)
    if new_tables:
        w.emit(f"drop table if exists {', '.join(sorted(new_tables))}")
        w.data_loss.extend(f"table {t}: its rows are dropped" for t in sorted(new_tables))
    for key in d.added("functions"):
        if key not in typed:
            _drop_function(w, key)
    for key in d.added("sequences"):
        w.emit(f"drop sequence if exists {key}")
    added_types = d.added("types")
    domains = [t for t in added_types if d.after["types"][t].get("kind") == "d"]
    others = [t for t in added_types if t not in domains]
    if domains:
        w.emit(f"drop domain if exists {', '.join(domains)}")
    if others:
        w.emit(f"drop type if exists {', '.join(others)}")
    for key in d.added("extensions"):
        w.emit(f"drop extension if exists {_ident(key)}")
    for key in d.added("schemas"):
        w.emit(f"drop schema if exists {key}")


def _drop_function(w: _Writer, key: str) -> None:
    word = {"p": "procedure", "a": "aggregate"}.get(w.diff.after["functions"][key].get("kind"))
    w.emit(f"drop {word or 'function'} if exists {key}")


def _uses_added_type(d: _Diff, key: str, new_tables: set[str]) -> bool:
    names = set()
    for name in new_tables:  # added types are dropped after the functions anyway
        parts = split_name(name)
        names |= {name, parts[-1]}
    signature = key.split("(", 1)[1] + " " + str(d.after["functions"][key].get("result", ""))
    tokens = set(re.findall(r'"(?:[^"]|"")+"(?:\.[^\s,()\[\]]+)?|[^\s,()\[\]]+', signature))
    return bool(tokens & names)


def _ident_of(key: str) -> str:
    return _last(key)


def _view_changed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return any(old.get(f) != new.get(f) for f in ("definition", "options", "kind"))


def _constraint_indexes(snapshot: Snapshot) -> set[str]:
    """Index keys that belong to a primary key, unique or exclusion constraint."""
    found = set()
    for key, props in snapshot.get("constraints", {}).items():
        if props.get("type") in ("p", "u", "x"):
            parts = split_name(key)
            found.add(f"{parts[0]}.{parts[-1]}")
    return found


def _is_table_constraint(d: _Diff, key: str) -> bool:
    return _kind_ok(d, key)


def _kind_ok(d: _Diff, key: str) -> bool:
    # NOT NULL constraints (PostgreSQL 18 records them) follow the column's not_null flag.
    props = d.after.get("constraints", {}).get(key) or d.before.get("constraints", {}).get(key)
    return bool(props) and props.get("type") != "n"


def _fk_first(snapshot: Snapshot, key: str) -> tuple[int, str]:
    props = snapshot.get("constraints", {}).get(key, {})
    return (0 if props.get("type") == "f" else 1, key)


def _fk_last(snapshot: Snapshot, key: str) -> tuple[int, str]:
    props = snapshot.get("constraints", {}).get(key, {})
    return (1 if props.get("type") == "f" else 0, key)


def _constraint_target(d: _Diff, key: str, snapshot: Snapshot) -> str:
    table = _table_of(key)
    if table in snapshot.get("relations", {}) or table in d.before.get("relations", {}):
        return f"table {table}"
    return f"domain {table}"


def _index_table(props: dict[str, Any]) -> str | None:
    match = _INDEX_TABLE.search(props.get("definition", ""))
    return match.group("table") if match else None


# ---------------------------------------------------------------- phase 2: recreate and revert


def _restore_removed_and_changed(w: _Writer) -> None:
    d = w.diff
    for key in d.removed("schemas"):
        w.emit(f"create schema if not exists {key}")
    for key in d.removed("extensions"):
        props = d.before["extensions"][key]
        w.emit(
            f"create extension if not exists {_ident(key)} with schema {props['schema']} "
            f"version {_literal(props.get('version'))}"
        )
    for key in d.changed("extensions"):
        w.emit(
            f"alter extension {_ident(key)} update to {_literal(d.before['extensions'][key].get('version'))}"
        )
    _types(w)
    _sequences(w)
    _functions(w)
    _tables_and_columns(w)
    _constraints_and_indexes(w)
    _views(w)
    for key in d.removed("triggers") + d.changed("triggers"):
        props = d.before["triggers"][key]
        w.emit(props["definition"])
        state = {"D": "disable", "R": "enable replica", "A": "enable always"}.get(
            props.get("enabled", "O")
        )
        if state:
            w.emit(f"alter table {_table_of(key)} {state} trigger {_ident_of(key)}")
    _rls_flags(w)
    for key in d.removed("policies") + d.changed("policies"):
        w.emit(_create_policy(key, d.before["policies"][key]))


def _is_table(snapshot: Snapshot, name: str) -> bool:
    return snapshot.get("relations", {}).get(name, {}).get("kind") in ("r", "p")


def _types(w: _Writer) -> None:
    d = w.diff
    for key in d.removed("types"):
        props = d.before["types"][key]
        kind = props.get("kind")
        if kind == "e":
            labels = ", ".join(_literal(label) for label in props.get("labels", []))
            w.emit(f"create type {key} as enum ({labels})")
        elif kind == "d":
            text = f"create domain {key} as {props['base']}"
            if props.get("default") is not None:
                text += f" default {props['default']}"
            if props.get("not_null"):
                text += " not null"
            w.emit(text)
        elif kind == "c":
            attributes = _columns_of(d.before, key)
            body = ", ".join(f"{_ident_of(c)} {p['type']}" for c, p in attributes)
            w.emit(f"create type {key} as ({body})")
        else:
            w.irreversible.append(f"type {key} (kind {kind}) was dropped: recreate it by hand")
    for key in d.changed("types", ignore=("acl", "comment")):
        old, new = d.before["types"][key], d.after["types"][key]
        if old.get("kind") == "e" and old.get("labels") != new.get("labels"):
            w.irreversible.append(
                f"enum {key}: labels {old.get('labels')} -> {new.get('labels')} cannot be "
                "removed (PostgreSQL has no ALTER TYPE ... DROP VALUE)"
            )
        elif old.get("kind") == "d":
            if old.get("default") != new.get("default"):
                default = old.get("default")
                w.emit(
                    f"alter domain {key} "
                    + (f"set default {default}" if default is not None else "drop default")
                )
            if bool(old.get("not_null")) != bool(new.get("not_null")):
                w.emit(f"alter domain {key} {'set' if old.get('not_null') else 'drop'} not null")
            if old.get("base") != new.get("base"):
                w.irreversible.append(f"domain {key}: base type changed; recreate it by hand")


def _sequences(w: _Writer) -> None:
    d = w.diff
    identity = {
        f"{split_name(k)[0]}.{_ident(_unquote(split_name(k)[1]) + '_' + _unquote(_last(k)) + '_seq')}"
        for k, p in d.before.get("columns", {}).items()
        if p.get("identity") in ("a", "d")
    }
    for key in d.removed("sequences"):
        if key in identity:
            continue  # an identity column's sequence comes back with its column
        p = d.before["sequences"][key]
        w.emit(
            f"create sequence if not exists {key} as {p['type']} increment by {p['increment']} "
            f"minvalue {p['min']} maxvalue {p['max']} start with {p['start']} cache {p['cache']}"
            + (" cycle" if p.get("cycle") else "")
        )
    for key in d.changed("sequences", ignore=("acl",)):
        p = d.before["sequences"][key]
        w.emit(
            f"alter sequence {key} as {p['type']} increment by {p['increment']} "
            f"minvalue {p['min']} maxvalue {p['max']} start with {p['start']} cache {p['cache']} "
            + ("cycle" if p.get("cycle") else "no cycle")
        )


def _functions(w: _Writer) -> None:
    d = w.diff
    todo = d.removed("functions") + d.changed("functions", ignore=("acl", "comment"))
    for key in todo:
        definition = _earlier_definition(w.earlier, key, d.before)
        if definition is None:
            w.irreversible.append(
                f"function {key}: its earlier definition is not in an earlier migration file "
                "(the snapshot keeps only a hash of the body); restore it by hand"
            )
            continue
        w.emit(definition)


def _earlier_definition(earlier: list[Migration], key: str, before: Snapshot) -> str | None:
    """The newest ``create function`` of ``key``'s name in the earlier files, as create or replace."""
    name = _routine_name(key.split("(", 1)[0])
    overloads = [
        k for k in before.get("functions", {}) if _routine_name(k.split("(", 1)[0]) == name
    ]
    if len(overloads) != 1:
        return None  # several overloads share the name: which statement is which is not known
    from .parse import split

    found = None
    for migration in earlier:
        for statement in split(migration.up_sql, migration.up_line):
            match = _CREATE_ROUTINE.match(_strip_comments(statement.sql))
            if match and _routine_name(match.group("name")) == name:
                found = _strip_comments(statement.sql)
    if found is None:
        return None
    return re.sub(
        r"^\s*create\s+(?:or\s+replace\s+)?", "create or replace ", found, count=1, flags=re.I
    )


def _strip_comments(text: str) -> str:
    lines = text.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines)


def _routine_name(text: str) -> str:
    """``schema.name`` normalised: quotes removed, unquoted parts lowercased, public by default."""
    parts = [
        p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in split_name(text)
    ]
    return ".".join(parts if len(parts) == 2 else ["public", *parts])


_COLUMNS_BY_TABLE: dict[int, tuple[Snapshot, dict[str, list[tuple[str, dict[str, Any]]]]]] = {}


def _columns_of(snapshot: Snapshot, table: str) -> list[tuple[str, dict[str, Any]]]:
    """Columns of ``table`` in position order (grouped once per snapshot: linear, not N x M)."""
    cached = _COLUMNS_BY_TABLE.get(id(snapshot))
    if cached is None or cached[0] is not snapshot:
        grouped: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for key, props in snapshot.get("columns", {}).items():
            grouped.setdefault(_table_of(key), []).append((key, props))
        for columns in grouped.values():
            columns.sort(key=lambda item: item[1].get("position", 0))
        _COLUMNS_BY_TABLE.clear()  # one snapshot at a time: memory stays flat
        cached = (snapshot, grouped)
        _COLUMNS_BY_TABLE[id(snapshot)] = cached
    return cached[1].get(table, [])


def _column_sql(key: str, props: dict[str, Any]) -> str:
    text = f"{_ident_of(key)} {props['type']}"
    if props.get("collation"):
        text += f" collate {_ident(props['collation'])}"
    if props.get("generated") == "s":
        text += f" generated always as ({props.get('default')}) stored"
    elif props.get("identity") in ("a", "d"):
        word = "always" if props["identity"] == "a" else "by default"
        text += f" generated {word} as identity"
    elif props.get("default") is not None:
        text += f" default {props['default']}"
    if props.get("not_null") and props.get("identity") not in ("a", "d"):
        text += " not null"
    return text


def _tables_and_columns(w: _Writer) -> None:
    d = w.diff
    for key in d.removed("relations"):
        props = d.before["relations"][key]
        if props.get("kind") != "r":
            if props.get("kind") not in ("v", "m"):
                w.irreversible.append(f"relation {key} (kind {props.get('kind')}) was dropped")
            continue
        columns = ", ".join(_column_sql(c, p) for c, p in _columns_of(d.before, key))
        unlogged = "unlogged " if props.get("persistence") == "u" else ""
        w.emit(f"create {unlogged}table {key} ({columns})")
        w.data_loss.append(f"table {key}: recreated empty (its rows are gone)")
    removed_tables = set(d.removed("relations"))
    for key in d.removed("columns"):
        table = _table_of(key)
        if table in removed_tables or not _is_table(d.after, table):
            continue
        w.emit(f"alter table {table} add column {_column_sql(key, d.before['columns'][key])}")
        w.data_loss.append(f"column {key}: re-added empty")
        if _later_columns(d.before, key):
            w.irreversible.append(
                f"column {key} is re-added last; it was at position "
                f"{d.before['columns'][key].get('position')} (column order differs)"
            )
    for key in d.changed("columns", ignore=("acl", "comment")):
        _revert_column(w, key, d.before["columns"][key], d.after["columns"][key])


def _later_columns(snapshot: Snapshot, key: str) -> bool:
    position = snapshot["columns"][key].get("position", 0)
    return any(p.get("position", 0) > position for _, p in _columns_of(snapshot, _table_of(key)))


def _revert_column(w: _Writer, key: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    table, column = _table_of(key), _ident_of(key)
    if not _is_table(w.diff.before, table):
        return  # a view's or composite type's attribute: follows its view or type
    if old.get("identity") != new.get("identity") or old.get("generated") != new.get("generated"):
        w.irreversible.append(f"column {key}: identity/generated changed; revert it by hand")
        return
    if old.get("type") != new.get("type") or old.get("collation") != new.get("collation"):
        collate = f" collate {_ident(old['collation'])}" if old.get("collation") else ""
        w.emit(
            f"alter table {table} alter column {column} type {old['type']}{collate} "
            f"using {column}::{old['type']}"
        )
    if old.get("default") != new.get("default"):
        default = old.get("default")
        w.emit(
            f"alter table {table} alter column {column} "
            + (f"set default {default}" if default is not None else "drop default")
        )
    if bool(old.get("not_null")) != bool(new.get("not_null")):
        w.emit(
            f"alter table {table} alter column {column} "
            f"{'set' if old.get('not_null') else 'drop'} not null"
        )
    if old.get("position") != new.get("position"):
        w.irreversible.append(f"column {key}: position changed; column order differs")


def _constraints_and_indexes(w: _Writer) -> None:
    d = w.diff
    todo = [k for k in d.removed("constraints") + d.changed("constraints") if _kind_ok(d, k)]
    recreated = set(d.removed("relations"))
    # Constraints of a recreated table come back with it, whatever their kind.
    todo += [
        k for k in d.before.get("constraints", {}) if _table_of(k) in recreated and _kind_ok(d, k)
    ]
    for key in sorted(set(todo), key=lambda k: _fk_last(d.before, k)):
        props = d.before["constraints"][key]
        table = _table_of(key)
        if table not in d.before.get("relations", {}):
            target = f"domain {table}"
        else:
            target = f"table {table}"
        valid = "" if props.get("validated", True) else " not valid"
        w.emit(f"alter {target} add constraint {_ident_of(key)} {props['definition']}{valid}")
    constraint_indexes = _constraint_indexes(d.before)
    indexes = d.removed("indexes") + d.changed("indexes")
    indexes += [k for k, p in d.before.get("indexes", {}).items() if _index_table(p) in recreated]
    for key in sorted(set(indexes)):
        if key not in constraint_indexes:
            w.emit(d.before["indexes"][key]["definition"])


def _views(w: _Writer) -> None:
    d = w.diff
    todo = [k for k in d.removed("relations") if d.before["relations"][k].get("kind") in "vm"]
    todo += [
        k
        for k in d.changed("relations")
        if d.before["relations"][k].get("kind") in ("v", "m")
        and _view_changed(d.before["relations"][k], d.after["relations"][k])
    ]
    for key in sorted(todo):
        props = d.before["relations"][key]
        options = props.get("options") or []
        with_options = f" with ({', '.join(options)})" if options else ""
        word = "materialized view" if props.get("kind") == "m" else "view"
        w.emit(f"create {word} {key}{with_options} as {props['definition'].rstrip().rstrip(';')}")


def _rls_flags(w: _Writer) -> None:
    d = w.diff
    old, new = d.kind("relations")
    for key in sorted(old):
        props = old[key]
        if props.get("kind") not in ("r", "p"):
            continue
        now = new.get(key, {})
        if bool(props.get("rls_enabled")) != bool(now.get("rls_enabled")):
            state = "enable" if props.get("rls_enabled") else "disable"
            w.emit(f"alter table {key} {state} row level security")
        if bool(props.get("rls_forced")) != bool(now.get("rls_forced")):
            state = "force" if props.get("rls_forced") else "no force"
            w.emit(f"alter table {key} {state} row level security")


def _create_policy(key: str, props: dict[str, Any]) -> str:
    roles = ", ".join(r if r == "public" else _ident(r) for r in props.get("roles", ["public"]))
    text = (
        f"create policy {_ident_of(key)} on {_table_of(key)} as "
        f"{'permissive' if props.get('permissive', True) else 'restrictive'} "
        f"for {_POLICY_COMMANDS[props.get('command', '*')]} to {roles}"
    )
    if props.get("using") is not None:
        text += f" using ({props['using']})"
    if props.get("with_check") is not None:
        text += f" with check ({props['with_check']})"
    return text


# ---------------------------------------------------------------- phase 3: grants and comments

_GRANT_WORDS = {
    "schemas": "schema",
    "relations": "table",
    "functions": "routine",
    "sequences": "sequence",
    "types": "type",
}
_PRIVILEGES = {
    "r": "select",
    "a": "insert",
    "w": "update",
    "d": "delete",
    "D": "truncate",
    "x": "references",
    "t": "trigger",
    "X": "execute",
    "U": "usage",
    "C": "create",
    "m": "maintain",
}
_PUBLIC_DEFAULT = {"functions": "execute", "types": "usage"}


def _restore_acls_and_comments(w: _Writer) -> None:
    d = w.diff
    for kind, word in _GRANT_WORDS.items():
        old, new = d.kind(kind)
        for key in sorted(old):
            before_acl = old[key].get("acl")
            after_acl = new.get(key, {}).get("acl") if key in new else "recreated"
            if before_acl == after_acl:
                continue
            if kind == "relations" and old[key].get("kind") not in ("r", "p", "v", "m", "f"):
                continue
            _restore_acl(w, kind, word, key, before_acl, after_acl)
    for kind, word in (("relations", None), ("functions", "function"), ("schemas", "schema")):
        old, new = d.kind(kind)
        for key in sorted(old):
            comment = old[key].get("comment")
            current = new.get(key, {}).get("comment") if key in new else None
            if comment != current:
                what = word or _relation_word(old[key].get("kind"))
                w.emit(f"comment on {what} {key} is {_literal(comment)}")
    old, new = d.kind("columns")
    for key in sorted(old):
        if old[key].get("comment") != new.get(key, {}).get("comment") and _table_of(
            key
        ) in d.before.get("relations", {}):
            w.emit(f"comment on column {key} is {_literal(old[key].get('comment'))}")


def _relation_word(kind: str | None) -> str:
    return {"v": "view", "m": "materialized view", "f": "foreign table"}.get(kind or "", "table")


def _parse_acl(items: list[str] | None) -> list[tuple[str, str, str]]:
    """``(grantee, privileges, grantor)`` of each aclitem text (``=r/owner`` is PUBLIC)."""
    parsed = []
    for item in items or []:
        grantee, _, rest = item.rpartition("=") if item.count("=") > 1 else item.partition("=")
        privileges, _, grantor = rest.partition("/")
        parsed.append((_unquote(grantee), privileges, _unquote(grantor)))
    return parsed


def _unquote(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _restore_acl(w: _Writer, kind: str, word: str, key: str, before: Any, after: Any) -> None:
    target = f"{word} {key}"
    after_items = _parse_acl(after) if isinstance(after, list) else []
    before_items = _parse_acl(before)
    owner = next((g for _, _, g in after_items + before_items if g), None)
    if before is None:
        # The owner's default ACL; the object's owner is not in the snapshot, so the grantor
        # of the grants seen stands for it (the connecting role when there is none).
        before_items = [(owner or "current_user", "ALL", owner or "")]
        if kind in _PUBLIC_DEFAULT:
            before_items.append(("", _PUBLIC_DEFAULT[kind], owner))
    grantees = {g for g, _, _ in after_items} | {g for g, _, _ in before_items}
    if after == "recreated":
        grantees |= {"anon", "authenticated", "service_role"} & w.roles()
    for grantee in sorted(grantees):
        w.emit(f"revoke all on {target} from {_grantee(grantee)}")
    for grantee, privileges, _ in before_items:
        plain, with_option = _privilege_words(privileges)
        if plain:
            w.emit(f"grant {', '.join(plain)} on {target} to {_grantee(grantee)}")
        if with_option:
            w.emit(
                f"grant {', '.join(with_option)} on {target} to {_grantee(grantee)} "
                "with grant option"
            )


def _roles_in(snapshot: Snapshot) -> set[str]:
    roles = set()
    for kind in _GRANT_WORDS:
        for props in snapshot.get(kind, {}).values():
            roles |= {g for g, _, _ in _parse_acl(props.get("acl"))}
    return roles


def _grantee(name: str) -> str:
    if name == "current_user":
        return name
    return "public" if name == "" else _ident(name)


def _privilege_words(text: str) -> tuple[list[str], list[str]]:
    if text in ("ALL", "execute", "usage"):
        return [text.lower()], []
    plain, with_option = [], []
    index = 0
    while index < len(text):
        word = _PRIVILEGES.get(text[index])
        starred = text[index + 1 : index + 2] == "*"
        if word:
            (with_option if starred else plain).append(word)
        index += 2 if starred else 1
    return plain, with_option


# ---------------------------------------------------------------- from the recorded history


def derive_applied(
    migrations: tuple[Migration, ...], history: Any, versions: Iterable[str]
) -> dict[str, DerivedDown]:
    """Derived downs of applied ``versions``, from the snapshots recorded around each one.

    The schema before version N is the one recorded after the applied version before it
    (the baseline for the first). Raises ``MigrationFileError`` naming every version whose
    two snapshots are not both recorded (a bulk run above ``snapshot_every_up_to`` records
    only its last one), or whose file is missing.
    """
    from ..errors import MigrationFileError
    from ..schema.fingerprint import decompress

    files = {m.version: m for m in migrations}
    applied = history.applied()
    wanted = set(versions)
    found: dict[str, DerivedDown] = {}
    problems = []
    for index, row in enumerate(applied):
        if row.version not in wanted:
            continue
        before = (
            history.snapshot_of(applied[index - 1].version)[1] if index else history.baseline()[1]
        )
        after = history.snapshot_of(row.version)[1]
        if row.version not in files:
            problems.append(f"{row.version}_{row.name}: the file is not in the migrations folder")
        elif before is None or after is None:
            which = "before" if before is None else "after"
            problems.append(
                f"{files[row.version].shown}: no schema snapshot was recorded {which} it "
                "(a run applying more than [project] snapshot_every_up_to migrations records "
                "only its last)"
            )
        else:
            earlier = [files[a.version] for a in applied[:index] if a.version in files]
            found[row.version] = derive(
                files[row.version], decompress(before), decompress(after), earlier
            )
    if problems:
        raise MigrationFileError(
            "cannot derive downs; nothing was changed:\n  " + "\n  ".join(problems),
            hint="write those down sections by hand, or roll back by restoring a backup",
        )
    return found


def with_derived(
    migrations: tuple[Migration, ...], derived: dict[str, DerivedDown]
) -> tuple[Migration, ...]:
    """``migrations`` with each derived down in place of the missing down section."""
    return tuple(
        m.with_down(derived[m.version].sql, f"{m.shown} (derived down)")
        if m.version in derived and not m.has_down
        else m
        for m in migrations
    )


def section_text(down: DerivedDown) -> str:
    """The down section to append to a file: the marker, what is not reversed, the SQL."""
    lines = [
        "",
        "-- migrate:down",
        "-- Derived by `pggate down` from the recorded schema; review it.",
    ]
    for item in down.irreversible:
        lines.append(f"-- NOT REVERSED: {item}")
    for item in down.data_loss:
        lines.append(f"-- DATA LOSS: {item}")
    return "\n".join(lines) + "\n" + down.sql
