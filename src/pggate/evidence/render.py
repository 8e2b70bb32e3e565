"""Render the reports of an evidence package (every format, or the ones asked for)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from ..masking import mask, mask_data
from .reader import FORMATS, Evidence
from .view import ReportView


def render(evidence: Evidence, formats: Iterable[str] = tuple(FORMATS)) -> list[Path]:
    """Write ``report.md``, ``report.html``, ``junit.xml``, ``report.json`` into the package."""
    from . import html, junit, markdown

    renderers = {
        "md": markdown.render,
        "html": html.render,
        "junit": junit.render,
        "json": _json,
    }
    chosen = list(formats)
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown report format(s): {', '.join(unknown)}",
            hint=f"choose from {', '.join(FORMATS)}",
        )
    from .compare import load

    view = ReportView(evidence, load(evidence))
    written = []
    for fmt in chosen:
        path = evidence.folder / FORMATS[fmt]
        path.write_text(mask(renderers[fmt](view)), encoding="utf-8")
        written.append(path)
    return written


def _json(view: ReportView) -> str:
    # The package's own name, not its path: a moved or copied package renders the same.
    data = {**view.run.to_dict(), "evidence_dir": view.evidence.folder.name}
    return json.dumps(mask_data(data), indent=2, sort_keys=True) + "\n"
