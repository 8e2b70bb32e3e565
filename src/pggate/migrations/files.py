"""Migration files: discovery, the up/down sections, transaction mode, checksums.

Supabase/dbmate style: ``<version>_<name>.sql`` with a digits version (``003``,
``20240101120000``). The up SQL comes first; an optional down section starts at a
line ``-- migrate:down`` (dbmate's ``-- migrate:up`` marker is accepted and
skipped), or lives in a sibling ``<version>_<name>.down.sql``.
``-- pggate:no-transaction`` (or dbmate's ``-- migrate:up transaction:false``)
makes a file run outside a transaction.

The checksum is sha256 of the up section with line endings normalised, stored
as ``sha256:<hex>`` so the algorithm can change without false drift.

``load_folder`` lists the folder and checks every entry each run, but reads only
the files the project's file index (``cache.FileIndex``, ``.pggate/cache/files.json``)
cannot vouch for by their stat; the SQL of the others is read on first use and
checked against the recorded checksums (``Migration``, ``_reread``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..catalogue import finding
from ..results import Finding
from .cache import FileIndex, MarkerCache

FILE_PATTERN = re.compile(r"^(?P<version>\d+)_(?P<name>[^/]+?)(?P<down>\.down)?\.sql$")
UP_MARKER = re.compile(r"^\s*--\s*migrate:up\b(?P<options>.*)$", re.IGNORECASE)
DOWN_LINES = re.compile(r"^[^\S\n]*--[^\S\n]*migrate:down\b", re.IGNORECASE | re.MULTILINE)
NO_TRANSACTION = re.compile(r"^\s*--\s*pggate:no-transaction\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """One migration: its version, sections and how to run it.

    ``up_line``/``down_line`` are the 1-based file lines where each section's SQL
    starts, so a position inside a section maps back to ``file:line``.

    The SQL (``up_sql``, ``down_sql``) of a file the index vouches for is read on
    first use, and checked then against ``checksum``/``down_checksum``: a file
    edited while pggate runs raises ``MigrationFileError`` instead of running text
    other than what the history records. ``has_down`` answers without reading.
    Equality compares what identifies the content (checksums, lines, mode, files),
    not the text.
    """

    version: str
    name: str
    folder: Path
    file: str  # the up file's name in ``folder``
    down_file: str | None  # the ``.down.sql`` sibling holding the down section, if any
    transactional: bool
    checksum: str
    down_checksum: str | None
    has_down: bool
    texts: Sections = field(compare=False, repr=False)
    up_line: int = 1
    down_line: int = 1
    display: str = ""  # the path as users see it: relative to the project

    @cached_property
    def path(self) -> Path:
        """The up file (built on first use: most commands never need it)."""
        return self.folder / self.file

    @cached_property
    def down_path(self) -> Path | None:
        """The ``.down.sql`` file holding the down section, or ``None``."""
        return None if self.down_file is None else self.folder / self.down_file

    @property
    def up_sql(self) -> str:
        """The up section's SQL."""
        return self.texts.get()[0]

    @property
    def down_sql(self) -> str | None:
        """The down section's SQL (``None``: there is none)."""
        return self.texts.get()[1] if self.has_down else None

    def with_down(self, sql: str, display: str) -> Migration:
        """The migration with ``sql`` as its down section (a derived one), shown as ``display``."""
        return replace(self, has_down=True, display=display, texts=Sections.derived(self, sql))

    @property
    def shown(self) -> str:
        """The file as shown in messages (project-relative when known)."""
        return self.display or str(self.path)

    def shown_file(self, section: str) -> str:
        """The file holding ``section`` as shown in messages."""
        if section == "down" and self.down_file is not None:
            return str(Path(self.shown).with_name(self.down_file))
        return self.shown

    @property
    def number(self) -> int:
        """The version as a number, for ordering and ``--to``."""
        return int(self.version)

    @property
    def label(self) -> str:
        """``<version>_<name>``."""
        return f"{self.version}_{self.name}"

    def section(self, which: str) -> tuple[str, Path, int]:
        """SQL, file and first line of the ``up`` or ``down`` section."""
        if which == "up":
            return self.up_sql, self.path, self.up_line
        down = self.down_sql
        if down is None:
            raise ValueError(f"{self.label} has no down section")
        return down, self.down_path or self.path, self.down_line


