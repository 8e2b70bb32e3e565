"""Saved bench baselines: ``.pggate/baselines/<env>/<name>.json``.

A baseline is what ``pggate bench --save NAME`` measured (and what ``stage``
saves before migrating): per query its median, p95, plan nodes and cost, with
the server version and when it was taken, so a comparison can say what it
compares with.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ...errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def folder(root: Path, env: str) -> Path:
    """Where ``env``'s baselines live."""
    from ...config import check_env_name, inside

    return inside(root / ".pggate" / "baselines" / check_env_name(env), root, "the baseline folder")


def path_of(root: Path, env: str, name: str) -> Path:
    """The file of baseline ``name`` (the name is checked: it becomes a file name)."""
    if not _NAME.match(name):
        raise ConfigError(
            f"baseline name {name!r} is not usable as a file name",
            hint="use letters, digits, dots, dashes and underscores",
        )
    return folder(root, env) / f"{name}.json"


def save(root: Path, env: str, name: str, data: dict[str, Any]) -> Path:
    """Write a baseline; its path."""
    path = path_of(root, env, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": name, **data}, indent=2, sort_keys=True) + "\n")
    return path


def load(root: Path, env: str, name: str | None = None) -> dict[str, Any] | None:
    """Baseline ``name``, or the newest one of ``env`` when ``name`` is None (None if there is none)."""
    if name is None:
        saved = sorted(folder(root, env).glob("*.json"), key=lambda p: p.stat().st_mtime)
        if not saved:
            return None
        path = saved[-1]
    else:
        path = path_of(root, env, name)
        if not path.is_file():
            raise ConfigError(
                f"no baseline {name!r} for environment {env!r} ({path})",
                hint=f"save one first: pggate bench --env {env} --save {name}",
            )
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"baseline {path} is not valid JSON: {exc}", hint="delete it and save it again"
        ) from None
