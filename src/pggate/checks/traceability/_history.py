"""Reading the project's migrations and the environment's history for the traceability checks."""

from __future__ import annotations

from ...migrations.files import MigrationSet, load_folder
from ...migrations.history import History
from ..context import CheckContext


def history(ctx: CheckContext) -> History:
    """The environment's history table."""
    return History(ctx.conn, ctx.project.settings.project.history_table)


def migration_set(ctx: CheckContext) -> MigrationSet:
    """The project's migration files: the run's, when it loaded them already."""
    if ctx.migrations is None:
        ctx.migrations = load_folder(ctx.project.migrations_dir, ctx.project.root)
    return ctx.migrations
