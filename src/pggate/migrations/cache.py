"""The caches under ``.pggate/cache/``: what reading and parsing migration files yielded.

Four documents, each an optimisation only: a missing, unreadable, corrupt or
stale one is ignored and rebuilt, and a folder pggate cannot write to just
means no cache. The cache folder holds a ``.gitignore`` so it is never
committed (``pggate init`` ignores ``.pggate/`` too). Each is stamped with
pggate's version and a digest of the modules whose output it stores, so a new
rule, a changed message or a changed loader invalidates it.

``parse.json`` (``ParseCache``): an unchanged file is never parsed twice.
``validate`` stores each file's parse facts (syntax errors, statement count,
statements that cannot run in a transaction, lint hits) under a key made of the
file's checksums, and reads them back next time.

``validate.json`` (``ParseCache`` too): the last few verdicts, the findings of a
whole folder under a digest of everything they depend on (``validate.verdict_key``);
a run with a known digest loads neither ``parse.json`` nor any file's facts.

``markers.json`` (``MarkerCache``): where a file's ``-- migrate:down`` marker
is, by the SHA-256 of the file's text.

``files.json`` (``FileIndex``): what loading each migration file yielded (its
sections' checksums, first lines and transaction mode; never its text), by the
file's size, mtime, ctime and inode, and those of its ``.down.sql``. A file whose
four numbers are unchanged is not read at all; its SQL is read when a command
needs it, and checked then against the recorded checksums (``files.Migration``).

The index trusts a file's stat the way git trusts its index, and has git's
"racy clean" problem: a file written again within the filesystem's timestamp
granularity of the moment it was read could get a new text under an unchanged
stat. So an entry is never recorded for a file whose mtime or ctime is less than
``RACY_SECONDS`` (2 s) before the moment the index is saved (which is after the
file was read): such a file is read again next run, and recorded once it is
older. ctime is in the key because no user tool can set it (``touch -d``,
``rsync -t`` or ``git checkout`` set mtime, and the kernel sets ctime to now),
so an edit that restores the size and the mtime still changes the key; the
inode catches a file replaced by another. A symbolic link, and a file that
loads with a finding, are never recorded: they are read every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from functools import cached_property
from pathlib import Path
from typing import Any

FOLDER = ".pggate"
FILE = Path("cache") / "parse.json"
FORMAT = 2
RACY_SECONDS = 2  # see the module docstring: entries this recent are not recorded
# The modules whose results are cached: editing one changes the stamp.
_SOURCES = ("parse.py", "lint.py", "lint_rules.py", "lint_catalogue.py", "validate.py", "cache.py")
# A verdict holds findings: their ids, severities, gates and the way files are shown too.
_VERDICT_SOURCES = (*_SOURCES, "files.py", "../catalogue.py", "../results.py")
VERDICTS = "validate.json"
KEPT_VERDICTS = 4  # offline, migrate's, and --env ones: a few differ in what they depend on


def _stamp(sources: tuple[str, ...] = _SOURCES) -> str:
    from .. import __version__

    digest = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    here = Path(__file__).parent
    for name in sources:
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return digest.hexdigest()[:32]


class ParseCache:
    """Parse facts by content key, and whole verdicts by the key of everything they depend on.

    Both documents are read on first use: a run whose verdict is known never
    deserialises the facts of every file.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stamp = _stamp() if path else ""
        self._facts: dict[str, Any] | None = None if path is not None else {}
        self._used: set[str] = set()
        self._dirty = False
        self._verdicts: dict[str, Any] | None = None if path is not None else {}
        self._verdicts_dirty = False
        # What readers built from the facts in this process, by key: migrate's runner reads
        # the facts validation just built, and need not rebuild them from JSON.
        self.built: dict[str, Any] = {}

    @classmethod
    def for_project(cls, root: Path) -> ParseCache:
        """The cache of the project at ``root``."""
        return cls(root / FOLDER / FILE)

    @classmethod
    def disabled(cls) -> ParseCache:
        """A cache that remembers nothing (every lookup misses)."""
        return cls(None)

    def _all_facts(self) -> dict[str, Any]:
        if self._facts is None:
            assert self.path is not None
            data = _read_stamped(self.path, self.stamp)
            if data is None:
                self._dirty = self.path.exists()  # stale: rewrite it
            facts = (data or {}).get("facts")
            self._facts = facts if isinstance(facts, dict) else {}
        return self._facts

    # ------------------------------------------------------------ parse facts

    def facts(self, key: str) -> Any | None:
        """The facts stored under ``key``, or ``None``."""
        value = self._all_facts().get(key)
        if value is not None:
            self._used.add(key)
        return value

    def put_facts(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-ready) under ``key``."""
        self._all_facts()[key] = value
        self._used.add(key)
        self._dirty = True

    # ------------------------------------------------------------ verdicts

    @cached_property
    def _verdict_stamp(self) -> str:
        return _stamp(_VERDICT_SOURCES)

    @property
    def _verdicts_path(self) -> Path | None:
        return self.path.with_name(VERDICTS) if self.path is not None else None

    def _all_verdicts(self) -> dict[str, Any]:
        if self._verdicts is None:
            path = self._verdicts_path
            data = _read_stamped(path, self._verdict_stamp) if path else None
            verdicts = (data or {}).get("verdicts")
            self._verdicts = verdicts if isinstance(verdicts, dict) else {}
        return self._verdicts

    def verdict(self, key: str) -> Any | None:
        """The verdict (JSON) stored under ``key``, or ``None``."""
        return self._all_verdicts().get(key)

    def put_verdict(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-ready) under ``key``, keeping the latest few verdicts."""
        verdicts = self._all_verdicts()
        verdicts.pop(key, None)
        verdicts[key] = value
        for old in list(verdicts)[:-KEPT_VERDICTS]:
            del verdicts[old]
        self._verdicts_dirty = True

    # ------------------------------------------------------------ saving

    def save(self) -> None:
        """Write what changed, keeping only the facts this run used (if it used any)."""
        if self.path is None:
            return
        if self._facts is not None:
            self._facts, dropped = _keep_used(self._facts, self._used)
            if self._dirty or dropped:
                data = {"stamp": self.stamp, "facts": self._facts}
                self._dirty = not _save_json(self.path, data)
        path = self._verdicts_path
        if self._verdicts_dirty and path is not None and self._verdicts is not None:
            data = {"stamp": self._verdict_stamp, "verdicts": self._verdicts}
            self._verdicts_dirty = not _save_json(path, data)


