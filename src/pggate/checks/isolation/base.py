"""What the isolation checks share: the gate check shape (the proof runs, each id is kept)."""

from __future__ import annotations

from typing import ClassVar

from ..base import GateCheck


class IsolationCheck(GateCheck):
    """A finding kind of the behavioural proof; running it runs the proof and keeps its id."""

    abstract = True
    gate = "isolation"
    hint_text: ClassVar[str] = ""
