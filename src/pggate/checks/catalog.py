"""docs/checks.md, generated from the finding catalogue and the gate table.

    python -m pggate.checks.catalog > docs/checks.md      # or: make docs

A test keeps docs/checks.md equal to this output.
"""

from __future__ import annotations

from ..catalogue import CATALOGUE, Entry, aliases
from . import GATES, load_all, splinter

# The steps' families, in the order a ``stage`` run reaches them; the gates come
# between MIG/LNT (validate, migrate) and RBK (the rollback rehearsal).
BEFORE_GATES = (
    ("ENV", "Step `environment` (`pggate check-env`)"),
    ("MIG", "Step `validate` and `migrate`: migration files"),
    ("LNT", "Step `validate`: lock-hazard lints"),
)
AFTER_GATES = (
    ("GATE", "Every gate: one that could not run"),
    ("RBK", "Step `rollback`: the rehearsal (`stage --rehearse-rollback`)"),
)


def _of_family(family: str) -> list[Entry]:
    return sorted((e for e in CATALOGUE.values() if e.family == family), key=lambda e: e.id)


def _of_gate(gate: str) -> list[Entry]:
    return sorted((e for e in CATALOGUE.values() if e.where == gate), key=lambda e: e.id)


def sections() -> list[tuple[str, list[Entry]]]:
    """Every catalogue entry, grouped by the step or gate that reports it, in run order."""
    load_all()
    groups = [(title, _of_family(family)) for family, title in BEFORE_GATES]
    groups += [(f"Gate `{g.name}`: {g.title}", _of_gate(g.name)) for g in GATES]
    groups += [(title, _of_family(family)) for family, title in AFTER_GATES]
    return [(title, entries) for title, entries in groups if entries]


def markdown() -> str:
    """docs/checks.md: an id table, the retired ids, then each id's docs under its step or gate."""
    groups = sections()
    lines = [
        "# Checks",
        "",
        "Every finding id pggate reports, generated from the catalogue (`pggate/catalogue.py`",
        "and the check classes under `pggate/checks/`) by `python -m pggate.checks.catalog`;",
        "do not edit by hand. Ids are stable: never renumbered, never reused.",
        "",
        "| id | reported by | severity | catches |",
        "|---|---|---|---|",
    ]
    for _title, entries in groups:
        for entry in entries:
            lines.append(f"| {entry.id} | {entry.where} | {_severity(entry)} | {entry.title} |")
    retired = aliases()
    if retired:
        lines += [
            "",
            "Retired ids (one fact, one id: these facts are reported under the new id only):",
            "",
            "| retired | now |",
            "|---|---|",
        ]
        lines += [f"| {old} | {new} |" for old, new in sorted(retired.items())]
    for title, entries in groups:
        lines += ["", f"## {title}"]
        for entry in entries:
            lines += ["", f"### {entry.id} ({_severity(entry)})", "", entry.title]
            if entry.docs:
                lines += ["", entry.docs]
            if entry.verified:  # what reports and JUnit name the check by when it passes
                lines += ["", f"**Verified when it finds nothing**: {entry.verified}."]
            lines += ["", f"Tests: `{entry.cases}`" if entry.cases else "Tests: none names it yet."]
    lines += ["", *splinter.markdown()]
    return "\n".join(lines) + "\n"


def _severity(entry: Entry) -> str:
    others = [str(s) for s in entry.severities]
    return str(entry.severity) + (f" ({', '.join(others)} when configured)" if others else "")


if __name__ == "__main__":
    print(markdown(), end="")
