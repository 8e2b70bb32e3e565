"""Names in hints are SQL a person can paste: bare when PostgreSQL reads them so, else quoted."""

import pytest

from pggate.db import grant_role, sql_name


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("owner_only", "owner_only"),
        ("app$1", "app$1"),
        ("Owner", '"Owner"'),
        ("user", '"user"'),  # reserved
        ("left", '"left"'),  # reserved as a type or function name
        ("my-role", '"my-role"'),
        ('we"ird', '"we""ird"'),
        ("1st", '"1st"'),
    ],
)
def test_sql_name(name, shown):
    assert sql_name(name) == shown


def test_grant_role_lists_every_role():
    assert grant_role("Ci Bot", "authenticated", "anon") == 'grant authenticated, anon to "Ci Bot"'
