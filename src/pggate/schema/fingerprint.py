"""Fingerprint (sha256 of the canonical JSON) and compact storage of snapshots."""

from __future__ import annotations

import hashlib
import json
import zlib
from typing import Any


def canonical(snapshot: dict[str, Any]) -> bytes:
    """The snapshot as canonical JSON bytes: sorted keys, no whitespace."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")


def of(snapshot: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical(snapshot)).hexdigest()


def compress(snapshot: dict[str, Any]) -> bytes:
    """zlib-compressed canonical JSON (what the history row stores)."""
    return zlib.compress(canonical(snapshot), 6)


def decompress(data: bytes) -> dict[str, Any]:
    """The snapshot back from ``compress``."""
    return json.loads(zlib.decompress(bytes(data)))
