from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pggate.errors import MigrationFileError
from pggate.migrations.files import checksum, load_folder, split_sections
from pggate.migrations.new import create, next_version, slug
from pggate.migrations.parse import SqlSyntaxError, split


def test_plain_file_is_all_up():
    up, down, transactional, up_line, _ = split_sections("create table t (x int);\n")
    assert up == "create table t (x int);\n" and down is None and transactional and up_line == 1


def test_down_section_and_lines():
    text = "-- header\ncreate table t (x int);\n-- migrate:down\ndrop table t;\n"
    up, down, _, up_line, down_line = split_sections(text)
    assert "create table" in up and down == "drop table t;\n"
    assert (up_line, down_line) == (1, 4)


def test_dbmate_markers_and_transaction_false():
    text = "-- migrate:up transaction:false\ncreate index concurrently i on t (x);\n-- migrate:down\ndrop index i;\n"
    up, down, transactional, up_line, _ = split_sections(text)
    assert up.strip() == "create index concurrently i on t (x);"
    assert not transactional and up_line == 2 and down.strip() == "drop index i;"


def test_no_transaction_directive():
    assert not split_sections("-- pggate:no-transaction\ncreate index concurrently i on t (x);")[2]


def test_down_marker_inside_a_string_is_not_a_marker():
    text = (
        "create function f() returns text language sql as $body$\n"
        "-- migrate:down\n"
        "select 'x'\n$body$;\n"
        "insert into notes values ('\n-- migrate:down\n');\n"
        "-- migrate:down\n"
        "drop function f();\n"
    )
    up, down, *_ = split_sections(text)
    assert down.strip() == "drop function f();"
    assert up.count("-- migrate:down") == 2


def test_checksum_ignores_line_endings():
    assert checksum("a;\r\nb;\r\n") == checksum("a;\nb;\n")
    assert checksum("a;") != checksum("b;")
    assert checksum("x").startswith("sha256:")


def test_folder_with_bom_crlf_sibling_down_and_problems(tmp_path):
    (tmp_path / "001_a.sql").write_bytes(b"\xef\xbb\xbfcreate table a (x int);\r\n")
    (tmp_path / "001_a.down.sql").write_text("drop table a;")
    (tmp_path / "002_b.sql").write_text("select 1;")
    (tmp_path / "02_dup.sql").write_text("select 2;")
    (tmp_path / "bad name.sql").write_text("select 3;")
    (tmp_path / "003_latin1.sql").write_bytes("select 'café';".encode("latin-1"))
    (tmp_path / "004_empty.sql").write_text("-- nothing here\n")
    (tmp_path / "README.md").write_text("not a migration")
    from pggate.migrations.validate import validate

    mset = load_folder(tmp_path, tmp_path)
    first = mset.migrations[0]
    assert first.up_sql == "create table a (x int);\n"
    assert first.down_sql == "drop table a;" and first.down_path is not None
    assert first.display == "001_a.sql"
    checks = sorted((f.check, f.object) for f in validate(mset).findings)
    assert ("MIG002", "02_dup.sql") in checks
    assert ("MIG003", "bad name.sql") in checks
    assert ("MIG009", "003_latin1.sql") in checks
    assert ("MIG004", "004_empty.sql") in checks


NASTY = """create table t (id int, body text); -- a comment; with a semicolon
do $tag$ begin perform 1; raise notice 'x;y'; end $tag$;
insert into t values (1, E'it\\'s; fine'), (2, $$dollar; quoted$$);
/* block; comment */ select 1;
create function f() returns int language plpgsql as $fn$
begin
  return 1; -- ;
end
$fn$;
"""


def test_split_nasty_sql_keeps_statements_whole_with_lines():
    statements = split(NASTY, first_line=10)
    assert len(statements) == 5
    assert statements[1].sql.startswith("do $tag$") and statements[1].line == 11
    assert "E'it\\'s; fine'" in statements[2].sql
    assert statements[4].line == 14
    assert statements[4].sql.endswith("$fn$")


def test_syntax_error_has_file_line_and_column():
    with pytest.raises(SqlSyntaxError) as err:
        split("select 1;\n\n  selec 2;\n", first_line=5)
    assert (err.value.line, err.value.column) == (7, 3)
    assert "selec" in err.value.message and err.value.source_line == "  selec 2;"


identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
literals = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)


