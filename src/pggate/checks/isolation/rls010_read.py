from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class CrossTenantRead(IsolationCheck):
    """Behavioural: acting as a member of tenant A, rows of another tenant were readable.

    **Problem**: the select policies (or a missing RLS) let one tenant's users read another
    tenant's rows. Found by really running ``select`` as the actor role with the actor's
    claims inside a rolled-back transaction, not by reading policy text: for every actor,
    in both directions (a member of A on B's rows, a member of B on A's), on rows of the
    seed or, where it has none, on a row pggate made for that tenant. ``anon`` with no
    claims is probed too.

    **Fix**: make the select policy compare the tenant column with the user's memberships::

        create policy tasks_select on public.tasks for select
            using (organization_id in (select organization_id from public.memberships
                                       where user_id = (select auth.uid())));
    """

    id = "RLS010"
    severity = Severity.ERROR
    verified = "a member of one tenant reads no row of another tenant"
    hint_text = "scope the SELECT policy to the user's own tenant(s)"
