"""``pggate completion bash|zsh|fish``: shell completion scripts written from the app itself.

The scripts are static: every command and its options are read from the Typer app
(``typer.main.get_command``) when the script is printed, so they never call pggate while
you type and never depend on a private completion protocol. Regenerate after upgrading.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Shell(StrEnum):
    """Shells pggate writes a completion script for."""

    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@dataclass(frozen=True)
class CompletionResult:
    """What ``pggate completion`` returns: the script for one shell."""

    shell: str
    script: str

    def exit_code(self) -> int:
        """Always 0."""
        return 0

    def to_dict(self) -> dict[str, Any]:
        """``{"shell", "script"}``."""
        return {"shell": self.shell, "script": self.script}


@dataclass(frozen=True)
class _Option:
    names: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    help: str


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    options: tuple[_Option, ...]
    values: tuple[str, ...] = ()  # the choices of an argument (completion: bash zsh fish)


def script(app: Any, shell: Shell) -> CompletionResult:
    """The completion script for ``shell``."""
    import typer.main

    group = typer.main.get_command(app)
    top = _options(group)
    commands = tuple(
        _Command(name, _first_line(cmd.help), _options(cmd), _argument_values(cmd))
        for name, cmd in sorted(group.commands.items())  # type: ignore[attr-defined]
    )
    writer = {Shell.bash: _bash, Shell.zsh: _zsh, Shell.fish: _fish}[shell]
    return CompletionResult(str(shell), writer(top, commands))


def _options(command: Any) -> tuple[_Option, ...]:
    found = []
    annotations = _annotations(command.callback)
    for param in command.params:
        names = tuple(n for n in (*param.opts, *param.secondary_opts) if n.startswith("-"))
        if not names:
            continue  # an argument, not an option
        choices = _enum_values(annotations.get(param.name))
        found.append(_Option(names, not param.is_flag, choices, _first_line(param.help)))
    found.append(_Option(("-h", "--help"), False, (), "Show the help."))
    return tuple(found)


def _argument_values(command: Any) -> tuple[str, ...]:
    annotations = _annotations(command.callback)
    return tuple(
        value
        for param in command.params
        if not any(n.startswith("-") for n in param.opts)
        for value in _enum_values(annotations.get(param.name))
    )


def _annotations(callback: Any) -> dict[str, Any]:
    import inspect

    if callback is None:
        return {}
    return {
        name: p.annotation
        for name, p in inspect.signature(callback, eval_str=True).parameters.items()
    }


def _enum_values(annotation: Any) -> tuple[str, ...]:
    """The values of an Enum inside ``Annotated[Enum | None, ...]``, else ()."""
    from enum import Enum
    from typing import get_args

    pending, seen = [annotation], []
    while pending:
        current = pending.pop()
        if isinstance(current, type) and issubclass(current, Enum):
            return tuple(str(member.value) for member in current)
        seen.append(current)
        pending.extend(a for a in get_args(current) if a not in seen)
    return ()


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n")[0].replace("'", "")


def _bash(top: tuple[_Option, ...], commands: tuple[_Command, ...]) -> str:
    valued = sorted(
        {n for c in commands for o in (*top, *c.options) if o.takes_value for n in o.names}
    )
    choices = {
        n: " ".join(o.choices)
        for c in commands
        for o in (*top, *c.options)
        if o.choices
        for n in o.names
    }
    cases = "\n".join(
        f'        {c.name}) words="{" ".join((*c.values, *(n for o in c.options for n in o.names)))}" ;;'
        for c in commands
    )
    value_cases = "\n".join(
        f'        {name}) COMPREPLY=($(compgen -W "{words}" -- "$cur")); return ;;'
        for name, words in sorted(choices.items())
    )
    return f"""# pggate completion for bash: eval "$(pggate completion bash)" in ~/.bashrc
_pggate() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" cmd="" words i skip=0
    [ "$COMP_CWORD" -gt 0 ] && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [ "$skip" = 1 ]; then skip=0; continue; fi
        case "${{COMP_WORDS[i]}}" in
            {"|".join(valued) or "--never"}) skip=1 ;;
            -*) ;;
            *) cmd="${{COMP_WORDS[i]}}"; break ;;
        esac
    done
    case "$prev" in
{value_cases}
    esac
    case "$cmd" in
        "") words="{" ".join(c.name for c in commands)} {" ".join(n for o in top for n in o.names)}" ;;
{cases}
        *) words="" ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _pggate pggate
"""


def _zsh(top: tuple[_Option, ...], commands: tuple[_Command, ...]) -> str:
    # zsh runs bash completion functions through bashcompinit: one script to keep right.
    return (
        '# pggate completion for zsh: eval "$(pggate completion zsh)" in ~/.zshrc\n'
        "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit }\n"
        "autoload -U +X bashcompinit && bashcompinit\n" + _bash(top, commands).split("\n", 1)[1]
    )


def _fish(top: tuple[_Option, ...], commands: tuple[_Command, ...]) -> str:
    lines = [
        "# pggate completion for fish: pggate completion fish > ~/.config/fish/completions/pggate.fish",
        "complete -c pggate -f",
    ]
    names = " ".join(c.name for c in commands)
    for command in commands:
        lines.append(
            f"complete -c pggate -n 'not __fish_seen_subcommand_from {names}' "
            f"-a {command.name} -d '{command.help}'"
        )
    lines += [_fish_option(o, f"not __fish_seen_subcommand_from {names}") for o in top]
    for command in commands:
        condition = f"__fish_seen_subcommand_from {command.name}"
        if command.values:
            lines.append(f"complete -c pggate -n '{condition}' -a '{' '.join(command.values)}'")
        lines += [_fish_option(o, condition) for o in command.options]
    return "\n".join(lines) + "\n"


def _fish_option(option: _Option, condition: str) -> str:
    flags = " ".join(f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in option.names)
    value = " -r" if option.takes_value else ""
    if option.choices:
        value += f" -a '{' '.join(option.choices)}'"
    return f"complete -c pggate -n '{condition}' {flags}{value} -d '{option.help}'"