@st.composite
def statements(draw):
    kind = draw(st.sampled_from(["insert", "do", "comment", "select"]))
    name, text = '"' + draw(identifiers) + '"', draw(literals)  # quoted: reserved words are fine
    quoted = "'" + text.replace("'", "''") + "'"
    return {
        "insert": f"insert into {name} values ({quoted})",
        "do": f"do $x$ begin raise notice '%', {quoted}; end $x$",
        "comment": f"comment on table {name} is {quoted}",
        "select": f"select {quoted} as {name}",
    }[kind]


@given(st.lists(statements(), min_size=1, max_size=8))
def test_split_then_join_preserves_statements(stmts):
    text = ";\n-- between; statements\n".join(stmts) + ";\n"
    parts = split(text)
    assert [p.sql for p in parts] == stmts
    assert split(";\n".join(p.sql for p in parts) + ";") == split(";\n".join(stmts) + ";")


def test_new_uses_timestamps_in_an_empty_or_timestamped_folder(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert next_version(tmp_path, now) == "20260102030405"
    (tmp_path / "20990101000000_future.sql").write_text("select 1;")
    assert next_version(tmp_path, now) == "20990101000001"


def test_new_continues_numbered_folders(tmp_path):
    (tmp_path / "001_a.sql").write_text("select 1;")
    (tmp_path / "007_b.sql").write_text("select 1;")
    path = create(tmp_path, "Add Tasks index!")
    assert path.name == "008_add_tasks_index.sql"
    up, down, *_ = split_sections(path.read_text())
    assert down is not None


def test_new_rejects_an_empty_name():
    with pytest.raises(MigrationFileError):
        slug("!!!")


def test_init_scaffolds_a_loadable_project_and_refuses_twice(tmp_path):
    from pggate import api
    from pggate.config import load_project
    from pggate.errors import ConfigError

    api.init(tmp_path / "p", supabase=True)
    project = load_project(tmp_path / "p")
    assert project.settings.project.supabase and project.migrations_dir.is_dir()
    assert ".env.*" in (tmp_path / "p" / ".gitignore").read_text()
    with pytest.raises(ConfigError, match="already exists"):
        api.init(tmp_path / "p")


@pytest.mark.parametrize("name", ["add\nselect 1", "add\rdrop table x", "tab\there"])
def test_new_refuses_a_name_that_would_put_sql_in_the_header(tmp_path, name):
    with pytest.raises(MigrationFileError, match="line break or control character"):
        create(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_new_slugifies_path_separators_into_the_folder(tmp_path):
    path = create(tmp_path / "m", "../../etc/evil", now=datetime(2024, 1, 1, tzinfo=UTC))
    assert path.parent == tmp_path / "m" and path.name == "20240101000000_etc_evil.sql"
    assert list(tmp_path.iterdir()) == [tmp_path / "m"]


# A down marker look-alike inside a dollar-quoted body, then the real one: only the scanner
# tells them apart, and the marker cache remembers its answer by the file's content.
TRICKY = """create function f() returns text language sql as $$
select '
-- migrate:down
'
$$;
-- migrate:down
drop function f();
"""


def _tricky_project(tmp_path: Path) -> Path:
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001_f.sql").write_text(TRICKY)
    return tmp_path


def test_the_marker_cache_answers_like_the_scanner_and_spares_the_next_read(tmp_path, monkeypatch):
    from pggate.migrations import files

    root = _tricky_project(tmp_path)
    scanned = []
    real = files._scanned_down_marker
    monkeypatch.setattr(files, "_scanned_down_marker", lambda *a: scanned.append(a) or real(*a))
    first = load_folder(root / "migrations", root).migrations[0]
    assert first.down_sql.strip() == "drop function f();" and "$$" in first.up_sql
    assert len(scanned) == 1 and (root / ".pggate" / "cache" / "markers.json").is_file()
    second = load_folder(root / "migrations", root).migrations[0]
    assert len(scanned) == 1, "an unchanged file is not scanned again"
    assert (second.up_sql, second.down_sql, second.down_line) == (
        first.up_sql,
        first.down_sql,
        first.down_line,
    )


def test_an_edited_file_or_a_broken_marker_cache_is_scanned_again(tmp_path):
    root = _tricky_project(tmp_path)
    load_folder(root / "migrations", root)
    path = root / "migrations" / "001_f.sql"
    # the real marker removed: the look-alike in the body must not become one
    path.write_text(TRICKY.replace("$$;\n-- migrate:down\n", "$$;\n"))
    (migration,) = load_folder(root / "migrations", root).migrations
    assert migration.down_sql is None and "drop function" in migration.up_sql
    (root / ".pggate" / "cache" / "markers.json").write_text("{not json")
    path.write_text(TRICKY)
    (migration,) = load_folder(root / "migrations", root).migrations
    assert migration.down_sql.strip() == "drop function f();"
