from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg

from ...config import Project, Record, validates
from ...db import split_qualified
from ...errors import ConfigError
from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._truth import function_calls, parse_expression

COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete"}
_PRIVILEGE = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}

# The role Supabase Auth puts in every user's token, anonymous or not; the roles whose
# privileges it has (a policy ``to`` one of them applies to it), and whether RLS applies.
_AUTHENTICATED = """
select a.rolsuper or a.rolbypassrls as bypass,
       array(select r.rolname::text from pg_roles r where pg_has_role(a.oid, r.oid, 'USAGE')) as roles
from pg_roles a where a.rolname = 'authenticated'
"""

# Whether auth.users records anonymous users (GoTrue's ``is_anonymous`` column), and
# whether this connection may read it: asked before the table is read.
_ANON_COLUMN = """
select has_column_privilege(a.attrelid, a.attnum, 'SELECT') as readable
from pg_attribute a
where a.attrelid = to_regclass('auth.users') and a.attname = 'is_anonymous'
  and not a.attisdropped and a.atttypid = 'boolean'::regtype
"""

# The bodies of the functions called ``names`` (SQL-standard bodies have an empty prosrc
# and are printed). The name filter runs first (``offset 0``), so only those few are read.
_BODIES = """
select f.schema, f.name,
       case when f.prosrc <> '' then f.prosrc else pg_get_functiondef(f.oid) end as body
from (select n.nspname::text as schema, p.proname::text as name, p.oid, p.prosrc
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.proname = any(%(names)s) and p.prokind = 'f'
        and n.nspname not in ('pg_catalog', 'information_schema')
      offset 0) f
"""

# Which (table, command) pairs ``authenticated`` holds the privilege for: without it
# PostgreSQL refuses the command before any policy is consulted.
_GRANTED = """
select t.oid::int as oid, t.code
from unnest(%(oids)s::oid[], %(codes)s::text[]) as t(oid, code)
where case t.code
        when 'r' then has_table_privilege('authenticated', t.oid, 'SELECT')
        when 'd' then has_table_privilege('authenticated', t.oid, 'DELETE')
        when 'a' then has_any_column_privilege('authenticated', t.oid, 'INSERT')
        else has_any_column_privilege('authenticated', t.oid, 'UPDATE')
      end
"""


class RlsConfig(Record):
    """``[gates.rls]``."""

    # unset: found out (Supabase's config.toml, anonymous users in auth.users)
    anonymous_sign_ins: bool | None = None
    anonymous_tables: list[str] = []  # tables anonymous users are meant to use

    @validates("anonymous_tables")
    def _qualified(value: list[str]) -> list[str]:
        for name in value:
            if len(split_qualified(name)) != 2:
                raise ValueError(f"{name!r}: tables are written schema.table")
        return value


@dataclass(frozen=True)
class AnonymousSignIns:
    """Whether anonymous users can reach the database, and what said so."""

    on: bool
    source: str

    def describe(self) -> str:
        """One line for reports."""
        return f"{'on' if self.on else 'off'} ({self.source})"


def anonymous_sign_ins(ctx: CheckContext) -> AnonymousSignIns:
    """Whether anonymous sign-ins are in play (read once per run).

    ``[gates.rls] anonymous_sign_ins`` decides when set. Otherwise they are on when the
    project's Supabase CLI configuration (``supabase/config.toml``) enables them, or when
    ``auth.users`` holds anonymous users: both facts, never a guess from the policies.
    """
    if "anonymous_sign_ins" not in ctx._cache:
        ctx._cache["anonymous_sign_ins"] = _detect(ctx)
    return ctx._cache["anonymous_sign_ins"]


