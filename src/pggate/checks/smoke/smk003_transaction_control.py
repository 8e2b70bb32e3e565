"""SMK003: a smoke check file that would begin or end a transaction."""

from __future__ import annotations

from ...results import Severity
from ..sqlfiles import TransactionControlCheck


class TransactionControl(TransactionControlCheck):
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
    not_done = "run"
    unit = "check"
