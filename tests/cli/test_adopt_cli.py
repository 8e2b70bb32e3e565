"""pggate adopt --from supabase on the command line: what it lists, what it refuses."""

from tests.integration.migrations.test_adopt import FILES, pushed_with_supabase


def test_adopt_lists_the_versions_and_migrate_applies_only_the_new_one(cli, project, db):
    root = project(migrations=FILES)
    pushed_with_supabase(db, {"20240101000000": "init", "20240102000000": "title"})
    result = cli("adopt", "--from", "supabase", "--env", "test", cwd=root)
    assert result.exit_code == 0, result.output
    assert "adopted 20240101000000_init" in result.stdout
    assert "adopted 20240102000000_title" in result.stdout
    migrated = cli("migrate", "--env", "test", "--format", "json", cwd=root).json()
    assert [m["version"] for m in migrated["applied"]] == ["20240103000000"]
    again = cli("adopt", "--from", "supabase", "--env", "test", "--format", "json", cwd=root).json()
    assert again["adopted"] == [] and len(again["already_applied"]) == 2


def test_adopt_refuses_a_version_without_a_file_and_writes_nothing(cli, project, db):
    files = {k: v for k, v in FILES.items() if not k.startswith("20240102")}
    root = project(migrations=files)
    pushed_with_supabase(db, {"20240101000000": "init", "20240102000000": "title"})
    result = cli("adopt", "--from", "supabase", "--env", "test", cwd=root)
    assert result.exit_code == 2
    assert "20240102000000_title" in result.stderr
    assert db.execute("select to_regclass('pggate.schema_migrations') as t").fetchone()["t"] is None


def test_adopt_from_an_unknown_tool_is_bad_input(cli, project):
    result = cli("adopt", "--from", "liquibase", "--env", "test", cwd=project())
    assert result.exit_code == 2 and "supported: --from supabase|dbmate|flyway" in result.stderr
