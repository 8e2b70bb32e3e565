"""The evidence package (``package``) and its reports: one renderer per format.

``EvidencePackage`` writes a run's folder as it goes; ``Evidence.load``
(``reader``) reads one back; ``render`` writes ``report.md``, ``report.html``, ``junit.xml`` and
``report.json`` from what was loaded, never from live state.
"""

from __future__ import annotations

from .package import EvidencePackage
from .reader import FORMATS, REPORTS, Evidence
from .render import render

__all__ = ["FORMATS", "REPORTS", "Evidence", "EvidencePackage", "render"]
