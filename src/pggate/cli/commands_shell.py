"""``pggate completion``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .command import Invocation, command
from .completion import Shell


@command("completion", shared=("format",))
def completion(
    run: Invocation,
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.", case_sensitive=False)],
) -> Any:
    """Print a shell completion script for every command and option.

    bash: eval "$(pggate completion bash)" in ~/.bashrc; zsh: the same in ~/.zshrc;
    fish: pggate completion fish > ~/.config/fish/completions/pggate.fish
    """
    from .application import app
    from .completion import script

    return script(app, shell)
