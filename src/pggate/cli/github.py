"""The GitHub Actions renderer: the job summary and annotations on migration files.

Used beside the text or JSON renderer when the command runs in GitHub Actions
(``GITHUB_ACTIONS=true``); outside it, it writes nothing. Annotations are workflow
commands on stdout, so they are written only in text mode: in JSON mode stdout holds
exactly one document.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ..masking import mask


def render(json_mode: bool, result: Any) -> None:
    """Write what GitHub shows for ``result``: the step summary, then the annotations."""
    _summary(result)
    if os.environ.get("GITHUB_ACTIONS") == "true" and not json_mode:
        for line in annotations(result):
            sys.stdout.write(line + "\n")


def annotations(result: Any) -> list[str]:
    """``::error file=...,line=...,title=ID::message`` for each error finding in a file."""
    lines = []
    for finding in getattr(result, "findings", None) or ():
        if finding.file and str(finding.severity) == "error":
            line = f",line={finding.line}" if finding.line else ""
            lines.append(
                f"::error file={_property(finding.file)}{line},title={_property(finding.check)}"
                f"::{_data(finding.message)}"
            )
    return lines


def _summary(result: Any) -> None:
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    evidence_dir = getattr(result, "evidence_dir", None)
    if not summary_file or not evidence_dir:
        return
    from ..evidence import Evidence
    from ..evidence.markdown import summary
    from ..evidence.view import ReportView

    text = summary(ReportView(Evidence.load(evidence_dir)))
    with open(summary_file, "a", encoding="utf-8") as handle:
        handle.write(mask(text) + "\n")


def _data(text: str) -> str:
    # GitHub's escaping for a workflow command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    # A property value (file, title) also must not end the property list early.
    return _data(text).replace(":", "%3A").replace(",", "%2C")
