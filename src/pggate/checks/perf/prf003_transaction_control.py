"""PRF003: a bench query file that would begin or end a transaction."""

from __future__ import annotations

from ...results import Severity
from ..sqlfiles import TransactionControlCheck


class TransactionControl(TransactionControlCheck):
    """A bench query file contains COMMIT, ROLLBACK, BEGIN, SAVEPOINT or SET TRANSACTION.

    **Problem**: bench queries run inside a transaction that pggate rolls back (each run
    in its own savepoint, so a query that writes sees the same data every time). A
    ``COMMIT`` would make its writes permanent on the environment being measured. The
    file is not measured; the finding names its line.

    **Fix**: remove the transaction control statement; pggate rolls everything back.
    """

    id = "PRF003"
    gate = "perf"
    severity = Severity.ERROR
    verified = "no bench query file holds transaction control (each ran inside the rolled-back transaction)"
    not_done = "measured"
    unit = "query"
