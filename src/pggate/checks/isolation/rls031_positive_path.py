from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class OwnRowsImpossible(IsolationCheck):
    """Behavioural: a command the actor is granted is impossible on its own tenant's rows.

    **Problem**: the actor role holds the table privilege for a command (``select``,
    ``insert``, ``update``, ``delete``) and a permissive policy for that command applies to
    it, yet acting as a member of a tenant it cannot do it to that tenant's own rows: it sees none of them, updates or deletes none, or its insert
    of a valid row is refused. A permissive ``UPDATE`` policy with only ``WITH CHECK`` (no
    ``USING``) is the classic case: it matches no row, so nobody can update anything. An
    actor declared read-only (``[[tenancy.actors]] commands = ["select"]``) is only
    checked for the commands it lists; a constraint or trigger refusing the probe's row is
    recorded, not reported. A granted command with no policy at all is RLS004's (command not
    covered), not this.

    **Fix**: give the command's policy the clause it lacks, scoped to the tenant::

        create policy tasks_update on public.tasks for update to authenticated
            using (organization_id in (select private.member_organizations()))
            with check (organization_id in (select private.member_organizations()));

    or revoke the privilege if the command is not meant to be used.
    """

    id = "RLS031"
    severity = Severity.WARNING
    verified = (
        "the actor could do every command it is granted and expected to do to its own tenant's rows"
    )
    hint_text = (
        "give the named policy a USING/WITH CHECK its own members pass, or revoke the privilege"
    )
