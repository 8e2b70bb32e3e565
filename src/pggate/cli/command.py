"""One wrapper for every command: shared options, output, result rendering and Ctrl-C.

A command is a function that takes an ``Invocation`` (the merged shared options, the
output, ``emit`` and ``confirm``) plus its own options, calls the API and returns a
result object (``to_dict()`` and ``exit_code()``). ``@command`` adds the shared options
it names to the Typer signature, merges them with those given before the command name,
renders the result (JSON, text, GitHub annotations: see ``output.Output.result``) and
turns the result's exit code into the process's.

    @command("validate", shared=("project", "env", "format", "verbose"))
    def validate(run: Invocation, require_down: Annotated[bool, typer.Option(...)] = False):
        from .. import api
        return api.validate(run.project, run.env_given, require_down=..., emit=run.emit)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import typer

from ..errors import Interrupted
from ..events import Event
from .options import EnvOpt, FormatOpt, ProjectOpt, Settings, VerboseOpt, YesOpt, settings
from .output import Output

SHARED_OPTIONS: dict[str, tuple[Any, Any]] = {
    "project": (ProjectOpt, None),
    "env": (EnvOpt, None),
    "format": (FormatOpt, None),
    "yes": (YesOpt, False),
    "verbose": (VerboseOpt, False),
}
DEFAULT_SHARED = ("project", "env", "format", "verbose")


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


def command(
    name: str,
    *,
    shared: Iterable[str] = DEFAULT_SHARED,
    live: bool = False,
    on_interrupt: Callable[[Invocation, dict[str, Any]], str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``body`` as the command ``name`` with the ``shared`` options added.

    ``live`` gives the command the step view (a spinner per pipeline step).
    ``on_interrupt(invocation, options)`` says what a Ctrl-C left behind (checked in the
    database, not assumed; see ``interrupts``); the command then exits 130 with that
    message. Every command that touches a database has one.
    """
    chosen = tuple(shared)

    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        from . import app

        own = list(inspect.signature(body, eval_str=True).parameters.values())[1:]

        def run_command(ctx: typer.Context, **kwargs: Any) -> int:
            given = {option: kwargs.pop(option) for option in chosen}
            invocation = _invocation(settings(ctx, **given), live)
            try:
                result = body(invocation, **kwargs)
            except KeyboardInterrupt:
                invocation.stop_live()
                raise Interrupted(_after_interrupt(invocation, kwargs, on_interrupt)) from None
            finally:
                invocation.stop_live()
            try:
                return invocation.out.result(result, **invocation.text_options)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"interrupted while printing the result: {name} had finished its work"
                ) from None

        parameters = [
            inspect.Parameter(
                "ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context
            ),
            *own,
            *(
                inspect.Parameter(
                    option,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=SHARED_OPTIONS[option][1],
                    annotation=SHARED_OPTIONS[option][0],
                )
                for option in chosen
            ),
        ]
        run_command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run_command.__annotations__ = {p.name: p.annotation for p in parameters}
        run_command.__doc__ = body.__doc__
        run_command.__name__ = body.__name__
        run_command.__qualname__ = body.__qualname__
        run_command.__module__ = body.__module__
        run_command.pggate_command = body  # type: ignore[attr-defined]  # tests: built here
        run_command.pggate_on_interrupt = on_interrupt  # type: ignore[attr-defined]
        app.command(name)(run_command)
        return body

    return decorate


def _after_interrupt(
    invocation: Invocation,
    options: dict[str, Any],
    explain: Callable[[Invocation, dict[str, Any]], str] | None,
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
