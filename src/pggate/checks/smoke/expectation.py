"""The ``-- expect:`` directive of a smoke check, parsed once and judged against what came back::

rows = 0 | rows > 0 | rows >= 3 | rows != 1   the number of rows of the last statement
value = active | value = 'a b' | value = null  the first column of the first row, as text
error 42501                                    the last statement fails with that SQLSTATE
error                                          it fails, whatever the SQLSTATE
(none)                                         the statements run without error
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sqlfiles import SqlFile

_ROWS = re.compile(r"^rows\s*(=|==|!=|<>|>=|<=|>|<)\s*(\d+)$")
_VALUE = re.compile(r"^value\s*(=|==|!=|<>)\s*(.*)$", re.DOTALL)
_ERROR = re.compile(r"^error(?:\s+([0-9A-Z]{5}))?$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@dataclass(frozen=True)
class Outcome:
    """What the last statement did: its rows and first value, or the error it raised."""

    rows: int | None = None
    value: str | None = None
    sqlstate: str | None = None
    error: str | None = None

    def describe(self) -> str:
        """For messages: ``3 rows (first value 'x')`` or ``error 42P01: ...``."""
        if self.sqlstate is not None or self.error is not None:
            return f"error {self.sqlstate or '?'}: {self.error or ''}".strip()
        shown = "null" if self.value is None else repr(self.value)
        return f"{self.rows} row(s), first value {shown}" if self.rows else "0 rows"


@dataclass(frozen=True)
class Expectation:
    """A parsed ``-- expect:``."""

    kind: str  # rows | value | error | ok
    op: str = "="
    operand: str | int | None = None
    text: str = "no error"

    @classmethod
    def of(cls, check: SqlFile) -> Expectation:
        """Parse the file's directive; bad input names the file and line."""
        raw = check.directive("expect")
        if raw is None or not raw.strip():
            return cls("ok")
        text = raw.strip()
        if match := _ROWS.match(text):
            return cls("rows", match.group(1), int(match.group(2)), text)
        if match := _VALUE.match(text):
            operand = match.group(2).strip()
            if len(operand) >= 2 and operand[0] == operand[-1] == "'":
                operand = operand[1:-1].replace("''", "'")
            elif operand.lower() == "null":
                operand = None  # type: ignore[assignment]
            return cls("value", match.group(1), operand, text)
        if match := _ERROR.match(text):
            return cls("error", "=", match.group(1), text)
        raise check.problem(
            "expect",
            f"cannot read expectation {text!r}",
            "write rows = 0, rows > 0, rows = N, value = X or error 42501",
        )

    def met_by(self, outcome: Outcome) -> bool:
        """Whether ``outcome`` satisfies the expectation."""
        failed = outcome.sqlstate is not None or outcome.error is not None
        if self.kind == "error":
            return failed and (self.operand is None or outcome.sqlstate == self.operand)
        if failed:
            return False
        if self.kind == "rows":
            return _OPS[self.op](outcome.rows or 0, self.operand)
        if self.kind == "value":
            equal = outcome.value == self.operand
            return equal if _OPS[self.op] is operator.eq else not equal
        return True
