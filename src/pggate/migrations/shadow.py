"""Shadow replay: the schema a version *should* have, built on a throwaway database.

A rollback to a version whose fingerprint was never recorded (applied in a bulk run,
or before pggate recorded fingerprints) can still be proven: create a fresh database
on the same server (same major version, so catalogs deparse the same way), apply the
migrations up to that version there, take the snapshot, drop the database. The live
schema must equal it.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from .. import db
from ..masking import mask
from .executor import StatementFailed, execute_section
from .files import Migration

Prepare = Callable[[psycopg.Connection[Any]], None]


def replay(
    url: str,
    migrations: Sequence[Migration],
    *,
    exclude_schemas: Sequence[str],
    prepare: Prepare | None = None,
) -> dict[str, Any]:
    """The snapshot after applying ``migrations`` to a new database; raises ``ShadowUnavailable``."""
    from ..schema.snapshot import take

    name = shadow_name(os.getpid(), _started(os.getpid()))
    with db.connect(url, autocommit=True) as admin:
        try:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            raise ShadowUnavailable(f"cannot create a shadow database: {_first(exc)}") from None
        try:
            with db.connect(db.with_database(url, name), autocommit=True) as conn:
                if prepare is not None:
                    prepare(conn)
                for migration in migrations:
                    _apply(conn, migration)
                return take(conn, exclude_schemas=list(exclude_schemas))
        finally:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


PREFIX = "pggate_shadow_"
# pggate_shadow_<host tag>_<pid>_<process start ticks>_<created, Unix time>_<random>: who
# made it, so a later run can tell a replay still running from one whose process died
# (SIGKILL, a lost CI runner).
_NAME = re.compile(
    rf"^{PREFIX}(?P<host>[0-9a-f]{{8}})_(?P<pid>\d+)_(?P<start>\d+)_(?P<at>\d+)_[0-9a-f]{{4}}$"
)
_LEGACY = re.compile(rf"^{PREFIX}[0-9a-f]{{12}}$")  # before names said who made them
FOREIGN_AGE = 6 * 3600  # seconds: another machine's shadow with no session is orphaned after


def shadow_name(pid: int, started: int) -> str:
    """The name of a shadow database made by process ``pid`` (started at ``started``)."""
    return f"{PREFIX}{_host_tag()}_{pid}_{started}_{int(time.time())}_{uuid.uuid4().hex[:4]}"


def drop_orphans(url: str) -> list[str]:
    """Drop shadow databases whose replay is over without them being dropped; their names.

    Ours (this machine): the process that made it is gone, or its pid now belongs to a
    process started at another time. Another machine's, or one named before names said
    who made them: nobody is connected to it (and, for another machine's, it is older
    than ``FOREIGN_AGE``). A running replay is never touched.
    """
    with db.connect(url, autocommit=True) as admin:
        rows = admin.execute(
            "select d.datname as name, exists (select 1 from pg_stat_activity a "
            "where a.datid = d.oid) as busy from pg_database d where d.datname like %s",
            (PREFIX.replace("_", "\\_") + "%",),
        ).fetchall()
        dropped = []
        for row in rows:
            if _orphaned(row["name"], row["busy"]):
                try:
                    admin.execute(
                        sql.SQL("drop database if exists {} with (force)").format(
                            sql.Identifier(row["name"])
                        )
                    )
                except psycopg.Error:
                    continue  # no privilege, or dropped meanwhile: not ours to report
                dropped.append(row["name"])
        return dropped


def _orphaned(name: str, busy: bool) -> bool:
    found = _NAME.match(name)
    if found is None:
        return bool(_LEGACY.match(name)) and not busy
    if found["host"] != _host_tag():
        return not busy and time.time() - int(found["at"]) > FOREIGN_AGE
    pid, start = int(found["pid"]), int(found["start"])
    return _started(pid) != start


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def _started(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot on Linux); 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[19])
    except FileNotFoundError:
        return 0
    except OSError:  # no /proc: only whether the pid is alive can be told
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return 0
        except PermissionError:
            pass
        return 1


def _apply(conn: psycopg.Connection[Any], migration: Migration) -> None:
    try:
        if migration.transactional:
            with conn.transaction():
                execute_section(conn, migration, "up")
        else:
            execute_section(conn, migration, "up")
    except StatementFailed as failed:
        raise ShadowUnavailable(
            f"replaying {failed.location} failed: {failed.server_message}"
        ) from None
    conn.execute(db.RESET_SESSION)


def _first(exc: BaseException) -> str:
    return mask((str(exc).strip().splitlines() or [""])[0])


class ShadowUnavailable(Exception):
    """The shadow replay could not run; the message says why (the proof is then unavailable)."""