class Sections:
    """A migration's ``(up, down)`` SQL: in memory, or read from its files on first use.

    An unread one remembers what the file index recorded; reading it checks the
    files still hold exactly that (see ``_reread``). Shared by ``replace``'d copies.
    """

    __slots__ = ("_texts", "_unread")

    def __init__(
        self, texts: tuple[str, str | None] | None, unread: tuple[Any, ...] | None = None
    ) -> None:
        self._texts = texts
        self._unread = unread

    @classmethod
    def derived(cls, migration: Migration, down: str) -> Sections:
        """``migration``'s up section with ``down`` in place of its (missing) down."""
        return cls(None, (_with_derived_down, migration.texts, down))

    def get(self) -> tuple[str, str | None]:
        """``(up, down)``, reading the files the first time."""
        if self._texts is None:
            read, *args = self._unread or ()
            self._texts = read(*args)
            self._unread = None
        return self._texts  # type: ignore[return-value]


def _with_derived_down(base: Sections, down: str) -> tuple[str, str]:
    return base.get()[0], down


@dataclass(frozen=True)
class MigrationSet:
    """The migrations of a folder, in version order, and what was wrong with the files."""

    folder: Path
    migrations: tuple[Migration, ...]
    findings: tuple[Finding, ...] = ()

    def by_version(self) -> dict[str, Migration]:
        """Migrations keyed by version."""
        return {m.version: m for m in self.migrations}


def checksum(text: str) -> str:
    """``sha256:<hex>`` of ``text`` with CRLF/CR normalised to LF."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return "sha256:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _finding(check: str, path: Path, message: str, hint: str) -> Finding:
    return finding(check, str(path), message, hint, file=str(path))


def read_text(path: str | os.PathLike[str]) -> str:
    """A migration file's text: UTF-8 (a BOM is accepted), CRLF normalised."""
    with open(path, "rb") as handle:
        data = handle.read()
    if b"\x00" in data:
        raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "binary data (NUL byte)")
    return data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def split_sections(
    text: str, markers: MarkerCache | None = None
) -> tuple[str, str | None, bool, int, int]:
    """``(up, down, transactional, up_line, down_line)`` of a file's text.

    A ``-- migrate:up`` marker counts only before any SQL (comments may precede
    it); the first ``-- migrate:down`` line after it starts the down section.
    ``markers`` remembers where the scanner found the down marker, by content.
    """
    lines = text.split("\n")
    up_start, transactional = _up_start(text, lines)
    index = _down_marker(lines, up_start, markers)
    if index is None:
        return "\n".join(lines[up_start:]), None, transactional, up_start + 1, 1
    up = "\n".join(lines[up_start:index])
    return up, "\n".join(lines[index + 1 :]), transactional, up_start + 1, index + 2


def _up_start(text: str, lines: list[str]) -> tuple[int, bool]:
    """Index of the up section's first line, and whether the file runs in a transaction."""
    transactional = not NO_TRANSACTION.search(text)
    for index, line in enumerate(lines):
        marker = UP_MARKER.match(line)
        if marker:
            options = marker.group("options").replace(" ", "").lower()
            return index + 1, transactional and "transaction:false" not in options
        if line.strip() and not line.lstrip().startswith("--"):
            break
    return 0, transactional


def _down_marker(lines: list[str], first: int, markers: MarkerCache | None) -> int | None:
    """Index of the line holding the real ``-- migrate:down`` comment.

    A marker-looking line inside a string or dollar-quoted body is not one: the
    PostgreSQL scanner tells comments from strings. The scanner's statement
    split (C, linear) places each candidate: outside every statement, or at the
    start of one, it is a comment; only a candidate in the middle of a statement
    needs that one statement scanned token by token.
    """
    rest = "\n".join(lines[first:])
    # One search over the text finds the candidate lines; a per-line match costs 10x.
    candidates, line, counted = [], first, 0
    for match in DOWN_LINES.finditer(rest):
        line += rest.count("\n", counted, match.start())
        counted = match.start()
        candidates.append(line)
    if not candidates:
        return None
    if len(candidates) == 1 and "$" not in rest and "'" not in rest:
        return candidates[0]
    if markers is None:
        return _scanned_down_marker(lines, candidates)
    key = markers.key(f"{first}\n" + "\n".join(lines))
    known = markers.get(key)
    if known is not None:
        return None if known < 0 else known
    index = _scanned_down_marker(lines, candidates)
    markers.put(key, index)
    return index


