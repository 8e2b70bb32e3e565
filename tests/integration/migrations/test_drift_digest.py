"""The drift check's catalog digest: every kind of DDL changes it, housekeeping does not.

``status`` skips the full snapshot when the digest equals the one of the last check that
matched the recorded fingerprint, so a DDL statement that left the digest alone would
hide drift. Each statement below must change it.
"""

import uuid

import pytest

from pggate.schema.digest import catalog_digest

SCHEMA = """
create role {role};
create type mood as enum ('ok');
create sequence counter;
create table public.items (id int primary key, note text, m mood);
create view public.items_v as select id from public.items;
create function public.f() returns int language sql as 'select 1';
create function public.trg() returns trigger language plpgsql as 'begin return new; end';
alter table public.items enable row level security;
create policy items_p on public.items using (true);
"""

DDL = [
    "alter table public.items add column extra int",
    "alter table public.items alter column note set default 'x'",
    "alter table public.items alter column note set not null",
    "alter table public.items add constraint note_len check (length(note) < 10)",
    "create index items_note on public.items (note)",
    "alter table public.items force row level security",
    "alter table public.items disable row level security",
    "create policy items_q on public.items for insert with check (true)",
    "alter policy items_p on public.items using (id > 0)",
    "grant select on public.items to {role}",
    "revoke all on public.items from public",
    "create or replace function public.f() returns int language sql as 'select 2'",
    "create trigger t before insert on public.items for each row execute function public.trg()",
    "alter type mood add value 'sad'",
    "create or replace view public.items_v as select id, note from public.items",
    "alter role {role} rename to {role}_renamed",
    "alter sequence counter increment by 5",
    "comment on table public.items is 'things'",
    "create schema other",
    "alter table public.items rename column note to body",
    "drop view public.items_v",
    "alter table public.items drop column note",
    "alter table public.items alter column note type varchar(20)",
]


@pytest.fixture
def role(db):
    name = f"digest_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide: one per test
    yield name
    for each in (name, f"{name}_renamed"):
        if db.execute("select 1 from pg_roles where rolname = %s", (each,)).fetchone():
            db.execute(f'drop owned by "{each}"; drop role "{each}"')


@pytest.fixture
def schema(db, role):
    db.execute(SCHEMA.format(role=role))
    return db


@pytest.mark.parametrize("statement", DDL)
def test_ddl_changes_the_digest(schema, role, statement):
    before = catalog_digest(schema)
    schema.execute(statement.format(role=role))
    assert catalog_digest(schema) != before


def test_statistics_vacuum_and_data_leave_it_alone(schema):
    before = catalog_digest(schema)
    schema.execute("insert into public.items select g, 'n' from generate_series(1, 500) g")
    schema.execute("select nextval('counter')")
    schema.execute("vacuum analyze public.items")
    assert catalog_digest(schema) == before


def test_status_still_sees_drift_after_a_cached_clean_check(cli, project, db):
    root = project(
        migrations={"001_items.sql": "create table public.items (id int primary key);\n"}
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    for _ in range(2):  # the first check proves no drift and caches it; the second uses it
        clean = cli("status", "--env", "test", "--format", "json", cwd=root).json()
        assert clean["schema_drift"] == []
    cached = db.execute(
        "select value from pggate.meta where key = 'unchanged_schema_digest'"
    ).fetchone()
    assert cached and cached["value"].startswith("001:")
    db.execute("alter table public.items add column sneaky text")
    drifted = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert [f["check"] for f in drifted["schema_drift"]] == ["TRC002"]
    assert "sneaky" in drifted["schema_drift"][0]["message"]


@pytest.mark.parametrize("header", ["", "-- pggate:no-transaction\n"])
def test_migrate_proves_no_drift_so_the_next_status_takes_no_snapshot(
    cli, project, db, monkeypatch, header
):
    from pggate.schema import snapshot

    root = project(
        migrations={
            "001_items.sql": "create table public.items (id int primary key);\n",
            "002_more.sql": header + "create table public.more (id int primary key);\n",
        }
    )
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    cached = db.execute(
        "select value from pggate.meta where key = 'unchanged_schema_digest'"
    ).fetchone()
    assert cached and cached["value"].startswith("002:"), "the last migration's schema is proven"
    taken = []
    real = snapshot.take
    monkeypatch.setattr(snapshot, "take", lambda *a, **k: taken.append(1) or real(*a, **k))
    clean = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert clean["schema_drift"] == [] and taken == []
    db.execute("alter table public.more add column sneaky text")
    drifted = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert [f["check"] for f in drifted["schema_drift"]] == ["TRC002"] and taken == [1]


def test_a_dry_run_remembers_nothing(cli, project, db):
    root = project(
        migrations={"001_items.sql": "create table public.items (id int primary key);\n"}
    )
    assert cli("migrate", "--env", "test", "--dry-run", cwd=root).exit_code == 0
    exists = db.execute("select to_regclass('pggate.meta') as t").fetchone()["t"]
    if exists:
        assert not db.execute(
            "select 1 from pggate.meta where key = 'unchanged_schema_digest'"
        ).fetchone()
