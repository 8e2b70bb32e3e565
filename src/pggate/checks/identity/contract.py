"""``[gates.identity]``: the contract, and parsing ``table(cols) -> table(cols) on delete X``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ...config import Record, validates
from ...db import split_qualified
from ..context import CheckContext

_KEY = re.compile(r"^\s*(?P<table>[^()\s]+)\s*\((?P<cols>[^)]*)\)\s*$")
_FK = re.compile(
    r"^\s*(?P<child>[^()\s]+)\s*\((?P<ccols>[^)]*)\)\s*->\s*(?P<parent>[^()\s]+)\s*\((?P<pcols>[^)]*)\)"
    r"\s*(?:on\s+delete\s+(?P<action>cascade|restrict|set\s+null|set\s+default|no\s+action))?\s*$",
    re.IGNORECASE,
)
DELETE_ACTIONS = {
    "cascade": "c",
    "restrict": "r",
    "set null": "n",
    "set default": "d",
    "no action": "a",
}


@dataclass(frozen=True)
class Key:
    """``public.memberships(organization_id, user_id)``."""

    table: str
    columns: list[str]


@dataclass(frozen=True)
class ForeignKey:
    """``public.profiles(id) -> auth.users(id) on delete cascade``."""

    spec: str
    child: Key
    parent: Key
    on_delete: str | None  # pg_constraint.confdeltype letter


def parse_key(spec: str) -> Key:
    """``schema.table(col, ...)`` -> ``Key``; a ValueError says what is expected."""
    match = _KEY.match(spec)
    if not match:
        raise ValueError(f"{spec!r} is not schema.table(column, ...)")
    return Key(
        ".".join(split_qualified(match["table"])),
        [c.strip() for c in match["cols"].split(",") if c.strip()],
    )


def parse_foreign_key(spec: str) -> ForeignKey:
    """``child(cols) -> parent(cols) [on delete action]`` -> ``ForeignKey``."""
    match = _FK.match(spec)
    if not match:
        raise ValueError(
            f"{spec!r} is not schema.table(cols) -> schema.table(cols) [on delete action]"
        )
    action = match["action"]
    return ForeignKey(
        spec,
        parse_key(f"{match['child']}({match['ccols']})"),
        parse_key(f"{match['parent']}({match['pcols']})"),
        DELETE_ACTIONS[" ".join(action.lower().split())] if action else None,
    )


class IdentityContract(Record):
    """``[gates.identity]``."""

    tables: list[str] = []
    columns: dict[str, str] = {}  # "schema.table.column" = "type"
    unique: list[str] = []  # "schema.table(col, ...)": a primary key or unique constraint/index
    foreign_keys: list[str] = []

    @validates("unique")
    def _keys(value: list[str]) -> list[str]:
        for spec in value:
            parse_key(spec)
        return value

    @validates("foreign_keys")
    def _fks(value: list[str]) -> list[str]:
        for spec in value:
            parse_foreign_key(spec)
        return value

    @property
    def empty(self) -> bool:
        """Whether nothing is required."""
        return not (self.tables or self.columns or self.unique or self.foreign_keys)

    def as_json(self) -> dict[str, str]:
        """The contract as JSON parameters for the set-based queries."""
        columns = [
            {"table": spec.rsplit(".", 1)[0], "column": spec.rsplit(".", 1)[1], "type": type_}
            for spec, type_ in self.columns.items()
        ]
        keys = [
            {"spec": s, "table": k.table, "columns": k.columns}
            for s in self.unique
            for k in [parse_key(s)]
        ]
        fks = [
            {
                "spec": fk.spec,
                "child": fk.child.table,
                "ccols": fk.child.columns,
                "parent": fk.parent.table,
                "pcols": fk.parent.columns,
                "on_delete": fk.on_delete,
            }
            for fk in map(parse_foreign_key, self.foreign_keys)
        ]
        return {
            "tables": json.dumps(self.tables),
            "columns": json.dumps(columns),
            "keys": json.dumps(keys),
            "fks": json.dumps(fks),
        }


def contract(ctx: CheckContext) -> IdentityContract:
    """The project's identity contract."""
    return ctx.gate_config("identity", IdentityContract)
