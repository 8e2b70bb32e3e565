"""A cheap digest of the catalog rows a schema fingerprint is computed from.

The fingerprint needs a full snapshot (every relation, column, policy and function
deparsed: about 0.09 s on 1000 tables). This digest is one query over the identity and row
version (``xmin``) of the catalog rows the snapshot reads: any DDL inserts, deletes or
writes a new version of at least one of them, so an unchanged digest means an unchanged
schema, while a changed digest only means "look": the caller then takes the snapshot.
Statistics and vacuum update ``pg_class`` in place and leave the digest alone. Role names
are included by value because grants show them and a rename touches no row here.

Each row contributes a 64-bit hash of its catalog, identity and version, summed (no sort,
so the query stays a fraction of the snapshot's cost); a change goes unnoticed only if the hashes
of the old and new rows collide, about one chance in 2**64. The digest is a proof of
"nothing changed" only against a digest taken *before* a snapshot that matched, which is
how ``migrations.status`` uses it.
"""

from __future__ import annotations

from typing import Any

# (catalog, key expression, "user object" filter). Every catalog the snapshot reads, plus
# pg_rewrite (view bodies) and pg_description. Objects initdb created (oids below 16384,
# PostgreSQL's FirstNormalObjectId) are left out as the snapshot leaves out pg_catalog:
# a grant on a built-in function is not schema drift. Other sessions' temporary objects
# are in: they make a check take the snapshot again, which costs time, never a finding.
_CATALOGS = (
    ("pg_namespace", ("oid",), "oid"),
    ("pg_class", ("oid",), "oid"),
    # system columns (attnum < 0) come and go with their table's pg_class row
    ("pg_attribute", ("attrelid", "attnum"), "attnum > 0 and attrelid"),
    ("pg_attrdef", ("oid",), "oid"),
    ("pg_constraint", ("oid",), "oid"),
    ("pg_index", ("indexrelid",), "indexrelid"),
    ("pg_policy", ("oid",), "oid"),
    ("pg_proc", ("oid",), "oid"),
    ("pg_trigger", ("oid",), "oid"),
    ("pg_type", ("oid",), "oid"),
    ("pg_enum", ("oid",), "oid"),
    ("pg_extension", ("oid",), "oid"),
    ("pg_sequence", ("seqrelid",), "seqrelid"),
    ("pg_rewrite", ("oid",), "oid"),
    ("pg_language", ("oid",), "oid"),
    ("pg_collation", ("oid",), "oid"),
    ("pg_depend", ("classid", "objid", "objsubid", "refobjid", "refobjsubid"), "objid"),
    ("pg_description", ("objoid", "classoid", "objsubid"), "objoid"),
)
FIRST_NORMAL_OID = 16384


def _row_hash(position: int, keys: tuple[str, ...]) -> str:
    """A row's 64-bit hash: its catalog (by position), row version and key, chained.

    Integer hashing of the columns themselves: building a text key per row and hashing
    that cost twice as much on a thousand tables (40,000 catalog rows).
    """
    chained = f"hashint8extended(xmin::text::int8, {position})"
    for key in keys:
        chained = f"hashint8extended({key}::int8, {chained})"
    return chained


QUERY = (
    "select count(*) || ':' || coalesce(sum(h), 0) as digest from (\n"
    + "\nunion all\n".join(
        f"select {_row_hash(position, keys)} as h from pg_catalog.{name}"
        f" where {user} >= {FIRST_NORMAL_OID}"
        for position, (name, keys, user) in enumerate(_CATALOGS)
    )
    + "\nunion all\nselect hashtextextended(rolname, oid::int8) from pg_catalog.pg_roles\n) rows"
)


def catalog_digest(conn: Any) -> str:
    """The digest of the catalog as this connection sees it now."""
    return conn.execute(QUERY).fetchone()["digest"]
