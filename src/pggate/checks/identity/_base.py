"""Identity checks bind the contract (as JSON) to their one set-based query."""

from __future__ import annotations

from typing import Any

from ..base import QueryCheck
from ..context import CheckContext
from .contract import contract


class ContractCheck(QueryCheck):
    """A check of one part of the identity contract."""

    abstract = True
    gate = "identity"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return ctx.conn.execute(self.query, {**ctx.params(), **contract(ctx).as_json()}).fetchall()
