from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class Vacuous(IsolationCheck):
    """Behavioural proof that could not run, or ran without meaning (never a silent pass).

    **Problem**: no tenant-scoped table matches ``[tenancy]``, fewer than two tenants with a
    member, an actor role that does not exist or that bypasses RLS, an actor (or ``anon``)
    role the connecting role may not ``SET ROLE`` to (not a member of it), or a ``[tenancy]``
    entry naming a table pggate cannot place in a tenant. In each case "no leak found"
    would prove nothing. An error by default (``[gates.isolation] unproven = "warning"``
    lowers it; an actor bypassing RLS is always an error).

    **Fix**: configure ``[gates.isolation] seed`` with two tenants and their members, and
    ``[tenancy.actor]`` (or ``[[tenancy.actors]]``) with a role RLS applies to and a
    ``member_query`` that finds a user; ``grant <actor role> to <connecting role>`` (the
    finding names both); check ``[tenancy]`` names the tenant columns.
    """

    id = "RLS013"
    severity = Severity.ERROR
    verified = "the isolation proof ran with two tenants and an actor RLS applies to"
    hint_text = "make the proof runnable: seed data, actor role, member query"
