"""The operations layer: one session per command, and a held session stays clean between steps."""

from __future__ import annotations

from pggate import api, operations
from pggate.config import load_project
from pggate.session import open_session

NOTES = {
    "001_notes.sql": "create table public.notes (id int primary key);\n"
    "-- migrate:down\ndrop table public.notes;\n",
}


def _connections(events) -> int:
    return [e.kind for e in events].count("server.connected")


def test_each_command_opens_one_session(project):
    root = project(migrations=NOTES)
    for command in (
        lambda emit: api.migrate(root, "test", emit=emit),
        lambda emit: api.status(root, "test", emit=emit),
        lambda emit: api.validate(root, "test", emit=emit),
        lambda emit: api.verify(root, "test", emit=emit),
        # The rollback re-runs the health gates: on its own session, not a second one.
        lambda emit: api.rollback(root, "test", to="0", confirm=lambda _q: True, emit=emit),
    ):
        events = []
        command(events.append)
        assert _connections(events) == 1, [e.kind for e in events]


def test_a_held_session_is_back_to_its_own_settings_after_migrate_and_rollback(project, db):
    root = project(
        migrations=NOTES,
        extra_toml='lock_timeout = "7s"\nstatement_timeout = "9s"\n',  # [environments.test]
    )
    proj = load_project(root)
    mset = operations.migration_set(proj)
    with open_session(proj, "test") as session:

        def settings():
            row = session.conn.execute(
                "select current_setting('lock_timeout') as lock, "
                "current_setting('statement_timeout') as statement, current_user as role"
            ).fetchone()
            return row["lock"], row["statement"], row["role"]

        before = settings()
        operations.migrate(session, mset)
        assert settings() == before  # the runner's 7s / 9s did not stay on the connection
        operations.rollback(session, mset, to="0", confirm=lambda _q: True)
        assert settings() == before
        assert operations.verify(session, ["rls"]).gates[0].gate == "rls"
    assert db.execute("select to_regclass('public.notes') is null as gone").fetchone()["gone"]
