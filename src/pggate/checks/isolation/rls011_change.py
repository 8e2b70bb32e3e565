from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class CrossTenantChange(IsolationCheck):
    """Behavioural: acting as a member of tenant A, rows of tenant B could be updated or deleted.

    **Problem**: an update or delete policy's ``USING`` matches other tenants' rows, so one
    tenant can change or destroy another's data.

    **Fix**: scope the ``USING`` of the update and delete policies to the user's tenant::

        create policy tasks_delete on public.tasks for delete
            using (organization_id in (select private.my_organizations()));
    """

    id = "RLS011"
    severity = Severity.ERROR
    verified = "a member of one tenant updates and deletes no row of another tenant"
    hint_text = "scope the UPDATE/DELETE policies' USING to the user's own tenant(s)"
