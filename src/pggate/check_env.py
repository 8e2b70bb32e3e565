"""The check-env step (``pggate check-env``, step 1 of ``stage``): is this environment usable?

``inspect_environment`` gathers facts about the server in a few queries and
turns what a careful release engineer would worry about into ENV findings
(ENV001-ENV009, declared with their severities in ``pggate.catalogue``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .catalogue import finding
from .db import behind_transaction_pooler, sql_name
from .results import Finding, Status, status_of, worst_first
from .session import Session

MIN_SERVER_MAJOR = 13


@dataclass(frozen=True)
class EnvReport:
    """What ``pggate check-env`` returns."""

    env: str
    target: str  # masked
    source: str
    facts: dict[str, Any]
    findings: tuple[Finding, ...] = ()
    duration_ms: float = 0.0
    extensions: tuple[dict[str, str], ...] = field(default_factory=tuple)

    @property
    def status(self) -> Status:
        """``fail`` with an error finding, ``warn`` with warnings, else ``pass``."""
        return status_of(self.findings)

    def exit_code(self) -> int:
        """0 usable (warnings allowed), 1 when an error finding makes it unusable."""
        return 1 if self.status == Status.FAIL else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON for ``check-env --format json`` and ``steps/01_environment.json``."""
        return {
            "env": self.env,
            "status": str(self.status),
            "target": self.target,
            "source": self.source,
            "facts": self.facts,
            "extensions": list(self.extensions),
            "findings": [f.to_dict() for f in worst_first(self.findings)],
            "duration_ms": round(self.duration_ms, 1),
        }


def inspect_environment(session: Session) -> EnvReport:
    """Facts and findings about the session's server and role."""
    started = time.perf_counter()
    info = session.info
    conn = session.conn
    history = session.project.settings.project.history_table
    row = conn.execute(
        """
        select has_database_privilege(current_database(), 'CREATE') as can_create_schema,
               to_regclass(format('%%I.%%I', %(schema)s::text, %(table)s::text)) is not null
                 as history_exists,
               exists (select from pg_namespace where nspname = %(schema)s) as history_schema_exists,
               current_setting('TimeZone') as timezone,
               current_setting('server_encoding') as encoding,
               inet_server_addr()::text as server_addr
        """,
        dict(zip(("schema", "table"), history.split("."), strict=True)),
    ).fetchone()
    assert row is not None
    extensions = tuple(
        conn.execute(
            "select extname as name, extversion as version, n.nspname as schema "
            "from pg_extension e join pg_namespace n on n.oid = e.extnamespace order by extname"
        ).fetchall()
    )
    facts: dict[str, Any] = {
        "server_version": info.version,
        "server_version_num": info.version_num,
        "database": info.database,
        "current_user": info.current_user,
        "superuser": info.superuser,
        "bypassrls": info.bypassrls,
        "ssl": info.ssl,
        # inet_server_addr() is null over a Unix socket: nothing leaves the machine, and
        # libpq never uses SSL there.
        "unix_socket": row["server_addr"] is None,
        "in_recovery": info.in_recovery,
        "identity": info.identity,
        "pinned": session.target.environment.pin is not None,
        "local": session.target.is_local,
        "history_table": history,
        "history_table_exists": row["history_exists"],
        "can_create": row["can_create_schema"],
        "history_schema_exists": row["history_schema_exists"],
        "timezone": row["timezone"],
        "encoding": row["encoding"],
    }
    if session.server is not None:
        facts["engine"] = session.server.engine.label
    pooled = not session.target.embedded and behind_transaction_pooler(conn, session.url)
    facts["transaction_pooler"] = pooled
    if session.project.settings.project.supabase and not session.target.is_local:
        from .supabase.detect import missing_surface

        facts["supabase_missing"] = missing_surface(conn)
    findings = _findings(session, facts)
    return EnvReport(
        env=session.target.name,
        target=session.target.masked_url,
        source=session.target.source,
        facts=facts,
        findings=tuple(findings),
        duration_ms=(time.perf_counter() - started) * 1000,
        extensions=extensions,
    )


