"""The ``pggate`` command line: parse, call ``api``, render. The only layer that prints.

Two parsers share one way of running a command (``invocation.execute``): the Typer app
(``application``: every command, option and help text) and ``hot``, which reads the
commonest command lines of ``status`` and ``migrate`` itself so they start without
importing Typer, click or the other command modules. Anything ``hot`` does not fully
understand goes to the app, which decides.

``from pggate.cli import app, main`` loads the app on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # The app and its entry are loaded only when asked for: ``pggate.cli.hot`` must not pay.
    if name in ("app", "main"):
        from . import application

        return getattr(application, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
