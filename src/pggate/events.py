"""Progress as events: lower layers report, the CLI draws, the evidence log records.

A lower layer takes an ``emit`` callable and calls it with an ``Event``; it never
prints. ``NULL_EMIT`` is the default for callers that do not care.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that happened, with the data a renderer or log needs.

    ``kind`` is dotted: ``step.started``, ``gate.finished``, ``migrate.progress``.
    ``total``/``done`` let a renderer draw a progress bar.
    """

    kind: str
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-lines record."""
        return {"at": self.at, "kind": self.kind, "message": self.message, **self.data}


Emit = Callable[[Event], None]


def NULL_EMIT(event: Event) -> None:  # noqa: N802 - a constant-like default callable
    """Drop the event."""


class Collector:
    """An ``Emit`` that keeps every event (for tests and the evidence log)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        """The kinds of the events seen, in order."""
        return [e.kind for e in self.events]


def fan_out(*emits: Emit) -> Emit:
    """One ``Emit`` that passes each event to all of ``emits``."""

    def emit(event: Event) -> None:
        for target in emits:
            target(event)

    return emit
