"""Static suspicions confirmed by the behavioural proof of the same run.

A static finding is a pattern in the catalog (a policy that is always true, a table without
RLS); the isolation gate really acts as a tenant's member. When both speak of the same
table, the static finding says so, so a reviewer can tell a proven leak from a pattern
match: ``... (confirmed: acting as a member of tenant A, 3 rows of tenant B were read)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..results import Finding, GateResult

# Static check -> the behavioural checks whose finding on the same table proves it.
CONFIRMED_BY = {
    "RLS001": ("RLS010", "RLS011", "RLS012"),
    "RLS005": ("RLS010", "RLS011", "RLS012"),
    "RLS006": ("RLS012", "RLS011"),
}


def confirm(results: Sequence[GateResult]) -> tuple[GateResult, ...]:
    """``results`` with each static finding a behavioural one proves marked ``confirmed``."""
    proofs: dict[tuple[str, str], Finding] = {}
    for result in results:
        if result.gate == "isolation":
            for finding in result.findings:
                proofs.setdefault((finding.check, finding.object), finding)
    if not proofs:
        return tuple(results)
    return tuple(_confirmed(result, proofs) for result in results)


def _confirmed(result: GateResult, proofs: dict[tuple[str, str], Finding]) -> GateResult:
    if result.gate == "isolation":
        return result
    findings = []
    for finding in result.findings:
        proof = next(
            (
                proofs[(check, finding.object)]
                for check in CONFIRMED_BY.get(finding.check, ())
                if (check, finding.object) in proofs
            ),
            None,
        )
        if proof is not None:
            finding = dataclasses.replace(
                finding,
                message=f"{finding.message} (confirmed: {proof.message})",
                details={**finding.details, "confirmed_by": proof.check},
            )
        findings.append(finding)
    return dataclasses.replace(result, findings=tuple(findings))
