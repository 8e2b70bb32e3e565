"""Migrations without down sections (every Supabase project): the rehearsal says it does not apply,
and derived downs roll back for real, proven by fingerprint."""

from __future__ import annotations

import json

import psycopg

from tests.integration.gates.test_security_verify import example_on


def strip_downs(example) -> list[str]:
    """Remove every down section from the example's files, as Supabase writes them."""
    stripped = []
    for path in sorted((example / "supabase" / "migrations").glob("*.sql")):
        text = path.read_text()
        if "-- migrate:down" in text:
            path.write_text(text.split("-- migrate:down")[0])
            stripped.append(path.name)
    return stripped


def _applied(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        return conn.execute("select count(*) from pggate.schema_migrations").fetchone()[0]


def test_rehearsal_without_downs_is_not_applicable_not_no_go(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert len(strip_downs(example)) == 7
    folder = example / "evidence" / "run"
    result = cli(
        "stage",
        "--env",
        "test",
        "--yes",
        "--rehearse-rollback",
        "--evidence",
        str(folder),
        cwd=example,
    )
    assert result.exit_code == 0, result.output
    step = json.loads((folder / "steps" / "08_rollback.json").read_text())
    assert step["status"] == "skip"
    assert step["data"]["reason"].startswith("not applicable: 7 migration(s)")
    assert "backup" in step["data"]["recommendation"]
    assert [f["check"] for f in step["findings"]] == ["RBK003"]
    assert _applied(db_url) == 7  # nothing was rolled back


def _versions(example) -> list[str]:
    return sorted(p.name.split("_")[0] for p in (example / "supabase/migrations").glob("*.sql"))


def test_derived_downs_roll_the_example_back_to_each_version_proven(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    strip_downs(example)
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    versions = _versions(example)
    refused = cli("rollback", "--env", "test", "--to", versions[-2], "--yes", cwd=example)
    assert refused.exit_code == 2 and "no down section" in refused.output
    for target in [*reversed(versions[:-1]), "0"]:
        result = cli(
            "rollback",
            "--env",
            "test",
            "--to",
            target,
            "--derive-downs",
            "--yes",
            "--format",
            "json",
            cwd=example,
        )
        assert result.exit_code == 0, (target, result.output)
        data = result.json()
        assert data["proof"]["status"] == "proven", (target, data["proof"])
        assert _applied(db_url) == len([v for v in versions if v <= target])
