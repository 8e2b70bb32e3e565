"""The database seam: connecting, rolled-back transactions, the advisory lock, timeouts, roles.

PostgreSQL only and small on purpose. Every connection error becomes a
``DatabaseUnavailable`` with the server's reason, masked, and what to do.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from .errors import DatabaseUnavailable, LockTimeout, TargetMismatch
from .events import NULL_EMIT, Emit, Event
from .masking import mask, register_secret

APPLICATION_NAME = "pggate"
# A stable key for pggate's migration lock: hashtext('pggate') is not stable across
# versions, so a constant chosen once (ASCII "pggate" as an integer).
MIGRATION_LOCK_KEY = 0x706767617465
# The gates lock: ``stage`` holds it shared from its migrate through its gates, ``rollback``
# takes it exclusively (before the migration lock, so the two never wait on each other in a
# cycle): a rollback never changes the schema under a stage's gates. ASCII "pggates".
GATES_LOCK_KEY = 0x70676761746573


def connect(
    url: str,
    *,
    application_name: str = APPLICATION_NAME,
    connect_timeout: float | None = 10,
    autocommit: bool = True,
) -> psycopg.Connection[dict[str, Any]]:
    """Open a connection whose rows are dicts; failures are ``DatabaseUnavailable``."""
    options: dict[str, Any] = {"application_name": application_name, "row_factory": dict_row}
    if connect_timeout:
        options["connect_timeout"] = max(1, int(connect_timeout))
    register_secret(os.environ.get("PGPASSWORD"))
    try:
        conn = psycopg.connect(url, autocommit=autocommit, **options)
    except psycopg.Error as exc:
        raise unavailable(exc, url) from None
    # The password libpq really used, wherever it found it (the URL, a password= pair,
    # PGPASSWORD, .pgpass, a service file): masked from here on in every output.
    register_secret(conn.info.password)
    return conn


def unavailable(exc: BaseException, url: str | None = None) -> DatabaseUnavailable:
    """A ``DatabaseUnavailable`` from a driver error, with the reason masked and a hint."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    lowered = reason.lower()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        hint = "check the user and password in the environment's env file"
    elif "does not exist" in lowered and "database" in lowered:
        hint = "create the database, or fix the database name in the URL"
    elif "timeout" in lowered or "timed out" in lowered:
        hint = "the server did not answer in time: check host, port, firewall and VPN"
    elif (
        "connection refused" in lowered
        or "could not connect" in lowered
        or "no such file" in lowered
    ):
        hint = "is the server running and listening on that host and port?"
    elif "ssl" in lowered:
        hint = "check sslmode in the URL (for example ?sslmode=require)"
    else:
        hint = "check the database URL and that the server accepts connections"
    target = f" at {mask(url)}" if url else ""
    return DatabaseUnavailable(f"cannot connect{target}: {mask(reason)}", hint=hint)


@contextmanager
def rolled_back(conn: psycopg.Connection[Any]) -> Iterator[psycopg.Connection[Any]]:
    """A transaction that is always rolled back, whatever happens inside."""
    with conn.transaction():
        yield conn
        raise psycopg.Rollback()


