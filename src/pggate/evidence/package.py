"""The evidence package: a folder a reviewer can audit and sign, and reports rebuilt from it.

    evidence/<env>_<YYYYMMDDTHHMMSSZ>/
      manifest.json        run id, env (masked), tool + server versions, files + checksums, step statuses
      steps/NN_<step>.json one result per step (findings, timings)
      schema_before.json   schema_after.json
      run.log              JSON lines
      report.md report.html junit.xml report.json

Everything written goes through ``mask_data`` first: no password, key or token
reaches a file. Reports are rendered from the files alone (``Evidence.load``),
so ``pggate report DIR`` rebuilds exactly what the run wrote.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..config import Project
from ..errors import ConfigError, PggateError
from ..events import Event
from ..masking import mask_data
from ..results import RunResult, StepResult, count_by_severity

REPORTS = ("report.md", "report.html", "junit.xml", "report.json")
FORMATS = {"md": "report.md", "html": "report.html", "junit": "junit.xml", "json": "report.json"}


def write_json(path: Path, data: Any) -> None:
    """Masked, sorted, indented JSON (stable bytes for stable checksums)."""
    path.write_text(json.dumps(mask_data(data), indent=2, sort_keys=True, default=str) + "\n")


class EvidencePackage:
    """Writes one run's package as the run goes."""

    REPORTS = REPORTS

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._log: IO[str] | None = None

    @classmethod
    def create(cls, folder: Path) -> EvidencePackage:
        """Create the folder (refusing one that already holds a package)."""
        if (folder / "manifest.json").exists():
            raise ConfigError(
                f"{folder} already holds an evidence package", hint="pass another --evidence folder"
            )
        (folder / "steps").mkdir(parents=True, exist_ok=True)
        package = cls(folder)
        package._log = (folder / "run.log").open("a", encoding="utf-8")
        return package

    def log(self, event: Event) -> None:
        """Append an event to ``run.log`` (an ``Emit``)."""
        if self._log is not None:
            self._log.write(json.dumps(mask_data(event.to_dict()), default=str) + "\n")
            self._log.flush()

    def write_step(self, number: int, result: StepResult) -> None:
        """``steps/NN_<step>.json``."""
        write_json(self.folder / "steps" / f"{number:02d}_{result.step}.json", result.to_dict())

    def finish(
        self,
        project: Project,
        result: RunResult,
        artifacts: dict[str, Any],
        *,
        target: dict[str, Any],
    ) -> list[Path]:
        """Write the schemas and the manifest, then render every report from the files."""
        for name, data in artifacts.items():
            write_json(self.folder / f"{name}.json", data)
        write_json(self.folder / "manifest.json", _manifest(project, result, target))
        if self._log is not None:
            self._log.close()
            self._log = None
        from .render import render

        return render(Evidence.load(self.folder))


def _manifest(project: Project, result: RunResult, target: dict[str, Any]) -> dict[str, Any]:
    from ..migrations.files import load_folder

    try:
        migrations = [
            {
                "version": m.version,
                "name": m.name,
                "file": m.shown,
                "checksum": m.checksum,
                "down": m.down_sql is not None,
            }
            for m in load_folder(project.migrations_dir, project.root).migrations
        ]
    except PggateError as exc:  # a broken folder is reported by the validate step already
        migrations = [{"error": exc.message}]
    return {
        "run_id": result.run_id,
        "env": result.env,
        "target": target,
        "verdict": result.verdict,
        "exit_code": result.exit_code(),
        "counts": count_by_severity(result.findings),
        "started_at": result.data.get("started_at"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pggate_version": __version__,
        "python_version": sys.version.split()[0],
        "project": project.root.name,
        "git": _git(project.root),
        "migrations": migrations,
        "steps": [
            {
                "step": s.step,
                "status": str(s.status),
                "duration_ms": round(s.duration_ms, 1),
                "file": f"steps/{n:02d}_{s.step}.json",
            }
            for n, s in enumerate(result.steps, 1)
        ],
    }


def _git(root: Path) -> dict[str, Any] | None:
    """The project's commit and whether the checkout has uncommitted changes (None outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


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
            if p.is_file() and p.name not in REPORTS
        )
        return cls(path, manifest, steps, files)

    @property
    def run(self) -> RunResult:
        """The run as a ``RunResult`` (verdict, exit code, findings)."""
        return RunResult(
            self.manifest["run_id"],
            self.manifest["env"],
            self.steps,
            str(self.folder),
            {"started_at": self.manifest.get("started_at")},
        )

    def step(self, name: str) -> StepResult | None:
        """The step called ``name``, if it ran or was recorded."""
        return next((s for s in self.steps if s.step == name), None)

    def schema(self, which: str) -> dict[str, Any] | None:
        """``schema_before`` / ``schema_after`` when the run wrote it."""
        path = self.folder / f"{which}.json"
        return json.loads(path.read_text()) if path.is_file() else None
