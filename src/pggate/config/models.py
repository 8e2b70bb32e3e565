"""The records of ``pggate.toml``: the project, environments, tenancy, lints.

Also the value checks they share: durations and environment names.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import ConfigError
from .record import Record, bounded, validates

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


class ProjectSettings(Record):
    """``[project]``: where migrations live and where pggate keeps its history."""

    migrations: str = "supabase/migrations"
    history_table: str = "pggate.schema_migrations"
    supabase: bool = False
    evidence: str = "evidence"
    # store a schema snapshot after each migration when a run applies at most this many
    snapshot_every_up_to: int = bounded(50, ge=0)

    @validates("history_table")
    def _qualified(value: str) -> str:
        # Plain identifiers only: the name is quoted as two identifiers everywhere, and a
        # quote or dot inside a part would be read differently by every tool around pggate.
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*\.[A-Za-z_][A-Za-z0-9_$]*", value):
            raise ValueError(
                "must be schema.table, two identifiers of letters, digits, _ and $ "
                "(for example pggate.schema_migrations)"
            )
        return value

    @property
    def history_schema(self) -> str:
        """Schema of the history table (pggate's own schema)."""
        return self.history_table.split(".")[0]


class Environment(Record):
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

    @validates("lock_timeout", "statement_timeout", "lock_wait", "connect_timeout")
    def _duration(value: str | None) -> str | None:
        parse_duration(value)
        return value

    @validates("pin")
    def _pin_shape(value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+/.+", value):
            raise ValueError(
                "must be <system_identifier>/<database> as printed by `pggate check-env`"
            )
        return value


COMMANDS = ("select", "insert", "update", "delete")


class Actor(Record):
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

    @validates("commands")
    def _known_commands(value: list[str]) -> list[str]:
        unknown = [c for c in value if c.lower() not in COMMANDS]
        if unknown:
            raise ValueError(f"unknown command(s) {unknown}; use {', '.join(COMMANDS)}")
        return [c.lower() for c in value]


class Tenancy(Record):
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
    fk_hops: int = bounded(3, ge=0, le=10)
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


class LintConfig(Record):
    """``[lint]``: migration lint ids to ignore project-wide, and off-by-default ids to enable."""

    ignore: list[str] = []
    enable: list[str] = []

    @validates("ignore", "enable")
    def _ids(value: list[str]) -> list[str]:
        bad = [item for item in value if not re.fullmatch(r"LNT\d{3}", item)]
        if bad:
            raise ValueError(f"{', '.join(map(repr, bad))}: lint ids look like LNT004")
        return value


class ProjectFile(Record):
    """The whole ``pggate.toml``."""

    project: ProjectSettings = ProjectSettings()
    environments: dict[str, Environment] = {}
    tenancy: Tenancy = Tenancy()
    lint: LintConfig = LintConfig()
    gates: dict[str, dict[str, Any]] = {}

    @validates("environments")
    def _environment_names(value: dict[str, Environment]) -> dict[str, Environment]:
        for name in value:
            if not ENV_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not usable: names are letters, digits, _ and -")
        return value
