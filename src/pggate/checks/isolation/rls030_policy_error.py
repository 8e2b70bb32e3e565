from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class PolicyError(IsolationCheck):
    """Behavioural: a policy fails with an error for the tenant's own member.

    **Problem**: querying the table as a member of its own tenant raises an error instead of
    returning rows: infinite recursion in a policy that reads its own table (42P17), a
    helper function that does not exist or the actor may not execute (42883, 42501 on the
    function), an exception raised inside a helper. The table is unusable for its own
    users, whatever the isolation probes say. Constraint and trigger refusals of a probe's
    row are not this finding; they are recorded as refusals.

    **Fix**: run the failing statement as the actor (the finding names the probe and the
    SQLSTATE). For recursion, move the membership lookup into a ``security definer``
    function with an empty ``search_path``::

        create function private.my_organizations() returns setof uuid
            language sql stable security definer set search_path = ''
            as $$ select organization_id from public.memberships
                  where user_id = (select auth.uid()) $$;
    """

    id = "RLS030"
    severity = Severity.ERROR
    verified = "no policy failed for its own tenant's member"
    hint_text = "make the policy's expression work for the table's own members (see the SQLSTATE)"
