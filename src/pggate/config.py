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
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError
from .masking import is_secret_key, mask, register_secret, register_url

PROJECT_FILE = "pggate.toml"
DEFAULT_URL_VAR = "DATABASE_URL"
# Environment names become folder and file names (.pggate/<env>, evidence/<env>_<run>).
ENV_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h)?\s*$")
_UNITS = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001, "m": 60.0, "min": 60.0, "h": 3600.0}


def check_env_name(name: str) -> str:
    """``name`` if it is an identifier (letters, digits, ``_``, ``-``); else ConfigError.

    Checked before any path is built from it: ``../../x`` must not place the evidence,
    a baseline or a server's data outside the project.
    """
    if not ENV_NAME.fullmatch(name):
        raise ConfigError(
            f"environment name {name!r} is not usable: names are letters, digits, _ and -",
            hint="rename the environment in pggate.toml and pass that name to --env",
        )
    return name


def inside(path: Path, base: Path, what: str) -> Path:
    """``path``, after checking it resolves inside ``base`` (links followed); else ConfigError."""
    if not path.resolve().is_relative_to(base.resolve()):
        raise ConfigError(
            f"{what} {path} resolves outside {base}; pggate does not write there",
            hint="check the environment name and any symbolic links in the project",
        )
    return path


def parse_duration(value: str | float | int | None) -> float | None:
    """Seconds from ``"5s"``, ``"500ms"``, ``"2min"``, ``"1h"`` or a number of seconds.

    ``None``, ``"0"`` and ``"off"`` mean no limit and give ``None``.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none", "")):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration; write it like 5s, 500ms or 2min")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    return seconds or None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectSettings(_Model):
    """``[project]``: where migrations live and where pggate keeps its history."""

    migrations: str = "supabase/migrations"
    history_table: str = "pggate.schema_migrations"
    supabase: bool = False
    evidence: str = "evidence"
    snapshot_every_up_to: int = Field(
        default=50,
        ge=0,
        description="store a schema snapshot after each migration when a run applies at most this many",
    )

    @field_validator("history_table")
    @classmethod
    def _qualified(cls, value: str) -> str:
        if value.count(".") != 1 or not all(value.split(".")):
            raise ValueError("must be schema.table, for example pggate.schema_migrations")
        return value

    @property
    def history_schema(self) -> str:
        """Schema of the history table (pggate's own schema)."""
        return self.history_table.split(".")[0]


class Environment(_Model):
    """``[environments.NAME]``: one database pggate can target."""

    env_file: str | None = None
    url_var: str = DEFAULT_URL_VAR
    process_url: bool | None = None  # default: yes, except for local and embedded environments
    confirm: bool = False
    embedded: bool = False
    local: bool = False
    lock_timeout: str = "5s"
    statement_timeout: str | None = None
    lock_wait: str = "60s"
    connect_timeout: str = "10s"
    pin: str | None = None
    engine: str | None = None  # embedded engine: "wheel", "system" or a bin folder
    description: str = ""

    @field_validator("lock_timeout", "statement_timeout", "lock_wait", "connect_timeout")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        parse_duration(value)
        return value

    @field_validator("pin")
    @classmethod
    def _pin_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+/.+", value):
            raise ValueError(
                "must be <system_identifier>/<database> as printed by `pggate check-env`"
            )
        return value


COMMANDS = ("select", "insert", "update", "delete")


class Actor(_Model):
    """``[tenancy.actor]`` or one ``[[tenancy.actors]]``: how to act as a member of a tenant.

    ``setup`` and ``member_query`` default to ``None``: pggate builds them from
    ``[tenancy]`` (the Supabase JWT claims; a query of the members table).
    ``commands`` are what this kind of actor is expected to be able to do to its own
    tenant's rows (a viewer: ``["select"]``); the positive path checks only those.
    """

    name: str = "member"
    role: str = "authenticated"
    setup: str | None = None
    member_query: str | None = None
    commands: list[str] = list(COMMANDS)

    @field_validator("commands")
    @classmethod
    def _known_commands(cls, value: list[str]) -> list[str]:
        unknown = [c for c in value if c.lower() not in COMMANDS]
        if unknown:
            raise ValueError(f"unknown command(s) {unknown}; use {', '.join(COMMANDS)}")
        return [c.lower() for c in value]


class Tenancy(_Model):
    """``[tenancy]``: which tables are tenant-scoped and how a tenant is acted as.

    A table's tenant is found, in order: ``table_columns`` (its own column named
    there), ``roots`` (a tenant table: its primary key is the tenant), ``user_tables``
    (the tenant is the user in that column), one of ``columns`` (or ``column``), then a
    foreign key chain of at most ``fk_hops`` hops to a table whose tenant is known.
    """

    column: str = "tenant_id"
    columns: list[str] = []  # several tenant column names; when empty, ``column``
    table_columns: dict[str, str] = {}  # "schema.table" = "its tenant column"
    roots: list[str] = []  # tenant tables whose own primary key is the tenant
    user_tables: dict[str, str] = {}  # "schema.table" = "its user column": the user is the tenant
    parents: dict[str, str] = {}  # "schema.table" = "schema.parent": tenant through that FK
    fk_hops: int = Field(default=3, ge=0, le=10)
    members_table: str = "public.memberships"
    member_column: str = "user_id"
    # None: found in the database (pgrst.db_schemas, else the schemas anon/authenticated were
    # granted USAGE on); a list overrides that, ``[]`` meaning nothing is exposed.
    exposed_schemas: list[str] | None = None
    tables: list[str] = []
    exclude: list[str] = []
    actor: Actor = Actor()
    actors: list[Actor] = []

    @property
    def tenant_columns(self) -> list[str]:
        """The tenant column names, in order of preference."""
        return list(self.columns) or [self.column]

    @property
    def all_actors(self) -> list[Actor]:
        """``[[tenancy.actors]]``, or the one ``[tenancy.actor]``."""
        return list(self.actors) or [self.actor]


class LintConfig(_Model):
    """``[lint]``: migration lint ids to ignore project-wide, and off-by-default ids to enable."""

    ignore: list[str] = []
    enable: list[str] = []

    @field_validator("ignore", "enable")
    @classmethod
    def _ids(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if not re.fullmatch(r"LNT\d{3}", item)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: lint ids look like LNT004")
        return value


class ProjectFile(_Model):
    """The whole ``pggate.toml``."""

    project: ProjectSettings = ProjectSettings()
    environments: dict[str, Environment] = {}
    tenancy: Tenancy = Tenancy()
    lint: LintConfig = LintConfig()
    gates: dict[str, dict[str, Any]] = {}

    @field_validator("environments")
    @classmethod
    def _environment_names(cls, value: dict[str, Environment]) -> dict[str, Environment]:
        for name in value:
            if not ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not usable: names are letters, digits, _ and -")
        return value


GateModel = TypeVar("GateModel", bound=BaseModel)


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
        except ValidationError as exc:
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
    except ValidationError as exc:
        raise _config_error(file, exc) from None
    return Project(root=file.parent, file=file, settings=settings)


def _config_error(file: Path, exc: ValidationError, prefix: str = "") -> ConfigError:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in (*([prefix] if prefix else []), *err["loc"]))
        reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problems.append(f"{key}: {reason}")
    return ConfigError(
        f"{file}: " + "; ".join(problems),
        hint="see docs/configuration.md for every key and its type",
    )


# ---------------------------------------------------------------- env files


def parse_env_file(path: Path) -> dict[str, str]:
    """Read a dotenv file: ``KEY=value``, ``export`` prefix, comments, quotes.

    Single quotes are literal; double quotes understand ``\\n``, ``\\"`` and
    ``\\\\`` and may span lines; an unquoted value ends at `` #``. Every value
    under a secret-looking key is registered for masking.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save the env file as UTF-8") from None
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
            raise ConfigError(
                f"{path}:{number}: expected KEY=value, got {mask(line)[:60]!r}",
                hint="each line is KEY=value; comments start with #",
            )
        rest = rest.strip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while not _closes(body, quote):
                if index >= len(lines):
                    raise ConfigError(
                        f"{path}:{number}: the {quote} quote opened for {key} is never closed",
                        hint=f"end the value with {quote}",
                    )
                body += "\n" + lines[index]
                index += 1
            value = _unquote(body, quote)
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        values[key] = value
        if is_secret_key(key):
            register_secret(value)
        if "://" in value:
            register_url(value)
    return values


def _closes(body: str, quote: str) -> bool:
    escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return True
    return False


def _unquote(body: str, quote: str) -> str:
    out, escaped = [], False
    for char in body:
        if escaped:
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(char, char))
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            break
        else:
            out.append(char)
    return "".join(out)


# ---------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """The database an environment resolves to.

    ``url`` holds a secret: never print it, print ``masked_url``. ``url`` is
    ``None`` for the embedded server, whose URL is known once it runs.
    """

    name: str
    environment: Environment
    url: str | None
    source: str
    embedded: bool
    env_values: Mapping[str, str]
    note: str | None = None  # said on stderr: a process URL that was not used

    @property
    def masked_url(self) -> str:
        """The URL with its password hidden, or ``embedded``."""
        return mask(self.url) if self.url else "embedded PostgreSQL"

    @property
    def is_local(self) -> bool:
        """The embedded server or a developer's own server (``local = true``)."""
        return self.embedded or self.environment.local

    def with_url(self, url: str, source: str) -> Target:
        """The same target once its server is known (the embedded one started)."""
        register_url(url)
        return Target(
            self.name, self.environment, url, source, self.embedded, self.env_values, self.note
        )

    @property
    def from_process(self) -> bool:
        """Whether the URL came from the process environment (said on stderr every run)."""
        return self.source.startswith("$")


def resolve_target(project: Project, name: str, environ: Mapping[str, str] | None = None) -> Target:
    """The database environment ``name`` points at, by the rules of DESIGN.md."""
    environ = os.environ if environ is None else environ
    env = project.environment(name)
    file_values: dict[str, str] = {}
    if env.env_file:
        path = project.root / env.env_file
        if not path.is_file():
            raise ConfigError(
                f"env file {path} for environment {name!r} not found",
                hint=f"create it with {env.url_var}=postgresql://user:password@host:5432/db "
                f"(copy .env.example), or fix env_file in {project.file.name}",
            )
        file_values = parse_env_file(path)
    from_file = file_values.get(env.url_var) or None
    from_process = environ.get(env.url_var) or None
    register_url(from_file)
    register_url(from_process)
    note = None
    if from_process and not _uses_process_url(env, name):
        note = (
            f"${env.url_var} is set but not used for {name!r}, which is the embedded server "
            f"unless its env file gives a URL (set process_url = true on "
            f"[environments.{name}] to use it)"
        )
        from_process = None
    if from_file and from_process and from_file != from_process:
        raise ConfigError(
            f"environment {name!r} has two database URLs: {env.env_file} gives "
            f"{mask(from_file)} but the process variable {env.url_var} gives {mask(from_process)}",
            hint=f"unset {env.url_var} (`unset {env.url_var}`) or make the two agree; "
            "pggate refuses so that a stray variable never redirects a run",
        )
    url = from_file or from_process
    if url:
        if env.embedded:
            raise ConfigError(
                f"environment {name!r} is embedded = true but a database URL is set ({mask(url)})",
                hint=f"remove embedded = true to use that server, or unset {env.url_var}",
            )
        _check_url(url, name)
        source = env.env_file if from_file else f"${env.url_var}"
        return Target(name, env, url, str(source), False, file_values, note)
    if env.embedded or name == "local":
        return Target(name, env, None, "embedded", True, file_values, note)
    where = f"{env.env_file}" if env.env_file else "no env_file is configured"
    raise ConfigError(
        f"environment {name!r} has no database URL: {env.url_var} is not in {where} "
        "nor in the process environment",
        hint=f"set {env.url_var}=postgresql://... in the env file, "
        "or use --env local for the embedded server",
    )


def _uses_process_url(env: Environment, name: str) -> bool:
    """Whether the process variable may give this environment its URL."""
    if env.process_url is not None:
        return env.process_url
    return not (env.embedded or name == "local")


def _check_url(url: str, env_name: str) -> None:
    if re.match(r"^(postgres|postgresql)://", url):
        _check_userinfo(url, env_name)
        return
    if "=" in url:
        return
    raise ConfigError(
        f"environment {env_name!r}: database URL {mask(url)!r} is not a PostgreSQL URL",
        hint="write it as postgresql://user:password@host:5432/dbname "
        "(percent-encode special characters in the password)",
    )


def _check_userinfo(url: str, env_name: str) -> None:
    """Refuse a URL whose user or password holds raw ``@ / ? # %``.

    libpq would read the rest of such a password as host, database or options:
    connect somewhere else, or echo pieces of the password in its error, where
    masking cannot recognise them. The message shows no part of the URL.
    """
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    raw = (
        parts.netloc.count("@") > 1
        or bool(parts.fragment)  # libpq URLs have no fragment: a '#' came from the password
        or "@" in parts.path
        or ("@" not in parts.netloc and "@" in parts.query.split("=", 1)[0])
        or re.search(r"%(?![0-9A-Fa-f]{2})|\s", userinfo) is not None
    )
    if raw:
        raise ConfigError(
            f"environment {env_name!r}: the user or password in its database URL holds "
            "characters that must be percent-encoded (@ / ? # % or spaces)",
            hint="write @ as %40, / as %2F, ? as %3F, # as %23, % as %25, a space as %20, for "
            "example: python3 -c \"import urllib.parse; print(urllib.parse.quote(input(), safe=''))\"",
        )
