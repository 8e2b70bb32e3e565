"""One command run, whichever parser read the command line: Typer, or the hot path.

``execute`` is what happens between parsing and the exit code for every command: build
the ``Invocation`` (merged shared options, the output, ``emit`` and ``confirm``), call the
command's body, turn a Ctrl-C into the message of what it left (``on_interrupt``), and
render the result. Nothing here imports Typer, so ``hot`` can use it as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import Interrupted
from ..events import Event
from .output import Output
from .settings import Settings

Explain = Callable[["Invocation", dict[str, Any]], str]


@dataclass
class Invocation:
    """What a command body gets: the merged options and the output to report through."""

    settings: Settings
    out: Output
    view: Any = None  # a live step view (stage, demo) when the command asked for one
    text_options: dict[str, Any] = field(default_factory=dict)  # passed to the text renderer
    events: list[Event] = field(default_factory=list)  # the events seen (for Ctrl-C reports)

    @property
    def project(self) -> Any:
        """The ``--project`` folder (None: the nearest ``pggate.toml`` upwards)."""
        return self.settings.project

    @property
    def env(self) -> str:
        """The environment, ``local`` when none was given."""
        return self.settings.env_name

    @property
    def env_given(self) -> str | None:
        """The environment exactly as given (None when no ``--env``)."""
        return self.settings.env

    def emit(self, event: Event) -> None:
        """Record ``event`` and draw it (the live view when there is one)."""
        self.events.append(event)
        (self.view.emit if self.view is not None else self.out.emit)(event)

    def confirm(self, question: str) -> bool:
        """Ask ``question`` (``--yes`` answers yes; no terminal refuses)."""
        if self.view is not None:
            return bool(self.view.confirm(question))
        return self.out.confirm(question)

    def stop_live(self) -> None:
        """Stop the live view's spinner (before the report or a message)."""
        if self.view is not None:
            self.view.stop()
        self.out.close_progress()


def execute(
    name: str,
    body: Callable[..., Any],
    opts: Settings,
    options: dict[str, Any],
    *,
    live: bool = False,
    on_interrupt: Explain | None = None,
) -> int:
    """Run ``body(invocation, **options)`` and render its result; the exit code.

    A Ctrl-C inside the body becomes ``Interrupted`` with what ``on_interrupt`` found the
    interrupted work left behind (checked in the database, not assumed).
    """
    invocation = _invocation(opts, live)
    try:
        result = body(invocation, **options)
    except KeyboardInterrupt:
        invocation.stop_live()
        raise Interrupted(_after_interrupt(invocation, options, on_interrupt)) from None
    finally:
        invocation.stop_live()
    try:
        return invocation.out.result(result, **invocation.text_options)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted while printing the result: {name} had finished its work"
        ) from None


def _after_interrupt(
    invocation: Invocation, options: dict[str, Any], explain: Explain | None
) -> str:
    if explain is None:
        return "interrupted"
    try:
        return explain(invocation, options)
    except KeyboardInterrupt:
        return "interrupted (again, while checking what the first interrupt left)"
    except Exception as exc:  # noqa: BLE001 - the interrupt is what we report
        return f"interrupted; could not check the database afterwards: {exc}"


def _invocation(opts: Settings, live: bool) -> Invocation:
    out = Output(opts)
    if not live:
        return Invocation(opts, out)
    from .render import StepView

    return Invocation(opts, out, view=StepView(out))
