from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class CrossTenantInsert(IsolationCheck):
    """Behavioural: acting as a member of tenant A, a row could be inserted into (or moved to) tenant B.

    **Problem**: an insert policy without a tenant-scoped ``WITH CHECK``, or an update policy
    whose ``WITH CHECK`` does not re-check the tenant, lets a user plant rows in another
    tenant or move their own rows there. The probe inserts a row that is valid for tenant B
    (the connecting role could insert it: its foreign keys point at B's parent rows) and
    moves one of A's rows to B, tenant column and shared foreign keys together; a refusal
    by a trigger or constraint is recorded with its SQLSTATE, not reported.

    **Fix**: give insert and update policies a ``WITH CHECK`` on the tenant column::

        create policy tasks_update on public.tasks for update
            using (organization_id in (select private.my_organizations()))
            with check (organization_id in (select private.my_organizations()));
    """

    id = "RLS012"
    severity = Severity.ERROR
    verified = "a member of one tenant cannot insert or move a row into another tenant"
    hint_text = "add WITH CHECK on the tenant column to the INSERT and UPDATE policies"