def _detect(ctx: CheckContext) -> AnonymousSignIns:
    configured = ctx.gate_config("rls", RlsConfig).anonymous_sign_ins
    if configured is not None:
        return AnonymousSignIns(
            configured, f"[gates.rls] anonymous_sign_ins = {str(configured).lower()}"
        )
    config_toml = _supabase_config(ctx.project)
    if config_toml is not None and _enabled_in(config_toml):
        where = _shown(config_toml, ctx.project)
        return AnonymousSignIns(True, f"{where} [auth] enable_anonymous_sign_ins = true")
    users = _anonymous_users(ctx)
    if users is True:
        return AnonymousSignIns(True, "auth.users holds anonymous users")
    said = (
        f"{_shown(config_toml, ctx.project)} does not enable them"
        if config_toml is not None
        else "no supabase/config.toml"
    )
    found = {
        False: "auth.users holds no anonymous user",
        None: "auth.users has no is_anonymous column",
    }.get(users, users)
    return AnonymousSignIns(False, f"{said}; {found}")


def _shown(path: Path, project: Project) -> str:
    """``path`` relative to the project when inside it."""
    return str(path.relative_to(project.root)) if path.is_relative_to(project.root) else str(path)


def _supabase_config(project: Project) -> Path | None:
    """The Supabase CLI's ``config.toml`` beside the migrations folder, or under supabase/."""
    candidates = [project.root / "supabase" / "config.toml"]
    if project.migrations_dir.parent.name == "supabase":
        candidates.insert(0, project.migrations_dir.parent / "config.toml")
    return next((path for path in candidates if path.is_file()), None)


def _enabled_in(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not readable as TOML ({exc}); pggate reads its "
            "[auth] enable_anonymous_sign_ins",
            hint="fix the file, or set [gates.rls] anonymous_sign_ins in pggate.toml so "
            "pggate does not read it",
        ) from None
    auth = data.get("auth")
    return isinstance(auth, dict) and auth.get("enable_anonymous_sign_ins") is True


def _anonymous_users(ctx: CheckContext) -> bool | str | None:
    """Whether auth.users holds an anonymous user.

    ``None`` when it has no such column; a string saying why when it could not be read.
    """
    column = ctx.conn.execute(_ANON_COLUMN).fetchone()
    if column is None:
        return None
    if not column["readable"]:
        return "auth.users.is_anonymous is not readable by this role"
    try:
        with ctx.conn.transaction(force_rollback=True):
            ctx.conn.execute("set local statement_timeout = '5s'")
            row = ctx.conn.execute(
                "select exists (select 1 from auth.users where is_anonymous) as found"
            ).fetchone()
    except psycopg.Error as exc:
        return f"auth.users could not be read ({type(exc).__name__})"
    assert row is not None
    return bool(row["found"])


