"""The parse cache under ``.pggate/``: what parsing a migration file yielded, keyed by its content.

An unchanged file is never parsed twice: ``validate`` stores each file's parse
facts (syntax errors, statement count, statements that cannot run in a
transaction, lint hits) under a key made of the file's checksums, and reads
them back next time. The same module keeps, per file path, its size, mtime
and checksum (``remember_file`` / ``known_checksum``) for commands that only
need the checksum and could then skip reading an unchanged file.

The whole cache is one JSON file, ``.pggate/cache/parse.json``, stamped with
pggate's version and a digest of the modules whose output it stores: a new
rule or a changed message invalidates it. It is an optimisation only: a
missing, unreadable, corrupt or stale file is ignored and rebuilt, and a
folder pggate cannot write to just means no cache. The cache folder holds a
``.gitignore`` so it is never committed (``pggate init`` ignores ``.pggate/`` too).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FOLDER = ".pggate"
FILE = Path("cache") / "parse.json"
FORMAT = 1
# The modules whose results are cached: editing one changes the stamp.
_SOURCES = ("parse.py", "lint.py", "lint_rules.py", "lint_catalogue.py", "validate.py", "cache.py")


def _stamp(sources: tuple[str, ...] = _SOURCES) -> str:
    from .. import __version__

    digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    here = Path(__file__).parent
    for name in sources:
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return digest.hexdigest()[:32]


class ParseCache:
    """Parse facts by content key, and checksums by path, size and mtime."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stamp = _stamp() if path else ""
        self._facts: dict[str, Any] = {}
        self._files: dict[str, list[Any]] = {}
        self._used: set[str] = set()
        self._dirty = False
        if path is not None:
            self._load(path)

    @classmethod
    def for_project(cls, root: Path) -> ParseCache:
        """The cache of the project at ``root``."""
        return cls(root / FOLDER / FILE)

    @classmethod
    def disabled(cls) -> ParseCache:
        """A cache that remembers nothing (every lookup misses)."""
        return cls(None)

    def _load(self, path: Path) -> None:
        data = _read_stamped(path, self.stamp)
        if data is None:
            self._dirty = path.exists()  # stale: rewrite it
            return
        facts, files = data.get("facts"), data.get("files")
        self._facts = facts if isinstance(facts, dict) else {}
        self._files = files if isinstance(files, dict) else {}

    # ------------------------------------------------------------ parse facts

    def facts(self, key: str) -> Any | None:
        """The facts stored under ``key``, or ``None``."""
        value = self._facts.get(key)
        if value is not None:
            self._used.add(key)
        return value

    def put_facts(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-ready) under ``key``."""
        self._facts[key] = value
        self._used.add(key)
        self._dirty = True

    # ------------------------------------------------------------ checksums by stat

    def known_checksum(self, path: str, size: int, mtime_ns: int) -> str | None:
        """The checksum recorded for ``path`` if its size and mtime are unchanged."""
        entry = self._files.get(path)
        if entry and entry[0] == size and entry[1] == mtime_ns:
            return str(entry[2])
        return None

    def remember_file(self, path: str, size: int, mtime_ns: int, checksum: str) -> None:
        """Record ``path``'s checksum for its current size and mtime."""
        if self._files.get(path) != [size, mtime_ns, checksum]:
            self._files[path] = [size, mtime_ns, checksum]
            self._dirty = True

    # ------------------------------------------------------------ saving

    def save(self) -> None:
        """Write the cache if it changed, keeping only the facts this run used."""
        if self.path is None:
            return
        self._facts, dropped = _keep_used(self._facts, self._used)
        if self._dirty or dropped:
            data = {"stamp": self.stamp, "facts": self._facts, "files": self._files}
            self._dirty = not _save_json(self.path, data)


class MarkerCache:
    """Where a file's ``-- migrate:down`` marker is, by the file's content.

    Telling the marker from a look-alike inside a string or a dollar-quoted body
    needs the PostgreSQL scanner (and importing pglast), the most expensive part of
    reading a migrations folder, and every command reads the whole folder. The
    answer depends only on the text, so it is stored under the text's SHA-256:
    an edited file has another key and is scanned again. ``.pggate/cache/markers.json``,
    stamped with pggate's version and ``files.py``; like the parse cache it is an
    optimisation only, ignored when missing, stale or unwritable.
    """

    FILE = Path("cache") / "markers.json"

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stamp = _stamp(("files.py",)) if path else ""
        self._markers: dict[str, int] = {}
        self._used: set[str] = set()
        self._dirty = False
        if path is not None:
            data = _read_stamped(path, self.stamp) or {}
            markers = data.get("markers")
            self._markers = markers if isinstance(markers, dict) else {}

    @classmethod
    def for_project(cls, root: Path) -> MarkerCache:
        """The cache of the project at ``root``."""
        return cls(root / FOLDER / cls.FILE)

    @staticmethod
    def key(text: str) -> str:
        """The cache key of a file's text."""
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> int | None:
        """The marker's line index recorded for ``key`` (-1: no marker), or ``None``."""
        value = self._markers.get(key)
        if not isinstance(value, int):
            return None
        self._used.add(key)
        return value

    def put(self, key: str, index: int | None) -> None:
        """Record the marker's line index (``None``: the file has none) for ``key``."""
        self._markers[key] = -1 if index is None else index
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if it changed, keeping only the entries this run used."""
        if self.path is None:
            return
        self._markers, dropped = _keep_used(self._markers, self._used)
        if self._dirty or dropped:
            data = {"stamp": self.stamp, "markers": self._markers}
            self._dirty = not _save_json(self.path, data)


def _keep_used(entries: dict[str, Any], used: set[str]) -> tuple[dict[str, Any], bool]:
    """``entries`` without the keys this run did not use, and whether any were dropped."""
    if set(entries) == used:
        return entries, False
    return {k: v for k, v in entries.items() if k in used}, True


def _save_json(path: Path, data: dict[str, Any]) -> bool:
    """Write ``data`` to ``path`` atomically; whether it was written (a cache may not be)."""
    try:
        _write_atomically(path, json.dumps(data, separators=(",", ":")))
    except OSError:
        return False
    return True


def _read_stamped(path: Path, stamp: str) -> dict[str, Any] | None:
    """The JSON object at ``path`` if it carries ``stamp``; ``None`` when missing or stale."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("stamp") != stamp:
        return None
    return data


def _write_atomically(path: Path, text: str) -> None:
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# pggate's parse cache: rebuilt when missing, never committed\n*\n")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".parse-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
