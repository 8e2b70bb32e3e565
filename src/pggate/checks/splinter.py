"""How pggate's checks cover the Supabase database linter (splinter, ``supabase db lint``).

One row per lint of its public catalogue, security and integrity ones first: the ids that
catch it, and where pggate deliberately judges differently and why. docs/checks.md prints
this table (``markdown()``); a test keeps every id here registered and every lint listed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lint:
    """One splinter lint and pggate's answer to it."""

    number: str
    name: str
    ids: tuple[str, ...]  # pggate ids that catch it (empty: deliberately not covered)
    note: str  # where pggate differs, and why


LINTS: tuple[Lint, ...] = (
    Lint(
        "0001",
        "unindexed_foreign_keys",
        ("FK003",),
        "an index with the key's columns in another order also covers it (the linter "
        "wants them in order); a warning, since every parent delete scans the child",
    ),
    Lint(
        "0002",
        "auth_users_exposed",
        ("VIEW004",),
        "views of either kind and materialized views, read from the rewrite rule's "
        "dependencies; only when anon/authenticated can select the view",
    ),
    Lint(
        "0003",
        "auth_rls_initplan",
        ("RLS008",),
        "any stable or volatile call outside a subquery whose arguments reference no "
        "column, not only auth.*() and current_setting(); policies for roles the API does "
        "not act as are ignored",
    ),
    Lint(
        "0004",
        "no_primary_key",
        ("SCH001",),
        "a warning (the linter says info): PostgREST row addressing and logical "
        "replication need it",
    ),
    Lint(
        "0005",
        "unused_index",
        (),
        "not covered: usage statistics of a freshly migrated database say nothing",
    ),
    Lint(
        "0006",
        "multiple_permissive_policies",
        ("RLS015",),
        "one finding per table and set of policies, listing the roles and commands",
    ),
    Lint(
        "0007",
        "policy_exists_rls_disabled",
        ("RLS014", "RLS001"),
        "an error in an exposed schema, a warning elsewhere",
    ),
    Lint(
        "0008",
        "rls_enabled_no_policy",
        ("RLS003",),
        "a warning (the linter says info): every row is denied to the API, usually a "
        "forgotten policy; only for tables an API role reaches or tenant tables",
    ),
    Lint(
        "0009",
        "duplicate_index",
        ("SCH002",),
        "compared on pg_index (columns, operator classes, collations, options, "
        "expressions, predicate, method, uniqueness), not on text",
    ),
    Lint(
        "0010",
        "security_definer_view",
        ("VIEW001",),
        "an error only when the view exposes rows (its owner bypasses the RLS of a table "
        "it reads, or it reads a table without RLS the API could not read itself), "
        "otherwise a warning; views no API role can select are not reported",
    ),
    Lint(
        "0011",
        "function_search_path_mutable",
        ("FUNC001", "FUNC003"),
        "SECURITY DEFINER functions are an error (FUNC001), invoker ones a warning "
        "(FUNC003); functions an extension owns are not the project's",
    ),
    Lint(
        "0012",
        "auth_allow_anonymous_sign_ins",
        ("RLS019",),
        "only while anonymous sign-ins are on ([gates.rls] anonymous_sign_ins, else "
        "supabase/config.toml or anonymous users in auth.users), on tenant tables, and only "
        "policies that admit every signed-in user without reading who they are: one that "
        "reads the user (auth.uid(), the claims, a helper that does) gives an anonymous user "
        "only what that user was given; the linter flags every policy for authenticated or "
        "public whose USING lacks the literal auth.jwt() ->> 'is_anonymous'",
    ),
    Lint(
        "0013",
        "rls_disabled_in_public",
        ("RLS001",),
        "exposed schemas are read from pgrst.db_schemas, else from USAGE grants to the API "
        "roles; only tables an API role holds a privilege on count, so a plain PostgreSQL "
        "or a revoked table is quiet; an extension's own tables are the extension's (SCH003 "
        "reports the extension in public)",
    ),
    Lint(
        "0014",
        "extension_in_public",
        ("SCH003",),
        "",
    ),
    Lint(
        "0015",
        "rls_references_user_metadata",
        ("RLS007",),
        "policies only for roles the API does not act as are ignored",
    ),
    Lint(
        "0016",
        "materialized_view_in_api",
        ("VIEW003",),
        "only when anon, the actor role or PUBLIC can read it",
    ),
    Lint(
        "0017",
        "foreign_table_in_api",
        ("RLS016",),
        "an error (the linter says warning) when an API role holds a privilege on it: "
        "every remote row is exposed, as for a table without RLS",
    ),
    Lint(
        "0018",
        "unsupported_reg_types",
        ("SCH004",),
        "arrays and domains over those types count too",
    ),
    Lint(
        "0019",
        "insecure_queue_exposed_in_api",
        ("RLS017",),
        "decided by the API roles' privileges on the queue tables, not by schema lists",
    ),
    Lint(
        "0020",
        "table_bloat",
        (),
        "not covered: bloat is a property of a running database's history, not of a migration",
    ),
    Lint(
        "0021",
        "fkey_to_auth_unique",
        ("FK005",),
        "",
    ),
    Lint(
        "0022",
        "extension_versions_outdated",
        ("SCH005",),
        "",
    ),
    Lint(
        "0023",
        "sensitive_columns_exposed",
        ("RLS001",),
        "the RLS001 finding of such a table names its sensitive-looking columns",
    ),
    Lint(
        "0024",
        "permissive_rls_policy",
        ("RLS005",),
        "constants are folded by the server's planner (1 = 1, true or ..., coalesce(true, "
        "...)); an error on tenant tables, a warning for writes elsewhere, quiet for a "
        "public SELECT; an UPDATE with only WITH CHECK (true) grants nothing and is quiet "
        "(the linter flags it), as are policies only for service_role or internal roles",
    ),
    Lint(
        "0025",
        "public_bucket_allows_listing",
        ("RLS018",),
        "",
    ),
    Lint(
        "0026",
        "pg_graphql_anon_table_exposed",
        ("RLS001", "RLS005"),
        "pggate reports the rows anon can reach (RLS001, RLS005, the isolation proof), not "
        "that a table's name shows in GraphQL introspection",
    ),
    Lint(
        "0027",
        "pg_graphql_authenticated_table_exposed",
        ("RLS001", "RLS005"),
        "as 0026, for authenticated",
    ),
    Lint(
        "0028",
        "anon_security_definer_function_executable",
        ("FUNC002",),
        "an error (the linter says warning): anyone on the internet runs it with its "
        "owner's rights; trigger functions, which cannot be called, are not reported",
    ),
    Lint(
        "0029",
        "authenticated_security_definer_function_executable",
        ("FUNC002",),
        "a warning; info when its body reads the caller (auth.uid()/jwt()/role())",
    ),
)


def markdown() -> list[str]:
    """The mapping table, as lines of docs/checks.md."""
    lines = [
        "## The Supabase database linter",
        "",
        "Each lint of the Supabase database linter (splinter: `supabase db lint`, the",
        "dashboard's Security and Performance Advisors) and the pggate ids that catch it.",
        "",
        "| lint | pggate | where pggate differs, and why |",
        "|---|---|---|",
    ]
    for lint in LINTS:
        ids = ", ".join(lint.ids) if lint.ids else "none"
        lines.append(f"| {lint.number} `{lint.name}` | {ids} | {lint.note} |")
    return lines
