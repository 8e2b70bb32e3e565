from __future__ import annotations

from typing import Any

from ...results import Severity
from ..context import CheckContext
from ..identity.contract import IdentityContract
from ..identity.id004_foreign_key import RequiredForeignKeyMissing


class RequiredForeignKey(RequiredForeignKeyMissing):
    """A foreign key required by ``[gates.fk] required`` is missing or deletes differently.

    **Problem**: the data model relies on this link (for example
    ``public.memberships(user_id) -> auth.users(id) on delete cascade``); without it nothing
    stops rows pointing at deleted parents, or deletes fail or leave orphans.

    **Fix**::

        alter table public.memberships add constraint memberships_user_id_fkey
            foreign key (user_id) references auth.users (id) on delete cascade not valid;
        -- in the next migration file: in the same transaction the ADD's lock would be held
        -- through the validating scan (LNT008)
        alter table public.memberships validate constraint memberships_user_id_fkey;
    """

    id = "FK001"
    gate = "fk"
    severity = Severity.ERROR
    verified = "every foreign key `[gates.fk] required` names exists and deletes as required"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        from . import config

        contract = IdentityContract(foreign_keys=config(ctx).required)
        return ctx.conn.execute(self.query, {**ctx.params(), **contract.as_json()}).fetchall()
