from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext


class ExtensionOutdated(Check):
    """Extension installed at a version other than the server's default one.

    **Problem**: the server ships a newer script for the extension than the one installed
    (``pg_available_extensions.default_version``): the database misses its fixes, some of
    them security fixes, until someone runs ``alter extension ... update``; a restore on a
    fresh server gets the new version, so environments drift apart.

    **Fix**::

        alter extension pg_graphql update;
    """

    id = "SCH005"
    gate = "schema"
    severity = Severity.WARNING
    verified = "every extension is at the server's default version"
    query = """
        select e.extname as name, e.extversion as installed, a.default_version as available
        from pg_extension e join pg_available_extensions a on a.name = e.extname
        where a.default_version is not null and e.extversion <> a.default_version
        order by 1
    """

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            yield self.finding(
                f"extension {row['name']}",
                f"extension {row['name']} is at version {row['installed']}; the server's "
                f"default is {row['available']}",
                f"alter extension {row['name']} update",
            )
