"""The shared options of every command once merged: no Typer here, the hot path uses it too."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Format(StrEnum):
    """Output format."""

    text = "text"
    json = "json"


@dataclass(frozen=True)
class Settings:
    """The shared options after merging."""

    project: Path | None = None
    env: str | None = None
    format: Format = Format.text
    yes: bool = False
    verbose: bool = False

    @property
    def env_name(self) -> str:
        """The environment, ``local`` when none was given."""
        return self.env or "local"

    @property
    def json(self) -> bool:
        """Whether the output is JSON."""
        return self.format == Format.json