class AnonymousUsersPass(Check):
    """Policy on a tenant table that lets every signed-in user in, anonymous ones included.

    **Problem**: a user who signs in anonymously (``signInAnonymously()``, no email, no
    password) gets the ``authenticated`` role like everyone else; only the ``is_anonymous``
    claim of the token tells them apart. A policy that admits ``authenticated`` without
    looking at who the user is (``using (true)``, ``auth.role() = 'authenticated'``,
    ``is_public``) was written for people who signed up, or were invited; with anonymous
    sign-ins on it admits anyone on the internet, one click away.

    Judged only when anonymous sign-ins are in play: ``[gates.rls] anonymous_sign_ins =
    true``, or, when that is unset, ``supabase/config.toml`` enabling them or anonymous users
    in ``auth.users``; the rls gate's summary says which. Then, on each tenant-scoped table,
    for each command ``authenticated`` is granted, a permissive policy that applies to it
    (``to authenticated``, ``public`` or a role it inherits) is reported when the clause
    deciding that command (USING; WITH CHECK for insert) reads nothing of the user: no
    ``auth.uid()``, ``auth.jwt()``, ``auth.email()``, ``current_setting()`` (the claims), no
    ``is_anonymous``, and no function whose body does (followed three calls deep). A policy
    that reads the user (``owner_id = auth.uid()``, the user's memberships) admits an
    anonymous user only to what that user was given, like any new user, and is not
    reported; nor is a command a restrictive policy for ``authenticated`` already decides by
    the user or the claim. Tables in ``[gates.rls] anonymous_tables`` are meant for
    anonymous users.

    **Fix**: scope the policy to the user (their tenant's memberships), or keep anonymous
    users out of the table::

        create policy no_anonymous on public.tasks as restrictive to authenticated
            using ((select (auth.jwt() ->> 'is_anonymous')::boolean) is false)
            with check ((select (auth.jwt() ->> 'is_anonymous')::boolean) is false);

    or, when anonymous users are meant to use it, list the table in
    ``[gates.rls] anonymous_tables``.
    """

    id = "RLS019"
    gate = "rls"
    severity = Severity.WARNING
    verified = (
        "with anonymous sign-ins on, no policy of a tenant table lets every signed-in user "
        "in without reading who they are"
    )

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        if not anonymous_sign_ins(ctx).on:
            return []
        role = ctx.conn.execute(_AUTHENTICATED).fetchone()
        if role is None or role["bypass"]:
            return []  # not Supabase, or RLS does not apply to it at all (another finding)
        applies = {"public", *role["roles"]}
        meant = {
            ".".join(split_qualified(t)) for t in ctx.gate_config("rls", RlsConfig).anonymous_tables
        }
        tables: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for policy in ctx.policies():
            if policy["tenant_scoped"] and policy["rls"] and applies & set(policy["roles"]):
                if ".".join(split_qualified(policy["name"])) not in meant:
                    tables[policy["name"]].append(policy)
        if not tables:
            return []
        readers = _user_readers(ctx, [p for policies in tables.values() for p in policies])
        open_: dict[tuple[str, str], list[str]] = {}
        for name, policies in tables.items():
            for code in COMMANDS:
                covering = [p for p in policies if p["command"] in (code, "*")]
                restrictive = [p for p in covering if not p["permissive"]]
                if any(_reads_user(p, code, readers, every=True) for p in restrictive):
                    continue
                for p in covering:
                    if p["permissive"] and _grants(p, code) and not _reads_user(p, code, readers):
                        open_.setdefault((name, p["policy"]), []).append(code)
        return _granted(ctx, open_)

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            what = ", ".join(COMMANDS[c].upper() for c in row["codes"])
            yield self.finding(
                row["name"],
                f"policy {row['policy']} on {row['name']} ({what}) lets every signed-in user "
                "in without reading who they are: with anonymous sign-ins on, that is anyone, "
                "no account needed",
                f"scope {row['policy']} to the user, or add a restrictive policy on "
                f"{row['name']} to authenticated with ((select (auth.jwt() ->> "
                "'is_anonymous')::boolean) is false); list it in [gates.rls] anonymous_tables "
                "if anonymous users are meant to use it",
                policy=row["policy"],
                commands=[COMMANDS[c] for c in row["codes"]],
            )


def _clauses(policy: dict[str, Any], code: str, *, every: bool = False) -> list[str] | None:
    """The clauses deciding ``code`` for ``policy`` (``None``: it grants nothing for it).

    USING decides which rows select, update and delete reach; WITH CHECK (USING when it
    is absent) which rows insert writes. ``every``: for update, WITH CHECK too (a
    restrictive policy reading the user in either clause binds the command to the user).
    A policy without USING reaches no row.
    """
    using = None if policy["no_using"] else policy["using_expr"]
    check = None if policy["no_check"] else policy["check_expr"]
    if code in ("r", "d"):
        return None if using is None else [using]
    if code == "a":
        written = check if check is not None else using
        return None if written is None else [written]
    if using is None:
        return None
    return [using, *([check] if every and check is not None else [])]


def _grants(policy: dict[str, Any], code: str) -> bool:
    return _clauses(policy, code) is not None


def _reads_user(
    policy: dict[str, Any], code: str, readers: frozenset[str], *, every: bool = False
) -> bool:
    """Whether a clause deciding ``code`` reads the user (itself or through a call)."""
    return any(_text_reads_user(t, readers) for t in _clauses(policy, code, every=every) or ())


