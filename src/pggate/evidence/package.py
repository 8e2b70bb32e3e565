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

import hashlib
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__
from ..config import Project
from ..errors import ConfigError, PggateError
from ..events import Event
from ..masking import mask_data
from ..results import RunResult, Status, StepResult, count_by_severity

if TYPE_CHECKING:
    from ..migrations.files import MigrationSet

REPORTS = ("report.md", "report.html", "junit.xml", "report.json")
FORMATS = {"md": "report.md", "html": "report.html", "junit": "junit.xml", "json": "report.json"}


def write_json(path: Path, data: Any) -> None:
    """Masked, sorted, indented JSON (stable bytes), replacing ``path`` atomically."""
    temporary = _temporary(path, json_text(data))
    os.replace(temporary, path)


def json_text(data: Any) -> str:
    """The bytes ``write_json`` writes: masked, sorted keys, indented."""
    return json.dumps(mask_data(data), indent=2, sort_keys=True, default=str) + "\n"


def _temporary(path: Path, text: str) -> Path:
    """``text`` in a hidden file next to ``path`` (same file system, so a rename is atomic)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    return temporary


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
            counts=count_by_severity(result.findings),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            complete=True,
        )
        write_json(self.folder / "manifest.json", self.manifest)
        if self._log is not None:
            self._log.close()
            self._log = None
        from .render import render

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
        temporary = _temporary(path, json_text(manifest))
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
                "down": m.down_sql is not None,
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