# Keywords PostgreSQL reserves, even as type or function names (pg_get_keywords(), catcode
# R and T): a role or schema of that name must be quoted in a statement a person pastes.
_RESERVED = frozenset(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user
    default deferrable desc distinct do else end except false fetch for foreign freeze from
    full grant group having ilike in initially inner intersect into is isnull join lateral
    leading left like limit localtime localtimestamp natural not notnull null offset on only
    or order outer overlaps placing primary references returning right select session_user
    similar some symmetric table tablesample then to trailing true union unique user using
    variadic verbose when where window with""".split()
)


def sql_name(name: str) -> str:
    """An identifier as SQL a person can paste into a hint: bare when it may be, else quoted."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


class RoleSwitchDenied(psycopg.errors.InsufficientPrivilege):
    """``SET ROLE`` was refused; ``hint`` names the grant that is missing.

    Still an ``InsufficientPrivilege`` so callers that turn driver errors into findings
    (smoke, bench files) keep doing so, and a command it escapes exits 3 with the hint.
    """

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def set_local_role(conn: psycopg.Connection[Any], role: str) -> None:
    """``SET LOCAL ROLE``: only inside a transaction, undone at its end.

    Refused because the connecting role is not a member: ``RoleSwitchDenied`` naming the
    grant. (A role that does not exist keeps PostgreSQL's own error, which says so.)
    """
    try:
        conn.execute(sql.SQL("set local role {}").format(sql.Identifier(role)))
    except psycopg.errors.InsufficientPrivilege:
        raise cannot_set_role(conn.info.user, role) from None


def cannot_set_role(who: str, role: str) -> RoleSwitchDenied:
    """The refusal of ``SET ROLE role`` to ``who``, with the grant that would allow it."""
    return RoleSwitchDenied(
        f"role {who} cannot SET ROLE to {role}: {who} is not a member of {role}",
        hint=f"as a superuser or an admin of {role}, run `{grant_role(who, role)}`, "
        "or connect as a role that is a member",
    )


def grant_role(who: str, *roles: str) -> str:
    """``grant <roles> to <who>``, ready to paste."""
    return f"grant {', '.join(sql_name(r) for r in roles)} to {sql_name(who)}"


# What SQL can change about a session, undone: RESET ALL leaves the role and the session
# authorization alone, and each has its own RESET (which any role may run: back to the
# one that connected). A migration must not leak any of them into pggate's rows or the next.
RESET_SESSION = "reset all; reset session authorization; reset role"


def set_timeouts(
    conn: psycopg.Connection[Any],
    *,
    lock_timeout: float | None = None,
    statement_timeout: float | None = None,
    local: bool = False,
) -> None:
    """Set ``lock_timeout``/``statement_timeout`` in seconds (``None``: no limit)."""

    def value(seconds: float | None) -> str:
        return f"{int(seconds * 1000)}ms" if seconds else "0"

    conn.execute(
        "select set_config('lock_timeout', %s, %s), set_config('statement_timeout', %s, %s)",
        (value(lock_timeout), local, value(statement_timeout), local),
    )


@dataclass(frozen=True)
class ServerInfo:
    """Who and where we are connected."""

    version: str
    version_num: int
    system_identifier: str | None
    database: str
    current_user: str
    superuser: bool
    bypassrls: bool
    ssl: bool | None
    in_recovery: bool

    @property
    def identity(self) -> str | None:
        """``<system_identifier>/<database>``, what an environment ``pin`` holds."""
        if self.system_identifier is None:
            return None
        return f"{self.system_identifier}/{self.database}"

    @property
    def major(self) -> int:
        """Major version, for example 15."""
        return self.version_num // 10000


def server_info(conn: psycopg.Connection[Any]) -> ServerInfo:
    """Version, identity and privileges of the current connection, in one round trip."""
    row = conn.execute(
        """
        select current_setting('server_version') as version,
               current_setting('server_version_num')::int as version_num,
               current_database() as database,
               current_user as current_user,
               r.rolsuper as superuser,
               r.rolbypassrls as bypassrls,
               (select ssl from pg_stat_ssl where pid = pg_backend_pid()) as ssl,
               pg_is_in_recovery() as in_recovery
        from pg_roles r where r.rolname = current_user
        """
    ).fetchone()
    assert row is not None
    return ServerInfo(system_identifier=_system_identifier(conn), **row)


def _system_identifier(conn: psycopg.Connection[Any]) -> str | None:
    # pg_control_system() needs no superuser, but a managed service may revoke it.
    try:
        with conn.transaction():
            row = conn.execute(
                "select system_identifier::text as id from pg_control_system()"
            ).fetchone()
    except psycopg.Error:
        return None
    return row["id"] if row else None


def check_pin(info: ServerInfo, pin: str | None, env_name: str) -> None:
    """Refuse when the server is not the one the environment is pinned to."""
    if pin is None or info.identity == pin:
        return
    raise TargetMismatch(
        f"environment {env_name!r} is pinned to {pin} but the server answered as "
        f"{info.identity or 'an unknown identity'}",
        hint="the env file points at another database than before: fix the URL, "
        "or update pin after checking with `pggate check-env`",
    )


@contextmanager
def advisory_lock(
    conn: psycopg.Connection[Any],
    key: int = MIGRATION_LOCK_KEY,
    *,
    wait: float = 60.0,
    poll: float = 0.05,
    emit: Emit = NULL_EMIT,
    shared: bool = False,
) -> Iterator[None]:
    """Hold a session advisory lock, polling ``pg_try_advisory_lock`` up to ``wait`` seconds.

    Polling rather than ``pg_advisory_lock``: a session blocked inside the latter
    holds a snapshot, which makes another runner's CREATE INDEX CONCURRENTLY
    wait for it forever. Re-entrant in PostgreSQL's sense (counted per session).
    When the lock is taken, a ``lock.waiting`` event says so once, naming the holder.
    ``shared``: the shared mode (``pg_try_advisory_lock_shared``), which only an
    exclusive holder blocks.
    """
    deadline = time.monotonic() + wait
    delay = poll
    announced = False
    suffix = "_shared" if shared else ""
    what = "the migration lock" if key == MIGRATION_LOCK_KEY else "the gates lock"
    holder = "another pggate run" if key == MIGRATION_LOCK_KEY else "a stage running its gates"
    if key == GATES_LOCK_KEY and shared:
        holder = "a rollback"
    hint = (
        "wait for it to finish and run again (it will find nothing pending if it "
        "applied everything), or raise --lock-wait"
        if key == MIGRATION_LOCK_KEY
        else "wait for it to finish and run again, or raise --lock-wait "
        "(or the environment's lock_wait)"
    )
    try_lock = f"select pg_try_advisory_lock{suffix}(%s) as ok"
    while not conn.execute(try_lock, (key,)).fetchone()["ok"]:
        if not announced and wait > 0:
            emit(
                Event(
                    "lock.waiting",
                    f"waiting up to {wait:g}s for {what}, held by {lock_holder(conn, key)}",
                )
            )
            announced = True
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"{holder} holds {what} ({lock_holder(conn, key)}); waited {wait:g}s",
                hint=hint,
            )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            try:
                conn.execute(f"select pg_advisory_unlock{suffix}(%s)", (key,))
            except psycopg.Error:
                pass  # the session is gone, and the lock went with it


