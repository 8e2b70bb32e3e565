"""SMK003: a smoke check file that would begin or end a transaction."""

from __future__ import annotations

from ...results import Finding, Severity
from ..base import GateCheck
from ..sqlfiles import SqlFile, transaction_control


class TransactionControl(GateCheck):
    """A smoke check file contains COMMIT, ROLLBACK, BEGIN, SAVEPOINT or SET TRANSACTION.

    **Problem**: smoke checks run inside one transaction that pggate rolls back, so a
    check may delete rows to prove a point. A ``COMMIT`` in the file would commit that
    delete for real (on the environment being staged) and let every later check run in
    autocommit; a ``ROLLBACK`` or ``SAVEPOINT`` would undo or break the isolation between
    checks. The file is not run; the finding names its line.

    **Fix**: remove the transaction control statement: pggate already runs each check in
    its own savepoint and rolls everything back.
    """

    id = "SMK003"
    gate = "smoke"
    severity = Severity.ERROR
    verified = "no smoke check file holds transaction control (each ran inside the rolled-back transaction)"

    @classmethod
    def of(cls, check: SqlFile) -> Finding | None:
        """The finding for ``check``, or ``None`` when it has no transaction control."""
        found = transaction_control(check)
        if not found:
            return None
        return cls().finding(
            check.shown,
            f"{check.name}: not run: transaction control ({'; '.join(found)})",
            "remove it: pggate runs each check in a savepoint and rolls everything back",
            lines=found,
        )
