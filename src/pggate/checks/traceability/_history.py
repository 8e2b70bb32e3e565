"""Reading the project's migrations and the environment's history for the traceability checks."""

from __future__ import annotations

from ...migrations.files import load_folder
from ...migrations.history import History
from ..context import CheckContext


def history(ctx: CheckContext) -> History:
    """The environment's history table."""
    return History(ctx.conn, ctx.project.settings.project.history_table)


def migration_set(ctx: CheckContext):  # noqa: ANN201
    """The project's migration files."""
    return load_folder(ctx.project.migrations_dir, ctx.project.root)
