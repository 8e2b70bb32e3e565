"""``pggate verify`` and ``bench``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from . import interrupts
from .command import Invocation, command


@command(
    "verify",
    on_interrupt=interrupts.reads_only(
        "verify's checks run in transactions that are rolled back, the interrupted one too"
    ),
)
def verify(
    run: Invocation,
    gate: Annotated[
        str | None,
        typer.Option(
            "--gate", "-g", help="Comma-separated gates to run (default: all), e.g. rls,fk."
        ),
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline", help="Perf gate: compare with this saved baseline (default: newest)."
        ),
    ] = None,
) -> Any:
    """Prove the environment: run the gates and report every finding with its fix.

    Exit 0 when no gate fails, 1 when any gate has an error finding.
    """
    from .. import api

    gates = [g.strip() for g in gate.split(",") if g.strip()] if gate else None
    options = {"baseline": baseline} if baseline else None
    return api.verify(run.project, run.env, gates, emit=run.emit, options=options)


@command(
    "bench",
    on_interrupt=interrupts.reads_only(
        "bench's queries run in transactions that are rolled back, the interrupted one too"
    ),
)
def bench(
    run: Invocation,
    save: Annotated[
        str | None, typer.Option("--save", help="Save the timings as baseline NAME.")
    ] = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="Compare with saved baseline NAME.")
    ] = None,
) -> Any:
    """Time the bench queries (checks/bench/*.sql) on the server's clock.

    `--save NAME` records them in .pggate/baselines/<env>/NAME.json, which
    `verify --gate perf` compares with; `--compare NAME` compares now.
    Exit 1 when a compared query got slower beyond the threshold.
    """
    from .. import api

    return api.bench(run.project, run.env, save=save, compare=compare, emit=run.emit)
