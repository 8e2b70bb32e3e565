"""The file index (``.pggate/cache/files.json``): unchanged files are not read, edits always are.

Real files throughout. Files written by a test are "racy" for two seconds (an edit in the
same instant could keep their stat), so most tests shrink that window to zero and wait a
few clock ticks before each edit, which is what the window guards in real use.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from pggate.errors import MigrationFileError
from pggate.migrations import cache, files
from pggate.migrations.files import load_folder

FILES = {
    "001_a.sql": "create table a (x int);\n-- migrate:down\ndrop table a;\n",
    "002_b.sql": "-- pggate:no-transaction\ncreate index concurrently b_x on a (x);\n",
    "003_c.sql": "insert into a values (1); -- 'quoted' text\n-- migrate:down\ndelete from a;\n",
}


def _project(tmp_path: Path, migrations: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir(parents=True)
    for name, text in (migrations or FILES).items():
        (folder / name).write_text(text)
    return tmp_path


def _load(root: Path) -> files.MigrationSet:
    return load_folder(root / "migrations", root)


def _tick() -> None:
    """Let the file clock move on, so an edit gets a ctime of its own."""
    time.sleep(0.05)


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Edit ``path`` keeping its size and mtime: only its ctime tells."""
    assert len(old) == len(new)
    before = path.stat()
    _tick()
    path.write_text(path.read_text().replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def _facts(mset: files.MigrationSet) -> list[tuple[object, ...]]:
    return [
        (m.label, m.checksum, m.down_checksum, m.transactional, m.up_line, m.down_line, m.shown)
        for m in mset.migrations
    ]


def test_an_unchanged_folder_is_not_read_and_loads_the_same(tmp_path, no_racy_window, reads):
    root = _project(tmp_path)
    first = _load(root)
    assert sorted(reads) == sorted(FILES)
    assert (root / ".pggate" / "cache" / "files.json").is_file()
    reads.clear()
    second = _load(root)
    assert reads == [], "the index vouches for every file"
    assert _facts(second) == _facts(first) and second.findings == first.findings
    assert [m.has_down for m in second.migrations] == [True, False, True]
    assert second.migrations == first.migrations
    # The SQL is read on first use, once, and is what a fresh read gives.
    c = second.migrations[2]
    assert (c.up_sql, c.down_sql) == (first.migrations[2].up_sql, first.migrations[2].down_sql)
    assert c.section("down") == first.migrations[2].section("down")
    assert reads == ["003_c.sql"]
    assert second.migrations[1].down_sql is None and reads == ["003_c.sql"], "no down: no read"


def test_an_edit_keeping_size_and_mtime_is_seen_through_ctime(tmp_path, no_racy_window, reads):
    root = _project(tmp_path)
    first = _load(root)
    _same_size_edit(root / "migrations" / "001_a.sql", "(x int)", "(y int)")
    reads.clear()
    second = _load(root)
    assert reads == ["001_a.sql"]
    assert second.migrations[0].checksum != first.migrations[0].checksum
    assert second.migrations[0].up_sql == "create table a (y int);"
    assert _facts(second)[1:] == _facts(first)[1:]


def test_a_down_file_is_part_of_its_migrations_key(tmp_path, no_racy_window, reads):
    root = _project(tmp_path, {"001_a.sql": "create table a (x int);\n"})
    down = root / "migrations" / "001_a.down.sql"
    assert not _load(root).migrations[0].has_down
    _tick()
    down.write_text("drop table a;\n")
    reads.clear()
    (added,) = _load(root).migrations
    assert sorted(reads) == ["001_a.down.sql", "001_a.sql"] and added.has_down
    assert added.down_path == down
    reads.clear()
    (indexed,) = _load(root).migrations
    assert reads == [] and indexed.down_checksum == added.down_checksum
    assert indexed.down_path == down and indexed.section("down")[1] == down
    _same_size_edit(down, "drop", "DROP")
    (edited,) = _load(root).migrations
    assert edited.down_checksum != added.down_checksum and edited.down_sql == "DROP table a;\n"
    _tick()
    down.unlink()
    assert not _load(root).migrations[0].has_down


def test_files_with_findings_are_read_every_run(tmp_path, no_racy_window, reads):
    root = _project(
        tmp_path,
        {
            **FILES,
            "001_a.down.sql": "drop table a;\n",  # and 001_a.sql has a down section: MIG010
            "004_latin1.sql": "select 'café';",
        },
    )
    (root / "migrations" / "004_latin1.sql").write_bytes("select 'café';".encode("latin-1"))
    first = _load(root)
    reads.clear()
    second = _load(root)
    assert sorted({f.check for f in second.findings}) == ["MIG009", "MIG010"]
    assert second.findings == first.findings
    assert sorted(reads) == ["001_a.down.sql", "001_a.sql", "004_latin1.sql"]


def test_a_racy_entry_is_not_recorded_until_the_file_is_older(tmp_path, monkeypatch, reads):
    root = _project(tmp_path)
    index = root / ".pggate" / "cache" / "files.json"
    # mtime set far back: ctime still says "just now", and no tool can set it back
    for path in (root / "migrations").iterdir():
        os.utime(path, (1_000_000, 1_000_000))
    _load(root)
    assert not index.exists() or json.loads(index.read_text())["folders"]["migrations"] == {}
    reads.clear()
    _load(root)
    assert sorted(reads) == sorted(FILES), "a racy file is read again"
    later = time.time_ns() + 3 * 1_000_000_000
    monkeypatch.setattr(cache, "_now", lambda: later)
    _load(root)
    assert sorted(json.loads(index.read_text())["folders"]["migrations"]) == sorted(FILES)
    monkeypatch.undo()
    monkeypatch.setattr(files, "read_text", lambda path: reads.append(path) or "")
    reads.clear()
    _load(root)
    assert reads == []


@pytest.mark.parametrize(
    "damage",
    [
        "{not json",
        '{"stamp": "old", "folders": {}}',
        "[]",
        "stamped: every entry garbage",
        "stamped: entries point at other files",
    ],
)
def test_a_damaged_or_stale_index_is_ignored_and_rebuilt(tmp_path, no_racy_window, reads, damage):
    root = _project(tmp_path)
    first = _load(root)
    index = root / ".pggate" / "cache" / "files.json"
    if damage.startswith("stamped"):
        data = json.loads(index.read_text())
        entries = data["folders"]["migrations"]
        if "garbage" in damage:
            broken = [7, None, {"x": 1}, [[], 1], [[1, 2, 3, 4], 5, None, True, 1, 1]]
            data["folders"]["migrations"] = dict(zip(entries, broken, strict=False))
        else:  # a right-looking entry whose stat key is another file's
            a, c = entries["001_a.sql"], entries["003_c.sql"]
            entries["001_a.sql"], entries["003_c.sql"] = [c[0], *a[1:]], [a[0], *c[1:]]
        index.write_text(json.dumps(data))
    else:
        index.write_text(damage)
    reads.clear()
    second = _load(root)
    swapped = "other files" in damage
    assert sorted(reads) == (["001_a.sql", "003_c.sql"] if swapped else sorted(FILES))
    assert _facts(second) == _facts(first) and second.findings == first.findings
    reads.clear()
    _load(root)
    assert reads == [], "rebuilt"


def test_an_unwritable_cache_folder_is_no_index(tmp_path, no_racy_window, reads):
    root = _project(tmp_path)
    (root / ".pggate").mkdir()
    (root / ".pggate" / "cache").write_text("a file where the cache folder would go")
    first = _load(root)
    reads.clear()
    assert _facts(_load(root)) == _facts(first) and sorted(reads) == sorted(FILES)


def test_sql_read_later_that_no_longer_matches_the_index_is_refused(tmp_path, no_racy_window):
    root = _project(tmp_path)
    _load(root)
    mset = _load(root)  # every file vouched for by the index, none read yet
    index = root / ".pggate" / "cache" / "files.json"
    path = root / "migrations" / "001_a.sql"
    path.write_text(path.read_text().replace("(x int)", "(x bigint)"))  # while pggate "runs"
    with pytest.raises(MigrationFileError, match=r"migrations/001_a\.sql changed while pggate"):
        mset.migrations[0].up_sql  # noqa: B018
    assert not index.exists(), "the next run reads every file afresh"
    assert _load(root).migrations[0].up_sql == "create table a (x bigint);"


@pytest.mark.parametrize(
    ("name", "edit"),
    [
        ("001_a.sql", lambda t: t.replace("-- migrate:down", "-- migrate:up\n-- migrate:down")),
        ("001_a.sql", lambda t: t.replace("-- migrate:down\n", "")),
        ("002_b.sql", lambda t: t.replace("-- pggate:no-transaction", "-- pggate:no-transactio_")),
        ("003_c.sql", lambda t: "-- migrate:up\n" + t),
        ("003_c.sql", lambda t: t.replace("delete", "DELETE")),
        ("003_c.sql", None),
    ],
    ids=["marker moved", "marker gone", "mode changed", "up marker added", "down", "deleted"],
)
def test_any_edit_under_the_index_is_caught_when_the_sql_is_read(
    tmp_path, no_racy_window, name, edit
):
    root = _project(tmp_path)
    _load(root)
    migration = next(m for m in _load(root).migrations if m.file == name)
    path = root / "migrations" / name
    if edit is None:
        path.unlink()
    else:
        path.write_text(edit(path.read_text()))
    with pytest.raises(MigrationFileError, match=f"migrations/{name} changed while pggate"):
        migration.section("down" if migration.has_down else "up")


def test_a_link_out_of_the_project_is_refused_with_an_index_present(tmp_path, no_racy_window):
    root = _project(tmp_path / "p")
    outside = tmp_path / "outside.sql"
    outside.write_text(FILES["001_a.sql"])
    _load(root)
    path = root / "migrations" / "001_a.sql"
    _tick()
    path.unlink()
    path.symlink_to(outside)
    mset = _load(root)
    assert [m.file for m in mset.migrations] == ["002_b.sql", "003_c.sql"]
    (refused,) = mset.findings
    assert refused.check == "MIG003" and "resolves outside the project" in refused.message


def test_a_link_inside_the_project_is_read_every_run(tmp_path, no_racy_window, reads):
    root = _project(tmp_path)
    (root / "shared.sql").write_text("create table s (x int);\n")
    (root / "migrations" / "004_shared.sql").symlink_to(root / "shared.sql")
    _load(root)
    reads.clear()
    assert [m.file for m in _load(root).migrations][-1] == "004_shared.sql"
    assert reads == ["004_shared.sql"]


def test_a_fully_indexed_run_keeps_the_marker_cache(tmp_path, no_racy_window, monkeypatch):
    root = _project(tmp_path)
    markers = root / ".pggate" / "cache" / "markers.json"
    _load(root)
    kept = json.loads(markers.read_text())["markers"]
    assert kept, "003_c.sql's quote needed the scanner"
    _tick()
    (root / "migrations" / "001_a.sql").write_text("create table a (x bigint);\n")
    _load(root)  # 001 read, 003 from the index: 003's marker entry must survive
    assert json.loads(markers.read_text())["markers"] == kept
    scanned: list[object] = []
    monkeypatch.setattr(files, "_scanned_down_marker", lambda *a: scanned.append(a))
    (root / ".pggate" / "cache" / "files.json").unlink()
    _load(root)
    assert scanned == [], "003 still answered by the marker cache"
