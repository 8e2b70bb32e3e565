"""The example project's RLS, driven by auth.uid() from the JWT claims: each member sees only their organization."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from tests.conftest import REPO
from tests.integration.gates.test_security_verify import example_on

ACME, GLOBEX = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
MEMBERS = {  # user -> (organization, role)
    "00000000-0000-0000-0000-0000000000a1": (ACME, "owner"),
    "00000000-0000-0000-0000-0000000000a2": (ACME, "member"),
    "00000000-0000-0000-0000-0000000000b1": (GLOBEX, "owner"),
    "00000000-0000-0000-0000-0000000000b2": (GLOBEX, "viewer"),
}
BILLING = {"public.customers", "public.invoices", "public.invoice_items"}


@pytest.fixture
def seeded(cli, tmp_path, db_url):
    example = example_on(tmp_path, db_url)
    assert cli("migrate", "--env", "test", cwd=example).exit_code == 0
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute((REPO / "examples" / "saas" / "supabase" / "seed.sql").read_text())
    return db_url


def tenant_tables(conn) -> list[str]:
    rows = conn.execute(
        "select c.table_name as name from information_schema.columns c "
        "join information_schema.tables t using (table_schema, table_name) "
        "where c.table_schema = 'public' and c.column_name = 'organization_id' "
        "and t.table_type = 'BASE TABLE' order by 1"
    ).fetchall()
    return [f"public.{r['name']}" for r in rows]


@pytest.mark.parametrize("legacy", [False, True], ids=["claims-json", "legacy-claim"])
def test_each_member_sees_only_their_organization(seeded, legacy):
    with psycopg.connect(seeded, autocommit=True, row_factory=dict_row) as conn:
        tables = tenant_tables(conn)
        assert len(tables) >= 14
        for user, (org, role) in MEMBERS.items():
            with conn.transaction(force_rollback=True):
                conn.execute("set local role authenticated")
                if legacy:
                    conn.execute("select set_config('request.jwt.claim.sub', %s, true)", (user,))
                else:
                    claims = json.dumps({"sub": user, "role": "authenticated"})
                    conn.execute("select set_config('request.jwt.claims', %s, true)", (claims,))
                for table in tables:
                    query = sql.SQL("select distinct organization_id::text from {}").format(
                        sql.Identifier(*table.split("."))
                    )
                    seen = {r["organization_id"] for r in conn.execute(query).fetchall()}
                    if (
                        table in BILLING
                        and role == "viewer"
                        or table == "public.invitations"
                        and role in ("member", "viewer")
                    ):
                        assert seen == set(), (user, table)  # the role may not read these
                    else:
                        assert seen == {org}, (user, table, seen)
                orgs = [
                    r["id"]
                    for r in conn.execute("select id::text from public.organizations").fetchall()
                ]
                assert orgs == [org]


def test_without_claims_authenticated_sees_nothing_and_members_cannot_write_elsewhere(seeded):
    with psycopg.connect(seeded, autocommit=True, row_factory=dict_row) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("set local role authenticated")
            assert conn.execute("select count(*) as n from public.tasks").fetchone()["n"] == 0
        with conn.transaction(force_rollback=True):
            conn.execute("set local role authenticated")
            conn.execute(
                "select set_config('request.jwt.claims', %s, true)",
                (json.dumps({"sub": "00000000-0000-0000-0000-0000000000a2"}),),
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    "insert into public.projects (organization_id, name) values (%s, 'x')",
                    (GLOBEX,),
                )
        with conn.transaction(force_rollback=True):  # a viewer cannot write in their own org
            conn.execute("set local role authenticated")
            conn.execute(
                "select set_config('request.jwt.claims', %s, true)",
                (json.dumps({"sub": "00000000-0000-0000-0000-0000000000b2"}),),
            )
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(
                    "insert into public.projects (organization_id, name) values (%s, 'x')",
                    (GLOBEX,),
                )


def test_changes_are_audited_with_the_actor(seeded):
    member = "00000000-0000-0000-0000-0000000000a2"
    with psycopg.connect(seeded, autocommit=True, row_factory=dict_row) as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("set local role authenticated")
            conn.execute(
                "select set_config('request.jwt.claims', %s, true)", (json.dumps({"sub": member}),)
            )
            conn.execute(
                "insert into public.projects (organization_id, name) values (%s, 'New')", (ACME,)
            )
            conn.execute("reset role")
            row = conn.execute(
                "select p.created_by::text as created_by, a.actor::text as actor, a.action "
                "from public.projects p join private.audit_log a on a.record_id = p.id::text "
                "where p.name = 'New'"
            ).fetchone()
            assert row == {"created_by": member, "actor": member, "action": "insert"}
