"""The project file, its environments and their env files.

``load_project`` finds and validates ``pggate.toml``; ``resolve_target`` turns an
environment name into the database it points at: the URL comes from the
environment's env file; the process variable ``DATABASE_URL`` serves an environment
whose file gives none; both present and different is an error, so a stray variable
never redirects a run. ``local`` and ``embedded = true`` environments are the
embedded server unless their env file gives a URL: the process variable is not used
for them (many developers export one for another project) unless the environment
says ``process_url = true``, and the session says it was ignored.

Every secret read here is registered with ``masking`` before anything can
print it.

The package's modules: ``record`` (the typed-record base the file's tables and the
gates' tables are validated with), ``models`` (the records of the file and the value
checks), ``project`` (finding and loading it), ``envfile`` (dotenv parsing) and
``targets`` (resolving an environment to its database). Import from ``pggate.config``.
"""

from __future__ import annotations

from .envfile import parse_env_file
from .models import (
    COMMANDS,
    DEFAULT_URL_VAR,
    ENV_NAME,
    PROJECT_FILE,
    Actor,
    Environment,
    LintConfig,
    ProjectFile,
    ProjectSettings,
    Tenancy,
    check_env_name,
    parse_duration,
)
from .project import GateModel, Project, find_project_file, inside, load_project
from .record import Problem, Record, RecordError, bounded, validates
from .targets import Target, resolve_target

__all__ = [
    "COMMANDS",
    "DEFAULT_URL_VAR",
    "ENV_NAME",
    "PROJECT_FILE",
    "Actor",
    "Environment",
    "GateModel",
    "LintConfig",
    "Problem",
    "Project",
    "ProjectFile",
    "ProjectSettings",
    "Record",
    "RecordError",
    "Target",
    "Tenancy",
    "bounded",
    "check_env_name",
    "find_project_file",
    "inside",
    "load_project",
    "parse_duration",
    "parse_env_file",
    "resolve_target",
    "validates",
]