def _scanned_down_marker(lines: list[str], candidates: list[int]) -> int | None:
    """Which of the ``candidates`` lines is the real marker, by the PostgreSQL scanner."""
    from bisect import bisect_right
    from itertools import accumulate

    from pglast import parser

    from .parse import ascii_twin

    text = ascii_twin("\n".join(lines))  # same offsets, and linear (see ascii_twin)
    if len(candidates) == 1 and _plainly_a_comment(parser, text, lines[candidates[0]].strip()):
        return candidates[0]
    ends = list(accumulate(len(line) + 1 for line in lines[: candidates[-1]]))
    offsets = [0, *ends]
    try:
        slices = parser.split(text, with_parser=False, only_slices=True)
    except Exception:  # noqa: BLE001 - an unscannable file: the parser reports it later
        return candidates[0]
    starts = [piece.start for piece in slices]
    for index in candidates:
        line = lines[index]
        at = offsets[index] + len(line) - len(line.lstrip())
        containing = bisect_right(starts, at) - 1
        if containing < 0 or at >= slices[containing].stop or at == starts[containing]:
            return index
        if _is_comment(
            parser, text[starts[containing] : slices[containing].stop], at - starts[containing]
        ):
            return index
    return None


def _plainly_a_comment(parser: Any, text: str, marker: str) -> bool:
    """Whether the only marker line is a comment, judged from the scanner's statement texts.

    Every statement starting with it (or none holding it) means it is a
    comment; one holding it further in (a string, a dollar-quoted body, or a
    comment inside a statement) needs the token-level look. The texts cost
    far less than the offsets pglast computes per character.
    """
    try:
        texts = parser.split(text, with_parser=False)
    except Exception:  # noqa: BLE001 - an unscannable file: the parser reports it later
        return True
    return not any(marker in t and not t.startswith(marker) for t in texts)


def _is_comment(parser: Any, statement: str, at: int) -> bool:
    """Whether a comment token starts at ``at`` of ``statement``."""
    try:
        return any(t.start == at and t.name == "SQL_COMMENT" for t in parser.scan(statement))
    except Exception:  # noqa: BLE001 - unscannable: the parser reports it later
        return False


def load_folder(folder: Path, root: Path | None = None) -> MigrationSet:
    """Every migration in ``folder``; problems with files become MIG findings.

    Paths in findings and messages are shown relative to ``root`` (the project), and
    the project's caches under ``.pggate/cache/`` are used: the file index
    (``files.json``), which spares reading a file whose stat is unchanged, and the
    marker cache (``markers.json``) for the files that are read.
    """
    if root is None:
        return _load_folder(folder, None, None, None)
    index = FileIndex.for_project(root, os.path.relpath(folder, root))
    markers = MarkerCache.for_project(root)
    try:
        return _load_folder(folder, root, index, markers)
    finally:
        index.save()
        # Files the index vouched for did not consult the markers: keep theirs.
        markers.save(prune=not index.hits)


