"""The statement splitter, the parse trees and the parse cache under .pggate/ (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pggate import api
from pggate.migrations import parse, validate
from pggate.migrations.cache import ParseCache
from tests.conftest import write_project


def _naive_positions(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def test_split_positions_match_a_naive_count_with_comments_and_multibyte_text():
    parts = []
    for i in range(300):
        parts.append(f"-- statement {i}: émoji ✓\n/* a /* nested; */ comment */ ;")
        parts.append(f"insert into t (a, b) values ({i}, 'ü\n{i}');  select {i};\n\n")
    text = "".join(parts)
    statements = parse.split(text)
    assert len(statements) == 600
    for statement in statements:
        assert text[statement.offset : statement.end] == statement.sql
        assert (statement.line, statement.column) == _naive_positions(text, statement.offset)
    shifted = parse.split(text, first_line=10)
    assert shifted[5].line == statements[5].line + 9


def test_the_parser_splits_an_ascii_twin_of_non_ascii_text(monkeypatch):
    """pglast maps byte offsets to characters in O(statements x multibyte characters)."""
    from pglast import parser

    seen = []
    real = parser.split
    monkeypatch.setattr(parser, "split", lambda text, **kw: seen.append(text) or real(text, **kw))
    text = "insert into t values ('ü');\n-- ✓\nselect 'ß';\n"
    statements = parse.split(text)
    assert [s.sql for s in statements] == ["insert into t values ('ü')", "select 'ß'"]
    assert seen and all(t.isascii() and len(t) == len(text) for t in seen)


def test_trees_batch_the_parser_and_skip_data_only_statements(monkeypatch):
    """One parser call per ~64 kB of DDL, none for INSERTs (was: one call per statement)."""
    from pglast import parser

    calls = []
    real = parser.parse_sql_json
    monkeypatch.setattr(parser, "parse_sql_json", lambda sql: calls.append(sql) or real(sql))
    ddl = "".join(f"alter table t{i} add column c int; -- note;\n" for i in range(3000))
    rows = "".join(f"insert into t values ({i}, 'x; -- y');\n" for i in range(3000))
    statements = parse.split(ddl + rows)
    trees = parse.trees(statements)
    assert len(calls) <= 3
    assert all(tree and tree[0][0] == "AlterTableStmt" for tree in trees[:3000])
    assert all(tree == [] for tree in trees[3000:])


def _project(tmp_path: Path, files: dict[str, str], toml: str = "") -> Path:
    return write_project(tmp_path / "p", migrations=files, extra_toml=toml)


FILES = {
    "001_t.sql": "create table public.t (id bigint primary key, x int);\n",
    "002_i.sql": "create index t_x_idx on public.t (x);\n-- migrate:down\ndrop index t_x_idx;\n",
}


def _count_parses(monkeypatch) -> list:
    parsed = []
    real = validate.parse_file
    monkeypatch.setattr(validate, "parse_file", lambda m: parsed.append(m.label) or real(m))
    return parsed


def _forget_verdicts(root: Path) -> None:
    """Drop the whole-run verdicts, so validate asks the per-file facts again."""
    (root / ".pggate" / "cache" / "validate.json").unlink()


def test_an_unchanged_file_is_never_parsed_twice(tmp_path, monkeypatch):
    root = _project(tmp_path, FILES)
    parsed = _count_parses(monkeypatch)
    first = api.validate(root)
    assert sorted(parsed) == ["001_t", "002_i"]
    assert (root / ".pggate" / "cache" / ".gitignore").read_text().strip().endswith("*")
    parsed.clear()
    second = api.validate(root)
    assert parsed == []
    assert second.findings == first.findings
    (root / "migrations" / "002_i.sql").write_text("create index t_x_idx on public.t (x, id);\n")
    third = api.validate(root)
    assert parsed == ["002_i"]
    assert any(f.check == "MIG005" and "002_i" in f.object for f in third.findings)


def test_history_and_config_apply_afresh_to_cached_hits(tmp_path):
    """The cache holds what the text yields; which tables are new and [lint] are not cached."""
    from datetime import UTC, datetime

    from pggate.config import load_project
    from pggate.migrations.files import load_folder
    from pggate.migrations.history import Applied

    root = _project(tmp_path, FILES)
    mset = load_folder(root / "migrations", root)
    first = mset.migrations[0]
    now = datetime.now(UTC)
    row = Applied(
        "001", "t", first.checksum, None, True, now, now, 1.0, "t", None, None, None, None
    )

    def lnt001(applied):
        cache = ParseCache.for_project(root)
        found = validate.validate(mset, applied=applied, cache=cache).findings
        return [f.object for f in found if f.check == "LNT001"]

    assert lnt001([]) == []  # 001 pending: public.t is new when 002 runs
    assert lnt001([row]) == ["migrations/002_i.sql"]  # 001 applied: public.t has rows
    assert lnt001(None) == ["migrations/002_i.sql"]  # offline: 001 may be applied
    assert load_project(root).settings.lint.ignore == []
    (root / "pggate.toml").write_text(
        (root / "pggate.toml").read_text() + '[lint]\nignore = ["LNT001"]\n'
    )
    again = [f for f in api.validate(root).findings if f.check == "LNT001"]
    assert [str(f.severity) for f in again] == ["info"]
    assert again[0].details["suppressed"] == "[lint] ignore in pggate.toml"


@pytest.mark.parametrize("damage", ["{not json", '{"stamp": "old", "facts": {}}', '{"stamp": 1}'])
def test_a_damaged_or_stale_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    root = _project(tmp_path, FILES)
    first = api.validate(root)
    cache_file = root / ".pggate" / "cache" / "parse.json"
    cache_file.write_text(damage)
    _forget_verdicts(root)
    parsed = _count_parses(monkeypatch)
    assert api.validate(root).findings == first.findings
    assert sorted(parsed) == ["001_t", "002_i"]
    assert json.loads(cache_file.read_text())["stamp"] == ParseCache.for_project(root).stamp


def test_a_damaged_entry_is_parsed_again(tmp_path, monkeypatch):
    root = _project(tmp_path, FILES)
    first = api.validate(root)
    cache_file = root / ".pggate" / "cache" / "parse.json"
    data = json.loads(cache_file.read_text())
    data["facts"] = {key: {"lint": 3} for key in data["facts"]}
    cache_file.write_text(json.dumps(data))
    _forget_verdicts(root)
    assert api.validate(root).findings == first.findings


def test_a_read_only_project_validates_without_a_cache(tmp_path):
    root = _project(tmp_path, FILES)
    (root / ".pggate").mkdir()
    (root / ".pggate" / "cache").write_text("a file where the cache folder would go")
    result = api.validate(root)
    assert any(f.check == "LNT001" for f in result.findings)


def test_an_unchanged_run_reads_its_verdict_without_the_facts(tmp_path, monkeypatch):
    """The no-op migrate's case: same files, same settings, no facts document loaded."""
    root = _project(tmp_path, FILES)
    first = api.validate(root)
    facts_file = root / ".pggate" / "cache" / "parse.json"
    facts_file.write_text("{not json: never read when the verdict is known")
    parsed = _count_parses(monkeypatch)
    again = api.validate(root)
    assert again.findings == first.findings and parsed == []
    assert facts_file.read_text().startswith("{not json"), "the facts were not even loaded"
    assert [f.check for f in again.findings] == [f.check for f in first.findings]


