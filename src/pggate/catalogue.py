"""The one catalogue of finding ids: every id pggate can report, declared once.

Each id has a severity, a one-line title, docs (what it catches, how to fix it)
and where its test cases live. Findings are made from their entry
(``finding("ENV001", ...)``), so an id that is not in the catalogue cannot be
reported at all.

Two kinds of rows:

- the gate checks (RLS, VIEW, FUNC, ID, TRC, FK, SMK, PRF) are classes under
  ``pggate/checks/``; each class adds its own row when it is defined (its
  docstring is the docs, its cases are ``tests/checks/cases/<ID>.yml``);
- the steps' ids (ENV, MIG, RBK) are the table at the end of this module; the lints
  (LNT) are declared by ``migrations/lint_catalogue.py`` from its own table.

``docs/checks.md`` is generated from this catalogue (``python -m pggate.checks.catalog``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .results import Finding, Severity

ID_PATTERN = re.compile(r"^(?P<family>[A-Z]{2,4})\d{3}$")

# Families reported by a pipeline step rather than a gate, and the step (the finding's
# ``gate`` field) that reports them.
STEP_FAMILIES = {
    "ENV": "environment",
    "MIG": "validate",
    "LNT": "validate",
    "RBK": "rollback",
}


@dataclass(frozen=True)
class Entry:
    """One finding id: what it is, how bad by default, how to fix it, where it is tested."""

    id: str
    severity: Severity
    title: str  # one line: what it catches
    docs: str  # the rest: **Problem** and **Fix**
    where: str  # the gate or step whose findings carry this id (``Finding.gate``)
    cases: str  # repository path of the tests that trigger it (and, for checks, do not)
    aliases: tuple[str, ...] = ()  # retired ids that meant the same fact (docs only)
    verified: str = ""  # what a run that finds nothing proves (gate checks; reports, JUnit)
    severities: tuple[Severity, ...] = field(default=())  # other severities it may take

    @property
    def family(self) -> str:
        """``RLS``, ``MIG``, ...: the id without its number."""
        match = ID_PATTERN.match(self.id)
        assert match is not None
        return match["family"]

    def finding(
        self,
        obj: str,
        message: str,
        hint: str = "",
        *,
        severity: Severity | None = None,
        file: str | None = None,
        line: int | None = None,
        details: dict[str, Any] | None = None,
        **more: Any,
    ) -> Finding:
        """A finding with this id (its default severity unless told otherwise).

        Details come as ``details`` (any keys, ``message`` included) and/or keywords.
        """
        details = {**(details or {}), **more}
        chosen = severity or self.severity
        assert chosen == self.severity or chosen in self.severities, (self.id, chosen)
        return Finding(
            check=self.id,
            gate=self.where,
            severity=chosen,
            object=obj,
            message=message,
            hint=hint,
            file=file,
            line=line,
            details={k: v for k, v in details.items() if v is not None},
        )


CATALOGUE: dict[str, Entry] = {}


def declare(entry: Entry) -> Entry:
    """Add ``entry``; an id that is malformed or already taken is a programming error."""
    if not ID_PATTERN.match(entry.id):
        raise TypeError(f"finding id {entry.id!r} must look like ABC001 (2-4 capitals, 3 digits)")
    taken = CATALOGUE.get(entry.id)
    if taken is not None and taken != entry:
        raise TypeError(f"finding id {entry.id} is already declared ({taken.where}: {taken.title})")
    for alias in entry.aliases:
        if alias in CATALOGUE:
            raise TypeError(f"{entry.id}: alias {alias} is a live id")
    CATALOGUE[entry.id] = entry
    return entry


def entry(check_id: str) -> Entry:
    """The catalogue entry of ``check_id`` (gate checks need ``checks.load_all()`` first)."""
    try:
        return CATALOGUE[check_id]
    except KeyError:
        raise KeyError(
            f"finding id {check_id} is not in the catalogue (pggate/catalogue.py)"
        ) from None


def finding(check_id: str, obj: str, message: str, hint: str = "", **kwargs: Any) -> Finding:
    """A finding of a step's id (``ENV``, ``MIG``, ``LNT``, ``RBK``): ``entry(id).finding(...)``."""
    return entry(check_id).finding(obj, message, hint, **kwargs)


def aliases() -> dict[str, str]:
    """Retired id -> the id that reports that fact now."""
    return {alias: e.id for e in CATALOGUE.values() for alias in e.aliases}


def _step(
    check_id: str,
    severity: Severity,
    title: str,
    docs: str,
    cases: str,
    *,
    severities: tuple[Severity, ...] = (),
    where: str | None = None,
) -> None:
    declare(
        Entry(
            check_id,
            severity,
            title,
            docs.strip(),
            where or STEP_FAMILIES[check_id[:3]],
            cases,
            severities=severities,
        )
    )


