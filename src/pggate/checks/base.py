"""What a check is: a small class with an id, a gate, a severity, a docstring and a query.

    class DefinerWithoutSearchPath(QueryCheck):
        '''SECURITY DEFINER function in an exposed schema without a fixed ``search_path``.

        **Problem**: ...
        **Fix**: ``alter function f() set search_path = ''``
        '''

        id = "FUNC001"
        gate = "functions"
        severity = Severity.ERROR
        query = "select ... as name from pg_proc ..."     # or a sibling func001_*.sql file
        message = "SECURITY DEFINER function {name} has no fixed search_path"
        hint = "alter function {name} set search_path = ''"

The shapes:

- ``QueryCheck``: the common one. A catalog query, one finding per row, its object the
  row's ``name`` and its message and hint the row formatted into ``message`` and ``hint``.
- ``Check``: override ``rows`` (another source) and/or ``findings`` (more than a format).
- ``GateCheck``: a finding kind of a gate that works as a whole (smoke files, bench
  queries, the isolation proof); running the check runs its gate and keeps its id.

Conventions are validated when the class is defined (``__init_subclass__``): the id
pattern, one class per id across the whole finding catalogue, a docstring with
**Problem** and **Fix**, a gate of the gate table (``checks.GATES``) and a severity.
Each check adds its row to the catalogue (``pggate.catalogue``) then.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..catalogue import CATALOGUE, ID_PATTERN, STEP_FAMILIES, Entry, declare
from ..results import Finding, GateResult, Severity
from . import GATE_NAMES, load
from .context import CheckContext

REGISTRY: dict[str, type[Check]] = {}


class Check:
    """Base of every gate check. Subclasses set the class attributes and ``findings``."""

    id: ClassVar[str]
    gate: ClassVar[str]
    severity: ClassVar[Severity]
    query: ClassVar[str | None] = None
    # What a run of this check without findings proves, as reports and JUnit name it
    # ("every exposed table has row-level security enabled"), never the problem it catches.
    verified: ClassVar[str] = ""
    abstract: ClassVar[bool] = False  # intermediate base classes set this
    aliases: ClassVar[tuple[str, ...]] = ()  # retired ids of the same fact (documented only)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        where = f"{cls.__module__}.{cls.__qualname__}"
        check_id = getattr(cls, "id", "")
        match = ID_PATTERN.match(check_id) if isinstance(check_id, str) else None
        if match is None or match["family"] in STEP_FAMILIES:
            raise TypeError(f"{where}: id {check_id!r} must look like RLS001")
        earlier = REGISTRY.get(check_id)
        if earlier is not None and _same_place(earlier, cls):
            CATALOGUE.pop(check_id, None)  # the same module imported again: replace it
        elif check_id in CATALOGUE:
            raise TypeError(f"{where}: id {check_id} already used ({CATALOGUE[check_id].where})")
        if getattr(cls, "gate", None) not in GATE_NAMES:
            gate = getattr(cls, "gate", None)
            raise TypeError(f"{where}: gate {gate!r} is not in the gate table {GATE_NAMES}")
        if not isinstance(getattr(cls, "severity", None), Severity):
            raise TypeError(f"{where}: severity must be a Severity")
        doc = cls.__doc__ or ""
        if "**Problem**" not in doc or "**Fix**" not in doc:
            raise TypeError(f"{where}: docstring must explain **Problem** and **Fix**")
        REGISTRY[check_id] = cls
        declare(
            Entry(
                check_id,
                cls.severity,
                cls.title(),
                cls.doc().partition("\n")[2].strip(),
                cls.gate,
                f"tests/checks/cases/{check_id}.yml",
                aliases=cls.aliases,
                verified=cls.verified,
            )
        )

    # ---------------------------------------------------------------- running

    def sql(self) -> str | None:
        """The catalog query: ``query``, else a sibling ``<module>.sql`` file."""
        if self.query is not None:
            return self.query
        module = __import__(type(self).__module__, fromlist=["__file__"])
        path = Path(module.__file__).with_suffix(".sql")
        return path.read_text() if path.exists() else None

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        """Run the catalog query with ``ctx.params()`` bound (override for other sources)."""
        query = self.sql()
        if query is None:
            return []
        return ctx.conn.execute(query, ctx.params()).fetchall()

    def run(self, ctx: CheckContext) -> list[Finding]:
        """All findings of this check on ``ctx``."""
        return list(self.findings(ctx, self.rows(ctx)))

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        """Turn query rows into findings (override)."""
        raise NotImplementedError

    def finding(
        self,
        obj: str,
        message: str,
        hint: str = "",
        *,
        severity: Severity | None = None,
        file: str | None = None,
        line: int | None = None,
        **details: Any,
    ) -> Finding:
        """A finding of this check (its id, gate and default severity)."""
        return Finding(
            check=self.id,
            gate=self.gate,
            severity=severity or self.severity,
            object=obj,
            message=message,
            hint=hint,
            file=file,
            line=line,
            details={k: v for k, v in details.items() if v is not None},
        )

    @classmethod
    def doc(cls) -> str:
        """The docstring, dedented (for docs/checks.md)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def title(cls) -> str:
        """The docstring's first line: what the check catches, in one line."""
        return cls.doc().splitlines()[0]


def _same_place(a: type[Check], b: type[Check]) -> bool:
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


class QueryCheck(Check):
    """The common shape: a catalog query whose every row is one finding.

    The finding's object is the row's ``name``; its message and hint are ``message`` and
    ``hint`` with the row's columns formatted in (``"{name} has no index"``); the columns
    named in ``details`` go into the finding's details.
    """

    abstract = True
    message: ClassVar[str]
    hint: ClassVar[str] = ""
    details: ClassVar[tuple[str, ...]] = ()

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        """One finding per row."""
        for row in rows:
            yield self.finding(
                row["name"],
                self.message.format(**row),
                self.hint.format(**row),
                **{column: row[column] for column in self.details},
            )


class GateCheck(Check):
    """A check whose findings come from running its whole gate (smoke files, bench queries).

    The gate's ``run(ctx)`` does the work once for all its checks; running one such
    check alone (as the check catalogue tests do) runs the gate and keeps its findings.
    """

    abstract = True

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        """Unused: the gate's run produces the findings."""
        return ()

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The findings of this check from one run of its gate."""
        return [f for f in load(self.gate).run(ctx).findings if f.check == self.id]


def checks_of(gate: str) -> list[type[Check]]:
    """Registered checks of ``gate``, by id (its modules are imported first)."""
    load(gate)
    return sorted((c for c in REGISTRY.values() if c.gate == gate), key=lambda c: c.id)


def run_checks(
    gate: str, ctx: CheckContext, checks: Sequence[type[Check]] | None = None
) -> GateResult:
    """Run a gate's checks (all registered ones by default) and time them."""
    started = time.perf_counter()
    selected = list(checks) if checks is not None else checks_of(gate)
    findings: list[Finding] = []
    for check in selected:
        findings.extend(check().run(ctx))
    return GateResult(
        gate=gate,
        findings=tuple(findings),
        duration_ms=(time.perf_counter() - started) * 1000,
        checks=tuple(c.id for c in selected),
    )
