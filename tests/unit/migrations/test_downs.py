"""Which down statements a rollback asks about: classified by the parser, unknown means ask."""

from __future__ import annotations

import pytest

from pggate.errors import MigrationFileError
from pggate.migrations.downs import risks
from pggate.migrations.files import load_folder

LEAVE_DATA_ALONE = [
    "drop index app.notes_body;",
    "drop view app.recent;",
    "drop function app.f();",
    "drop policy p on app.notes;",
    "drop trigger t on app.notes;",
    "drop type app.mood;",
    "drop schema app;",
    "create view app.v as select 1 as one;",
    "alter table app.notes add column extra int;",
    "alter table app.notes drop constraint notes_pkey;",
    "alter sequence app.s increment by 2;",
    "grant select on app.notes to public;",
    "comment on table app.notes is 'x';",
    "alter table app.notes rename to old_notes;",
]
NEED_CONFIRMATION = {
    "drop table app.notes;": "drops a table",
    "drop sequence app.s;": "drops a sequence",
    "drop extension pgcrypto;": "drops an extension",
    "drop schema app cascade;": "CASCADE",
    "drop view app.recent cascade;": "CASCADE",
    "drop type app.mood cascade;": "CASCADE",
    "alter table app.notes drop column body;": "drops a column",
    "alter table app.notes alter column id type bigint;": "changes a column type",
    "alter table app.notes drop constraint c cascade;": "CASCADE",
    "alter sequence app.s restart;": "restarts a sequence",
    "truncate app.notes;": "empties tables",
    "delete from app.notes;": "deletes rows",
    "update app.notes set body = '';": "changes rows",
    "insert into app.notes values (1);": "writes rows",
    "do $$ begin perform 1; end $$;": "DO block",
    "call app.p();": "calls a procedure",
    "select app.cleanup();": "SELECT",
    "create table app.copy as select * from app.notes;": "runs a query",
    "vacuum app.notes;": "not a statement pggate knows",
    "drop owned by someone;": "drops everything a role owns",
}


def _down(tmp_path, statement: str):
    (tmp_path / "001_x.sql").write_text(f"select 1;\n-- migrate:down\n{statement}\n")
    return load_folder(tmp_path).migrations[0]


@pytest.mark.parametrize("statement", LEAVE_DATA_ALONE)
def test_statements_that_leave_data_alone_need_no_question(tmp_path, statement):
    assert risks([_down(tmp_path, statement)]) == []


@pytest.mark.parametrize("statement", NEED_CONFIRMATION, ids=list(NEED_CONFIRMATION))
def test_statements_that_can_remove_data_are_listed_with_file_line_and_why(tmp_path, statement):
    found = risks([_down(tmp_path, statement)])
    assert len(found) == 1, found
    assert NEED_CONFIRMATION[statement] in found[0].reason
    assert str(found[0]).startswith(f"{tmp_path / '001_x.sql'}:3: ")


def test_a_down_the_parser_cannot_read_is_refused(tmp_path):
    # Never classified as harmless: the rollback refuses (exit 2) naming file:line:column.
    with pytest.raises(MigrationFileError, match=r"001_x.sql:3:6: the down section does not parse"):
        risks([_down(tmp_path, "drop tabel app.notes;")])