class MarkerCache:
    """Where a file's ``-- migrate:down`` marker is, by the file's content.

    Telling the marker from a look-alike inside a string or a dollar-quoted body
    needs the PostgreSQL scanner (and importing pglast), the most expensive part of
    reading a migration file, and a file the index does not vouch for is read
    afresh. The answer depends only on the text, so it is stored under the text's
    SHA-256: an edited file has another key and is scanned again.
    ``.pggate/cache/markers.json``, stamped with pggate's version and ``files.py``,
    read on first use (a run the file index serves entirely never opens it); like
    the parse cache it is an optimisation only, ignored when missing, stale or
    unwritable.
    """

    FILE = Path("cache") / "markers.json"

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._markers: dict[str, int] | None = None if path is not None else {}
        self._used: set[str] = set()
        self._dirty = False

    @classmethod
    def for_project(cls, root: Path) -> MarkerCache:
        """The cache of the project at ``root``."""
        return cls(root / FOLDER / cls.FILE)

    @property
    def stamp(self) -> str:
        """The stamp the document must carry."""
        return _stamp(("files.py",)) if self.path else ""

    def _entries(self) -> dict[str, int]:
        if self._markers is None:
            data = (_read_stamped(self.path, self.stamp) if self.path else None) or {}
            markers = data.get("markers")
            self._markers = markers if isinstance(markers, dict) else {}
        return self._markers

    @staticmethod
    def key(text: str) -> str:
        """The cache key of a file's text."""
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> int | None:
        """The marker's line index recorded for ``key`` (-1: no marker), or ``None``."""
        value = self._entries().get(key)
        if not isinstance(value, int):
            return None
        self._used.add(key)
        return value

    def put(self, key: str, index: int | None) -> None:
        """Record the marker's line index (``None``: the file has none) for ``key``."""
        self._entries()[key] = -1 if index is None else index
        self._used.add(key)
        self._dirty = True

    def save(self, prune: bool = True) -> None:
        """Write the cache if it changed; ``prune``: keep only the entries this run used.

        A run that took some files from the file index did not ask about them, so it
        keeps every entry (``prune=False``); a run that read every file prunes.
        """
        if self.path is None or self._markers is None:
            return
        dropped = False
        if prune:
            self._markers, dropped = _keep_used(self._markers, self._used)
        if self._dirty or dropped:
            data = {"stamp": self.stamp, "markers": self._markers}
            self._dirty = not _save_json(self.path, data)


