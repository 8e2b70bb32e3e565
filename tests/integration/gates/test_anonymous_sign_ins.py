"""RLS019 end to end: the rls gate says whether anonymous sign-ins were judged on and why,
and the settings it reads are validated."""

SUPABASE_BITS = """
do $$ begin create role authenticated nologin; exception when duplicate_object or unique_violation then null; end $$;
create schema auth;
create table auth.users (id uuid primary key, is_anonymous boolean not null default false);
create table public.tasks (id int primary key, tenant_id int);
alter table public.tasks enable row level security;
alter table public.tasks force row level security;
create index on public.tasks (tenant_id);
grant select on public.tasks to authenticated;
create policy tasks_read on public.tasks for select to authenticated using (tenant_id = 1);
"""
EXPOSED = '[tenancy]\nexposed_schemas = ["public"]\n'


def _rls(cli, root):
    result = cli("verify", "--env", "test", "--gate", "rls", "--format", "json", cwd=root)
    return result, next(g for g in result.json()["gates"] if g["gate"] == "rls")


def test_anonymous_users_in_auth_users_turn_the_check_on_and_the_summary_says_so(cli, project, db):
    db.execute(SUPABASE_BITS)
    root = project(extra_toml=EXPOSED)
    _, gate = _rls(cli, root)
    assert gate["summary"]["anonymous_sign_ins"].startswith("off (no supabase/config.toml;")
    assert not [f for f in gate["findings"] if f["check"] == "RLS019"]

    db.execute("insert into auth.users values (gen_random_uuid(), true)")
    _, gate = _rls(cli, root)
    assert gate["summary"]["anonymous_sign_ins"] == "on (auth.users holds anonymous users)"
    found = [f for f in gate["findings"] if f["check"] == "RLS019"]
    assert [(f["object"], f["details"]["policy"], f["details"]["commands"]) for f in found] == [
        ("public.tasks", "tasks_read", ["select"])
    ]


def test_a_supabase_config_that_is_not_toml_is_a_configuration_error(cli, project, db):
    db.execute(SUPABASE_BITS)
    root = project(extra_toml=EXPOSED)
    (root / "supabase").mkdir()
    (root / "supabase" / "config.toml").write_text("[auth\nenable_anonymous_sign_ins = true\n")
    result = cli("verify", "--env", "test", "--gate", "rls", cwd=root)
    assert result.exit_code == 2, result.output
    assert "config.toml" in result.output and "anonymous_sign_ins" in result.output

    # Said in pggate.toml, the file is not read at all.
    (root / "pggate.toml").write_text(
        (root / "pggate.toml").read_text() + "\n[gates.rls]\nanonymous_sign_ins = true\n"
    )
    result, gate = _rls(cli, root)
    assert gate["summary"]["anonymous_sign_ins"] == "on ([gates.rls] anonymous_sign_ins = true)"
    assert [f["object"] for f in gate["findings"] if f["check"] == "RLS019"] == ["public.tasks"]


def test_gates_rls_keys_are_validated(cli, project, db):
    for bad, said in (
        ('anonymous_tables = ["tasks"]', "gates.rls.anonymous_tables"),
        ('anonymous_sign_ins = "sometimes"', "gates.rls.anonymous_sign_ins"),
        ("anonymus_sign_ins = true", "unknown key"),
    ):
        root = project(extra_toml=EXPOSED + f"\n[gates.rls]\n{bad}\n")
        result = cli("verify", "--env", "test", "--gate", "rls", cwd=root)
        assert result.exit_code == 2, (bad, result.output)
        assert said in result.output, (bad, result.output)
