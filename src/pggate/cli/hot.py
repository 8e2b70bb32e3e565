"""The hot path: ``pggate status`` and ``pggate migrate`` without Typer.

These two run far more often than the rest (every CI job, every "where am I"), and
importing Typer, its click and every command module costs more than a no-op
``status`` does itself. ``run_hot`` reads their commonest command lines here and runs
the same bodies through the same ``invocation.execute`` as the app does; the app still
declares their options and help (``commands_migrate``), and a test keeps the tables
below equal to what the app accepts.

Only what is certainly understood is run here: the command first or after global
options, long options with ``=value`` or a separate value, short ones with the value
attached or separate, each flag on its own. Anything else (``--help``, a flag cluster
such as ``-vy``, an unknown option, a stray argument, a value that looks like an option
or that the app would convert differently) returns ``None`` and goes to the app, which
decides, errors included, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import interrupts
from .invocation import Explain, Invocation
from .settings import Format, Settings

Convert = Callable[[str], Any]  # a value as the app would read it; None: let the app read it


def _text(value: str) -> str | None:
    return value or None  # an empty --env or --to: the app's business


def _path(value: str) -> Path | None:
    return Path(value) if value else None


def _format(value: str) -> Format | None:
    lowered = value.lower()  # the app's choice is case-insensitive
    return Format(lowered) if lowered in ("text", "json") else None


def _seconds(value: str) -> float | None:
    # Plain decimals only: "inf", "1e3" or " 5" are left to the app's own conversion.
    plain = value.count(".") <= 1 and any(c.isdigit() for c in value)
    return float(value) if plain and all(c in "0123456789." for c in value) else None


SHARED_FLAGS: Mapping[str, str] = {
    "--yes": "yes",
    "-y": "yes",
    "--verbose": "verbose",
    "-v": "verbose",
}
SHARED_VALUES: Mapping[str, tuple[str, Convert]] = {
    "--project": ("project", _path),
    "-p": ("project", _path),
    "--env": ("env", _text),
    "-e": ("env", _text),
    "--format": ("format", _format),
    "-f": ("format", _format),
}
GLOBAL = ("project", "env", "format", "yes", "verbose")  # what the app takes before a command


def status(run: Invocation, show_all: bool = False) -> Any:
    """``pggate status``'s body (the app's ``status`` command calls it too)."""
    from .. import api

    run.text_options["show_all"] = show_all
    return api.status(run.project, run.env, emit=run.emit)


def migrate(
    run: Invocation,
    to: str | None = None,
    dry_run: bool = False,
    show_plan: bool = False,
    single_transaction: bool = False,
    lock_wait: float | None = None,
) -> Any:
    """``pggate migrate``'s body (the app's ``migrate`` command calls it too)."""
    from .. import api

    if show_plan:
        return api.migrate_plan(run.project, run.env, to=to, emit=run.emit)
    return api.migrate(
        run.project,
        run.env,
        to=to,
        dry_run=dry_run,
        single_transaction=single_transaction,
        lock_wait=lock_wait,
        confirm=run.confirm,
        emit=run.emit,
        trace=run.settings.verbose,
    )


@dataclass(frozen=True)
class HotCommand:
    """A command the hot path runs: its body, its options and what a Ctrl-C left."""

    name: str
    body: Callable[..., Any]
    shared: tuple[str, ...]  # the shared options it takes after its name
    flags: Mapping[str, str]  # its own flags: option -> keyword
    values: Mapping[str, tuple[str, Convert]]  # its own valued options
    on_interrupt: Explain

    def accepts(self, option: str) -> str | None:
        """The keyword ``option`` sets after this command's name, else None."""
        found = _option(self, option)
        return found.keyword if found is not None else None


STATUS = HotCommand(
    "status",
    status,
    shared=("project", "env", "format", "verbose"),
    flags={"--all": "show_all"},
    values={},
    on_interrupt=interrupts.reads_only("status only reads the history"),
)
MIGRATE = HotCommand(
    "migrate",
    migrate,
    shared=GLOBAL,
    flags={
        "--dry-run": "dry_run",
        "--plan": "show_plan",
        "--single-transaction": "single_transaction",
    },
    values={"--to": ("to", _text), "--lock-wait": ("lock_wait", _seconds)},
    on_interrupt=interrupts.after_migrate,
)
COMMANDS = {c.name: c for c in (STATUS, MIGRATE)}


@dataclass(frozen=True)
class Parsed:
    """A command line the hot path understood."""

    command: HotCommand
    settings: Settings
    options: dict[str, Any]


def parse(argv: list[str]) -> Parsed | None:
    """``argv`` read as the app would read it, or None when the app must read it."""
    command: HotCommand | None = None
    shared: dict[str, Any] = {}
    own: dict[str, Any] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if command is None and not arg.startswith("-"):
            command = COMMANDS.get(arg)
            if command is None:
                return None
            continue
        if arg in ("-", "--") or not arg.startswith("-"):
            return None  # a positional argument: neither command takes one
        name, inline = _split(arg)
        option = _option(command, name)
        if option is None:
            return None
        if option.convert is None:  # a flag: never with a value
            if inline is not None:
                return None
            value: Any = True
        else:
            if inline is None:
                if index >= len(argv) or argv[index].startswith("-"):
                    return None  # a missing value, or one that looks like an option
                inline = argv[index]
                index += 1
            value = option.convert(inline)
            if value is None:
                return None
        (own if option.own else shared)[option.keyword] = value
    if command is None:
        return None
    return Parsed(command, Settings(**shared), own)


def _split(arg: str) -> tuple[str, str | None]:
    """``(option, value given with it)``: ``--env=x``, ``-ex``; no value: None."""
    if arg.startswith("--"):
        name, equals, value = arg.partition("=")
        return name, value if equals else None
    return arg[:2], arg[2:] or None


@dataclass(frozen=True)
class Option:
    """What an option sets: the keyword, how its value is read (None: a flag), whose it is."""

    keyword: str
    convert: Convert | None
    own: bool  # the command's own option, not a shared one


def _option(command: HotCommand | None, name: str) -> Option | None:
    """``name`` as accepted before any command (``command`` None) or after ``command``'s name."""
    if command is not None and name in command.flags:
        return Option(command.flags[name], None, own=True)
    if command is not None and name in command.values:
        keyword, convert = command.values[name]
        return Option(keyword, convert, own=True)
    if name in SHARED_FLAGS:
        keyword, convert = SHARED_FLAGS[name], None
    elif name in SHARED_VALUES:
        keyword, convert = SHARED_VALUES[name]
    else:
        return None
    if command is not None and keyword not in command.shared:
        return None  # a shared option this command does not take after its name
    return Option(keyword, convert, own=False)


def run_hot(argv: list[str]) -> int | None:
    """The exit code of running ``argv`` here, or None when the app must run it."""
    parsed = parse(argv)
    if parsed is None:
        return None
    from .guard import guarded
    from .invocation import execute

    command = parsed.command

    def work(json_mode: bool, verbose: bool) -> int:
        return execute(
            command.name,
            command.body,
            parsed.settings,
            parsed.options,
            on_interrupt=command.on_interrupt,
        )

    return guarded(argv, work)
