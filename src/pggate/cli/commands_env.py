"""``pggate check-env``."""

from __future__ import annotations

from typing import Any

from . import interrupts
from .command import Invocation, command


@command(
    "check-env", on_interrupt=interrupts.reads_only("check-env only reads the server's settings")
)
def check_env(run: Invocation) -> Any:
    """Check an environment: env file, URL, connectivity, version, privileges, extensions.

    Exit 0 usable, 1 unusable (standby, too old, pooler), 2 bad configuration,
    3 unreachable or authentication failed. Secrets are always masked.
    """
    from .. import api

    return api.check_env(run.project, run.env, emit=run.emit)