class FileIndex:
    """What loading each file of one migrations folder yielded, by the file's stat.

    ``.pggate/cache/files.json`` holds, per folder (relative to the project), per up
    file: ``[stat key, checksum, down checksum, transactional, up line, down line]``;
    the stat key is size, mtime_ns, ctime_ns and inode of the file, then of its
    ``.down.sql`` if it has one. See the module's docstring for when an entry is
    trusted (never a racy one). Entries of files no longer in the folder are dropped.
    """

    FILE = Path("cache") / "files.json"

    def __init__(self, path: Path | None, folder: str = "") -> None:
        self.path = path
        self.folder = folder
        self.stamp = _stamp(("files.py", "cache.py")) if path else ""
        self.hits = 0
        self._folders: dict[str, Any] = {}
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._added: set[str] = set()  # names recorded this run (the others were hits)
        if path is not None:
            data = _read_stamped(path, self.stamp) or {}
            folders = data.get("folders")
            self._folders = folders if isinstance(folders, dict) else {}
            old = self._folders.get(folder)
            self._old = old if isinstance(old, dict) else {}

    @classmethod
    def for_project(cls, root: Path, folder: str) -> FileIndex:
        """The index of ``folder`` (relative to ``root``) in the project at ``root``."""
        return cls(root / FOLDER / cls.FILE, folder)

    def get(self, name: str, key: list[int]) -> tuple[str, str | None, bool, int, int] | None:
        """What was recorded for the file ``name`` if its stat key is ``key``, else ``None``."""
        entry = self._old.get(name)
        if entry is None:
            return None
        try:
            stat, up, down, transactional, up_line, down_line = entry
        except (TypeError, ValueError):
            return None
        if (
            stat != key
            or type(up) is not str
            or not (down is None or type(down) is str)
            or type(transactional) is not bool
            or type(up_line) is not int
            or type(down_line) is not int
        ):
            return None
        self._new[name] = entry
        self.hits += 1
        return up, down, transactional, up_line, down_line

    def put(self, name: str, key: list[int], recorded: tuple[Any, ...]) -> None:
        """Record what loading the file ``name`` (stat key ``key``, taken before reading) yielded."""
        self._new[name] = [key, *recorded]
        self._added.add(name)

    def save(self) -> None:
        """Write the folder's entries if they changed, leaving out the racy ones."""
        if self.path is None:
            return
        # After every read: a file changed within RACY_SECONDS of now may change again
        # with the same stat; leave it out, and it is read (and recorded) next run.
        newest = _now() - RACY_SECONDS * 1_000_000_000
        racy = {
            name
            for name in self._added
            if any(t > newest for t in self._new[name][0][1:3] + self._new[name][0][5:7])
        }
        entries = {name: e for name, e in self._new.items() if name not in racy}
        if entries == self._old:
            return
        self._folders[self.folder] = entries
        _save_json(self.path, {"stamp": self.stamp, "folders": self._folders})


def _now() -> int:
    """The clock the index's racy rule reads (nanoseconds since the epoch)."""
    return time.time_ns()


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
