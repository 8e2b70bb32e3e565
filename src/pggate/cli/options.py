"""Options shared by every command, accepted before or after the command name.

``pggate --env staging verify`` and ``pggate verify --env staging`` mean the
same: each command declares the shared options it uses and ``settings()``
merges them with those given before the command.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from .settings import Format, Settings

ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-p",
        help="Folder holding pggate.toml (default: nearest one upwards).",
        show_default=False,
        file_okay=True,
        dir_okay=True,
    ),
]
EnvOpt = Annotated[
    str | None,
    typer.Option(
        "--env",
        "-e",
        help="Environment name from pggate.toml (default: local).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        help="text for people, json for machines (one document on stdout).",
        show_default=False,
        case_sensitive=False,
    ),
]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to confirmations (for CI).")]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail; tracebacks on errors.")
]


def settings(
    ctx: typer.Context,
    *,
    project: Path | None = None,
    env: str | None = None,
    format: Format | None = None,  # noqa: A002 - the option's name
    yes: bool = False,
    verbose: bool = False,
) -> Settings:
    """Merge a command's shared options with those given before the command."""
    base: Settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings()
    merged = replace(
        base,
        project=project or base.project,
        env=env or base.env,
        format=format or base.format,
        yes=yes or base.yes,
        verbose=verbose or base.verbose,
    )
    ctx.obj = merged
    return merged