def _finding(check: str, obj: str, message: str, hint: str) -> Finding:
    return finding(check, obj, message, hint)


def _findings(session: Session, facts: dict[str, Any]) -> list[Finding]:
    env = session.target.name
    role = facts["current_user"]
    out: list[Finding] = []
    if facts["superuser"]:
        out.append(
            _finding(
                "ENV001",
                f"role {role}",
                f"connected as superuser {role}",
                "fine for migrating; RLS proofs switch to the actor role with SET LOCAL ROLE. "
                "For least privilege, migrate as the schema owner instead",
            )
        )
    elif facts["bypassrls"]:
        out.append(
            _finding(
                "ENV002",
                f"role {role}",
                f"role {role} has BYPASSRLS: queries it runs ignore row-level security",
                "RLS proofs switch roles with SET LOCAL ROLE; never run the app as this role",
            )
        )
    if not facts["ssl"] and not session.target.is_local and not facts["unix_socket"]:
        out.append(
            _finding(
                "ENV003",
                env,
                "the connection is not encrypted (SSL off) on a non-local environment",
                "add ?sslmode=require (or verify-full) to the database URL",
            )
        )
    if not facts["history_table_exists"]:
        out.append(
            _finding(
                "ENV004",
                facts["history_table"],
                "pggate's history table does not exist yet: nothing was migrated by pggate here",
                "it is created by the first `pggate migrate`; use `pggate adopt` for a database "
                "migrated by another tool",
            )
        )
    if facts["in_recovery"]:
        out.append(
            _finding(
                "ENV005",
                env,
                "the server is a read-only standby (in recovery)",
                "point the environment at the primary",
            )
        )
    if facts["server_version_num"] < MIN_SERVER_MAJOR * 10000:
        out.append(
            _finding(
                "ENV006",
                env,
                f"PostgreSQL {facts['server_version']} is older than {MIN_SERVER_MAJOR}",
                f"upgrade the server to PostgreSQL {MIN_SERVER_MAJOR} or newer",
            )
        )
    if not facts["can_create"] and not facts["superuser"]:
        out.append(
            _finding(
                "ENV007",
                f"role {role}",
                f"role {role} cannot create schemas in database {facts['database']}",
                _env007_hint(facts),
            )
        )
    if facts["transaction_pooler"]:
        out.append(
            _finding(
                "ENV008",
                env,
                "the connection goes through a transaction-mode pooler (PgBouncer "
                "pool_mode = transaction, Supabase's pooler on port 6543): pggate's "
                "transactions do not keep one server session",
                "point the environment at the direct connection: the database server itself "
                "(Supabase: db.<project-ref>.supabase.co:5432) or a session-mode pooler "
                "(Supabase's pooler on port 5432, PgBouncer pool_mode = session)",
            )
        )
    if facts.get("supabase_missing"):
        from .supabase.detect import NOT_SUPABASE

        out.append(
            _finding(
                "ENV009",
                env,
                f"{NOT_SUPABASE} (missing: {', '.join(facts['supabase_missing'])})",
                f"add `local = true` to [environments.{env}] for a server of your own, or point "
                "the environment at the Supabase project's database",
            )
        )
    return out


def _env007_hint(facts: dict[str, Any]) -> str:
    role, database = sql_name(facts["current_user"]), sql_name(facts["database"])
    hint = f"grant create on database {database} to {role}, or migrate as its owner"
    if facts["history_table_exists"] or facts["history_schema_exists"]:
        return hint
    # The first migrate creates pggate's schema: it would be refused too.
    schema = sql_name(facts["history_table"].split(".")[0])
    return (
        f"{hint}; pggate's first migrate creates schema {schema} for its tables: have an owner "
        f"run `create schema {schema} authorization {role}` once, or set [project] "
        f"history_table to a table in a schema {role} owns"
    )
