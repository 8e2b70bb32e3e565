from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..context import CheckContext
from ._base import ContractCheck


class RequiredColumnWrong(ContractCheck):
    """A column the identity contract requires is missing or has another type.

    **Problem**: ``[gates.identity] columns`` pins columns such as ``public.profiles.id =
    "uuid"``; a missing column or a changed type breaks the joins to ``auth.users`` and the
    policies built on them.

    **Fix**: add or alter the column in a migration so it has the contract's type.
    """

    id = "ID002"
    severity = Severity.ERROR
    verified = "every column of the identity contract exists with its type"
    query = """
        select c."table" || '.' || c."column" as name, c.type as expected,
               format_type(a.atttypid, a.atttypmod) as actual, to_regtype(c.type) is null as unknown_type
        from jsonb_to_recordset(%(columns)s::jsonb) as c("table" text, "column" text, type text)
        left join pg_attribute a on a.attrelid = to_regclass(c."table") and a.attname = c."column"
                                 and a.attnum > 0 and not a.attisdropped
        where a.attname is null or to_regtype(c.type) is null or a.atttypid <> to_regtype(c.type)
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            if row["unknown_type"]:
                message = f"the contract's type {row['expected']!r} for {row['name']} is not a type"
            elif row["actual"] is None:
                message = f"required column {row['name']} does not exist"
            else:
                message = f"{row['name']} is {row['actual']}, the contract says {row['expected']}"
            yield self.finding(
                row["name"],
                message,
                f"make {row['name']} a {row['expected']} column in a migration",
            )