def _load_folder(
    folder: Path, root: Path | None, index: FileIndex | None, markers: MarkerCache | None
) -> MigrationSet:
    findings: list[Finding] = []
    # Every path shown is an entry of ``folder``: one relpath for the folder, not one per file.
    shown_folder = Path(os.path.relpath(folder, root)) if root else folder
    prefix = "" if str(shown_folder) == "." else os.path.join(str(shown_folder), "")

    def shown(name: str) -> Path:
        return shown_folder / name

    if not folder.is_dir():
        findings.append(_missing_folder(folder))
        return MigrationSet(folder, (), tuple(findings))
    allowed = _Allowed(folder, root)
    downs: dict[tuple[str, str], os.DirEntry[str]] = {}
    ups: list[tuple[str, str, os.DirEntry[str]]] = []
    # scandir's entries know their type without a stat per file (they share one per folder).
    for entry in sorted(os.scandir(folder), key=_entry_name):
        name = entry.name
        if name.startswith("."):
            continue
        # A plain file (the listing says so, no stat) needs no further look.
        problem = None if entry.is_file(follow_symlinks=False) else _unusable(entry, allowed)
        if problem is not None:
            if name.endswith(".sql"):
                findings.append(_finding("MIG003", shown(name), *problem))
            continue
        match = FILE_PATTERN.match(name)
        if not match:
            if name.endswith(".sql"):
                findings.append(
                    _finding(
                        "MIG003",
                        shown(name),
                        f"{name} does not match <version>_<name>.sql",
                        "name it like 20240101120000_create_tasks.sql (digits, underscore, name)",
                    )
                )
            continue
        version, stem = match["version"], match["name"]
        if match["down"]:
            downs[(version, stem)] = entry
        else:
            ups.append((version, stem, entry))
    migrations = []
    for version, stem, entry in ups:
        down = downs.pop((version, stem), None)
        display = prefix + entry.name
        key = _stat_key(entry, down) if index is not None else None
        recorded = index.get(entry.name, key) if index is not None and key is not None else None
        if recorded is not None:
            migrations.append(
                _indexed(index, recorded, version, stem, folder, entry, down, display)
            )
            continue
        before = len(findings)
        migration = _load_one(version, stem, folder, entry, down, findings, display, markers)
        if migration is None:
            continue
        migrations.append(migration)
        if index is not None and key is not None and len(findings) == before:
            # Only a file that loads without a finding: the others report it every run.
            index.put(entry.name, key, _recorded(migration))
    for (version, stem), entry in downs.items():
        findings.append(
            _finding(
                "MIG003",
                shown(entry.name),
                f"down file {entry.name} has no up file {version}_{stem}.sql",
                "rename it to match its migration, or delete it",
            )
        )
    migrations.sort(key=lambda m: (int(m.version), m.version, m.name))
    findings.extend(_duplicates(migrations))
    return MigrationSet(folder, tuple(migrations), tuple(findings))


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _stat_key(entry: os.DirEntry[str], down: os.DirEntry[str] | None) -> list[int] | None:
    """What the index compares: size, mtime, ctime and inode of the file (and its down file).

    Taken before the file is read, so an edit racing the read leaves a key that no
    longer matches (the file is read again next time), never a stale text. ``None``
    for a symbolic link (its own stat says nothing of its target): always read.
    """
    if entry.is_symlink() or (down is not None and down.is_symlink()):
        return None
    try:
        st = entry.stat()
        key = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        if down is not None:
            st = down.stat()
            key += [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
    except OSError:
        return None
    return key


def _recorded(migration: Migration) -> tuple[str, str | None, bool, int, int]:
    """What the index records of a file besides its stat: all loading yields but the text."""
    return (
        migration.checksum,
        migration.down_checksum,
        migration.transactional,
        migration.up_line,
        migration.down_line,
    )


def _indexed(
    index: FileIndex,
    recorded: tuple[str, str | None, bool, int, int],
    version: str,
    name: str,
    folder: Path,
    entry: os.DirEntry[str],
    down: os.DirEntry[str] | None,
    display: str,
) -> Migration:
    """The migration as the index recorded it; its SQL is read (and checked) on first use."""
    up_sum, down_sum, transactional, up_line, down_line = recorded
    unread = (
        _reread,
        entry.path,
        down.path if down is not None else None,
        up_line,
        down_line,
        up_sum,
        down_sum,
        transactional,
        display,
        index.path,
    )
    return Migration(
        version=version,
        name=name,
        folder=folder,
        file=entry.name,
        down_file=down.name if down is not None else None,
        transactional=transactional,
        checksum=up_sum,
        down_checksum=down_sum,
        has_down=down_sum is not None,
        texts=Sections(None, unread),
        up_line=up_line,
        down_line=down_line,
        display=display,
    )


def _reread(
    path: str,
    down_path: str | None,
    up_line: int,
    down_line: int,
    up_sum: str,
    down_sum: str | None,
    transactional: bool,
    shown: str,
    index_path: Path | None,
) -> tuple[str, str | None]:
    """The sections of a file the index vouched for, read now and checked against it.

    The sections are cut where the index says they start; the header before the up
    section and the down marker line must still be what made them start there, and
    each section must still have its recorded checksum. Anything else means the file
    was edited since pggate looked at its stat: an error, never other SQL than the
    checksum the history gets (and the index is dropped, so the next run reads afresh).
    """
    problem = None
    try:
        text = read_text(path)
        down_text = read_text(down_path) if down_path is not None else None
    except (OSError, UnicodeDecodeError) as exc:
        problem = f"it can no longer be read ({getattr(exc, 'strerror', None) or exc})"
    else:
        lines = text.split("\n")
        up_start, mode = _up_start(text, lines)
        up: str
        down: str | None
        if down_path is not None or down_sum is None:
            up, down, boundary = "\n".join(lines[up_start:]), down_text, True
        else:
            marker = down_line - 2
            boundary = up_start <= marker < len(lines) and bool(DOWN_LINES.match(lines[marker]))
            up, down = "\n".join(lines[up_start:marker]), "\n".join(lines[marker + 1 :])
        unchanged = (
            boundary
            and up_start + 1 == up_line
            and mode == transactional
            and checksum(up) == up_sum
            and (None if down is None else checksum(down)) == down_sum
        )
        if unchanged:
            return up, down
        problem = f"its SQL no longer has the checksum read at the start ({up_sum[:19]}...)"
    if index_path is not None:
        with contextlib.suppress(OSError):
            os.unlink(index_path)
    from ..errors import MigrationFileError

    raise MigrationFileError(
        f"{shown} changed while pggate was running: {problem}; none of it was run",
        hint="run the command again to use the file as it is now",
    )


def _missing_folder(folder: Path) -> Finding:
    if folder.exists() or folder.is_symlink():
        what = "is a file" if folder.is_file() else "is not a folder (a dangling link?)"
        return _finding(
            "MIG003",
            folder,
            f"migrations folder {folder} {what}",
            "point [project] migrations in pggate.toml at the folder of migration files",
        )
    return _finding(
        "MIG003",
        folder,
        f"migrations folder {folder} does not exist",
        "create it, or fix [project] migrations in pggate.toml",
    )


class _Allowed:
    """Where a migration file may live once links are resolved: the project, the folder.

    Resolved on first use: only a symbolic link needs them.
    """

    def __init__(self, folder: Path, root: Path | None) -> None:
        self._folder, self._root = folder, root
        self._roots: tuple[Path, ...] | None = None

    def contains(self, target: Path) -> bool:
        """Whether the resolved ``target`` is inside one of the allowed roots."""
        if self._roots is None:
            roots = [self._folder.resolve()]
            if self._root is not None:
                roots.append(self._root.resolve())
            self._roots = tuple(roots)
        return any(target.is_relative_to(base) for base in self._roots)


def _unusable(entry: os.DirEntry[str], allowed: _Allowed) -> tuple[str, str] | None:
    """``(message, hint)`` when ``entry`` cannot be read as a migration, else None.

    A symbolic link is followed only to a file inside the project (or the migrations
    folder): a link to /etc/shadow must not be printed by validate or copied into the
    evidence. Messages name the entry, never what it points at or contains. Checked
    for every entry on every run (the file index never skips it): the entry's type
    comes with the folder listing, and only links cost a look at their target.
    """
    name = entry.name
    if entry.is_symlink():
        path = Path(entry.path)
        if not path.exists():
            return (
                f"{name} is a symbolic link to a file that does not exist",
                "fix or remove the link",
            )
        if not allowed.contains(path.resolve()):
            return (
                f"{name} is a symbolic link that resolves outside the project; "
                "pggate does not read it",
                "copy the migration into the migrations folder instead of linking to it",
            )
    if entry.is_dir():
        return (f"{name} is a folder, not a migration file", "move its files up, or rename it")
    if not entry.is_file():
        return (f"{name} is not a regular file", "replace it with a .sql file")
    return None


def _load_one(
    version: str,
    name: str,
    folder: Path,
    entry: os.DirEntry[str],
    down_entry: os.DirEntry[str] | None,
    findings: list[Finding],
    display: str,
    markers: MarkerCache | None = None,
) -> Migration | None:
    """The migration read from its file(s), as without an index."""
    try:
        text = read_text(entry.path)
        down_text = read_text(down_entry.path) if down_entry is not None else None
    except UnicodeDecodeError as exc:
        findings.append(
            _finding(
                "MIG009",
                Path(display),
                f"{entry.name} is not UTF-8 text ({exc.reason})",
                "save the file as UTF-8",
            )
        )
        return None
    up, down, transactional, up_line, down_line = split_sections(text, markers)
    if down is not None and down_entry is not None:
        findings.append(
            _finding(
                "MIG010",
                Path(display),
                f"{entry.name} has a -- migrate:down section and a {down_entry.name}",
                "keep one down: the section in the file or the .down.sql file",
            )
        )
    if down is None and down_text is not None:
        down, down_line = down_text, 1
    from_file = down_entry is not None and down_text is not None and down == down_text
    return Migration(
        version=version,
        name=name,
        folder=folder,
        file=entry.name,
        down_file=down_entry.name if from_file and down_entry is not None else None,
        transactional=transactional,
        checksum=checksum(up),
        down_checksum=checksum(down) if down is not None else None,
        has_down=down is not None,
        texts=Sections((up, down)),
        up_line=up_line,
        down_line=down_line,
        display=display,
    )


def _duplicates(migrations: list[Migration]) -> list[Finding]:
    seen: dict[int, Migration] = {}
    out = []
    for migration in migrations:
        number = int(migration.version)
        other = seen.get(number)
        if other is not None:
            out.append(
                _finding(
                    "MIG002",
                    Path(migration.shown),
                    f"version {migration.version} is used by {other.file} and {migration.file}",
                    "give one of them a new version (pggate new NAME picks the next one)",
                )
            )
        seen[number] = migration
    return out
