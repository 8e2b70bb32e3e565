"""pggate verify end to end: the example passes, planted defects are named."""

import shutil

from tests.conftest import REPO

PLANTED = """
do $$ begin create role anon nologin; exception when duplicate_object or unique_violation then null; end $$;
do $$ begin create role authenticated nologin; exception when duplicate_object or unique_violation then null; end $$;
grant usage on schema public to anon, authenticated;  -- as Supabase has it: public is exposed
alter default privileges in schema public grant all on tables to anon, authenticated;
create table public.open_table (id int primary key, tenant_id int);
create table public.unforced (id int primary key, tenant_id int);
alter table public.unforced enable row level security;
create policy unforced_all on public.unforced using (tenant_id = 1);
create table public.no_policy (id int primary key, tenant_id int);
alter table public.no_policy enable row level security;
alter table public.no_policy force row level security;
create table public.no_delete (id int primary key, tenant_id int);
alter table public.no_delete enable row level security;
alter table public.no_delete force row level security;
create policy nd_s on public.no_delete for select using (tenant_id = 1);
create policy nd_i on public.no_delete for insert with check (tenant_id = 1);
create policy nd_u on public.no_delete for update using (tenant_id = 1);
create table public.wide_open (id int primary key, tenant_id int);
alter table public.wide_open enable row level security;
alter table public.wide_open force row level security;
create policy wo_all on public.wide_open using (true);
create table public.correct (id int primary key, tenant_id int);
alter table public.correct enable row level security;
alter table public.correct force row level security;
create policy correct_all on public.correct using (tenant_id = (select current_setting('app.tenant')::int));
create table public.meta_trust (id int primary key, tenant_id text);
alter table public.meta_trust enable row level security;
alter table public.meta_trust force row level security;
create policy mt_all on public.meta_trust using (
  tenant_id = (current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'tenant'))
  with check (tenant_id = (current_setting('request.jwt.claims', true)::jsonb -> 'user_metadata' ->> 'tenant'));
create function public.leaky_is_member(t int) returns boolean language sql security definer
  as $$ select true $$;
create table public.helper_policy (id int primary key, tenant_id int);
alter table public.helper_policy enable row level security;
alter table public.helper_policy force row level security;
create policy hp_all on public.helper_policy using (public.leaky_is_member(tenant_id))
  with check (public.leaky_is_member(tenant_id));
create view public.definer_view as select id from public.correct;
do $$ declare t text; begin
  foreach t in array array['open_table', 'unforced', 'no_policy', 'no_delete', 'wide_open', 'correct',
                           'meta_trust', 'helper_policy'] loop
    execute format('create index on public.%I (tenant_id)', t);
  end loop;
end $$;
"""


def test_planted_defects_yield_exactly_the_expected_findings(cli, project, db):
    db.execute(PLANTED)
    root = project()
    result = cli(
        "verify", "--env", "test", "--gate", "rls,views,functions", "--format", "json", cwd=root
    )
    assert result.exit_code == 1, result.output
    findings = {(f["check"], f["object"]) for g in result.json()["gates"] for f in g["findings"]}
    assert findings == {
        ("RLS001", "public.open_table"),
        ("RLS002", "public.unforced"),
        ("RLS003", "public.no_policy"),
        ("RLS004", "public.no_delete"),
        ("RLS005", "public.wide_open"),
        ("RLS006", "public.wide_open"),  # using (true) for ALL also lets inserts into any tenant
        ("RLS007", "public.meta_trust"),
        ("RLS008", "public.meta_trust"),  # current_setting() evaluated for every row
        ("VIEW001", "public.definer_view"),
        ("FUNC001", "public.leaky_is_member(t integer)"),
        ("FUNC002", "public.leaky_is_member(t integer)"),
    }
    assert not any(obj == "public.correct" for _, obj in findings)


