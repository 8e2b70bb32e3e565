"""The isolation proof as a matrix: tenant tables x probes, each cell an outcome.

The gate's summary says, per table, what each probe did. A cell is either the
short text the gate recorded (``"ok (0 rows)"``, ``"LEAK (2 row(s))"``,
``"not run: ..."``) or a mapping with whatever the gate measured (``outcome`` or
``status``, ``rows``, ``actor``, ``key``, ``reason``); both are read here, so the
report shows every detail the gate carries without knowing its exact shape.

A table is *proven* only when every probe ran and held; a probe that did not run
makes the table "not proven", never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..results import Finding

PROBES = ("read", "update", "delete", "insert", "move")
# Which check a probe's leak is reported by (for "not proven" next to the check's row).
PROBE_CHECK = {
    "read": "RLS010",
    "update": "RLS011",
    "delete": "RLS011",
    "insert": "RLS012",
    "move": "RLS012",
}
PASS, LEAK, NOT_RUN, ERROR, NA = "pass", "leak", "not-run", "error", "n-a"
_KEY_FIELDS = ("key", "leaked_key", "sample_key")


@dataclass(frozen=True)
class Cell:
    """One probe on one table."""

    probe: str
    outcome: str  # pass / leak / not-run / error
    text: str  # what the cell shows, short and unbreakable ("ok · 0 rows")
    detail: str = ""  # the rest: reason, actor, rows, key


@dataclass(frozen=True)
class Row:
    """One tenant table: its cells and whether the table is proven isolated."""

    table: str
    cells: tuple[Cell, ...]
    key: str | None = None  # one leaked row's key
    rows: str = ""  # the rows probed, per tenant, when the gate says
    unproven: bool = False  # the gate itself says the table is not proven

    @property
    def outcome(self) -> str:
        """``leak`` if any probe leaked, ``error``/``not-run`` if any did not hold, else ``pass``."""
        outcomes = {c.outcome for c in self.cells}
        for worst in (LEAK, ERROR, NOT_RUN):
            if worst in outcomes:
                return worst
        return NOT_RUN if self.unproven else PASS

    @property
    def label(self) -> str:
        """``LEAK`` / ``NOT PROVEN`` / ``PROVEN``."""
        return {LEAK: "LEAK", PASS: "PROVEN"}.get(self.outcome, "NOT PROVEN")


@dataclass(frozen=True)
class IsolationView:
    """The proof: who acted, between which tenants, and the matrix."""

    actor: str
    tenants: tuple[str, ...]
    probes: tuple[str, ...]
    rows: tuple[Row, ...]
    total: int  # tenant tables that should have been proven
    unprobed: tuple[str, ...] = ()  # tenant tables the gate names as not probed at all
    leaks: tuple[tuple[str, str, str], ...] = field(default=())  # (table, check, key)
    notes: tuple[str, ...] = ()  # what the gate says about the proof as a whole
    labels: tuple[tuple[str, str], ...] = ()  # ("A", tenant id) when cells say A and B

    @property
    def tenants_text(self) -> list[str]:
        """``A = 0000...0a`` per tenant when labelled, else the tenant ids."""
        return [f"{label} = {tenant}" for label, tenant in self.labels] or list(self.tenants)

    @property
    def proven(self) -> int:
        """Tables every probe ran on and held."""
        return sum(1 for r in self.rows if r.outcome == PASS)

    @property
    def coverage(self) -> str:
        """``proven 14 of 15 tables``."""
        return f"proven {self.proven} of {self.total} table(s)"

    def not_proven(self, check: str) -> list[str]:
        """Tables where a probe belonging to ``check`` did not run or failed to run."""
        return [
            r.table
            for r in self.rows
            if any(
                c.outcome in (NOT_RUN, ERROR) and PROBE_CHECK.get(c.probe) == check for c in r.cells
            )
        ]


def isolation_view(summary: dict[str, Any], findings: list[Finding]) -> IsolationView | None:
    """The matrix of an isolation gate's summary, or None when nothing was probed."""
    tables = _tables(summary.get("tables"))
    if not tables:
        return None
    probes = _probe_order(tables)
    keys = _leaked_keys(findings)
    rows = [_row(table, entry, probes, keys) for table, entry in tables.items()]
    unprobed = tuple(str(t) for t in summary.get("unprobed") or summary.get("not_probed") or ())
    coverage = summary.get("coverage") if isinstance(summary.get("coverage"), dict) else {}
    total = int(
        summary.get("tenant_tables")
        or coverage.get("tables")
        or coverage.get("total")
        or len(rows) + len(unprobed)
    )
    leaks = [(f.object, f.check, str(_finding_key(f))) for f in findings if _finding_key(f)]
    for row in rows:  # a key the gate recorded on the probe itself, when no finding carries one
        leaked = next((c for c in row.cells if c.outcome == LEAK), None)
        if row.key and leaked and all(t != row.table for t, _, _ in leaks):
            leaks.append((row.table, PROBE_CHECK.get(leaked.probe, leaked.probe), row.key))
    view = IsolationView(
        actor=_actors(summary),
        tenants=tuple(str(t) for t in summary.get("tenants") or ()),
        probes=probes,
        rows=tuple(sorted(rows, key=lambda r: (_rank(r.outcome), r.table))),
        total=total,
        unprobed=unprobed,
        leaks=tuple(leaks),
        notes=tuple(str(n) for n in summary.get("notes") or ()),
    )
    return _labelled(view)