E, W, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
# ``cases``: the test file that triggers the id (it names the id).

# ------------------------------------------------------------------ ENV: check-env (step 1)
_step(
    "ENV001",
    W,
    "Connected as a superuser.",
    """
**Problem**: a superuser bypasses row-level security; fine for migrating, but the proofs must
switch to the actor role (they do, with ``SET LOCAL ROLE``).

**Fix**: for least privilege, migrate as the schema owner instead.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV002",
    W,
    "Connected role has BYPASSRLS.",
    """
**Problem**: every query this role runs ignores row-level security.

**Fix**: never run the application as this role; the proofs switch roles themselves.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV003",
    W,
    "SSL not in use on a non-local environment.",
    """
**Problem**: the connection (password, data) travels unencrypted. Not reported over a Unix
socket, which never leaves the machine and on which libpq does not use SSL.

**Fix**: add ``?sslmode=require`` (or ``verify-full``) to the database URL.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV004",
    INFO,
    "pggate's history table does not exist yet (first run).",
    """
**Problem**: nothing was migrated by pggate here yet.

**Fix**: the first ``pggate migrate`` creates it; ``pggate adopt`` records a database migrated
by another tool.
""",
    "tests/cli/test_check_env.py",
)
_step(
    "ENV005",
    E,
    "The server is a read-only standby.",
    """
**Problem**: a server in recovery cannot be written: ``migrate``, ``rollback``, ``repair``,
``baseline`` and ``adopt`` refuse it (exit 3) before writing anything.

**Fix**: point the environment at the primary.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV006",
    E,
    "Server older than PostgreSQL 13.",
    """
**Problem**: pggate does not support servers older than PostgreSQL 13.

**Fix**: upgrade the server.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV007",
    W,
    "The role cannot create schemas in the database.",
    """
**Problem**: the role lacks the ``CREATE`` privilege on the database: migrations that create
schemas will fail, and so will the first ``pggate migrate``, which creates the schema of its
history table unless it exists.

**Fix**: ``grant create on database <db> to <role>``, or migrate as the database owner.
""",
    "tests/integration/test_environment_findings.py",
)
_step(
    "ENV008",
    E,
    "Behind a transaction-mode pooler.",
    """
**Problem**: pggate's transactions do not keep one server session (PgBouncer in
transaction mode, Supabase's pooler on port 6543), so the session advisory lock and
session settings do not hold, and another client may run on pggate's server connection.
Seen when the server does not see pggate's own socket as its client and either the
backend changes between transactions or a second connection gets the first one's
backend. ``migrate``, ``rollback``, ``repair``, ``baseline`` and ``adopt`` refuse there
(exit 3, nothing changed).

**Fix**: point the environment at the direct connection (Supabase:
``db.<project-ref>.supabase.co:5432``) or a session-mode pooler (Supabase's pooler on port
5432, PgBouncer ``pool_mode = session``).
""",
    "tests/integration/test_environment_findings.py",
)

_step(
    "ENV009",
    E,
    "A Supabase project on a database that is not Supabase.",
    """
**Problem**: the project says ``supabase = true`` but the database has no ``auth`` schema or
no API roles: the gates would judge RLS for roles that do not exist there.

**Fix**: add ``local = true`` to the environment for a server of your own (the shim is
installed), or point the environment at the Supabase project's database.
""",
    "tests/integration/supabase/test_not_supabase.py",
)

# ------------------------------------------------------------- MIG: migration files (validate)
_step(
    "MIG001",
    E,
    "A migration section does not parse.",
    """
**Problem**: the up or down SQL has a syntax error: ``file:line:column``, the parser's message
and the line are shown.

**Fix**: fix the SQL at that position.
""",
    "tests/integration/migrations/test_validate_findings.py",
)
_step(
    "MIG002",
    E,
    "Two migration files share a version.",
    """
**Problem**: the order of the two is undefined.

**Fix**: give one a new version (``pggate new NAME`` picks the next one).
""",
    "tests/unit/migrations/test_files.py",
)
_step(
    "MIG003",
    E,
    "A file name that does not match ``<version>_<name>.sql``.",
    """
**Problem**: a ``.sql`` file that would never run, a down file without its up, or a missing
migrations folder.

**Fix**: rename the file like ``20240101120000_create_tasks.sql``, or delete it.
""",
    "tests/unit/migrations/test_files.py",
)
_step(
    "MIG004",
    E,
    "A migration with no up SQL.",
    """
**Problem**: the file would record a version that changes nothing.

**Fix**: write the migration, or delete the file.
""",
    "tests/unit/migrations/test_files.py",
)
_step(
    "MIG005",
    W,
    "A migration with no down section.",
    """
**Problem**: it cannot be rolled back (an error with ``--require-down``).

**Fix**: add a ``-- migrate:down`` section or a ``.down.sql`` file.
""",
    "tests/integration/migrations/test_validate_findings.py",
    severities=(E,),
)
_step(
    "MIG006",
    E,
    "A statement that cannot run in a transaction, in a transactional file.",
    """
**Problem**: ``CREATE/DROP/REINDEX ... CONCURRENTLY``, ``VACUUM``, ``CREATE DATABASE``,
``ALTER SYSTEM`` fail inside the transaction pggate wraps each migration in.

**Fix**: move it to its own file with ``-- pggate:no-transaction`` at the top.
""",
    "tests/integration/migrations/test_migrate.py",
)
_step(
    "MIG009",
    E,
    "A migration file that is not UTF-8 text.",
    """
**Problem**: pggate cannot read it as SQL.

**Fix**: save the file as UTF-8.
""",
    "tests/unit/migrations/test_files.py",
)
_step(
    "MIG010",
    E,
    "Both a ``-- migrate:down`` section and a ``.down.sql`` file.",
    """
**Problem**: two downs for one migration: which one runs is ambiguous.

**Fix**: keep one.
""",
    "tests/integration/migrations/test_validate_findings.py",
)
_step(
    "MIG013",
    E,
    "``COPY ... FROM STDIN`` or ``COPY ... TO STDOUT`` in a migration.",
    """
**Problem**: the statement streams rows between the server and the client (psql feeds
``FROM STDIN`` from the lines after it). pggate sends SQL only, so there is no data to
send and no one to read what the server sends: the migration could not run.

**Fix**: load the data with ``INSERT ... VALUES`` or ``INSERT ... SELECT``, or ``COPY``
from a file the server can read; to stream a local file, use psql's ``\\copy`` outside
the migration.
""",
    "tests/checks/cases/MIG013.yml",
)
_step(
    "MIG012",
    E,
    "A migration failed while it was applied.",
    """
**Problem**: the statement at the file and line shown failed; the migration was rolled back
(earlier ones stay applied).

**Fix**: fix the migration (the server's message and SQLSTATE are in the finding) and rerun.
""",
    "tests/integration/test_stage.py",
    where="migrate",
)

# LNT: the lock-hazard lints are rows of migrations/lint_catalogue.py, added here when it is
# imported (``checks.load_all`` imports it with the gates).

# -------------------------------------------------------------- RBK: rollback rehearsal (stage)
_step(
    "RBK001",
    E,
    "Rolling back did not restore the schema recorded before the run.",
    """
**Problem**: with ``--rehearse-rollback``, the downs of this run's migrations left a schema whose
fingerprint differs from the one recorded at the version before the run.

**Fix**: complete the down sections (the diff is in ``steps/08_rollback.json``).
""",
    "tests/integration/test_rollback_rehearsal.py",
)
_step(
    "RBK002",
    E,
    "Migrating forward after the rollback gave a different schema.",
    """
**Problem**: a down leaves something behind that the up does not recreate the same way.

**Fix**: make each down undo exactly what its up does.
""",
    "tests/integration/test_rollback_rehearsal.py",
)
_step(
    "RBK003",
    W,
    "The rollback rehearsal is not applicable: a migration this run applied has no down.",
    """
**Problem**: with ``--rehearse-rollback``, a file this run applied has no down section
(Supabase migrations never do), so there is nothing to rehearse: the rollback is unproven,
which is said, not passed.

**Fix**: roll back by restoring a backup taken before migrating (pg_dump/pg_restore, or
Supabase's backups / point-in-time recovery); or review derived downs with
``pggate down VERSION`` and write them into the files with ``--write``.
""",
    "tests/integration/rollback/test_without_downs.py",
)

# ------------------------------------------------------------ GATE: any gate (verify, stage)
_step(
    "GATE001",
    E,
    "A gate could not run: a query failed or the check broke, so it proved nothing.",
    """
**Problem**: one of the gate's catalog queries or checks raised an error (a permission the
connected role lacks, a ``statement_timeout``, a lock it could not take, or a bug in
pggate). Nothing the gate checks was verified, so the gate fails instead of passing; the
other gates still run. The finding names the gate, the error and the query's SQLSTATE when
the server gave one; with ``-v`` the traceback is in the output and the run log.

**Fix**: act on the error (grant the privilege, raise the timeout, retry when the lock is
free) and run again; an error that is not the database's is a bug in pggate: report it
with the run log.
""",
    "tests/integration/gates/test_gate_could_not_run.py",
    where="verify",
)
