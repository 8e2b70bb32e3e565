"""A structural, human-readable diff of two snapshots.

Between two major versions of PostgreSQL, ``compare`` shows apart what only the version
explains (PostgreSQL 18's catalog NOT NULL constraints, 17's MAINTAIN privilege, 16's view
definitions without table qualifiers).

+ index public.tasks_tenant_idx
- domain public.positive_int
~ policy public.projects.projects_select: USING changed
"""

from __future__ import annotations

import re
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


# ---------------------------------------------------------------- across major versions

# PostgreSQL 18 records NOT NULL as catalog constraints (contype 'n'); older servers have none,
# and the column's not_null flag says the same on both. PostgreSQL 17 added the MAINTAIN
# privilege ('m'), so ALL on a table reads arwdDxtm there and arwdDxt before.
# PostgreSQL 16's pg_get_viewdef no longer qualifies a column with its table when unambiguous.
NOT_NULL_CONSTRAINTS_SINCE = 18
MAINTAIN_PRIVILEGE_SINCE = 17
VIEWDEF_UNQUALIFIED_SINCE = 16
_QUALIFIER = re.compile(r'(?<![\w$"])(?:[a-z_][a-z0-9_$]*|"(?:[^"]|"")+")\.(?=[a-z_"])')


def normalise(snapshot: dict[str, Any], majors: tuple[int, int]) -> dict[str, Any]:
    """``snapshot`` without what only the newer of two major versions records."""
    low, high = min(majors), max(majors)
    out = {kind: dict(objects) for kind, objects in snapshot.items()}
    if low < NOT_NULL_CONSTRAINTS_SINCE <= high:
        out["constraints"] = {
            key: props
            for key, props in out.get("constraints", {}).items()
            if props.get("type") != "n"
        }
    if low < VIEWDEF_UNQUALIFIED_SINCE <= high:
        relations = out.get("relations", {})
        for key, props in list(relations.items()):
            if props.get("definition"):
                bare = " ".join(_QUALIFIER.sub("", props["definition"]).split())
                relations[key] = {**props, "definition": bare}
    if low < MAINTAIN_PRIVILEGE_SINCE <= high:
        for objects in out.values():
            for key, props in list(objects.items()):
                if props.get("acl"):
                    objects[key] = {
                        **props,
                        "acl": sorted(_without_maintain(a) for a in props["acl"]),
                    }
    return out


def _without_maintain(item: str) -> str:
    grantee, sep, rest = item.rpartition("=")
    privileges, slash, grantor = rest.partition("/")
    privileges = privileges.replace("m*", "").replace("m", "")
    return f"{grantee}{sep}{privileges}{slash}{grantor}"


def compare(
    before: dict[str, Any], after: dict[str, Any], majors: tuple[int | None, int | None]
) -> dict[str, Any]:
    """``diff`` with differences that only a major-version change explains shown apart.

    Returns ``diff`` (real differences), ``version_artefacts`` (lines that disappear once
    both sides are normalised) and, when the majors differ, ``note``.
    """
    raw = diff(before, after)
    known = (majors[0], majors[1])
    if None in known or known[0] == known[1]:
        return {"diff": raw, "version_artefacts": [], "note": None}
    pair = (int(known[0]), int(known[1]))  # type: ignore[arg-type]
    real = diff(normalise(before, pair), normalise(after, pair))
    remaining = list(real)
    artefacts = []
    for line in raw:
        if line in remaining:
            remaining.remove(line)
        else:
            artefacts.append(line)
    note = (
        f"major versions differ ({pair[0]} vs {pair[1]}): {len(artefacts)} difference(s) "
        "are version artefacts"
    )
    return {"diff": real, "version_artefacts": artefacts, "note": note}
