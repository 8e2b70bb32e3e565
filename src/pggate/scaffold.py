"""``pggate init``: a new project's files, commented so the first read explains them."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

PROJECT_TOML = """\
# pggate project file. Reference: docs/configuration.md in the pggate repository.

[project]
migrations = "{migrations}"        # <version>_<name>.sql files; `pggate new NAME` adds one
history_table = "pggate.schema_migrations"
supabase = {supabase}                        # Supabase surface (roles, auth, storage) on local databases

# `local` needs no section: with no URL anywhere it is an embedded PostgreSQL (.pggate/local/).

[environments.staging]
env_file = ".env.staging"           # DATABASE_URL=postgresql://user:password@host:5432/db
confirm = true                      # ask before migrate/rollback; CI passes --yes
lock_timeout = "5s"
# pin = "<system_identifier>/<database>"   # from `pggate check-env --env staging`

[tenancy]
column = "tenant_id"                # tables in exposed schemas with this column are tenant-scoped
# exposed_schemas = ["public"]      # default: read from the database (pgrst.db_schemas, else the
                                   # schemas anon/authenticated were granted USAGE on; none on plain PostgreSQL)

[gates.smoke]                          # checks/smoke/*.sql: one check per file (see its README.md)
path = "checks/smoke"
# seed = "supabase/seed.sql"           # fills empty tenant tables inside the rolled-back transaction

[gates.perf]                           # checks/bench/*.sql: one key query per file
path = "checks/bench"
threshold = 0.10                       # slower by more than 10% (and 1 ms, and the p95) fails
"""

SMOKE_README = """\
# Smoke checks

One check per `.sql` file; pggate runs each in a savepoint of a transaction that is
rolled back. Directives go in the leading comments:

```sql
-- Members never see another organization's projects.
-- as: tenant                 (or a role: anon, service_role, ...)
-- expect: rows = 0           (rows > 0, rows = N, value = X, error 42501)
-- timeout: 5s
select * from public.projects where tenant_id <> {tenant}::uuid
```

`{tenant}` and `{user}` (with `as: tenant`) and `-- params: name=value` placeholders
are bound as parameters. Run them with `pggate verify --gate smoke`.
"""

BENCH_README = """\
# Bench queries

One key query per `.sql` file (optional `-- as:`, `-- params:`, `-- timeout:`), timed on
the server's clock. `pggate bench --save NAME` records a baseline; `pggate stage` saves
one before migrating and fails when a query got slower than the threshold.
"""

ENV_EXAMPLE = """\
# Copy to .env.staging (never commit it) and fill in.
DATABASE_URL=postgresql://app:change-me@db.example.com:5432/app?sslmode=require
"""

GITIGNORE_LINES = (".env.*", "!.env.example", ".pggate/", "evidence/")


def init(folder: Path, *, supabase: bool = False) -> list[Path]:
    """Create a project in ``folder``; the files and folders created. Refuses an existing project."""
    if (folder / "pggate.toml").exists():
        raise ConfigError(
            f"{folder / 'pggate.toml'} already exists", hint="edit it, or init another folder"
        )
    migrations = "supabase/migrations" if supabase else "migrations"
    created = []
    for sub in (migrations, "checks/smoke", "checks/bench"):
        path = folder / sub
        path.mkdir(parents=True, exist_ok=True)
        created.append(path)
    for name, text in (
        ("checks/smoke/README.md", SMOKE_README),
        ("checks/bench/README.md", BENCH_README),
    ):
        (folder / name).write_text(text)
        created.append(folder / name)
    toml = PROJECT_TOML.format(migrations=migrations, supabase=str(supabase).lower())
    for name, text in (("pggate.toml", toml), (".env.example", ENV_EXAMPLE)):
        (folder / name).write_text(text)
        created.append(folder / name)
    gitignore = folder / ".gitignore"
    existing = gitignore.read_text().splitlines() if gitignore.exists() else []
    missing = [line for line in GITIGNORE_LINES if line not in existing]
    if missing:
        gitignore.write_text("\n".join([*existing, *missing]) + "\n")
        created.append(gitignore)
    return created
