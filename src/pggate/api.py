"""The public Python API: one function per command, each returning a result.

The CLI is a thin layer over these; so are tests and anyone embedding pggate.
Nothing here prints: progress goes to ``emit``, questions to ``confirm``.

    >>> from pggate import api
    >>> report = api.check_env("examples/saas", env="local")
    >>> report.status
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .config import Project, load_project
from .environment import EnvReport, inspect_environment
from .errors import ConfigError
from .events import NULL_EMIT, Emit
from .session import open_session

ProjectRef = Project | str | os.PathLike[str] | None
Confirm = Callable[[str], bool]


def load(project: ProjectRef = None) -> Project:
    """A ``Project`` from a folder, a ``pggate.toml`` path, ``None`` (search upwards) or itself."""
    if isinstance(project, Project):
        return project
    return load_project(project)


def check_env(
    project: ProjectRef = None, env: str = "local", *, emit: Emit = NULL_EMIT
) -> EnvReport:
    """Validate the environment: config, connectivity, versions, privileges (``pggate check-env``)."""
    proj = load(project)
    with open_session(proj, env, emit=emit) as session:
        return inspect_environment(session)


def example_project(name: str = "saas") -> Path:
    """The folder of a bundled example project (``examples/<name>`` in the repository)."""
    folder = Path(__file__).resolve().parents[2] / "examples" / name
    if not (folder / "pggate.toml").is_file():
        raise ConfigError(
            f"example project {name!r} not found at {folder}",
            hint="run the demo from a checkout of the pggate repository (`make demo`), "
            "or pass --example DIR",
        )
    return folder


def demo(example: str | os.PathLike[str] | None = None, *, emit: Emit = NULL_EMIT) -> EnvReport:
    """Copy the example project to a temp dir and run what exists of the pipeline on it.

    Until the staged pipeline lands this is the environment check against the
    embedded server; the temporary copy (and its server) are removed afterwards.
    """
    source = Path(example) if example else example_project()
    with tempfile.TemporaryDirectory(prefix="pggate-demo-") as tmp:
        copy = Path(tmp) / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(".pggate", "evidence"))
        return check_env(copy, "local", emit=emit)
