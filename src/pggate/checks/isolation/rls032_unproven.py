from __future__ import annotations

from ...results import Severity
from .base import IsolationCheck


class Unproven(IsolationCheck):
    """Behavioural: a tenant-scoped table whose isolation could not be exercised.

    **Problem**: a probe needs rows to act on: another tenant's rows to read, update and
    delete, a valid row of the other tenant to insert, one of the actor's rows to move.
    When the seed leaves a table without them, pggate makes a minimal row itself inside the
    rolled-back transaction; where it cannot (a check constraint its values fail, a
    trigger refusing, a parent row it cannot build, a type it has no value for), the table
    is **unproven**: "no leak found" would mean nothing. So is a table an actor may read
    only some columns of, none of them a key (``grant select (name) on t``): its probes
    cannot name a row, and the permission error a row-naming probe would get is not the
    policy refusing (DELETE needs no key: a ``DELETE`` with no ``WHERE`` is run instead, and
    is unproven only when a key or a trigger stops it, since the rows it protected may be
    the actor's own). An error by default
    (``[gates.isolation] unproven = "warning"`` to lower it).

    **Fix**: add rows of two tenants for the table to the seed (``[gates.isolation]
    seed``), or give the column the finding names a default.
    """

    id = "RLS032"
    severity = Severity.ERROR
    verified = "every tenant-scoped table was probed, in both directions, on rows of both tenants"
    hint_text = "seed rows of two tenants for this table, or give the named column a default"
