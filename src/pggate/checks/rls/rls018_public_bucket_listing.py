from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...results import Finding, Severity
from ..base import Check
from ..context import CheckContext
from ._truth import truth

# The SELECT policies of storage.objects that apply to an API role (as for the tables of the
# exposed schemas: ``public`` or a role an API role is a member of), with USING as text.
_POLICIES = """
select p.polname as policy, coalesce(pg_get_expr(p.polqual, p.polrelid), '') as using_expr,
       array(select case when r.oid = 0 then 'public' else pg_get_userbyid(r.oid) end
             from unnest(p.polroles) r(oid) order by 1) as roles
from pg_policy p
where p.polrelid = 'storage.objects'::regclass and p.polpermissive and p.polcmd in ('r', '*')
  and p.polqual is not null
  and (0 = any(p.polroles)
       or exists (select 1 from unnest(p.polroles) r(oid), unnest(%(api_role_oids)s::oid[]) a(oid)
                  where pg_has_role(a.oid, r.oid, 'MEMBER')))
order by 1
"""


class PublicBucketListing(Check):
    """Public storage bucket whose ``storage.objects`` policies let clients list its files.

    **Problem**: a public bucket serves each file by its URL without any policy. A SELECT
    policy on ``storage.objects`` for the API roles that matches the bucket's rows adds
    listing: anyone can enumerate every file name in it (and so every URL), which public
    URLs alone never allowed. A policy matches the bucket when its USING is always true or
    names the bucket's id.

    **Fix**: drop the SELECT policy (public URLs keep working), or scope it to the user's own
    folder::

        drop policy "Public read avatars" on storage.objects;
    """

    id = "RLS018"
    gate = "rls"
    severity = Severity.WARNING
    verified = "no public storage bucket can be listed through `storage.objects` policies"

    def rows(self, ctx: CheckContext) -> list[dict[str, Any]]:
        present = ctx.conn.execute(
            "select to_regclass('storage.buckets') is not null"
            " and to_regclass('storage.objects') is not null as present"
        ).fetchone()
        if not present or not present["present"]:
            return []
        buckets = ctx.conn.execute(
            "select id from storage.buckets where public order by id"
        ).fetchall()
        if not buckets:
            return []
        policies = ctx.conn.execute(_POLICIES, ctx.params()).fetchall()
        rows = []
        for bucket in buckets:
            literal = "'" + bucket["id"].replace("'", "''") + "'"
            matching = [
                p["policy"]
                for p in policies
                if truth(ctx, p["using_expr"]) is True or literal in p["using_expr"]
            ]
            if matching:
                rows.append({"bucket": bucket["id"], "policies": matching})
        return rows

    def findings(self, ctx: CheckContext, rows: list[dict[str, Any]]) -> Iterable[Finding]:
        for row in rows:
            policies = ", ".join(row["policies"])
            yield self.finding(
                f"storage bucket {row['bucket']}",
                f"public bucket {row['bucket']} can be listed by API clients through "
                f"storage.objects policies {policies}",
                "drop the SELECT policy (public URLs need none) or scope it to the user's folder",
                policies=row["policies"],
            )
