"""Fingerprint (sha256 of the canonical JSON) and compact storage of snapshots.

A fingerprint names the snapshot format it was taken in: ``v2:sha256:<hex>``. Those
recorded before formats were versioned read ``sha256:<hex>`` (format 1). Fingerprints of
two formats are never compared: the same schema snapshots differently in each, so a
difference would say nothing about the schema.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from typing import Any


def canonical(snapshot: dict[str, Any]) -> bytes:
    """The snapshot as canonical JSON bytes: sorted keys, no whitespace."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def of(snapshot: dict[str, Any]) -> str:
    """``v<format>:sha256:<hex>`` of the canonical JSON."""
    from .snapshot import FORMAT

    return f"v{FORMAT}:sha256:" + hashlib.sha256(canonical(snapshot)).hexdigest()


def format_of(fingerprint: str) -> int | None:
    """The snapshot format a fingerprint was taken in (1 for unversioned ``sha256:``)."""
    if fingerprint.startswith("sha256:"):
        return 1
    found = re.match(r"v(\d+):", fingerprint)
    return int(found.group(1)) if found else None


def comparable(fingerprint: str) -> bool:
    """Whether ``fingerprint`` was taken in this version's snapshot format."""
    from .snapshot import FORMAT

    return format_of(fingerprint) == FORMAT


def other_format(fingerprint: str) -> str:
    """Why a fingerprint of another format is not compared, for messages."""
    from .snapshot import FORMAT

    return (
        f"it was recorded in snapshot format {format_of(fingerprint) or 'unknown'} (an earlier "
        f"pggate) and this pggate takes format {FORMAT}: the two cannot be compared"
    )


def compress(snapshot: dict[str, Any]) -> bytes:
    """zlib-compressed canonical JSON (what the history row stores)."""
    return zlib.compress(canonical(snapshot), 6)


def decompress(data: bytes) -> dict[str, Any]:
    """The snapshot back from ``compress``."""
    return json.loads(zlib.decompress(bytes(data)))
