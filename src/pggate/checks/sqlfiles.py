"""SQL check files: the smoke and bench queries users keep next to their migrations.

One file is one check. Directives live in the leading comment lines::

    -- Members see their own projects.
    -- as: tenant
    -- expect: rows > 0
    -- timeout: 5s
    select * from public.projects

The first comment lines that are not directives are the check's description.
``{tenant}`` and ``{user}`` (the acting tenant and member, with ``as: tenant``)
and any ``-- params: name=value, ...`` are bound as query parameters, never
formatted into the SQL. Everything runs inside a transaction that the caller
rolls back, so a check may insert, update or delete to prove a point.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from psycopg.pq import TransactionStatus

from ..config import parse_duration
from ..db import set_local_role
from ..errors import ConfigError
from ..results import Finding
from .actor import act_as, find_member, tenants_with_rows
from .base import GateCheck
from .context import CheckContext

_DIRECTIVE = re.compile(r"^--\s*([a-z_]+)\s*:\s*(.*?)\s*$")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class SqlFile:
    """One check file: its SQL, directives (name -> (value, line)) and description."""

    path: Path
    shown: str  # the path relative to the project, for messages and reports
    sql: str
    directives: dict[str, tuple[str, int]] = field(default_factory=dict)
    description: str = ""

    @property
    def name(self) -> str:
        """The file's stem: the check's name in reports."""
        return self.path.stem

    def directive(self, name: str, default: str | None = None) -> str | None:
        """A directive's value (``None``/``default`` when absent)."""
        found = self.directives.get(name)
        return found[0] if found else default

    def problem(self, name: str, message: str, hint: str) -> ConfigError:
        """A bad-input error pointing at the directive's line."""
        line = self.directives.get(name, ("", 1))[1]
        return ConfigError(f"{self.shown}:{line}: {message}", hint=hint)

    @property
    def as_role(self) -> str | None:
        """``-- as:``: ``tenant`` (the actor of a tenant), a role name, or ``None`` (the gate's own role)."""
        return self.directive("as")

    @property
    def timeout(self) -> float | None:
        """``-- timeout:`` in seconds."""
        value = self.directive("timeout")
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.problem("timeout", str(exc), "write it like 5s or 500ms") from None

    @property
    def params(self) -> dict[str, str]:
        """``-- params: name=value, other=value`` as a dict."""
        value = self.directive("params") or ""
        params: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            key, sep, val = item.partition("=")
            if not sep or not key.strip().isidentifier():
                raise self.problem(
                    "params",
                    f"cannot read params item {item!r}",
                    "write -- params: name=value, other=value",
                )
            params[key.strip()] = val.strip()
        return params


def parse(path: Path, shown: str, known: tuple[str, ...]) -> SqlFile:
    """Read a check file; unknown directives are bad input (a typo must not silently pass)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{shown} is not UTF-8 text", hint="save it as UTF-8") from None
    directives: dict[str, tuple[str, int]] = {}
    description: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _DIRECTIVE.match(stripped)
        if match and match.group(1) in known:
            directives[match.group(1)] = (match.group(2), number)
        elif match and not description:
            raise ConfigError(
                f"{shown}:{number}: unknown directive {match.group(1)!r}",
                hint=f"known directives: {', '.join(known)}",
            )
        else:
            description.append(stripped.lstrip("-").strip())
    if not body(text).strip():
        raise ConfigError(
            f"{shown}: no SQL in the file", hint="write the query after the directives"
        )
    return SqlFile(path, shown, text, directives, " ".join(description).strip())


def body(text: str) -> str:
    """The SQL without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))


def load(folder: Path, root: Path, known: tuple[str, ...]) -> list[SqlFile]:
    """Every ``*.sql`` file of ``folder`` (sorted by name)."""
    files = []
    for path in sorted(folder.glob("*.sql")):
        try:
            shown = str(path.relative_to(root))
        except ValueError:
            shown = str(path)
        files.append(parse(path, shown, known))
    return files


