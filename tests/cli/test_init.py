"""`pggate init`: the generated configuration reaches a first verify that means something."""

from __future__ import annotations

import textwrap
import tomllib

SCHEMA = """
create table public.tenants (id uuid primary key, name text not null);
create table public.memberships (
    tenant_id uuid not null references public.tenants (id),
    user_id uuid not null references auth.users (id),
    primary key (tenant_id, user_id)
);
create index on public.memberships (user_id);
create function public.my_tenants() returns setof uuid
    language sql stable security definer set search_path = ''
as $$ select tenant_id from public.memberships where user_id = (select auth.uid()) $$;
alter table public.tenants enable row level security;
alter table public.memberships enable row level security;
create policy t_read on public.tenants for select to authenticated
    using (id in (select public.my_tenants()));
create policy m_read on public.memberships for select to authenticated
    using (tenant_id in (select public.my_tenants()));
"""


def _point_at(root, db_url, *, local: bool) -> None:
    (root / ".env.test").write_text(f"DATABASE_URL={db_url}\n")
    extra = "local = true\n" if local else ""
    with (root / "pggate.toml").open("a") as toml:
        toml.write(f'\n[environments.test]\nenv_file = ".env.test"\n{extra}')


def _uncomment_tenants(seed):
    head, tail = seed.read_text().split("-- insert into public.tenants", 1)
    lines = ("-- insert into public.tenants" + tail).splitlines()
    seed.write_text(head + "\n".join(line.removeprefix("-- ") for line in lines) + "\n")


def test_init_supabase_reaches_a_meaningful_first_verify(cli, tmp_path, db_url):
    root = tmp_path / "app"
    assert cli("init", str(root), "--supabase").exit_code == 0
    config = tomllib.loads((root / "pggate.toml").read_text())
    assert config["gates"]["isolation"]["seed"] == "supabase/seed.sql"
    assert config["tenancy"]["actor"]["role"] == "authenticated"
    seed = root / "supabase" / "seed.sql"
    assert "Two tenants with one member each" in seed.read_text()
    _uncomment_tenants(seed)  # what the seed's comment asks the team to do
    (root / "supabase/migrations/20240101000000_tenants.sql").write_text(SCHEMA)
    _point_at(root, db_url, local=True)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "rls,isolation", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    isolation = next(g for g in result.json()["gates"] if g["gate"] == "isolation")
    assert isolation["status"] == "pass", isolation
    assert isolation["summary"]["tables"], isolation  # the proof ran on real rows


def test_init_supabase_reads_the_api_schemas_and_seed_of_supabase_config(cli, tmp_path):
    root = tmp_path / "app"
    (root / "supabase").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text(
        textwrap.dedent(
            """
            [api]
            schemas = ["public", "api"]
            [db.seed]
            enabled = true
            sql_paths = ["./seeds/tenants.sql"]
            """
        )
    )
    assert cli("init", str(root), "--supabase").exit_code == 0
    config = tomllib.loads((root / "pggate.toml").read_text())
    assert config["tenancy"]["exposed_schemas"] == ["public", "api"]
    assert config["gates"]["isolation"]["seed"] == "supabase/seeds/tenants.sql"
    assert (root / "supabase" / "seeds" / "tenants.sql").is_file()


def test_plain_init_does_not_fail_every_table_for_lacking_rls(cli, tmp_path, db_url):
    root = tmp_path / "app"
    assert cli("init", str(root)).exit_code == 0
    (root / "migrations" / "001_notes.sql").write_text(
        "create table public.notes (id int primary key, body text);\n"
    )
    _point_at(root, db_url, local=False)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "rls", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    rls = result.json()["gates"][0]
    assert not [f for f in rls["findings"] if f["severity"] == "error"], rls
