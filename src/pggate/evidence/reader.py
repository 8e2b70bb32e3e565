"""An evidence package's files: their JSON format, and reading a package back.

The writer (``package.EvidencePackage``) and the renderers (``render``, ``compare``) all
use this module and none of them imports the writer, so the reports depend on the files
alone: ``pggate report DIR`` rebuilds exactly what the run wrote.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..masking import mask_data
from ..results import RunResult, Status, StepResult

REPORTS = ("report.md", "report.html", "junit.xml", "report.json")
FORMATS = {"md": "report.md", "html": "report.html", "junit": "junit.xml", "json": "report.json"}


def write_json(path: Path, data: Any) -> None:
    """Masked, sorted, indented JSON (stable bytes), replacing ``path`` atomically."""
    temporary = write_temporary(path, json_text(data))
    os.replace(temporary, path)


def json_text(data: Any) -> str:
    """The bytes ``write_json`` writes: masked, sorted keys, indented."""
    return json.dumps(mask_data(data), indent=2, sort_keys=True, default=str) + "\n"


def write_temporary(path: Path, text: str) -> Path:
    """``text`` in a hidden file next to ``path`` (same file system, so a rename is atomic)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    return temporary


@dataclass(frozen=True)
class Evidence:
    """A package read back from disk: everything a report may show."""

    folder: Path
    manifest: dict[str, Any]
    steps: tuple[StepResult, ...]
    files: tuple[dict[str, Any], ...]  # name, sha256, bytes (reports excluded)

    @classmethod
    def load(cls, folder: str | Path) -> Evidence:
        """Read a package; a folder that is not one is bad input naming what is missing."""
        path = Path(folder)
        manifest_file = path / "manifest.json"
        if not manifest_file.is_file():
            raise ConfigError(
                f"{path} is not an evidence package (no manifest.json)",
                hint="pass the folder pggate stage wrote, e.g. evidence/staging_...",
            )
        try:
            manifest = json.loads(manifest_file.read_text())
            steps = tuple(
                StepResult.from_dict(json.loads(p.read_text()))
                for p in sorted((path / "steps").glob("*.json"))
            )
        except (json.JSONDecodeError, KeyError, ValueError) as exc:
            raise ConfigError(
                f"{path}: damaged evidence file: {exc}",
                hint="the package was edited or truncated; rerun pggate stage",
            ) from None
        files = tuple(
            {
                "name": str(p.relative_to(path)),
                "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
                "bytes": p.stat().st_size,
            }
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.name not in REPORTS and not p.name.startswith(".")
        )
        return cls(path, manifest, steps, files)

    @property
    def complete(self) -> bool:
        """False when the run stopped (killed, crashed) before it finished its package."""
        return bool(self.manifest.get("complete", True))

    @property
    def stopped_during(self) -> str | None:
        """The step an incomplete run was in when it stopped (the first one not recorded)."""
        if self.complete:
            return None
        recorded = {s.step for s in self.steps}
        planned = self.manifest.get("planned_steps", [])
        return next((name for name in planned if name not in recorded), None)

    @property
    def run(self) -> RunResult:
        """The run as a ``RunResult`` (verdict, exit code, findings).

        An incomplete run gets the step it stopped in as an error and the rest as not
        run, so every report of it is a NO-GO that says where it stopped.
        """
        return RunResult(
            self.manifest["run_id"],
            self.manifest["env"],
            (*self.steps, *self._unfinished()),
            str(self.folder),
            {"started_at": self.manifest.get("started_at")},
        )

    def _unfinished(self) -> list[StepResult]:
        stopped = self.stopped_during
        if stopped is None:
            return []
        planned = list(self.manifest.get("planned_steps", []))
        message = (
            f"the run stopped during step {stopped} (the process was killed or crashed) "
            "before it recorded a result; the steps before it are what was proven"
        )
        error = {"error": "RunStopped", "message": message, "exit_code": 1}
        rest = planned[planned.index(stopped) + 1 :]
        reason = f"not run: the run stopped during step {stopped}"
        return [
            StepResult(stopped, Status.ERROR, error=error),
            *(StepResult(name, Status.SKIP, data={"reason": reason}) for name in rest),
        ]

    def step(self, name: str) -> StepResult | None:
        """The step called ``name``, if it ran or was recorded."""
        return next((s for s in self.steps if s.step == name), None)

    def schema(self, which: str) -> dict[str, Any] | None:
        """``schema_before`` / ``schema_after`` when the run wrote it."""
        path = self.folder / f"{which}.json"
        return json.loads(path.read_text()) if path.is_file() else None
