from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class Vacuous(IsolationCheck):
    """Behavioural proof that could not run, or ran without meaning (never a silent pass).

    **Problem**: fewer than two tenants with rows, no actor role, no member found, a probe
    that errored, an actor that cannot see its own rows (over-restrictive policy) or an actor
    that bypasses RLS. In each case "no leak found" would prove nothing.

    **Fix**: configure ``[gates.isolation] seed`` with two tenants and their members, and
    ``[tenancy.actor]`` with a role RLS applies to and a ``member_query`` that finds a user.
    """

    id = "RLS013"
    severity = Severity.WARNING
    verified = "the isolation proof ran with two tenants and an actor RLS applies to"
    hint_text = "make the proof runnable: seed data, actor role, member query"