# What reads the request's user in a policy or a function body: Supabase's helpers, the
# claims PostgREST sets (``current_setting('request.jwt.claims')``, any setting counts),
# and the anonymous claim however it is reached.
# ``auth.role()`` reads the claims too, but says only ``authenticated``: it is no reader.
_USER_CALLS = {("auth", "uid"), ("auth", "jwt"), ("auth", "email"), ("", "current_setting")}
_NOT_USER = ("auth", "role")
_USER_TEXT = re.compile(
    r"is_anonymous|request\.jwt\.claim|\bauth\s*\.\s*(uid|jwt|email)\s*\(|\bcurrent_setting\s*\(",
    re.IGNORECASE,
)


def _text_reads_user(text: str, readers: frozenset[str]) -> bool:
    if _USER_TEXT.search(text):
        return True
    for schema, name in _called(text):
        if (schema, name) == _NOT_USER:
            continue
        if (schema, name) in _USER_CALLS or (
            schema in ("", "pg_catalog") and name == "current_setting"
        ):
            return True
        if f"{schema}.{name}" in readers or (not schema and f"*.{name}" in readers):
            return True
    return False


_BODY_CALL = re.compile(r"([a-z_][a-z0-9_$]*)\s*\(", re.IGNORECASE)


def _user_readers(ctx: CheckContext, policies: list[dict[str, Any]]) -> frozenset[str]:
    """``schema.name`` (and ``*.name``) of the functions the policies call that read the user.

    A body reads the user when it matches ``_USER_TEXT`` or calls (by name, found in its
    text) a function that does; bodies are fetched three calls deep, one query per level.
    """
    wanted = {
        name
        for p in policies
        for text in (p["using_expr"], p["check_expr"])
        for _, name in _called(text)
    }
    bodies: dict[tuple[str, str], str] = {}
    fetched: set[str] = set()
    for _ in range(3):
        wanted -= fetched
        if not wanted:
            break
        fetched |= wanted
        for row in ctx.conn.execute(_BODIES, {"names": sorted(wanted)}).fetchall():
            if (row["schema"], row["name"]) != _NOT_USER:
                bodies[(row["schema"], row["name"])] = row["body"] or ""
        wanted = {m.lower() for body in bodies.values() for m in _BODY_CALL.findall(body)}
    reading = {key for key, body in bodies.items() if _USER_TEXT.search(body)}
    changed = True
    while changed:  # a body calling a function that reads the user reads it too
        changed = False
        names = {name for _, name in reading}
        for key, body in bodies.items():
            if key not in reading and any(m.lower() in names for m in _BODY_CALL.findall(body)):
                reading.add(key)
                changed = True
    return frozenset(f"{s}.{n}" for s, n in reading) | frozenset(f"*.{n}" for _, n in reading)


def _granted(ctx: CheckContext, open_: dict[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """The rows of ``open_`` (table, policy -> commands) kept to the commands granted."""
    if not open_:
        return []
    oids = {t.qualified: t.oid for t in ctx.table_security()}
    pairs = sorted({(oids[name], code) for (name, _), codes in open_.items() for code in codes})
    granted = {
        (r["oid"], r["code"])
        for r in ctx.conn.execute(
            _GRANTED,
            {"oids": [p[0] for p in pairs], "codes": [p[1] for p in pairs]},
        ).fetchall()
    }
    rows = []
    for (name, policy), codes in open_.items():
        kept = [c for c in codes if (oids[name], c) in granted]
        if kept:
            rows.append({"name": name, "policy": policy, "codes": kept})
    return rows


@lru_cache(maxsize=4096)
def _called(text: str) -> tuple[tuple[str, str], ...]:
    """(schema or '', name) of every function called in ``text``, subqueries included."""
    if "(" not in text:
        return ()
    node = parse_expression(text)  # None: syntax pglast does not know, no call found
    return tuple(dict.fromkeys(function_calls(node))) if node is not None else ()
