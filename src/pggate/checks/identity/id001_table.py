from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ContractCheck


class RequiredTableMissing(ContractCheck):
    """A table the identity contract requires does not exist.

    **Problem**: ``[gates.identity] tables`` lists the tables the identity model stands on
    (profiles, organizations, memberships); one is missing, so sign-up, membership checks
    and every policy that joins it break.

    **Fix**: create the table in a migration (or fix its name in the contract).
    """

    id = "ID001"
    severity = Severity.ERROR
    verified = "every table of the identity contract exists"
    query = "select t as name from jsonb_array_elements_text(%(tables)s::jsonb) t where to_regclass(t) is null order by 1"

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                row["name"],
                f"required table {row['name']} does not exist",
                f"create {row['name']} in a migration",
            )