def test_the_example_passes_every_gate(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    assert cli("bench", "--env", "test", "--save", "after", cwd=example).exit_code == 0
    result = cli("verify", "--env", "test", "--format", "json", cwd=example)
    assert result.exit_code == 0, result.output
    gates = {g["gate"]: g for g in result.json()["gates"]}
    assert {name: g["status"] for name, g in gates.items()} == {
        "rls": "pass",
        "isolation": "pass",
        "views": "pass",
        "functions": "pass",
        "identity": "pass",
        "traceability": "pass",
        "fk": "pass",
        "schema": "pass",
        "smoke": "pass",
        "perf": "pass",
    }
    smoke = gates["smoke"]["summary"]["checks"]
    assert len(smoke) >= 5 and {c["status"] for c in smoke} == {"pass"}
    assert len(gates["perf"]["summary"]["queries"]) >= 3


def test_unknown_gate_exits_2_listing_the_available_ones(cli, project):
    result = cli("verify", "--env", "test", "--gate", "nope", cwd=project())
    assert result.exit_code == 2
    assert "available gates: rls" in result.stderr


def example_on(tmp_path, db_url):
    example = tmp_path / "saas"
    shutil.copytree(REPO / "examples" / "saas", example, ignore=shutil.ignore_patterns(".pggate"))
    (example / ".env.test").write_text(f"DATABASE_URL={db_url}\n")
    toml = (example / "pggate.toml").read_text()
    # local = true: the tests' own server counts as a developer's server, so the Supabase shim
    # (roles, auth.users, ...) is installed on it as on the embedded one.
    (example / "pggate.toml").write_text(
        toml + '\n[environments.test]\nenv_file = ".env.test"\nlocal = true\n'
    )
    return example


def test_the_example_passes_the_isolation_proof_for_real(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "isolation", "--format", "json", cwd=example)
    assert result.exit_code == 0, result.output
    gate = result.json()["gates"][0]
    assert gate["status"] == "pass", gate
    summary = gate["summary"]
    assert (
        summary["proven"]
        == f"proven {summary['tenant_tables']} of {summary['tenant_tables']} tables"
    )
    projects = summary["tables"]["public.projects"]
    assert [projects[p].split(" ")[0] for p in ("read", "update", "delete", "insert", "move")] == [
        "refused"
    ] * 5
    refusals = {
        (p["probe"], p.get("sqlstate")) for p in projects["probes"] if p["result"] == "refused"
    }
    assert ("insert", "42501") in refusals and ("move", "42501") in refusals
    assert {p["direction"] for p in projects["probes"]} - {"no user"} == {
        "00000000-0000-0000-0000-00000000000a -> 00000000-0000-0000-0000-00000000000b",
        "00000000-0000-0000-0000-00000000000b -> 00000000-0000-0000-0000-00000000000a",
    }


def test_a_leaky_policy_added_to_the_example_is_caught(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    (example / "supabase" / "migrations" / "20240102000000_leak.sql").write_text(
        "create policy projects_read_all on public.projects for select using (true);\n"
        "-- migrate:down\ndrop policy projects_read_all on public.projects;\n"
    )
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    result = cli("verify", "--env", "test", "--format", "json", cwd=example)
    assert result.exit_code == 1
    found = {(f["check"], f["object"]) for g in result.json()["gates"] for f in g["findings"]}
    assert ("RLS005", "public.projects") in found
    assert ("RLS010", "public.projects") in found
    static = next(
        f
        for g in result.json()["gates"]
        for f in g["findings"]
        if (f["check"], f["object"]) == ("RLS005", "public.projects")
    )  # the pattern match says the behavioural proof confirmed it
    assert "(confirmed: " in static["message"], static
    assert static["details"]["confirmed_by"] == "RLS010"


def test_a_malformed_identity_contract_names_the_key(cli, project):
    root = project(extra_toml='[gates.identity]\nforeign_keys = ["profiles.id -> users"]\n')
    result = cli("verify", "--env", "test", "--gate", "identity", cwd=root)
    assert result.exit_code == 2
    assert "gates.identity.foreign_keys" in result.stderr


# Mistakes seen on real Supabase projects, next to shapes that are fine and must stay quiet.
SUPABASE_MISTAKES = """
create table public.api_clients (id bigint primary key, name text, api_token text);
create table public.countries (code text primary key, name text);
alter table public.countries enable row level security;
create policy countries_read on public.countries for select using (true);
create table public.feedback (id bigint primary key, body text);
alter table public.feedback enable row level security;
create policy feedback_insert on public.feedback for insert to anon with check (true);
create policy feedback_service on public.feedback to service_role using (true) with check (true);
create policy feedback_nothing on public.feedback for update to authenticated with check (true);
create view public.user_directory as select id, email from auth.users;
create function public.get_service_key() returns text language sql security definer
    as $$ select 'k' $$;
create function public.set_updated() returns trigger language plpgsql
    as $$ begin return new; end $$;
-- migrate:down
drop function public.set_updated(); drop function public.get_service_key();
drop view public.user_directory; drop table public.feedback, public.countries, public.api_clients;
"""


def test_a_supabase_project_with_default_tenancy_gets_the_findings_a_reviewer_expects(
    cli, tmp_path, db_url
):
    example = example_on(tmp_path, db_url)
    toml = (example / "pggate.toml").read_text()
    tenancy = '[tenancy]\ncolumn = "organization_id"\nexposed_schemas = ["public", "mcp"]\n'
    assert tenancy in toml
    (example / "pggate.toml").write_text(toml.replace(tenancy, "[tenancy]\n"))
    (example / "supabase" / "migrations" / "20991231000000_mistakes.sql").write_text(
        SUPABASE_MISTAKES
    )
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    result = cli(
        "verify",
        "--env",
        "test",
        "--gate",
        "rls,views,functions,fk",
        "--format",
        "json",
        cwd=example,
    )
    assert result.exit_code == 1
    gates = result.json()["gates"]
    rls = next(g for g in gates if g["gate"] == "rls")
    assert "from USAGE granted to anon/authenticated" in rls["summary"]["exposure"]
    found = {(f["check"], f["severity"], f["object"]) for g in gates for f in g["findings"]}
    assert found == {
        ("RLS001", "error", "public.api_clients"),  # naming its api_token column
        ("RLS005", "warning", "public.feedback"),  # anon inserts anything
        ("VIEW004", "error", "public.user_directory"),
        ("FUNC001", "error", "public.get_service_key()"),
        ("FUNC002", "error", "public.get_service_key()"),  # anon can call it
        ("FUNC003", "warning", "public.set_updated()"),
        # RPCs for signed-in users that read auth.uid(): noted, not warned
        ("FUNC002", "info", "private.member_organizations(min_role member_role)"),
        ("FUNC002", "info", "public.create_organization(org_name text, org_slug text)"),
    }
    messages = {f["object"]: f["message"] for g in gates for f in g["findings"]}
    assert "api_token" in messages["public.api_clients"]


def test_a_plain_postgresql_exposes_nothing_and_the_gates_say_why(cli, project, db):
    # No API role was granted a schema: no RLS finding for the app's own tables, and the
    # gates say what they looked at rather than passing in silence.
    db.execute("create table public.invoices (id int primary key, tenant_id int not null)")
    result = cli(
        "verify", "--env", "test", "--gate", "rls,isolation", "--format", "json", cwd=project()
    )
    assert result.exit_code == 0, result.output
    gates = {g["gate"]: g for g in result.json()["gates"]}
    assert gates["rls"]["findings"] == []
    assert gates["rls"]["summary"]["exposed_schemas"] == []
    assert "no schema is exposed" in gates["rls"]["summary"]["exposure"]
    assert gates["isolation"]["status"] == "skip"
    assert "no schema is exposed" in gates["isolation"]["skipped"]