def _labelled(view: IsolationView) -> IsolationView:
    """Long tenant ids (UUIDs) shown as A, B, ... in cells, details and notes (named once)."""
    if not view.tenants or all(len(t) <= 8 for t in view.tenants) or len(view.tenants) > 26:
        return view
    labels = {t: chr(ord("A") + i) for i, t in enumerate(view.tenants)}

    def short(text: str) -> str:
        for tenant, label in labels.items():
            text = text.replace(tenant, label)
        return _UUID.sub(lambda m: "…" + m.group(0)[-4:], text)  # other ids: their tail

    rows = tuple(
        replace(
            row,
            cells=tuple(replace(c, text=short(c.text), detail=short(c.detail)) for c in row.cells),
            rows=short(row.rows),
        )
        for row in view.rows
    )
    return replace(
        view,
        rows=rows,
        notes=tuple(short(n) for n in view.notes),
        labels=tuple((label, tenant) for tenant, label in labels.items()),
    )


_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

# Keys of a table's entry that describe the table, not a probe.
_META = frozenset({"tenant", "status", "rows", "own", "probes", "actor", "key", "table", "name"})


def _tables(tables: Any) -> dict[str, dict[str, Any]]:
    """``{table: entry}`` from a mapping or a list of ``{"table": name, ...}``."""
    if isinstance(tables, list):
        tables = {str(t.get("table") or t.get("name")): t for t in tables if isinstance(t, dict)}
    if not isinstance(tables, dict):
        return {}
    out = {}
    for name, entry in tables.items():
        if isinstance(entry, dict) and isinstance(entry.get("probes"), dict):
            entry = {**entry, **entry["probes"]}  # {"probes": {"read": ...}}
        out[str(name)] = entry if isinstance(entry, dict) else {}
    return out


def _is_probe(name: str, value: Any) -> bool:
    if name in _META:
        return False
    if isinstance(value, dict):
        return any(k in value for k in ("outcome", "status", "result"))
    return isinstance(value, str)


def _row(table: str, entry: dict[str, Any], probes: tuple[str, ...], keys: dict[str, str]) -> Row:
    runs = [p for p in entry.get("probes", []) if isinstance(p, dict)]  # every run, when listed
    cells = tuple(_with_runs(_cell(p, entry.get(p)), runs) for p in probes)
    unproven = str(entry.get("status", "")).lower() in ("unproven", "not proven", "error")
    key = keys.get(table) or next((_key(entry.get(p)) for p in probes if _key(entry.get(p))), None)
    return Row(table, cells, key, _rows_text(entry.get("rows")), unproven)


def _with_runs(cell: Cell, runs: list[dict[str, Any]]) -> Cell:
    """Add what the probe's runs say (actor, direction, rows, message) to a cell that did not hold."""
    mine = [r for r in runs if r.get("probe") == cell.probe]
    if not mine or cell.outcome in (PASS, NA):
        return cell
    said = [_run_text(r) for r in mine if str(r.get("result", "")).lower() not in _HELD]
    # The runs say more than the combined cell text they were summed up into.
    detail = "; ".join(dict.fromkeys(said)) if said else cell.detail
    return Cell(cell.probe, cell.outcome, cell.text, detail)


_HELD = ("refused", "ok", "blocked", "n/a")


def _run_text(run: dict[str, Any]) -> str:
    """``leak by owner (A -> B): 1 row(s)``."""
    who = " ".join(
        str(x)
        for x in (run.get("actor"), f"({run['direction']})" if run.get("direction") else None)
        if x
    )
    what = run.get("message") or (f"{run['rows']} row(s)" if run.get("rows") is not None else "")
    head = str(run.get("result") or "?") + (f" by {who}" if who else "")
    return head + (f": {what}" if what else "")


