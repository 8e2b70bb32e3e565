"""Finding and loading a project: ``pggate.toml`` validated into a ``Project``."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ..errors import ConfigError
from .models import PROJECT_FILE, Environment, ProjectFile, Tenancy, check_env_name
from .record import Record, RecordError


def inside(path: Path, base: Path, what: str) -> Path:
    """``path``, after checking it resolves inside ``base`` (links followed); else ConfigError."""
    if not path.resolve().is_relative_to(base.resolve()):
        raise ConfigError(
            f"{what} {path} resolves outside {base}; pggate does not write there",
            hint="check the environment name and any symbolic links in the project",
        )
    return path


GateModel = TypeVar("GateModel", bound=Record)


@dataclass(frozen=True)
class Project:
    """A loaded project: its folder, file and validated settings."""

    root: Path
    file: Path
    settings: ProjectFile

    @property
    def migrations_dir(self) -> Path:
        """The folder of migration files."""
        return self.root / self.settings.project.migrations

    @property
    def evidence_dir(self) -> Path:
        """Where evidence packages go."""
        return self.root / self.settings.project.evidence

    @property
    def tenancy(self) -> Tenancy:
        """``[tenancy]``."""
        return self.settings.tenancy

    def environment(self, name: str) -> Environment:
        """The environment called ``name``; an unknown name lists the known ones."""
        check_env_name(name)
        envs = self.settings.environments
        if name in envs:
            return envs[name]
        if name == "local":
            return Environment()  # every project can run against the embedded server
        known = ", ".join(sorted({*envs, "local"}))
        raise ConfigError(
            f"unknown environment {name!r} in {self.file}",
            hint=f"known environments: {known}; add [environments.{name}] to {PROJECT_FILE}",
        )

    def gate_config(self, gate: str, model: type[GateModel]) -> GateModel:
        """``[gates.<gate>]`` validated with the gate's own model."""
        try:
            return model.model_validate(self.settings.gates.get(gate, {}))
        except RecordError as exc:
            raise _config_error(self.file, exc, prefix=f"gates.{gate}") from None


def find_project_file(
    explicit: str | os.PathLike[str] | None = None, start: Path | None = None
) -> Path:
    """``pggate.toml`` in ``explicit`` (a folder or the file), else upwards from ``start``."""
    if explicit is not None:
        path = Path(explicit)
        candidate = path / PROJECT_FILE if path.is_dir() else path
        if candidate.is_file():
            return candidate.resolve()
        raise ConfigError(
            f"no {PROJECT_FILE} at {candidate}",
            hint="pass --project with the folder holding pggate.toml, or run `pggate init` there",
        )
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder / PROJECT_FILE
    raise ConfigError(
        f"no {PROJECT_FILE} found in {here} or any folder above it",
        hint="run `pggate init` to create one, or pass --project DIR",
    )


def load_project(
    explicit: str | os.PathLike[str] | None = None, start: Path | None = None
) -> Project:
    """Find, parse and validate the project file."""
    file = find_project_file(explicit, start)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{file}: not valid TOML: {exc}", hint="fix the syntax at the line shown"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text", hint="save the file as UTF-8") from None
    try:
        settings = ProjectFile.model_validate(raw)
    except RecordError as exc:
        raise _config_error(file, exc) from None
    return Project(root=file.parent, file=file, settings=settings)


def _config_error(file: Path, exc: RecordError, prefix: str = "") -> ConfigError:
    problems = []
    for problem in exc.problems:
        key = ".".join(str(p) for p in (*([prefix] if prefix else []), *problem.loc))
        reason = "unknown key" if problem.kind == "unknown" else problem.message
        problems.append(f"{key}: {reason}")
    return ConfigError(
        f"{file}: " + "; ".join(problems),
        hint="see docs/configuration.md for every key and its type",
    )
