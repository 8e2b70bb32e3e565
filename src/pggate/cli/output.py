"""Everything the CLI writes: masked streams, rich consoles, JSON, progress, confirmations.

The only module (with the renderers it calls) that prints. Every byte to
stdout and stderr goes through ``mask`` via ``MaskingStream``, so a secret
cannot reach the terminal even from a traceback.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, Any, TypeAlias

from ..errors import ConfirmationRefused, PggateError
from ..events import Event
from ..masking import mask, mask_data
from .settings import Settings


class MaskingStream:
    """A text stream that masks secrets in everything written to it."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write ``text`` with secrets masked."""
        self._stream.write(mask(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install_masking() -> None:
    """Route ``sys.stdout`` and ``sys.stderr`` through ``mask`` (idempotent)."""
    if not isinstance(sys.stdout, MaskingStream):
        sys.stdout = MaskingStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, MaskingStream):
        sys.stderr = MaskingStream(sys.stderr)  # type: ignore[assignment]


Piece: TypeAlias = str | tuple[str, str]  # text as it is, or (text, rich style)


class Output:
    """Consoles and helpers for one command run."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._console: Any = None
        self._err: Any = None
        self._progress: Any = None
        self._tasks: dict[str, Any] = {}
        self._warned: set[str] = set()  # warnings said once per command, however many sessions

    @property
    def console(self) -> Any:
        """A rich Console on stdout (colour in a terminal, plain when piped)."""
        if self._console is None:
            from rich.console import Console

            # Piped output is read by tools and people grepping logs: wide, not wrapped at 80.
            width = None if sys.stdout.isatty() else 160
            self._console = Console(file=sys.stdout, highlight=False, width=width)
        return self._console

    def line(self, *pieces: Piece) -> None:
        """One line on stdout from markup-free pieces, each text or ``(text, style)``.

        Piped, the text as it is, unwrapped and without importing rich: what rich would
        print there for the same pieces, for a fraction of the cost. In a terminal, rich
        with the styles. Names and messages need no escaping: nothing here is markup.
        """
        if not _may_be_terminal(sys.stdout):
            sys.stdout.write("".join(p if isinstance(p, str) else p[0] for p in pieces) + "\n")
            return
        from rich.text import Text

        self.console.print(Text.assemble(*pieces))

    @property
    def err(self) -> Any:
        """A rich Console on stderr."""
        if self._err is None:
            from rich.console import Console

            self._err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
        return self._err

    @property
    def interactive(self) -> bool:
        """Whether stdin and stderr are terminals (a person is there)."""
        return sys.stdin.isatty() and sys.stderr.isatty()

    def json(self, data: Any) -> None:
        """Print one JSON document on stdout, masked."""
        sys.stdout.write(json.dumps(mask_data(data), indent=2, default=str) + "\n")

    def result(self, result: Any, **text_options: Any) -> int:
        """Show a command's result (one JSON document, or text); return its exit code.

        In GitHub Actions the GitHub renderer adds the job summary and annotations.
        """
        from . import github

        self.close_progress()
        if self.settings.json:
            self.json(result.to_dict())
        else:
            from .render import text

            text(self, result, **text_options)
        github.render(self.settings.json, result)
        return int(result.exit_code())

    def emit(self, event: Event) -> None:
        """Draw a progress event: a bar in a terminal, a line when piped, nothing in JSON mode."""
        if event.data.get("warning"):
            if event.message not in self._warned:
                self._warned.add(event.message)
                self.err.print(escape_markup(event.message))
            return
        if self.settings.json and not self.settings.verbose:
            return
        shown = event.message and (self.settings.verbose or event.data.get("important", True))
        if not _may_be_terminal(sys.stderr):
            # Piped (CI logs): the line as it is. Laying out each line with rich cost more
            # than applying a small migration, and would read ":x:" as an emoji code.
            if shown:
                sys.stderr.write(event.message + "\n")
            return
        total = event.data.get("total")
        if total is not None and self.err.is_terminal and not self.settings.json:
            self._bar(event, int(total))
            return
        if shown:
            # Messages carry SQL and names ("array[1]", "[environments.x]"): never markup.
            message = _escape(event.message)
            self.err.print(f"[dim]{message}[/dim]" if self.err.is_terminal else message)

    def _bar(self, event: Event, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.err,
                transient=True,
            )
            self._progress.start()
        key = event.kind.rsplit(".", 1)[0]
        if key not in self._tasks:
            self._tasks[key] = self._progress.add_task(_escape(event.message), total=total)
        self._progress.update(
            self._tasks[key],
            completed=int(event.data.get("done", 0)),
            description=_escape(event.message),
        )
        if event.data.get("done", 0) >= total:
            self.close_progress()

    def close_progress(self) -> None:
        """Stop any live progress display."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._tasks.clear()

    def confirm(self, question: str) -> bool:
        """Ask ``question``; ``--yes`` answers yes; no terminal and no ``--yes`` refuses."""
        if self.settings.yes:
            return True
        if not self.interactive:
            raise ConfirmationRefused(
                f"{question} needs confirmation, and this run is not interactive",
                hint="pass --yes to confirm in CI or scripts",
            )
        self.close_progress()
        import typer

        return typer.confirm(question, default=False, err=True)

    def error(self, exc: PggateError) -> None:
        """Print an error and its hint on stderr (and as JSON on stdout in JSON mode)."""
        self.close_progress()
        if self.settings.json:
            self.json(exc.to_dict())
        self.err.print(f"[bold red]error:[/bold red] {_escape(exc.message)}")
        if exc.hint:
            self.err.print(f"[bold]hint:[/bold] {_escape(exc.hint)}")


def _may_be_terminal(stream: IO[str]) -> bool:
    """Whether rich could treat ``stream`` as a terminal: a tty, or colour forced by the environment."""
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def escape_markup(text: str) -> str:
    """``text`` printed literally by rich."""
    return _escape(text)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
