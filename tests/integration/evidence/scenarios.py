"""Three staged runs of the example a reviewer must be able to read: GO, an isolation leak, a
rollback that does not restore the schema. Each returns the evidence folder it wrote."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.gates.test_security_verify import example_on

# A SELECT policy that lets a member read every organization's projects.
LEAK = """create policy projects_peek on public.projects for select to authenticated
  using (organization_id is not null);
-- migrate:down
drop policy projects_peek on public.projects;
"""
# A down that forgets the domain: rolling back leaves it (and its check) behind, and the
# way forward then fails on it.
# Outside a transaction, so what the down did (and forgot) stays and breaks the way forward:
# a transactional one would be undone with its failed proof (docs/rollback.md).
FORGETFUL_DOWN = """-- pggate:no-transaction
create domain public.slug as text check (value ~ '^[a-z0-9-]+$');
create function public.version_label() returns text language sql stable as $$ select 'v2' $$;
-- migrate:down
drop function public.version_label();
"""


def stage(cli, tmp_path: Path, db_url: str, change: str | None = None, *extra: str) -> Path:
    example = example_on(tmp_path, db_url)
    if change is not None:
        (example / "supabase" / "migrations" / "20991231000000_change.sql").write_text(change)
    folder = example / "evidence" / "run"
    result = cli(
        "stage",
        "--env",
        "test",
        "--yes",
        "--rehearse-rollback",
        "--evidence",
        str(folder),
        *extra,
        cwd=example,
    )
    assert result.exit_code == (0 if change is None else 1), result.output
    return folder


def report_json(folder: Path) -> dict:
    return json.loads((folder / "report.json").read_text())


def finding_ids(folder: Path) -> set[str]:
    """Every finding id of every step and gate, as report.json has them."""
    ids = set()
    for step in report_json(folder)["steps"]:
        ids.update(f["check"] for f in step["findings"])
        for gate in step.get("gates", []):
            ids.update(f["check"] for f in gate["findings"])
    return ids
