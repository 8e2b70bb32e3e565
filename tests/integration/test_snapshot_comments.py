"""The snapshot reads comments with a join, and gets what obj_description() gave, byte for byte.

Fingerprints recorded in existing databases were computed with ``obj_description()`` and
``col_description()`` called per row; the join that replaced them (a third of the
snapshot's time at 1000 tables) must give the same snapshot, comments and all.
"""

import pytest

from pggate.schema import fingerprint as fp
from pggate.schema import snapshot

# Each kind's comment as the snapshot read it before: (function, catalog, oid, column).
CALLED = {
    "schemas": ("obj_description", "pg_namespace", "n.oid", None),
    "relations": ("obj_description", "pg_class", "c.oid", None),
    "columns": ("col_description", "pg_class", "c.oid", "a.attnum"),
    "constraints": ("obj_description", "pg_constraint", "k.oid", None),
    "indexes": ("obj_description", "pg_class", "c.oid", None),
    "functions": ("obj_description", "pg_proc", "p.oid", None),
    "types": ("obj_description", "pg_type", "t.oid", None),
}

SCHEMA = """
create schema app;
comment on schema app is 'the application';
comment on schema public is e'@graphql({"inflect_names": true})';
create type app.mood as enum ('ok', 'sad');
comment on type app.mood is 'how it feels';
create domain app.short as text constraint short_len check (length(value) < 10);
comment on domain app.short is 'a short text';
comment on constraint short_len on domain app.short is 'ten at most';
create type app.pair as (a int, b text);
comment on type app.pair is 'two things';
comment on column app.pair.b is 'the second';
create type app.span as range (subtype = int4);
comment on type app.span is 'a range';
create table app.items (
    id int generated always as identity primary key,
    note app.short,
    m app.mood,
    parent int references app.items (id),
    constraint note_set check (note is not null) not valid
);
comment on table app.items is 'things';
comment on column app.items.id is 'the key';
comment on column app.items.note is '';
comment on constraint note_set on app.items is 'checked later';
comment on constraint items_pkey on app.items is 'one each';
create index items_note on app.items (note);
comment on index app.items_note is 'by note';
alter table app.items enable row level security;
create policy items_p on app.items using (true);
comment on policy items_p on app.items is 'everyone (not in the snapshot)';
create table app.gone (a int, b int, c int);
alter table app.gone drop column b;
comment on column app.gone.c is 'after a dropped column';
create view app.items_v as select id, note from app.items;
comment on view app.items_v is 'a view';
comment on column app.items_v.note is 'a view column';
create materialized view app.items_m as select id from app.items;
comment on materialized view app.items_m is 'a matview';
create sequence app.counter;
comment on sequence app.counter is 'not in the snapshot either';
create function app.f(x int) returns int language sql as 'select x';
comment on function app.f(int) is 'identity';
create procedure app.p() language sql as 'select 1';
comment on procedure app.p() is 'a procedure';
create function app.f(x text) returns text language sql as 'select x';
create table public.plain (id int);
comment on table public.plain is e'two\\nlines, \\'quotes\\' and ünïcode';
create schema hidden;
create table hidden.t (id int);
comment on table hidden.t is 'excluded';
"""


def _as_called(kind: str, query: str) -> str:
    """``query`` with its comment read by the function call it used before the join."""
    if kind not in CALLED:
        return query
    function, catalog, oid, column = CALLED[kind]
    query = query.replace(snapshot._comment(catalog, oid, column or "0"), "")
    call = f"{function}({oid}, {column})" if column else f"{function}({oid}, '{catalog}')"
    assert "cm.description" in query
    return query.replace("cm.description", call)


@pytest.fixture
def rich(db):
    db.execute(SCHEMA)
    return db


@pytest.mark.parametrize("exclude", [(), ("hidden",)])
def test_joined_comments_snapshot_as_the_function_calls_did(rich, monkeypatch, exclude):
    joined = snapshot.take(rich, exclude_schemas=exclude)
    called = {kind: _as_called(kind, query) for kind, query in snapshot.QUERIES.items()}
    assert called != snapshot.QUERIES
    monkeypatch.setattr(snapshot, "QUERIES", called)
    before = snapshot.take(rich, exclude_schemas=exclude)
    assert joined == before
    assert fp.of(joined) == fp.of(before)
    comments = {
        (kind, key): props["comment"]
        for kind, objects in joined.items()
        for key, props in objects.items()
        if "comment" in props
    }
    assert comments[("relations", "app.items")] == "things"
    assert comments[("columns", "app.items.id")] == "the key"
    assert comments[("columns", "app.pair.b")] == "the second"
    assert comments[("columns", "app.gone.c")] == "after a dropped column"
    assert comments[("constraints", "app.short.short_len")] == "ten at most"
    assert comments[("constraints", "app.items.items_pkey")] == "one each"
    assert comments[("indexes", "app.items_note")] == "by note"
    assert comments[("functions", "app.f(x integer)")] == "identity"
    assert comments[("functions", "app.p()")] == "a procedure"
    assert comments[("types", "app.span")] == "a range"
    assert comments[("schemas", "app")] == "the application"
    assert (("relations", "hidden.t") in comments) == (not exclude)
    assert "app.f(x text)" in joined["functions"]  # no comment: none shown
    assert "comment" not in joined["functions"]["app.f(x text)"]
