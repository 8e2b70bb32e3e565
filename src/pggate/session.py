"""An open session on an environment's database: target resolved, server started, pin checked.

Every command that talks to a database goes through ``open_session``, so the
rules (embedded server for ``local``, the pin guard, masking of the URL, the
Supabase shim on local databases) hold everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg

from . import db
from .config import Project, Target, parse_duration, resolve_target
from .events import NULL_EMIT, Emit, Event

if TYPE_CHECKING:  # imported where used: most sessions need neither
    from .embedded import EmbeddedServer
    from .supabase import ShimResult


@dataclass
class Session:
    """A connection to an environment's database and what is known about it."""

    project: Project
    target: Target
    conn: psycopg.Connection[dict[str, Any]]
    info: db.ServerInfo
    emit: Emit = NULL_EMIT
    server: EmbeddedServer | None = None
    shim: ShimResult | None = None  # the Supabase shim, on local targets of supabase projects
    _extra: list[psycopg.Connection[Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The database URL (a secret: never print it; use ``target.masked_url``)."""
        assert self.target.url is not None
        return self.target.url

    def connect(
        self, application_name: str = db.APPLICATION_NAME, **kwargs: Any
    ) -> psycopg.Connection[dict[str, Any]]:
        """Another connection to the same database, closed with the session."""
        conn = db.connect(self.url, application_name=application_name, **kwargs)
        self._extra.append(conn)
        return conn

    def reset(self) -> None:
        """Back to the connection's starting settings and role after a step that changed them.

        A step (the runner's timeouts, a migration's ``SET``) must not leak into the next one
        on a session held for a whole run. Not ``DISCARD ALL``: that would drop the driver's
        prepared statements. A broken connection is left for the next step to report.
        """
        idle = self.conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if self.conn.closed or self.conn.broken or not idle:
            return
        self.conn.execute(db.RESET_SESSION)

    @property
    def lock_timeout(self) -> float | None:
        """The environment's ``lock_timeout`` in seconds."""
        return parse_duration(self.target.environment.lock_timeout)

    @property
    def statement_timeout(self) -> float | None:
        """The environment's ``statement_timeout`` in seconds (``None``: off)."""
        return parse_duration(self.target.environment.statement_timeout)


@contextmanager
def open_session(
    project: Project,
    env_name: str,
    *,
    emit: Emit = NULL_EMIT,
    application_name: str = db.APPLICATION_NAME,
    check_pin: bool = True,
    install_shim: bool = True,
) -> Iterator[Session]:
    """Resolve ``env_name``, start its embedded server if it has one, connect, check the pin.

    For a project with ``supabase = true`` on a local target (the embedded server, or
    ``local = true``), the Supabase shim is installed (idempotently) right after connecting;
    never on any other target (nor with ``install_shim=False``: a read-only look).
    """
    target = resolve_target(project, env_name)
    supabase = project.settings.project.supabase
    with ExitStack() as stack:
        server = None
        if target.embedded:
            from .embedded import EmbeddedServer, choose_engine, state_dir
            from .supabase import STANDIN_DIR

            engine = choose_engine(target.environment.engine)
            server = EmbeddedServer.persistent(
                state_dir(project.root, env_name),
                engine=engine,
                extension_dirs=(STANDIN_DIR,) if supabase else (),
            )
            emit(Event("server.starting", f"starting embedded PostgreSQL ({engine.label})"))
            url = server.start()
            stack.callback(server.stop)
            target = target.with_url(url, f"embedded ({engine.label}, {server.data_dir})")
        assert target.url is not None
        timeout = parse_duration(target.environment.connect_timeout)
        conn = db.connect(target.url, application_name=application_name, connect_timeout=timeout)
        stack.callback(conn.close)
        info = db.server_info(conn)
        if check_pin:
            db.check_pin(info, target.environment.pin, env_name)
        session = Session(project, target, conn, info, emit, server)
        stack.callback(lambda: [c.close() for c in session._extra])
        if target.note:
            emit(Event("url.ignored", f"note: {target.note}", {"warning": True}))
        if target.from_process:
            # A URL from the shell, not from the project: say so on every run, JSON mode too.
            emit(
                Event(
                    "url.source",
                    f"using the database URL from the process variable {target.source} "
                    f"({target.masked_url}) for environment {env_name!r}",
                    {"warning": True},
                )
            )
        emit(
            Event(
                "server.connected", f"connected to {target.masked_url}", {"version": info.version}
            )
        )
        if supabase and target.is_local and install_shim:
            from .supabase import install as install_supabase_shim

            session.shim = install_supabase_shim(conn, emit=emit)
            if session.shim.installed:
                # The shim set database defaults (search_path, extension_control_path); only new
                # connections start from them, and `reset all` returns to a connection's start.
                session.conn = db.connect(
                    target.url, application_name=application_name, connect_timeout=timeout
                )
                stack.callback(session.conn.close)
        yield session