def lock_holder(conn: psycopg.Connection[Any], key: int = MIGRATION_LOCK_KEY) -> str:
    """Who holds advisory lock ``key``: pid, application and user, for messages."""
    row = conn.execute(
        """
        select a.pid, a.application_name, a.usename, a.client_addr::text as client
        from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted
          and ((l.classid::bigint << 32) | l.objid::bigint) = %s
        limit 1
        """,
        (key,),
    ).fetchone()
    if row is None:
        return "holder unknown"
    client = f" from {row['client']}" if row["client"] else ""
    return f"pid {row['pid']}, application {row['application_name'] or '?'}, user {row['usename']}{client}"


POOLER_PROBES = 5  # rounds of the pooler probe: a few ms, and only when something is in between


def behind_transaction_pooler(conn: psycopg.Connection[Any], url: str | None = None) -> bool:
    """Whether the connection goes through a transaction-mode pooler (PgBouncer, Supavisor 6543).

    Session advisory locks and session settings do not hold there: the next transaction
    may run on another server connection, and ours may serve another client meanwhile.

    When the server sees our own TCP socket as its client, nothing is in between and
    nothing more is asked. Otherwise: a busy pooler moves our transactions between
    backends, so the backend pid changes between transactions; an idle one hands the
    backend our last transaction used to the next client, so a second connection
    (to ``url``) opened while ours is idle gets our backend. Neither can happen on a
    direct connection or behind a session-mode pooler, where our backend is ours until
    we disconnect. The probe runs several rounds: with other clients busy on the pooler,
    one round missed one time in four (four runners on a pool of three).
    """
    first = _backend(conn)
    if first["direct"]:
        return False
    if url is None:
        return any(_backend(conn)["pid"] != first["pid"] for _ in range(POOLER_PROBES))
    with connect(url, application_name=APPLICATION_NAME + " pooler probe") as other:
        # Several rounds: with other clients busy, one round can miss (they took our backend
        # before the probe could, and gave it back before our next transaction).
        for _ in range(POOLER_PROBES):
            if _backend(other)["pid"] == first["pid"] or _backend(conn)["pid"] != first["pid"]:
                return True
    return False


def _backend(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Our backend's pid, and whether the server's client port is our own socket's."""
    row = conn.execute("select pg_backend_pid() as pid, inet_client_port() as port").fetchone()
    assert row is not None
    return {
        "pid": row["pid"],
        "direct": row["port"] is not None and row["port"] == _local_port(conn),
    }


def _local_port(conn: psycopg.Connection[Any]) -> int | None:
    """The local TCP port of the connection's socket (``None`` over a Unix socket)."""
    import socket

    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            name = sock.getsockname()
    except OSError:
        return None
    return name[1] if isinstance(name, tuple) else None


def split_qualified(name: str) -> tuple[str, ...]:
    """``'public.tasks'`` -> ``('public', 'tasks')``; quoted parts keep their dots."""
    parts, current, quoted, index = [], "", False, 0
    while index < len(name):
        char = name[index]
        if char == '"':
            if quoted and name[index + 1 : index + 2] == '"':
                current += '"'
                index += 1
            else:
                quoted = not quoted
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    return tuple(parts)


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server (URL or key=value form)."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from psycopg.conninfo import make_conninfo

    if "://" not in url:
        return make_conninfo(url, dbname=database)
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(database, safe="")))