def _rows_text(rows: Any) -> str:
    """The rows probed per tenant (``a: found, b: synthesized``), or a count."""
    if isinstance(rows, dict):
        return ", ".join(f"{tenant}: {origin}" for tenant, origin in rows.items())
    return "" if rows is None else str(rows)


def _actors(summary: dict[str, Any]) -> str:
    actors = summary.get("actors")
    if isinstance(actors, list) and actors:
        names = []
        for actor in actors:
            if isinstance(actor, dict):
                name = str(actor.get("name") or actor.get("role") or "?")
                role = actor.get("role")
                names.append(f"{name} ({role})" if role and role != name else name)
            else:
                names.append(str(actor))
        return ", ".join(dict.fromkeys(names))
    return str(summary.get("actor") or "-")


def _rank(outcome: str) -> int:
    return {LEAK: 0, ERROR: 1, NOT_RUN: 2, PASS: 3}.get(outcome, 4)  # worst rows first


def _probe_order(tables: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    """The probes any table has, the standard ones first in their order."""
    used = {name for entry in tables.values() for name, v in entry.items() if _is_probe(name, v)}
    extra = sorted(used - set(PROBES))
    return tuple(p for p in (*PROBES, *extra) if p in used)


def _cell(probe: str, value: Any) -> Cell:
    if value is None:
        return Cell(probe, NOT_RUN, "not run", "the gate recorded nothing for this probe")
    if isinstance(value, dict):
        return _cell_of_mapping(probe, value)
    return _cell_of_text(probe, str(value))


def _cell_of_text(probe: str, text: str) -> Cell:
    lowered = text.strip().lower()
    if lowered.startswith("leak"):
        return Cell(probe, LEAK, _compact(text), text)
    if lowered.startswith(("not run", "skip", "unproven")) or lowered in ("-", ""):
        reason = text.split(":", 1)[1].strip() if ":" in text else ""
        shown = "unproven" if lowered.startswith("unproven") else "not run"
        return Cell(probe, NOT_RUN, shown, reason or text.strip())
    if lowered.startswith(("error", "impossible")):
        return Cell(probe, ERROR, _compact(text), text)
    if lowered == "n/a":
        return Cell(probe, NA, "n/a", "the probe does not apply to this table")
    # A probe that held shows its outcome word; the counts behind it go to the tooltip.
    word = re.split(r"[\s(]", text.strip(), maxsplit=1)[0]
    return Cell(probe, PASS, word if word != text.strip() else text.strip(), _compact(text))


def _cell_of_mapping(probe: str, value: dict[str, Any]) -> Cell:
    raw = str(value.get("outcome") or value.get("status") or value.get("result") or "")
    outcome = _outcome(raw)
    parts = []
    if value.get("rows") is not None:
        parts.append(f"{value['rows']} row(s)")
    if value.get("sqlstate"):
        parts.append(str(value["sqlstate"]))
    text = " · ".join([_word(outcome, raw), *parts])
    detail = []
    for name in ("actor", "tenant", "reason", "message"):
        if value.get(name):
            detail.append(f"{name}: {value[name]}")
    if _key(value):
        detail.append(f"leaked key: {_key(value)}")
    return Cell(probe, outcome, text, "; ".join(detail))


def _outcome(raw: str) -> str:
    lowered = raw.lower()
    if lowered in ("leak", "leaked", "fail", "failed"):
        return LEAK
    if lowered.startswith("not") or lowered in ("skip", "skipped", "not-run", "unproven"):
        return NOT_RUN
    if lowered in ("error", "impossible"):
        return ERROR
    if lowered == "n/a":
        return NA
    return PASS


def _word(outcome: str, raw: str) -> str:
    return {LEAK: "LEAK", NOT_RUN: "not run", ERROR: "error", NA: "n/a"}.get(
        outcome, raw.lower() or "ok"
    )


def _compact(text: str) -> str:
    """``ok (0 rows)`` -> ``ok · 0 rows``: no parenthesis to wrap at."""
    return re.sub(r"\s*\((.*)\)$", r" · \1", text)


def _key(value: Any) -> str | None:
    if isinstance(value, dict):
        for name in _KEY_FIELDS:
            if value.get(name) is not None:
                return str(value[name])
    return None


def _finding_key(finding: Finding) -> str | None:
    for name in _KEY_FIELDS:
        if finding.details.get(name) is not None:
            return str(finding.details[name])
    return None


def _leaked_keys(findings: list[Finding]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for finding in findings:
        key = _finding_key(finding)
        if key is not None:
            keys.setdefault(finding.object, key)
    return keys
