"""``pggate new NAME``: the next migration file, in the folder's own version style."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from ..errors import MigrationFileError
from .files import FILE_PATTERN

TEMPLATE = """-- {name}
-- Up: runs in one transaction with its history row.
-- For CREATE INDEX CONCURRENTLY, put `-- pggate:no-transaction` on the first line instead.


-- migrate:down
-- Undo everything above, in reverse order, so a rollback restores the schema exactly.

"""


def slug(name: str) -> str:
    """``"Add Tasks index!"`` -> ``add_tasks_index``; path separators become ``_`` too.

    A name with a line break or another control character is refused: written into the
    file's header comment, its second line would be live SQL in the up section.
    """
    if any(ch < " " or ch == "\x7f" for ch in name):
        raise MigrationFileError(
            f"the migration name {name!r} holds a line break or control character",
            hint="give the name on one line, e.g. pggate new add_tasks",
        )
    cleaned = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if not cleaned:
        raise MigrationFileError(
            f"{name!r} is not a usable migration name",
            hint="use letters and digits, e.g. add_tasks",
        )
    return cleaned


def next_version(folder: Path, now: datetime | None = None) -> str:
    """A timestamp (``YYYYMMDDHHMMSS``) for timestamped or empty folders, else the next number."""
    versions = [
        m["version"]
        for p in (folder.iterdir() if folder.is_dir() else ())
        if (m := FILE_PATTERN.match(p.name))
    ]
    newest = max((int(v) for v in versions), default=0)
    if not versions or all(len(v) >= 12 for v in versions):
        stamp = int((now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S"))
        return str(max(stamp, newest + 1))
    width = max(len(v) for v in versions)
    return str(newest + 1).zfill(width)


def create(folder: Path, name: str, now: datetime | None = None) -> Path:
    """Write the next migration file with up and down sections; its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{next_version(folder, now)}_{slug(name)}.sql"
    if path.exists():
        raise MigrationFileError(
            f"{path} already exists", hint="wait a second or pick another name"
        )
    with path.open("x", encoding="utf-8") as handle:  # never overwrite a file
        handle.write(TEMPLATE.format(name=name))
    return path
