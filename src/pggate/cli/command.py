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
from typing import Any

import typer

from .invocation import Explain, Invocation, execute
from .options import EnvOpt, FormatOpt, ProjectOpt, VerboseOpt, YesOpt, settings

SHARED_OPTIONS: dict[str, tuple[Any, Any]] = {
    "project": (ProjectOpt, None),
    "env": (EnvOpt, None),
    "format": (FormatOpt, None),
    "yes": (YesOpt, False),
    "verbose": (VerboseOpt, False),
}
DEFAULT_SHARED = ("project", "env", "format", "verbose")

__all__ = ["SHARED_OPTIONS", "Invocation", "command"]


def command(
    name: str,
    *,
    shared: Iterable[str] = DEFAULT_SHARED,
    live: bool = False,
    on_interrupt: Explain | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``body`` as the command ``name`` with the ``shared`` options added.

    ``live`` gives the command the step view (a spinner per pipeline step).
    ``on_interrupt(invocation, options)`` says what a Ctrl-C left behind (checked in the
    database, not assumed; see ``interrupts``); the command then exits 130 with that
    message. Every command that touches a database has one.
    """
    chosen = tuple(shared)

    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        from .application import app

        own = list(inspect.signature(body, eval_str=True).parameters.values())[1:]

        def run_command(ctx: typer.Context, **kwargs: Any) -> int:
            given = {option: kwargs.pop(option) for option in chosen}
            return execute(
                name, body, settings(ctx, **given), kwargs, live=live, on_interrupt=on_interrupt
            )

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
