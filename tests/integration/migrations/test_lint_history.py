"""Migration lints against a real history: tables from pending files are new, applied ones are not."""

from __future__ import annotations

from pggate import api

APPLIED = {
    "001_orgs.sql": """
        create table public.orgs (id bigint generated always as identity primary key, name text);
        -- migrate:down
        drop table public.orgs;
    """,
}
PENDING = {
    "002_tasks.sql": """
        create table public.tasks (id bigint primary key, org_id bigint, title text);
        -- migrate:down
        drop table public.tasks;
    """,
    "003_indexes.sql": """
        create index tasks_org_idx on public.tasks (org_id);
        create index orgs_name_idx on public.orgs (name);
        -- migrate:down
        drop index public.orgs_name_idx;
        drop index public.tasks_org_idx;
    """,
    "004_commit.sql": """
        insert into public.orgs (name) values ('a');
        commit;
        -- migrate:down
        select 1;
    """,
}


def _lnt(result, check: str) -> list[tuple[str, int | None, str]]:
    return sorted((f.object, f.line, str(f.severity)) for f in result.findings if f.check == check)


def test_pending_tables_are_new_with_the_history_and_not_offline(project, db, cli):
    root = project(migrations=APPLIED)
    api.migrate(root, "test")
    folder = root / "migrations"
    for name, text in PENDING.items():
        (folder / name).write_text(text)
    index_on_orgs = ("migrations/003_indexes.sql", 3, "warning")
    index_on_tasks = ("migrations/003_indexes.sql", 2, "warning")
    with_history = api.validate(root, "test")
    assert _lnt(with_history, "LNT001") == [index_on_orgs]  # tasks is created by pending 002
    offline = api.validate(root)
    assert _lnt(offline, "LNT001") == [index_on_tasks, index_on_orgs]  # 002 may be applied
    assert _lnt(with_history, "LNT007") == [("migrations/004_commit.sql", 3, "error")]
    refused = cli("migrate", "--env", "test", cwd=root)
    assert refused.exit_code == 2, refused.output
    assert "LNT007" in refused.output
    applied = db.execute("select version from pggate.schema_migrations order by 1").fetchall()
    assert [row["version"] for row in applied] == ["001"], "nothing applied after a refusal"
