from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext

# Column names that usually hold secrets or personal data (matched on whole ``_``-separated
# words): a table exposing them without RLS is named with them.
SENSITIVE = re.compile(
    r"(?:^|_)(?:password|passwd|pass_?hash|secret|token|api_?key|access_?key|private_?key|"
    r"ssn|social_security(?:_number)?|credit_card|card_number|cvv|cvc|iban|tax_id|"
    r"passport(?:_number)?|driver_?licen[cs]e|otp|pin_code|salt)(?:_|$)",
    re.IGNORECASE,
)


class RlsDisabled(Check):
    """Table the API roles can reach, without row-level security.

    **Problem**: API roles (``anon``, ``authenticated``) can reach the tables of an exposed
    schema. Without RLS, whatever they are granted on a table applies to every row: every
    tenant's data is readable (and writable) by every user.

    Exposed schemas are those PostgREST serves (``pgrst.db_schemas``), else those the API
    roles were granted USAGE on, or ``[tenancy] exposed_schemas`` when set; a table counts
    when an API role holds a privilege on it (every table of a configured schema counts). On
    a plain PostgreSQL with no API roles nothing is exposed and this check is quiet.
    Columns that look sensitive (``password``, ``token``, ``secret``, ``ssn``, ...) are named
    in the finding, and a table with policies that do nothing because RLS is off says so.

    **Fix**: enable RLS and add policies, or move the table out of the exposed schemas::

        alter table public.invoices enable row level security;
        alter table public.invoices force row level security;
    """

    id = "RLS001"
    gate = "rls"
    severity = Severity.ERROR
    verified = "every table the API roles can reach has row-level security enabled"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        # From the tables query the context runs anyway (one pass over pg_class).
        return [
            {
                "name": t.qualified,
                "tenant_scoped": t.tenant,
                "sensitive": [c for c in t.column_names if c and SENSITIVE.search(c)],
            }
            for t in ctx.table_security()
            if t.exposed and t.reachable and not t.rls
        ]

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            scope = "tenant-scoped table" if row["tenant_scoped"] else "table in an exposed schema"
            message = f"{scope} {row['name']} has row-level security disabled"
            if row["sensitive"]:
                message += ", exposing sensitive-looking columns " + ", ".join(row["sensitive"])
            yield self.finding(
                row["name"],
                message,
                f"alter table {row['name']} enable row level security; then add policies",
                sensitive_columns=row["sensitive"] or None,
            )
