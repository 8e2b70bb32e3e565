"""verify says when the schema it judged is not the one the migration files describe."""

FILES = {
    "001_orgs.sql": "create table public.orgs (id int primary key);\n",
    "002_projects.sql": "create table public.projects (id int primary key);\n",
}


def test_pending_migrations_are_a_warning_in_json_and_text(cli, project):
    root = project(migrations=FILES)
    assert cli("migrate", "--env", "test", "--to", "001", cwd=root).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "fk", "--format", "json", cwd=root)
    (warning,) = result.json()["warnings"]
    assert "1 migration(s) pending (002_projects)" in warning
    assert "not the one the files describe" in warning
    text = cli("verify", "--env", "test", "--gate", "fk", cwd=root)
    assert "warning:" in text.stdout and "002_projects" in text.stdout


def test_no_warning_once_everything_is_applied(cli, project):
    root = project(migrations=FILES)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "fk", "--format", "json", cwd=root)
    assert "warnings" not in result.json()
