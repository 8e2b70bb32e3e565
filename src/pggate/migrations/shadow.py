"""Shadow replay: the schema a version *should* have, built on a throwaway database.

A rollback to a version whose fingerprint was never recorded (applied in a bulk run,
or before pggate recorded fingerprints) can still be proven: create a fresh database
on the same server (same major version, so catalogs deparse the same way), apply the
migrations up to that version there, take the snapshot, drop the database. The live
schema must equal it.
"""

from __future__ import annotations

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

    name = f"pggate_shadow_{uuid.uuid4().hex[:12]}"
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
    conn.execute("reset all; reset role")


def _first(exc: BaseException) -> str:
    return mask((str(exc).strip().splitlines() or [""])[0])


class ShadowUnavailable(Exception):
    """The shadow replay could not run; the message says why (the proof is then unavailable)."""
