"""The Supabase shim: installed on local environments only, idempotent, and faithful where it claims to be."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import psycopg
import pytest
from psycopg.rows import dict_row

from pggate.config import load_project
from pggate.events import Collector
from pggate.schema import fingerprint as fp
from pggate.schema.snapshot import take
from pggate.session import open_session
from tests.integration.supabase.helpers import supabase_project

ALICE = "00000000-0000-0000-0000-0000000000a1"


def _open(root, emit=None):
    return open_session(load_project(root), "test", emit=emit or Collector())


def _fingerprint(url: str) -> str:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return fp.of(take(conn, exclude_schemas=["pggate"]))


@pytest.fixture
def shimmed(tmp_path, db_url):
    """The fresh test database with the shim installed (through open_session)."""
    root = supabase_project(tmp_path / "p", db_url)
    with _open(root) as session:
        assert session.shim is not None and session.shim.installed
    return root


def test_installed_on_a_local_environment_and_idempotent(tmp_path, db_url):
    root = supabase_project(tmp_path / "p", db_url)
    events = Collector()
    with _open(root, events) as session:
        assert session.shim.installed
    assert "supabase.shim" in events.kinds()
    before = _fingerprint(db_url)
    with _open(root) as session:
        assert not session.shim.installed  # second run: already in place, nothing changed
    assert _fingerprint(db_url) == before
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        roles = {
            r["rolname"]: r
            for r in conn.execute(
                "select rolname, rolbypassrls, rolcanlogin from pg_roles where rolname = any(%s)",
                (["anon", "authenticated", "service_role", "authenticator", "supabase_admin"],),
            ).fetchall()
        }
        assert set(roles) == {
            "anon",
            "authenticated",
            "service_role",
            "authenticator",
            "supabase_admin",
        }
        assert roles["service_role"]["rolbypassrls"] and not roles["anon"]["rolbypassrls"]
        schemas = {
            r["nspname"] for r in conn.execute("select nspname from pg_namespace").fetchall()
        }
        assert {"auth", "storage", "extensions"} <= schemas
        columns = {
            r["column_name"]
            for r in conn.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'auth' and table_name = 'users'"
            ).fetchall()
        }
        assert {
            "id",
            "email",
            "raw_app_meta_data",
            "raw_user_meta_data",
            "confirmed_at",
            "is_anonymous",
            "encrypted_password",
        } <= columns
        assert conn.execute("show search_path").fetchone()["search_path"] == (
            '"$user", public, extensions'
        )
        installed = conn.execute(
            "select extname from pg_extension e join pg_namespace n on n.oid = e.extnamespace "
            "where n.nspname = 'extensions'"
        ).fetchall()
        assert {"uuid-ossp", "pgcrypto"} <= {r["extname"] for r in installed}
        assert (
            conn.execute(
                "select count(*) as n from pg_publication where pubname = 'supabase_realtime'"
            ).fetchone()["n"]
            == 1
        )
        # Unqualified, through the database's search_path, as Supabase projects call them.
        row = conn.execute(
            "select uuid_generate_v4() is not null as v4, encode(digest('abc', 'sha256'), 'hex') as d, "
            "length(gen_random_bytes(20)) as n"
        ).fetchone()
        assert row == {
            "v4": True,
            "n": 20,
            "d": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        }


def test_never_installed_on_a_non_local_environment(tmp_path, db_url):
    root = supabase_project(tmp_path / "p", db_url, local=False)
    events = Collector()
    with _open(root, events) as session:
        assert session.shim is None
    assert "supabase.shim" not in events.kinds()
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "select to_regnamespace('auth'), to_regnamespace('storage')"
        ).fetchone() == (
            None,
            None,
        )


def test_auth_functions_read_json_and_legacy_claims(shimmed, db_url):
    claims = {
        "sub": ALICE,
        "role": "authenticated",
        "email": "alice@acme.test",
        "app_metadata": {"plan": "pro"},
    }
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        with conn.transaction():
            conn.execute("set local role authenticated")
            conn.execute("select set_config('request.jwt.claims', %s, true)", (json.dumps(claims),))
            row = conn.execute(
                "select auth.uid()::text as uid, auth.role() as role, auth.email() as email, "
                "auth.jwt() -> 'app_metadata' ->> 'plan' as plan"
            ).fetchone()
            assert row == {
                "uid": ALICE,
                "role": "authenticated",
                "email": "alice@acme.test",
                "plan": "pro",
            }
        with conn.transaction():  # PostgREST before v9: one setting per claim
            conn.execute("set local role authenticated")
            for key, value in (("sub", ALICE), ("role", "authenticated"), ("email", "a@b.test")):
                conn.execute("select set_config(%s, %s, true)", (f"request.jwt.claim.{key}", value))
            row = conn.execute(
                "select auth.uid()::text as uid, auth.role() as role, auth.email() as email"
            ).fetchone()
            assert row == {"uid": ALICE, "role": "authenticated", "email": "a@b.test"}
        with conn.transaction():  # no claims at all: anonymous
            conn.execute("set local role anon")
            assert conn.execute("select auth.uid() as uid").fetchone()["uid"] is None


def test_storage_tables_and_helpers(shimmed, db_url):
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        row = conn.execute(
            "select storage.foldername('org/docs/report.final.pdf') as folders, "
            "storage.filename('org/docs/report.final.pdf') as file, "
            "storage.extension('org/docs/report.final.pdf') as ext"
        ).fetchone()
        assert row == {"folders": ["org", "docs"], "file": "report.final.pdf", "ext": "pdf"}
        rls = conn.execute(
            "select relname, relrowsecurity from pg_class where relnamespace = 'storage'::regnamespace "
            "and relkind = 'r' order by 1"
        ).fetchall()
        assert rls == [
            {"relname": "buckets", "relrowsecurity": True},
            {"relname": "objects", "relrowsecurity": True},
        ]
        conn.execute("insert into storage.buckets (id, name) values ('avatars', 'avatars')")
        conn.execute(
            "insert into storage.objects (bucket_id, name) values ('avatars', 'u1/me.png')"
        )
        tokens = conn.execute("select path_tokens from storage.objects").fetchone()["path_tokens"]
        assert tokens == ["u1", "me.png"]


def test_a_real_extension_wins_over_a_stand_in(shimmed, db_url, server_version):
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        comments = {
            r["name"]: r["comment"] or ""
            for r in conn.execute(
                "select name, comment from pg_available_extensions where name in ('pgcrypto', 'plpgsql')"
            ).fetchall()
        }
        assert "STAND-IN" not in comments["plpgsql"]
        if server_version >= 180000:
            path = conn.execute("show extension_control_path").fetchone()["extension_control_path"]
            assert path.startswith("$system:")  # the server's own extensions are searched first
            with conn.transaction():
                conn.execute("set local extension_control_path = '$system'")
                real = conn.execute(
                    "select count(*) as n from pg_available_extensions where name = 'pgcrypto'"
                ).fetchone()["n"]
            assert ("STAND-IN" in comments["pgcrypto"]) == (real == 0)
        else:
            assert "STAND-IN" not in comments["pgcrypto"]  # PostgreSQL 15: contrib's pgcrypto


@pytest.fixture
def standin_server(server_version):
    if server_version < 180000:
        pytest.skip("stand-in extensions need PostgreSQL 18's extension_control_path")


def _is_standin(conn, name: str) -> bool:
    row = conn.execute(
        "select comment from pg_available_extensions where name = %s", (name,)
    ).fetchone()
    return bool(row and "STAND-IN" in (row["comment"] or ""))


def test_unfaithful_stand_ins_raise_a_clear_error(shimmed, db_url, standin_server):
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        if not _is_standin(conn, "pgcrypto"):
            pytest.skip("this server has the real pgcrypto")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as crypt:
            conn.execute("select crypt('secret', gen_salt('bf'))")
        assert "not available in the local pgcrypto stand-in" in str(crypt.value)
        assert "PGGATE_PG_BINDIR" in crypt.value.diag.message_hint
        conn.execute("create extension http with schema extensions")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as http:
            conn.execute("select * from http_get('https://example.com')")
        assert "no real HTTP" in str(http.value)


def test_pgjwt_stand_in_signs_like_the_real_one(shimmed, db_url, standin_server):
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    payload = '{"sub":"1","role":"authenticated"}'
    signables = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(payload.encode())
    expected = (
        signables + "." + b64(hmac.new(b"s3cret", signables.encode(), hashlib.sha256).digest())
    )
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as conn:
        conn.execute("create extension pgjwt with schema extensions")
        token = conn.execute("select sign(%s::json, 's3cret') as t", (payload,)).fetchone()["t"]
        assert token == expected
        row = conn.execute(
            "select valid, payload ->> 'sub' as sub from verify(%s, 's3cret')", (token,)
        ).fetchone()
        assert row == {"valid": True, "sub": "1"}
        assert (
            conn.execute("select valid from verify(%s, 'wrong')", (token,)).fetchone()["valid"]
            is False
        )
        v3 = conn.execute(
            "select uuid_generate_v3(uuid_ns_dns(), 'www.example.com')::text as u"
        ).fetchone()
        assert v3["u"] == "5df41881-3aed-3515-88a7-2f4a814cf09e"  # RFC 4122 / Python's uuid3
