"""With the history table in ``public``, the gates still check every other table of ``public``.

The fk gate once skipped the whole schema of ``history_table``, so with
``history_table = "public.schema_migrations"`` it checked nothing of the application.
Only pggate's own tables (recognised by their columns) are left out.
"""

from __future__ import annotations

MIGRATION = """
create table public.parent (id int primary key);
create table public.child (id int primary key, parent_id int);
insert into public.parent values (1);
insert into public.child values (1, 1), (2, 42);
alter table public.child add constraint child_parent_fk foreign key (parent_id)
    references public.parent (id) not valid;
-- migrate:down
drop table public.child;
drop table public.parent;
"""


def _in_public(root) -> None:
    toml = (root / "pggate.toml").read_text()
    (root / "pggate.toml").write_text(
        toml.replace("[project]\n", '[project]\nhistory_table = "public.schema_migrations"\n', 1)
    )


def test_fk_problems_in_public_are_found_when_the_history_lives_there(cli, project, db):
    root = project(migrations={"001_fk.sql": MIGRATION})
    _in_public(root)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    assert db.execute("select to_regclass('public.schema_migrations') is not null as t").fetchone()[
        "t"
    ]
    result = cli("verify", "--env", "test", "--gate", "fk", "--format", "json", cwd=root)
    gate = next(g for g in result.json()["gates"] if g["gate"] == "fk")
    found = {(f["check"], f["object"]) for f in gate["findings"]}
    assert ("FK002", "public.child(parent_id) -> public.parent") in found, gate["findings"]
    assert ("FK003", "public.child(parent_id)") in found, gate["findings"]
    assert ("FK004", "public.child.child_parent_fk") in found, gate["findings"]
    assert gate["summary"]["foreign_keys"] == {"public.child": ["child_parent_fk -> public.parent"]}
    assert result.exit_code == 1, result.output


def test_schema_problems_in_public_are_found_when_the_history_lives_there(cli, project, db):
    up = "create table public.log (at timestamptz);\n-- migrate:down\ndrop table public.log;\n"
    root = project(migrations={"001_log.sql": up})
    _in_public(root)
    assert cli("migrate", "--env", "test", cwd=root).exit_code == 0
    result = cli("verify", "--env", "test", "--gate", "schema", "--format", "json", cwd=root)
    gate = next(g for g in result.json()["gates"] if g["gate"] == "schema")
    found = {(f["check"], f["object"]) for f in gate["findings"]}
    assert ("SCH001", "public.log") in found, gate["findings"]
