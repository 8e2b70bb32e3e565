"""What migrate and rollback share: one connection, the history, the environment's timeouts."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg

from ..events import NULL_EMIT, Emit
from .history import History


class Worker:
    """Applies or reverts migrations on one connection under the environment's settings."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        history: History,
        *,
        env: str,
        target: str,
        lock_timeout: float | None,
        statement_timeout: float | None,
        emit: Emit = NULL_EMIT,
        run_id: str | None = None,
        trace: bool = False,
    ) -> None:
        self.conn = conn
        self.history = history
        self.env = env
        self.target = target  # masked
        self.lock_timeout = lock_timeout
        self.statement_timeout = statement_timeout
        self.emit = emit
        self.run_id = run_id or uuid.uuid4().hex[:12]
        # -v: run statement by statement and emit each one's time (never the batched path).
        self.trace: Emit | None = emit if trace else None

    @classmethod
    def for_session(
        cls, session: Any, history: History, *, emit: Emit = NULL_EMIT, **extra: Any
    ) -> Any:
        """A worker on ``session``'s connection with its environment's timeouts."""
        return cls(
            session.conn,
            history,
            env=session.target.name,
            target=session.target.masked_url,
            lock_timeout=session.lock_timeout,
            statement_timeout=session.statement_timeout,
            emit=emit,
            **extra,
        )
