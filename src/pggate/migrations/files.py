"""Migration files: discovery, the up/down sections, transaction mode, checksums.

Supabase/dbmate style: ``<version>_<name>.sql`` with a digits version (``003``,
``20240101120000``). The up SQL comes first; an optional down section starts at a
line ``-- migrate:down`` (dbmate's ``-- migrate:up`` marker is accepted and
skipped), or lives in a sibling ``<version>_<name>.down.sql``.
``-- pggate:no-transaction`` (or dbmate's ``-- migrate:up transaction:false``)
makes a file run outside a transaction.

The checksum is sha256 of the up section with line endings normalised, stored
as ``sha256:<hex>`` so the algorithm can change without false drift.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import finding
from ..results import Finding
from .cache import MarkerCache

FILE_PATTERN = re.compile(r"^(?P<version>\d+)_(?P<name>[^/]+?)(?P<down>\.down)?\.sql$")
UP_MARKER = re.compile(r"^\s*--\s*migrate:up\b(?P<options>.*)$", re.IGNORECASE)
DOWN_LINES = re.compile(r"^[^\S\n]*--[^\S\n]*migrate:down\b", re.IGNORECASE | re.MULTILINE)
NO_TRANSACTION = re.compile(r"^\s*--\s*pggate:no-transaction\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Migration:
    """One migration: its version, sections and how to run it.

    ``up_line``/``down_line`` are the 1-based file lines where each section's SQL
    starts, so a position inside a section maps back to ``file:line``.
    """

    version: str
    name: str
    path: Path
    up_sql: str
    down_sql: str | None
    down_path: Path | None
    transactional: bool
    checksum: str
    down_checksum: str | None
    up_line: int = 1
    down_line: int = 1
    display: str = ""  # the path as users see it: relative to the project

    @property
    def shown(self) -> str:
        """The file as shown in messages (project-relative when known)."""
        return self.display or str(self.path)

    def shown_file(self, section: str) -> str:
        """The file holding ``section`` as shown in messages."""
        if section == "down" and self.down_path is not None:
            return str(Path(self.shown).with_name(self.down_path.name))
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
        if self.down_sql is None:
            raise ValueError(f"{self.label} has no down section")
        return self.down_sql, self.down_path or self.path, self.down_line


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


def read_text(path: Path) -> str:
    """A migration file's text: UTF-8 (a BOM is accepted), CRLF normalised."""
    data = path.read_bytes()
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
    transactional = not NO_TRANSACTION.search(text)
    up_start = 0
    for index, line in enumerate(lines):
        marker = UP_MARKER.match(line)
        if marker:
            up_start = index + 1
            options = marker.group("options").replace(" ", "").lower()
            transactional = transactional and "transaction:false" not in options
            break
        if line.strip() and not line.lstrip().startswith("--"):
            break
    index = _down_marker(lines, up_start, markers)
    if index is None:
        return "\n".join(lines[up_start:]), None, transactional, up_start + 1, 1
    up = "\n".join(lines[up_start:index])
    return up, "\n".join(lines[index + 1 :]), transactional, up_start + 1, index + 2


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

    Paths in findings and messages are shown relative to ``root`` (the project),
    and the project's marker cache (``.pggate/cache/markers.json``) is used.
    """
    markers = MarkerCache.for_project(root) if root is not None else None
    try:
        return _load_folder(folder, root, markers)
    finally:
        if markers is not None:
            markers.save()


def _load_folder(folder: Path, root: Path | None, markers: MarkerCache | None) -> MigrationSet:
    findings: list[Finding] = []

    # Every path shown is an entry of ``folder``: one relpath for the folder, not one per file.
    shown_folder = Path(os.path.relpath(folder, root)) if root else folder

    def shown(path: Path) -> Path:
        return shown_folder / path.name

    if not folder.is_dir():
        findings.append(_missing_folder(folder))
        return MigrationSet(folder, (), tuple(findings))
    allowed = _allowed_roots(folder, root)
    downs: dict[tuple[str, str], Path] = {}
    ups: list[tuple[str, str, Path]] = []
    # scandir's entries know their type without a stat per file (they share one per folder).
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        problem = _unusable(path, allowed, entry)
        if problem is not None:
            if path.suffix == ".sql":
                findings.append(_finding("MIG003", shown(path), *problem))
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            if path.suffix == ".sql":
                findings.append(
                    _finding(
                        "MIG003",
                        shown(path),
                        f"{path.name} does not match <version>_<name>.sql",
                        "name it like 20240101120000_create_tasks.sql (digits, underscore, name)",
                    )
                )
            continue
        key = (match["version"], match["name"])
        if match["down"]:
            downs[key] = path
        else:
            ups.append((match["version"], match["name"], path))
    migrations = []
    for version, name, path in ups:
        migration = _load_one(
            version, name, path, downs.pop((version, name), None), findings, shown(path), markers
        )
        if migration is not None:
            migrations.append(migration)
    for (version, name), path in downs.items():
        findings.append(
            _finding(
                "MIG003",
                shown(path),
                f"down file {path.name} has no up file {version}_{name}.sql",
                "rename it to match its migration, or delete it",
            )
        )
    migrations.sort(key=lambda m: (m.number, m.version, m.name))
    findings.extend(_duplicates(migrations))
    return MigrationSet(folder, tuple(migrations), tuple(findings))


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


def _allowed_roots(folder: Path, root: Path | None) -> tuple[Path, ...]:
    """Where a migration file may live once links are resolved: the project, the folder."""
    roots = [folder.resolve()]
    if root is not None:
        roots.append(root.resolve())
    return tuple(roots)


def _unusable(
    path: Path, allowed: tuple[Path, ...], entry: os.DirEntry[str] | None = None
) -> tuple[str, str] | None:
    """``(message, hint)`` when ``path`` cannot be read as a migration, else None.

    A symbolic link is followed only to a file inside the project (or the migrations
    folder): a link to /etc/shadow must not be printed by validate or copied into the
    evidence. Messages name the entry, never what it points at or contains.
    """
    kind: Any = entry or path
    if kind.is_symlink():
        if not path.exists():
            return (
                f"{path.name} is a symbolic link to a file that does not exist",
                "fix or remove the link",
            )
        target = path.resolve()
        if not any(target.is_relative_to(base) for base in allowed):
            return (
                f"{path.name} is a symbolic link that resolves outside the project; "
                "pggate does not read it",
                "copy the migration into the migrations folder instead of linking to it",
            )
    if kind.is_dir():
        return (f"{path.name} is a folder, not a migration file", "move its files up, or rename it")
    if not kind.is_file():
        return (f"{path.name} is not a regular file", "replace it with a .sql file")
    return None


def _load_one(
    version: str,
    name: str,
    path: Path,
    down_path: Path | None,
    findings: list[Finding],
    display: Path,
    markers: MarkerCache | None = None,
) -> Migration | None:
    try:
        text = read_text(path)
        down_text = read_text(down_path) if down_path else None
    except UnicodeDecodeError as exc:
        findings.append(
            _finding(
                "MIG009",
                display,
                f"{path.name} is not UTF-8 text ({exc.reason})",
                "save the file as UTF-8",
            )
        )
        return None
    up, down, transactional, up_line, down_line = split_sections(text, markers)
    if down is not None and down_text is not None:
        findings.append(
            _finding(
                "MIG010",
                display,
                f"{path.name} has a -- migrate:down section and a {down_path.name}",
                "keep one down: the section in the file or the .down.sql file",
            )
        )
    if down is None and down_text is not None:
        down, down_line = down_text, 1
    return Migration(
        version=version,
        name=name,
        path=path,
        up_sql=up,
        down_sql=down,
        down_path=down_path if down_text is not None and down == down_text else None,
        transactional=transactional,
        checksum=checksum(up),
        down_checksum=checksum(down) if down is not None else None,
        up_line=up_line,
        down_line=down_line,
        display=str(display),
    )


def _duplicates(migrations: list[Migration]) -> list[Finding]:
    seen: dict[int, Migration] = {}
    out = []
    for migration in migrations:
        other = seen.get(migration.number)
        if other is not None:
            out.append(
                _finding(
                    "MIG002",
                    Path(migration.shown),
                    f"version {migration.version} is used by {other.path.name} and {migration.path.name}",
                    "give one of them a new version (pggate new NAME picks the next one)",
                )
            )
        seen[migration.number] = migration
    return out
