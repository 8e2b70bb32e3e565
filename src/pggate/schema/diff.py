"""A structural, human-readable diff of two snapshots.

+ index public.tasks_tenant_idx
- domain public.positive_int
~ policy public.projects.projects_select: USING changed
"""

from __future__ import annotations

from typing import Any

# Snapshot kind -> the word shown; relations and types say what they are.
_KIND_WORDS = {
    "schemas": "schema",
    "columns": "column",
    "constraints": "constraint",
    "indexes": "index",
    "policies": "policy",
    "functions": "function",
    "triggers": "trigger",
    "sequences": "sequence",
    "extensions": "extension",
}
_RELKINDS = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
}
_TYPE_KINDS = {
    "e": "enum",
    "d": "domain",
    "c": "composite type",
    "r": "range type",
    "m": "multirange type",
}
_FIELD_WORDS = {
    "using": "USING",
    "with_check": "WITH CHECK",
    "acl": "grants",
    "body_md5": "body",
    "rls_enabled": "RLS enabled",
    "rls_forced": "RLS forced",
}


def _word(kind: str, props: dict[str, Any]) -> str:
    if kind == "relations":
        return _RELKINDS.get(props.get("kind", ""), "relation")
    if kind == "types":
        return _TYPE_KINDS.get(props.get("kind", ""), "type")
    return _KIND_WORDS.get(kind, kind)


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Lines ``+ kind name``, ``- kind name``, ``~ kind name: fields changed`` (sorted)."""
    lines = []
    for kind in sorted(set(before) | set(after)):
        old, new = before.get(kind, {}), after.get(kind, {})
        for name in sorted(set(old) | set(new)):
            if name not in old:
                lines.append(f"+ {_word(kind, new[name])} {name}")
            elif name not in new:
                lines.append(f"- {_word(kind, old[name])} {name}")
            elif old[name] != new[name]:
                fields = sorted(
                    f
                    for f in set(old[name]) | set(new[name])
                    if old[name].get(f) != new[name].get(f)
                )
                shown = ", ".join(_FIELD_WORDS.get(f, f) for f in fields)
                lines.append(f"~ {_word(kind, new[name])} {name}: {shown} changed")
    return lines
