"""``pggate init``: a new project's files, commented so the first read explains them.

The generated configuration must reach a first ``pggate verify`` that means something:
``init --supabase`` acts as a Supabase user (JWT claims), exposes the schemas the
Supabase API exposes (read from ``supabase/config.toml`` when the repository has one)
and seeds two tenants for the isolation proof; plain ``init`` leaves the exposed schemas to the
database (none on plain PostgreSQL, which has no API handing tables to clients), so tables
are not failed for lacking RLS until the team says which are tenant-scoped.
"""

from __future__ import annotations

import json
import tomllib
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

{tenancy}
[gates.smoke]                          # checks/smoke/*.sql: one check per file (see its README.md)
path = "checks/smoke"
# seed = "{seed}"           # fills empty tenant tables inside the rolled-back transaction

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

PLAIN_TENANCY = """\
[tenancy]
column = "tenant_id"                # tenant-scoped: exposed tables with this column, plus `tables`
# exposed_schemas = ["public"]      # default: read from the database (pgrst.db_schemas, else the
                                   # schemas anon/authenticated were granted USAGE on; none on plain PostgreSQL)
# tables = ["public.projects"]      # tenant-scoped tables a plain server's app reaches as its own role
"""

SUPABASE_TENANCY = """\
[tenancy]
column = "tenant_id"                # tables in exposed schemas with this column are tenant-scoped
exposed_schemas = {schemas}{schemas_note}

[tenancy.actor]                     # act as a member of a tenant: the JWT claims PostgREST sets
role = "authenticated"
setup = "select set_config('request.jwt.claims', json_build_object('sub', {{user}}::text, 'role', 'authenticated', 'aud', 'authenticated')::text, true)"
# One user of a tenant: adapt it to your membership table.
member_query = "select user_id from public.memberships where tenant_id = {{tenant}} limit 1"

[gates.isolation]                   # the cross-tenant proof; the seed runs in its rolled-back transaction
seed = "{seed}"
"""

SEED_STUB = """\
-- Seed for pggate's isolation proof (and `supabase db reset`). pggate runs it inside a
-- transaction that is always rolled back, when fewer than two tenants have rows.
-- Two tenants with one member each: Alice in tenant A, Bob in tenant B. Adapt the tenant
-- and membership inserts to your tables (the names match [tenancy] and member_query in
-- pggate.toml), then uncomment them.
insert into auth.users (id, email, aud, role) values
    ('00000000-0000-0000-0000-00000000a11c', 'alice@tenant-a.test', 'authenticated', 'authenticated'),
    ('00000000-0000-0000-0000-000000000b0b', 'bob@tenant-b.test', 'authenticated', 'authenticated')
on conflict (id) do nothing;

-- insert into public.tenants (id, name) values
--     ('00000000-0000-0000-0000-0000000000aa', 'Tenant A'),
--     ('00000000-0000-0000-0000-0000000000bb', 'Tenant B');
-- insert into public.memberships (tenant_id, user_id) values
--     ('00000000-0000-0000-0000-0000000000aa', '00000000-0000-0000-0000-00000000a11c'),
--     ('00000000-0000-0000-0000-0000000000bb', '00000000-0000-0000-0000-000000000b0b');
"""

DEFAULT_API_SCHEMAS = ["public", "graphql_public"]
DEFAULT_SEED = "supabase/seed.sql"

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
    files = [(".env.example", ENV_EXAMPLE)]
    if supabase:
        schemas, seed, source = supabase_settings(folder)
        note = f"  # [api] schemas of {source}" if source else ""
        tenancy = SUPABASE_TENANCY.format(schemas=json.dumps(schemas), schemas_note=note, seed=seed)
        if not (folder / seed).exists():
            files.append((seed, SEED_STUB))
    else:
        tenancy, seed = PLAIN_TENANCY, DEFAULT_SEED
    toml = PROJECT_TOML.format(
        migrations=migrations, supabase=str(supabase).lower(), tenancy=tenancy, seed=seed
    )
    for name, text in [("pggate.toml", toml), *files]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
        created.append(folder / name)
    gitignore = folder / ".gitignore"
    existing = gitignore.read_text().splitlines() if gitignore.exists() else []
    missing = [line for line in GITIGNORE_LINES if line not in existing]
    if missing:
        gitignore.write_text("\n".join([*existing, *missing]) + "\n")
        created.append(gitignore)
    return created


def supabase_settings(folder: Path) -> tuple[list[str], str, str | None]:
    """``(API schemas, seed path, config file read)`` from ``supabase/config.toml`` if present.

    ``[api] schemas`` are the schemas PostgREST exposes; ``[db.seed] sql_paths`` (relative
    to ``supabase/``) the seed files, of which the first is the isolation seed.
    """
    config = folder / "supabase" / "config.toml"
    if not config.is_file():
        return DEFAULT_API_SCHEMAS, DEFAULT_SEED, None
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{config}: not valid TOML: {exc}", hint="fix it (the Supabase CLI reads it too)"
        ) from None
    api = data.get("api", {})
    schemas = [s for s in api.get("schemas", DEFAULT_API_SCHEMAS) if isinstance(s, str)]
    seed = DEFAULT_SEED
    paths = data.get("db", {}).get("seed", {}).get("sql_paths")
    if isinstance(paths, list) and paths and isinstance(paths[0], str) and "*" not in paths[0]:
        seed = (Path("supabase") / paths[0]).as_posix().replace("/./", "/")
    return schemas or DEFAULT_API_SCHEMAS, seed, "supabase/config.toml"
