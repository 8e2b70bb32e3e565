"""Supabase test projects: a pggate project with ``supabase = true`` on the test server."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import write_project


def supabase_project(
    root: Path, url: str, migrations: dict[str, str] | None = None, *, local: bool = True
) -> Path:
    """A project whose environment ``test`` is the test database, ``local = true`` by default."""
    write_project(
        root, url=url, migrations=migrations, extra_toml="local = true\n" if local else ""
    )
    toml = root / "pggate.toml"
    toml.write_text(toml.read_text().replace("[project]\n", "[project]\nsupabase = true\n", 1))
    return root
