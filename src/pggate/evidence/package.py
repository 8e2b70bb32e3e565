"""The evidence package: a folder a reviewer can audit and sign, and reports rebuilt from it.

    evidence/<env>_<run id>/
      manifest.json        run id, env (masked), tool + server versions, files + checksums, step statuses
      steps/NN_<step>.json one result per step (findings, timings)
      schema_before.json   schema_after.json
      run.log              JSON lines
      report.md report.html junit.xml report.json

Everything written goes through ``mask_data`` first: no password, key or token
reaches a file. Reports are rendered from the files alone (``Evidence.load``),
so ``pggate report DIR`` rebuilds exactly what the run wrote.

The manifest is the package's claim and its table of contents: it is created
first, atomically and exclusively (``os.link`` of a complete file, so two runs
can never share a folder), and rewritten after every step (write, then rename).
A run killed at any moment leaves a package whose manifest says ``complete:
false`` and lists the steps recorded so far; it renders as an incomplete NO-GO
showing what was proven before it stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..config import Project
from ..errors import ConfigError, PggateError
from ..events import Event
from ..masking import mask_data
from ..results import RunResult, StepResult
from .reader import FORMATS, REPORTS, Evidence, json_text, write_json, write_temporary
from .render import render

if TYPE_CHECKING:
    from ..migrations.files import MigrationSet

__all__ = ["FORMATS", "REPORTS", "Evidence", "EvidencePackage", "json_text", "write_json"]


class EvidencePackage:
    """Writes one run's package as the run goes: manifest first, then a step at a time."""

    REPORTS = REPORTS

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self._log: IO[str] | None = None

    @classmethod
    def create(
        cls,
        folder: Path,
        project: Project,
        *,
        run_id: str,
        env: str,
        started: str,
        steps: Any,
        migrations: MigrationSet | None = None,
    ) -> EvidencePackage:
        """Claim ``folder`` for this run by creating its manifest; refuse one holding another run.

        ``migrations``: the run's migration files (read here only when the run has none).
        """
        folder.mkdir(parents=True, exist_ok=True)
        manifest = _first_manifest(
            project, run_id=run_id, env=env, started=started, steps=steps, mset=migrations
        )
        _claim(folder, manifest)
        (folder / "steps").mkdir(exist_ok=True)
        package = cls(folder, manifest)
        package._log = (folder / "run.log").open("a", encoding="utf-8")
        return package

    def log(self, event: Event) -> None:
        """Append an event to ``run.log`` (an ``Emit``)."""
        if self._log is not None:
            self._log.write(json.dumps(mask_data(event.to_dict()), default=str) + "\n")
            self._log.flush()

    def write_step(
        self, number: int, result: StepResult, *, target: dict[str, Any] | None = None
    ) -> None:
        """``steps/NN_<step>.json``, then the manifest listing it (each replaced atomically)."""
        name = f"steps/{number:02d}_{result.step}.json"
        write_json(self.folder / name, result.to_dict())
        self.manifest["steps"].append(_step_entry(result, name))
        if target is not None:
            self.manifest["target"] = target
        write_json(self.folder / "manifest.json", self.manifest)

    def finish(
        self,
        result: RunResult,
        artifacts: dict[str, Any],
        *,
        target: dict[str, Any],
        previous: Path | None = None,
    ) -> list[Path]:
        """Write the schemas and the complete manifest, then render every report from the files.

        With ``previous`` (the last package of the same environment), the reports show
        what changed since then (``compare.json``).
        """
        for name, data in artifacts.items():
            write_json(self.folder / f"{name}.json", data)
        self.manifest.update(
            target=target,
            verdict=result.verdict,
            exit_code=result.exit_code(),
            counts=result.counts(),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            complete=True,
        )
        write_json(self.folder / "manifest.json", self.manifest)
        if self._log is not None:
            self._log.close()
            self._log = None
        evidence = Evidence.load(self.folder)
        if previous is not None:
            from .compare import compare, save

            save(evidence, compare(evidence, Evidence.load(previous)))
            evidence = Evidence.load(self.folder)
        return render(evidence)


def _claim(folder: Path, manifest: dict[str, Any]) -> None:
    """Create ``manifest.json`` complete and only if absent: ``link`` fails when it exists."""
    path = folder / "manifest.json"
    leftover = (
        sorted(p.name for p in (folder / "steps").glob("*.json"))
        if (folder / "steps").is_dir()
        else []
    )
    if not leftover:
        temporary = write_temporary(path, json_text(manifest))
        try:
            os.link(temporary, path)
            return
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    raise ConfigError(
        f"{folder} already holds an evidence package",
        hint="pass another --evidence folder (or none: each run gets evidence/<env>_<run id>)",
    )


def _step_entry(result: StepResult, file: str) -> dict[str, Any]:
    return {
        "step": result.step,
        "status": str(result.status),
        "duration_ms": round(result.duration_ms, 1),
        "file": file,
    }


def _first_manifest(
    project: Project,
    *,
    run_id: str,
    env: str,
    started: str,
    steps: Any,
    mset: MigrationSet | None = None,
) -> dict[str, Any]:
    """What is known before the first step: the run, the tools, the files; no step yet."""
    return {
        "run_id": run_id,
        "env": env,
        "target": {"name": env},
        "complete": False,
        "planned_steps": list(steps),
        "started_at": started,
        "pggate_version": __version__,
        "python_version": sys.version.split()[0],
        "project": project.root.name,
        "git": _git(project.root),
        "migrations": _migrations(project, mset),
        "steps": [],
    }


def _migrations(project: Project, mset: MigrationSet | None) -> list[dict[str, Any]]:
    from ..migrations.files import load_folder

    try:
        if mset is None:
            mset = load_folder(project.migrations_dir, project.root)
        return [
            {
                "version": m.version,
                "name": m.name,
                "file": m.shown,
                "checksum": m.checksum,
                "down": m.has_down,
            }
            for m in mset.migrations
        ]
    except PggateError as exc:  # a broken folder is reported by the validate step already
        return [{"error": exc.message}]


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
