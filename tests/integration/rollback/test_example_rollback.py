"""Every version of the example project rolls back to exactly the schema it had (fingerprint and pg_dump)."""

from __future__ import annotations

import difflib

from pggate import api
from pggate.migrations.files import load_folder
from tests.conftest import REPO
from tests.integration.gates.test_security_verify import example_on
from tests.integration.rollback.test_rollback import fingerprint, pg_dump_schema


def test_every_down_of_the_example_restores_the_previous_schema(tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    versions = [
        m.version
        for m in load_folder(REPO / "examples" / "saas" / "supabase" / "migrations").migrations
    ]
    assert len(versions) >= 5
    api.status(example, "test")  # opens a session: installs the Supabase shim, nothing else
    recorded = {"0": (fingerprint(db_url), pg_dump_schema(db_url))}
    for version in versions:
        api.migrate(example, "test", to=version)
        recorded[version] = (fingerprint(db_url), pg_dump_schema(db_url))
    for previous in reversed(["0", *versions[:-1]]):
        result = api.rollback(example, "test", to=previous, confirm=lambda question: True)
        assert result.proof["status"] == "proven", result.proof
        assert fingerprint(db_url) == recorded[previous][0], previous
        dumped = pg_dump_schema(db_url)
        assert dumped == recorded[previous][1], "\n".join(
            difflib.unified_diff(
                recorded[previous][1].splitlines(), dumped.splitlines(), lineterm=""
            )
        )
