"""Derived downs of migrations that alter existing objects: every kind the snapshot knows comes back,
proven by the fingerprint; what cannot be reversed is listed."""

from __future__ import annotations

# No API exposes these tables: the health gates after a rollback look at nothing here.
PLAIN = "\n[tenancy]\nexposed_schemas = []\n"

FIRST = """
create type public.state as enum ('draft', 'live');
create table public.items (
    id bigint generated always as identity primary key,
    name text default 'x',
    price numeric(10, 2),
    state public.state not null default 'draft'
);
create table public.gone (id int primary key, label text not null default 'g');
alter table public.items enable row level security;
create policy p_read on public.items for select to public using (true);
create function public.label(i public.items) returns text language sql stable
    as $$ select i.name $$;
grant select on public.items to public;
create index items_name on public.items (name);
create view public.v as select id, name from public.items;
comment on table public.items is 'items';
create domain public.positive as int check (value > 0);
create sequence public.counter start 5;
create function public.bump() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger items_bump before update on public.items for each row execute function public.bump();
"""

SECOND = """
alter table public.items add column note text;
alter table public.items alter column name set not null;
alter table public.items alter column name set default 'y';
alter table public.items alter column price type numeric(12, 2);
drop policy p_read on public.items;
create policy p_read2 on public.items for select to public using (price > 0);
revoke select on public.items from public;
create or replace function public.label(i public.items) returns text language sql stable
    as $$ select upper(i.name) $$;
drop index public.items_name;
create index items_price on public.items (price);
alter table public.items force row level security;
create or replace view public.v as select id, name, price from public.items;
comment on table public.items is 'all items';
alter table public.items add constraint price_positive check (price > 0);
drop table public.gone;
alter domain public.positive drop constraint positive_check;
alter domain public.positive add constraint positive_small check (value < 100);
alter sequence public.counter increment by 3;
drop trigger items_bump on public.items;
create trigger items_bump2 after insert on public.items for each row execute function public.bump();
alter type public.state add value 'archived';
create schema reports;
create table reports.daily (day date primary key, total numeric);
insert into public.items (name, price) values ('first', 1);
"""


def test_derived_down_reverts_alterations_of_every_kind_proven(cli, project, db_url):
    root = project(extra_toml=PLAIN, migrations={"001_first.sql": FIRST, "002_second.sql": SECOND})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    shown = cli("down", "002", "--env", "test", "--format", "json", cwd=root)
    assert shown.exit_code == 0, shown.output
    down = shown.json()
    irreversible = "\n".join(down["irreversible"])
    assert "enum public.state" in irreversible  # labels cannot be removed
    assert "data change" in irreversible and "insert into public.items" in irreversible
    assert any("public.gone" in item for item in down["data_loss"])
    assert "create or replace function public.label" in down["sql"]  # from 001's text
    result = cli(
        "rollback",
        "--env",
        "test",
        "--to",
        "001",
        "--derive-downs",
        "--yes",
        "--format",
        "json",
        cwd=root,
    )
    assert result.exit_code in (0, 1), result.output
    proof = result.json()["proof"]
    # The enum label cannot go, so the proof must show exactly that and nothing else.
    assert proof["status"] != "proven"
    assert proof["diff"] == ["~ enum public.state: labels changed"], proof


def test_derived_down_without_irreversible_changes_is_proven(cli, project, db_url):
    second = SECOND.replace("alter type public.state add value 'archived';\n", "")
    root = project(extra_toml=PLAIN, migrations={"001_first.sql": FIRST, "002_second.sql": second})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli(
        "rollback",
        "--env",
        "test",
        "--to",
        "001",
        "--derive-downs",
        "--yes",
        "--format",
        "json",
        cwd=root,
    )
    assert result.exit_code == 0, result.output
    assert result.json()["proof"]["status"] == "proven", result.json()["proof"]
    assert (
        "reverted with derived downs (not written in the files): 002" in result.json()["warnings"]
    )


def test_down_write_puts_the_derived_section_in_the_file(cli, project, db_url):
    root = project(extra_toml=PLAIN, migrations={"001_first.sql": FIRST})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert cli("down", "001", "--write", "--env", "test", cwd=root).exit_code == 0
    text = (root / "migrations" / "001_first.sql").read_text()
    assert "-- migrate:down" in text and "drop table if exists public.gone, public.items" in text
    again = cli("down", "001", "--write", "--env", "test", cwd=root)
    assert again.exit_code == 2 and "already has a down section" in again.output
    # The written down is an ordinary one now: rollback uses it, proven.
    result = cli("rollback", "--env", "test", "--to", "0", "--yes", "--format", "json", cwd=root)
    assert result.exit_code == 0, result.output
    assert result.json()["proof"]["status"] == "proven"


def test_derived_downs_are_refused_without_confirmation(cli, project, db_url):
    root = project(extra_toml=PLAIN, migrations={"001_first.sql": FIRST})
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("rollback", "--env", "test", "--to", "0", "--derive-downs", cwd=root)
    assert result.exit_code == 2 and "confirm" in result.output
    status = cli("status", "--env", "test", "--format", "json", cwd=root).json()
    assert [a["version"] for a in status["applied"]] == ["001"]


def test_down_of_a_version_that_is_not_applied(cli, project):
    root = project(extra_toml=PLAIN, migrations={"001_first.sql": FIRST})
    result = cli("down", "001", "--env", "test", cwd=root)
    assert result.exit_code == 2 and "not applied" in result.output
