"""Where an environment's database is: ``resolve_target`` and the URL rules."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError
from ..masking import mask, register_url
from .envfile import parse_env_file
from .models import Environment
from .project import Project


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
