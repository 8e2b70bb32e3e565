"""The catalogue of migration lints (LNT): id, name, severity, what each catches, its lock, its fix.

``docs/migrations.md`` renders it (``python -m pggate.migrations.lint_catalogue``;
a test keeps the two in step); each lint is also a row of the one finding
catalogue (``pggate.catalogue``, docs/checks.md). The rules that find each hazard are in
``lint_rules.py``; ``lint.py`` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalogue import Entry, declare
from ..results import Severity


@dataclass(frozen=True)
class Lint:
    """One lint of the catalogue: what it catches, the lock it takes, the safe SQL."""

    id: str
    name: str
    severity: Severity
    catches: str
    lock: str
    fix: str
    default: bool = True  # the info-level type preferences are off unless [lint] enable lists them
    suppressible: bool = True


_EXISTING = "on a table that existed before the migration"

CATALOGUE: tuple[Lint, ...] = (
    Lint(
        "LNT001",
        "create-index-blocks-writes",
        Severity.WARNING,
        f"`CREATE INDEX` without `CONCURRENTLY` {_EXISTING}",
        "SHARE on the table for the whole build: inserts, updates and deletes wait",
        "`create index concurrently t_c_idx on t (c);` in its own file marked "
        "`-- pggate:no-transaction`",
    ),
    Lint(
        "LNT002",
        "add-required-column",
        Severity.WARNING,
        f"`ADD COLUMN ... NOT NULL` without a `DEFAULT` {_EXISTING} (identity, serial and "
        "generated columns fill themselves and are LNT011's)",
        "ACCESS EXCLUSIVE; the statement fails as soon as the table has a row",
        "`add column c text not null default '';` (a constant default is instant since "
        "PostgreSQL 11), or add it nullable, backfill, then follow LNT010's route to NOT NULL",
    ),
    Lint(
        "LNT003",
        "change-column-type",
        Severity.WARNING,
        f"`ALTER COLUMN ... TYPE` {_EXISTING}",
        "ACCESS EXCLUSIVE while every row is rewritten and every index on the table rebuilt",
        "add a new column, backfill it in batches, switch the code to it, drop the old one",
    ),
    Lint(
        "LNT004",
        "constraint-validates-under-lock",
        Severity.WARNING,
        f"a foreign key or check added without `NOT VALID` {_EXISTING}: `ADD CONSTRAINT`, "
        "`ADD COLUMN ... REFERENCES`, `ALTER DOMAIN ... ADD CONSTRAINT`",
        "a check: ACCESS EXCLUSIVE; a foreign key: SHARE ROW EXCLUSIVE on both tables; held "
        "through a scan of every row",
        "`alter table t add constraint t_c_fkey foreign key (c) references p not valid;` then, in "
        "the next migration, `alter table t validate constraint t_c_fkey;` (SHARE UPDATE "
        "EXCLUSIVE: reads and writes go on)",
    ),
    Lint(
        "LNT005",
        "breaking-change",
        Severity.WARNING,
        f"`DROP TABLE`, `DROP COLUMN`, `RENAME` of a table or column {_EXISTING}",
        "ACCESS EXCLUSIVE (brief); the damage is to code still using the old name",
        "expand/contract: deploy code that no longer uses it first, and make the down section "
        "restore it",
    ),
    Lint(
        "LNT006",
        "lock-timeout-missing",
        Severity.INFO,
        "a statement taking a strong lock with no `SET lock_timeout` before it in a "
        "transactional file",
        "a statement queued behind a long transaction makes every later query on the table "
        "queue behind it",
        "`set lock_timeout = '5s';` at the top of the file (pggate sets the environment's own; "
        "other tools do not)",
    ),
    Lint(
        "LNT007",
        "transaction-control",
        Severity.ERROR,
        "`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `SAVEPOINT`, "
        "`RELEASE`, `PREPARE TRANSACTION`, `SET TRANSACTION` in a transactional file (up or "
        "down section); `migrate` refuses such a file before touching the database",
        "none taken: it ends or splits the transaction pggate runs the file in, so what "
        "follows commits on its own and a failure no longer rolls the migration back",
        "delete the statement: pggate already runs the file in one transaction; a file that "
        "must manage its own transactions goes outside one with `-- pggate:no-transaction`",
        suppressible=False,
    ),
    Lint(
        "LNT008",
        "validate-in-same-transaction",
        Severity.WARNING,
        "`VALIDATE CONSTRAINT` of a constraint added `NOT VALID` earlier in the same "
        "transactional file",
        "the ADD's lock (ACCESS EXCLUSIVE, or SHARE ROW EXCLUSIVE for a foreign key) is held "
        "until commit, so through the validating scan: NOT VALID bought nothing",
        "move `alter table t validate constraint c;` to the next migration file",
    ),
    Lint(
        "LNT009",
        "unique-constraint-builds-index",
        Severity.WARNING,
        f"`ADD CONSTRAINT ... UNIQUE` / `PRIMARY KEY` (without `USING INDEX`) or "
        f"`ADD COLUMN ... UNIQUE` / `PRIMARY KEY` {_EXISTING}",
        "ACCESS EXCLUSIVE while the unique index builds: reads and writes wait",
        "`create unique index concurrently t_c_key on t (c);` in a `-- pggate:no-transaction` "
        "file, then `alter table t add constraint t_c_key unique using index t_c_key;`",
    ),
    Lint(
        "LNT010",
        "set-not-null-scans",
        Severity.WARNING,
        f"`ALTER COLUMN ... SET NOT NULL` {_EXISTING}, unless a validated "
        "`CHECK (c IS NOT NULL)` already proves it",
        "ACCESS EXCLUSIVE through a scan of every row",
        "`alter table t add constraint t_c_not_null check (c is not null) not valid;` then, in "
        "the next migration, `alter table t validate constraint t_c_not_null;` `alter table t "
        "alter column c set not null;` (no scan: the check proves it) `alter table t drop "
        "constraint t_c_not_null;`",
    ),
    Lint(
        "LNT011",
        "add-column-rewrites",
        Severity.WARNING,
        f"`ADD COLUMN` that rewrites the table {_EXISTING}: a volatile default "
        "(`gen_random_uuid()`, `clock_timestamp()`, `random()`...; `now()` and constants are "
        "instant since PostgreSQL 11), a serial or identity column, a stored generated column",
        "ACCESS EXCLUSIVE while every row is rewritten and every index rebuilt",
        "add the column nullable with no default, `alter column c set default "
        "gen_random_uuid();` for new rows, backfill the old ones in batches, then LNT010's route "
        "to NOT NULL (a generated column: `virtual` on PostgreSQL 18, or a trigger)",
    ),
    Lint(
        "LNT012",
        "drop-index-blocks",
        Severity.WARNING,
        "`DROP INDEX` without `CONCURRENTLY` of an index that existed before the migration",
        "ACCESS EXCLUSIVE on the index's table: reads and writes wait",
        "`drop index concurrently t_c_idx;` in its own file marked `-- pggate:no-transaction`",
    ),
    Lint(
        "LNT013",
        "reindex-blocks",
        Severity.WARNING,
        "`REINDEX` without `CONCURRENTLY` of a table or index that existed before the "
        "migration, or of a whole schema or database",
        "SHARE on the table (writes wait) and ACCESS EXCLUSIVE on each index (queries using it "
        "wait)",
        "`reindex index concurrently t_c_idx;` in its own file marked `-- pggate:no-transaction`",
    ),
    Lint(
        "LNT014",
        "enum-value-used-in-same-transaction",
        Severity.WARNING,
        "a value added by `ALTER TYPE ... ADD VALUE` appearing in a later statement of the "
        "same transactional file",
        "none: PostgreSQL refuses the use (`unsafe use of new value`) until the ADD VALUE "
        "commits, and the migration fails",
        "add the value in one migration file and use it in the next one",
    ),
    Lint(
        "LNT015",
        "truncate-cascade",
        Severity.WARNING,
        f"`TRUNCATE ... CASCADE` {_EXISTING}",
        "ACCESS EXCLUSIVE on the table and on every table that references it, all of which "
        "are emptied",
        "`truncate t1, t2;` naming every table you mean to empty (without CASCADE it fails "
        "rather than empty a table you did not name)",
    ),
    Lint(
        "LNT016",
        "prefer-bigint-keys",
        Severity.INFO,
        "(off unless enabled) an `int`/`smallint`/`serial` primary key or identity column",
        "none now; widening it later is a rewrite under ACCESS EXCLUSIVE (LNT003)",
        "`id bigint generated by default as identity primary key`",
        default=False,
    ),
    Lint(
        "LNT017",
        "prefer-text",
        Severity.INFO,
        "(off unless enabled) a `varchar(n)` or `char(n)` column",
        "none now; changing n later takes ACCESS EXCLUSIVE (a rewrite when it shrinks)",
        "`c text check (char_length(c) <= 100)`: the check can be replaced NOT VALID",
        default=False,
    ),
    Lint(
        "LNT018",
        "prefer-timestamptz",
        Severity.INFO,
        "(off unless enabled) a `timestamp` (without time zone) column",
        "none now; converting it later is a rewrite under ACCESS EXCLUSIVE (LNT003)",
        "`c timestamptz`: stores an instant, shown in the session's time zone",
        default=False,
    ),
    Lint(
        "LNT019",
        "prefer-identity",
        Severity.INFO,
        "(off unless enabled) a `serial`, `bigserial` or `smallserial` column",
        "none; a serial's sequence has its own owner and grants to keep in step",
        "`id bigint generated by default as identity`",
        default=False,
    ),
    Lint(
        "LNT020",
        "table-rewrite",
        Severity.WARNING,
        f"`VACUUM FULL`, `CLUSTER`, `ALTER TABLE ... SET LOGGED` / `SET UNLOGGED` / "
        f"`SET TABLESPACE` {_EXISTING}",
        "ACCESS EXCLUSIVE while the whole table (and its indexes) is copied: reads and writes wait",
        "run it in a maintenance window, or rebuild online with pg_repack (a brief lock at the end)",
    ),
    Lint(
        "LNT021",
        "detach-partition-blocks",
        Severity.WARNING,
        "`ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` from a table that existed "
        "before the migration",
        "ACCESS EXCLUSIVE on the partitioned table: reads and writes of every partition wait",
        "`alter table p detach partition p_2024 concurrently;` (PostgreSQL 14+) in its own file "
        "marked `-- pggate:no-transaction`",
    ),
)

LINTS: dict[str, Lint] = {lint.id: lint for lint in CATALOGUE}


def _declare(lint: Lint) -> None:
    """The lint's row in the one finding catalogue (``pggate.catalogue``, docs/checks.md)."""
    declare(
        Entry(
            lint.id,
            lint.severity,
            lint.catches[0].upper() + lint.catches[1:] + ".",
            f"**Problem**: the lock: {lint.lock}.\n\n**Fix**: {lint.fix}."
            + ("" if lint.default else "\n\nOff unless `[lint] enable` lists it."),
            "validate",
            f"tests/checks/cases/{lint.id}.yml",
            # A suppressed lint is still reported, as info (with its reason).
            severities=(Severity.INFO,)
            if lint.suppressible and lint.severity != Severity.INFO
            else (),
        )
    )


for _lint in CATALOGUE:
    _declare(_lint)


def markdown() -> str:
    """The lint table of docs/migrations.md."""
    rows = ["| id | name | severity | catches | lock | fix |", "|---|---|---|---|---|---|"]
    for lint in CATALOGUE:
        severity = str(lint.severity) + ("" if lint.default else ", off unless enabled")
        rows.append(
            f"| {lint.id} | {lint.name} | {severity} | {lint.catches} | {lint.lock} | {lint.fix} |"
        )
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
