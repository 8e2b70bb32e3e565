"""What a check is: a small class with an id, a gate, a severity, a docstring and a query.

    class RlsDisabled(Check):
        '''Tenant-scoped or exposed table without row-level security.

        **Problem**: ...
        **Fix**: ``alter table t enable row level security;``
        '''

        id = "RLS001"
        gate = "rls"
        severity = Severity.ERROR
        query = "select ... from pg_class ..."        # or a sibling rls001_*.sql file

        def findings(self, ctx, rows):
            for row in rows:
                yield self.finding(row["table"], "RLS is not enabled", hint="...")

Conventions are validated when the class is defined (``__init_subclass__``):
the id pattern, one class per id, a docstring with **Problem** and **Fix**,
a known gate and a severity. ``run_gate`` runs a gate's checks and times them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from ..results import Finding, GateResult, Severity
from .context import CheckContext

GATES = (
    "rls",
    "isolation",
    "views",
    "functions",
    "identity",
    "traceability",
    "fk",
    "schema",
    "smoke",
    "perf",
)
ID_PATTERN = re.compile(r"^(RLS|VIEW|FUNC|FK|SCH|ID|TRC|SMK|PRF)\d{3}$")

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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("abstract", False):
            return
        where = f"{cls.__module__}.{cls.__qualname__}"
        if not ID_PATTERN.match(getattr(cls, "id", "")):
            raise TypeError(f"{where}: id {getattr(cls, 'id', None)!r} must look like RLS001")
        if cls.id in REGISTRY and REGISTRY[cls.id].__qualname__ != cls.__qualname__:
            raise TypeError(f"{where}: id {cls.id} already used by {REGISTRY[cls.id].__module__}")
        if getattr(cls, "gate", None) not in GATES:
            raise TypeError(f"{where}: gate {getattr(cls, 'gate', None)!r} not one of {GATES}")
        if not isinstance(getattr(cls, "severity", None), Severity):
            raise TypeError(f"{where}: severity must be a Severity")
        doc = cls.__doc__ or ""
        if "**Problem**" not in doc or "**Fix**" not in doc:
            raise TypeError(f"{where}: docstring must explain **Problem** and **Fix**")
        REGISTRY[cls.id] = cls

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
            details={k: v for k, v in details.items() if v is not None},
        )

    @classmethod
    def doc(cls) -> str:
        """The docstring, dedented (for docs/checks.md)."""
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")


class GateCheck(Check):
    """A check whose findings come from running its whole gate (smoke files, bench queries).

    The gate's ``run(ctx)`` does the work once for all its checks; running one such
    check alone (as the check catalogue tests do) runs the gate and keeps its findings.
    """

    abstract = True

    def run(self, ctx: CheckContext) -> list[Finding]:
        """The findings of this check from one run of its gate."""
        import importlib

        gate = importlib.import_module(f"pggate.checks.{self.gate}")
        return [f for f in gate.run(ctx).findings if f.check == self.id]


def checks_of(gate: str) -> list[type[Check]]:
    """Registered checks of ``gate``, by id."""
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


def iter_ids(gates: Iterable[str] = GATES) -> Iterator[str]:
    """Every registered check id of ``gates``."""
    for gate in gates:
        for check in checks_of(gate):
            yield check.id