@pytest.mark.parametrize(
    "change",
    ["edit", "ignore", "require_down", "history", "damaged verdicts", "stale verdicts"],
)
def test_a_verdict_is_only_reused_for_the_same_inputs(tmp_path, monkeypatch, change):
    from pggate.migrations.files import load_folder
    from pggate.migrations.lint import LintSettings

    root = _project(tmp_path, FILES)

    def run(**kwargs):
        mset = load_folder(root / "migrations", root)
        return validate.validate(mset, cache=ParseCache.for_project(root), **kwargs)

    def fresh(**kwargs):
        mset = load_folder(root / "migrations", root)
        return validate.validate(mset, cache=ParseCache.disabled(), **kwargs)

    run()
    kwargs: dict = {}
    verdicts = root / ".pggate" / "cache" / "validate.json"
    if change == "edit":
        (root / "migrations" / "002_i.sql").write_text("create index t_x_idx on public.t (x);\n")
    elif change == "ignore":
        kwargs["settings"] = LintSettings.from_config(["LNT001"], [])
    elif change == "require_down":
        kwargs["require_down"] = True
    elif change == "history":
        kwargs["applied"] = []
    elif change == "damaged verdicts":
        data = json.loads(verdicts.read_text())
        data["verdicts"] = {key: [{"check": 1}] for key in data["verdicts"]}
        verdicts.write_text(json.dumps(data))
    else:
        data = json.loads(verdicts.read_text())
        verdicts.write_text(json.dumps({**data, "stamp": "older pggate"}))
    got = run(**kwargs)
    assert got.findings == fresh(**kwargs).findings
    assert run(**kwargs).findings == got.findings, "and reused next time"
