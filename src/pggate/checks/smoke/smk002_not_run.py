"""SMK002: a smoke check that could not run as asked."""

from __future__ import annotations

from ...results import Severity
from ..base import GateCheck


class NotRun(GateCheck):
    """A smoke check could not run as asked (no tenant with rows, no member to act as).

    **Problem**: a check written ``-- as: tenant`` proves nothing when there is no tenant
    to act as; reporting it as passed would hide that the database has no data to test.

    **Fix**: seed the environment (``[gates.smoke] seed = "supabase/seed.sql"`` runs a seed
    inside the gate's rolled-back transaction when the tenant tables are empty) or fix
    ``[tenancy.actor] member_query``.
    """

    id = "SMK002"
    gate = "smoke"
    severity = Severity.WARNING
    verified = "every smoke check ran as asked"
