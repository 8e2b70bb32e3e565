from __future__ import annotations

from ...results import Severity
from ._base import ContractCheck


class RequiredTableMissing(ContractCheck):
    """A table the identity contract requires does not exist.

    **Problem**: ``[gates.identity] tables`` lists the tables the identity model stands on
    (profiles, organizations, memberships); one is missing, so sign-up, membership checks
    and every policy that joins it break.

    **Fix**: create the table in a migration (or fix its name in the contract).
    """

    id = "ID001"
    severity = Severity.ERROR
    verified = "every table of the identity contract exists"
    query = "select t as name from jsonb_array_elements_text(%(tables)s::jsonb) t where to_regclass(t) is null order by 1"
    message = "required table {name} does not exist"
    hint = "create {name} in a migration"