def statements(check: SqlFile, values: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The file's statements (split by the PostgreSQL parser), each with its parameters.

    ``{name}`` placeholders with a value become psycopg parameters; others are left
    alone (``'{admin}'::text[]`` is an array literal, not a placeholder).
    """
    from ..migrations.parse import SqlSyntaxError, split

    def known(match: re.Match[str]) -> bool:
        return match.group(1) in values

    # The parser cannot read {name}: split a copy where each is a same-length $1 (ending
    # where the placeholder ends, as slices drop trailing blanks).
    parsable = _PLACEHOLDER.sub(
        lambda m: ("$1" if known(m) else m.group(0)).rjust(len(m.group(0))), check.sql
    )
    try:
        pieces = split(parsable)
    except SqlSyntaxError as exc:
        raise ConfigError(
            f"{check.shown}:{exc.line}:{exc.column}: {exc.message}", hint=exc.source_line.strip()
        ) from None
    prepared = []
    for piece in pieces:
        text = check.sql[piece.offset : piece.offset + len(piece.sql)]
        names = {m.group(1) for m in _PLACEHOLDER.finditer(text) if known(m)}
        if names:
            text = _PLACEHOLDER.sub(
                lambda m: f"%({m.group(1)})s" if known(m) else m.group(0), text.replace("%", "%%")
            )
        prepared.append((text, {name: values[name] for name in names}))
    return prepared


def transaction_control(check: SqlFile) -> list[str]:
    """``file:line: WORD`` for each statement that would begin or end a transaction.

    Checks run inside a transaction pggate rolls back; a ``COMMIT`` in a file would
    commit what the checks did (a smoke ``DELETE`` deleting for real) and let the
    rest run in autocommit. A file that does not parse is left to the run to report.
    """
    from ..migrations.executor import transaction_control as classify
    from ..migrations.parse import SqlSyntaxError, split

    parsable = _PLACEHOLDER.sub(lambda m: "$1".rjust(len(m.group(0))), check.sql)
    try:
        pieces = split(parsable)
    except SqlSyntaxError:
        return []
    return [f"{check.shown}:{piece.line}: {word}" for piece, word in classify(pieces)]


def still_in_transaction(conn: psycopg.Connection[Any], check: SqlFile, query: str) -> None:
    """Raise when ``query`` ended the rolled-back transaction the checks run in.

    The parser refuses transaction control before anything runs; this is the run-time
    guard behind it: nothing more runs once the transaction is not pggate's any more.
    """
    if conn.info.transaction_status == TransactionStatus.INTRANS:
        return
    raise ConfigError(
        f"{check.shown}: {' '.join(query.split())[:80]!r} ended the transaction pggate rolls "
        "back after the checks; what ran before it may be committed; pggate stopped the checks",
        hint="remove transaction control (COMMIT, ROLLBACK, BEGIN, SAVEPOINT) from check files",
    )


class Actors:
    """Who a check runs as. Finds the tenant and member once per gate run.

    ``as: tenant`` acts as a member of the tenant owning the most rows (the
    ``[tenancy.actor]`` role and setup, like the isolation proof); any other
    value is a role name for ``SET LOCAL ROLE``.
    """

    def __init__(self, ctx: CheckContext, seed: Path | None = None) -> None:
        self.ctx = ctx
        self.seed = seed
        self._tenant: tuple[Any, Any] | None = None

    def seed_if_empty(self) -> tuple[bool, str | None]:
        """Run the seed in the current (rolled-back) transaction when no tenant has rows.

        Returns whether it ran, and its error when it failed (in its own savepoint, so
        the caller's transaction goes on: before a first migration the seed's tables
        may not exist yet).
        """
        if self.seed is None or not self.seed.is_file():
            return False, None
        tables = self.ctx.tenant_tables()
        if tables and tenants_with_rows(self.ctx.conn, tables, self.ctx.tenancy.column, 1):
            return False, None
        try:
            with self.ctx.conn.transaction():
                self.ctx.conn.execute(self.seed.read_text())
        except psycopg.Error as exc:
            return False, (str(exc).strip().splitlines() or [""])[0]
        return True, None

    def tenant(self) -> tuple[Any, Any]:
        """``(tenant, user)`` to act as; raises ``LookupError`` saying why there is none."""
        if self._tenant is None:
            tables = self.ctx.tenant_tables()
            tenants = tenants_with_rows(self.ctx.conn, tables, self.ctx.tenancy.column, 1)
            if not tenants:
                raise LookupError("no tenant has rows in the tenant tables (configure a seed)")
            user = find_member(self.ctx.conn, self.ctx.tenancy, tenants[0])
            if user is None:
                raise LookupError(f"member_query found no member of tenant {tenants[0]}")
            self._tenant = (tenants[0], user)
        return self._tenant

    def become(self, check: SqlFile) -> dict[str, Any]:
        """Switch to the check's role in the current transaction; the placeholder values."""
        values: dict[str, Any] = dict(check.params)
        role = check.as_role
        if role and role.lower() == "tenant":
            tenant, user = self.tenant()
            act_as(self.ctx.conn, self.ctx.tenancy, user, tenant)
            values.update(tenant=str(tenant), user=str(user))
        elif role:
            set_local_role(self.ctx.conn, role)
        if check.timeout is not None:
            self.ctx.conn.execute(
                "select set_config('statement_timeout', %s, true)",
                (f"{int(check.timeout * 1000)}ms",),
            )
        return values


@contextmanager
def savepoint(conn: psycopg.Connection[Any]) -> Iterator[None]:
    """A savepoint undone at the end whatever happens (errors propagate)."""
    with conn.transaction():
        yield
        raise psycopg.Rollback()


class TransactionControlCheck(GateCheck):
    """SMK003 and PRF003: a check file that would begin or end pggate's transaction."""

    abstract = True
    not_done: ClassVar[str] = ""  # what pggate does not do with such a file: "run", "measured"
    unit: ClassVar[str] = ""  # what the file holds: "check", "query"

    @classmethod
    def of(cls, check: SqlFile) -> Finding | None:
        """The finding for ``check``, or ``None`` when it has no transaction control."""
        found = transaction_control(check)
        if not found:
            return None
        return cls().finding(
            check.shown,
            f"{check.name}: not {cls.not_done}: transaction control ({'; '.join(found)})",
            f"remove it: pggate runs each {cls.unit} in a savepoint and rolls everything back",
            lines=found,
        )
