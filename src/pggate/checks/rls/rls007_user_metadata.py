from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from ...results import Severity
from ..base import QueryCheck
from ..context import CheckContext

USER_METADATA = re.compile(r"user_meta_?data", re.IGNORECASE)


class TrustsUserMetadata(QueryCheck):
    """Policy that trusts ``user_metadata`` from the JWT.

    **Problem**: in Supabase, ``user_metadata`` (``raw_user_meta_data``) is editable by the
    user through ``auth.updateUser()``. A policy that reads a tenant or role from it lets any
    user put themselves into any tenant.

    **Fix**: read tenancy from your own tables (a memberships table) or from
    ``app_metadata``, which only the service role can change.
    """

    id = "RLS007"
    gate = "rls"
    severity = Severity.ERROR
    verified = "no policy trusts `user_metadata` from the JWT"
    message = "policy {policy} on {name} reads user_metadata, which the user can edit"
    hint = "use a memberships table or app_metadata instead"
    details = ("policy",)

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        return [
            p
            for p in ctx.policies()
            if p["api"] and _reads_user_metadata(p["using_expr"] + " " + p["check_expr"])
        ]


@lru_cache(maxsize=4096)
def _reads_user_metadata(text: str) -> bool:
    """Cached: many policies share their text."""
    return USER_METADATA.search(text) is not None
