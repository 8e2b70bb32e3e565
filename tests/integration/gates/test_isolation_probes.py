"""The isolation proof's rows and probes: parents made where needed, a reason for every table
it cannot exercise, probes that cannot contaminate each other, refusals on record, and a
fixed number of catalog queries whatever the number of tables (issue 20)."""

import re

import psycopg
import pytest

from pggate.checks.context import CheckContext
from pggate.checks.isolation import run
from pggate.config import load_project
from pggate.session import open_session
from tests.integration.gates.test_isolation_trust import ACTOR, BASE, checks, prove, scoped
from tests.integration.gates.test_security_isolation import setup_sql


def probes(result, table: str, probe: str) -> list[dict]:
    return [p for p in result.summary["tables"][table]["probes"] if p["probe"] == probe]


def test_a_leaking_probe_is_undone_before_the_next_one(project, db):
    # Deleting a folder of the other tenant leaks, and cascades to its files. Were that delete
    # not rolled back at once, the files' read probe, next, would find nothing and pass.
    db.execute(BASE + scoped("public.tasks"))
    db.execute(
        """
        create table public.a_folders (id int primary key, org_id int not null);
        create table public.b_files (id int primary key, org_id int not null,
                                     folder_id int not null references public.a_folders on delete cascade);
        insert into public.a_folders values (1, 10), (2, 20);
        insert into public.b_files values (1, 10, 1), (2, 20, 2);
        grant select, insert, update, delete on public.a_folders, public.b_files to pggate_trust_actor;
        alter table public.a_folders enable row level security;
        alter table public.a_folders force row level security;
        alter table public.b_files enable row level security;
        alter table public.b_files force row level security;
        create policy folders_read on public.a_folders for select using (true);
        create policy folders_delete on public.a_folders for delete using (true);
        create policy files_read on public.b_files for select using (true);
        """
    )
    result = prove(project, ACTOR)
    found = checks(result)
    assert ("RLS011", "public.a_folders") in found
    assert ("RLS010", "public.b_files") in found
    reads = probes(result, "public.b_files", "read")
    assert {(r["direction"], r["result"]) for r in reads} == {
        ("10 -> 20", "leak"),
        ("20 -> 10", "leak"),
    }
    assert db.execute("select count(*) as n from public.b_files").fetchone()["n"] == 2


def test_a_guard_trigger_refusal_is_recorded_with_its_sqlstate_and_message(project, db):
    config, setup = setup_sql(
        "RLS030", "a guard trigger refusing a cross-tenant insert is a refusal"
    )
    db.execute(setup)
    result = prove(project, config)
    assert not result.findings, result.findings
    inserts = probes(result, "public.tasks", "insert")
    assert len(inserts) == 2  # both directions
    for run_ in inserts:
        assert run_["result"] == "refused"
        assert run_["sqlstate"] == "P0001"
        assert run_["message"] == "trigger: not your tenant"


def test_rows_are_made_with_the_parents_they_need_and_every_probe_says_on_how_many(project, db):
    # Neither tenant has a project or a task: pggate makes a project of each tenant, then a
    # task pointing at it (tasks reach their tenant only through projects).
    db.execute(BASE + scoped("public.tasks"))
    db.execute(
        """
        create table public.projects (id uuid primary key default gen_random_uuid(),
                                      org_id int not null, name text not null,
                                      created_at timestamptz not null default now());
        create table public.todos (id bigint generated always as identity primary key,
                                   project_id uuid not null references public.projects,
                                   title text not null, done boolean not null, due date not null,
                                   weight numeric not null, tags text[] not null,
                                   extra jsonb not null);
        """
    )
    db.execute(scoped("public.projects"))
    db.execute(
        """
        grant select, insert, update, delete on public.todos to pggate_trust_actor;
        alter table public.todos enable row level security;
        alter table public.todos force row level security;
        create policy scoped on public.todos
          using (project_id in (select id from public.projects))
          with check (project_id in (select id from public.projects));
        """
    )
    result = prove(project, ACTOR)
    assert not result.findings, result.findings
    tables = result.summary["tables"]
    for name in ("public.projects", "public.todos"):
        assert tables[name]["rows"] == {"10": "1 synthesized", "20": "1 synthesized"}, name
        assert tables[name]["status"] == "proven"
    assert tables["public.todos"]["tenant"] == "via project_id -> public.projects (column org_id)"
    assert result.summary["proven"] == "proven 3 of 3 tables"
    # per probe: actor, direction, outcome and how many rows it acted on
    for probe in ("read", "update", "delete", "insert", "move"):
        runs = probes(result, "public.todos", probe)
        assert {(r["actor"], r["direction"]) for r in runs} == {
            ("member", "10 -> 20"),
            ("member", "20 -> 10"),
        }
        assert {(r["result"], r["rows"]) for r in runs} == {("refused", 1)}, runs
    # and nothing stayed behind
    assert db.execute("select count(*) as n from public.todos").fetchone()["n"] == 0
    assert db.execute("select count(*) as n from public.projects").fetchone()["n"] == 0


@pytest.mark.parametrize(
    ("ddl", "reason"),
    [
        (
            # a parent that is not tenant-scoped, and empty
            "create table public.kinds (id int primary key);"
            "create table public.items (id int primary key, org_id int not null,"
            " kind_id int not null references public.kinds);",
            "foreign key items_kind_id_fkey needs a row in public.kinds, which is empty",
        ),
        (
            "create table public.items (id int primary key, org_id int not null);"
            "create function public.no_rows() returns trigger language plpgsql as"
            " $$ begin raise exception 'items are made by the importer'; end $$;"
            "create trigger no_rows before insert on public.items"
            " for each row execute function public.no_rows();",
            "items are made by the importer",
        ),
    ],
    ids=["a required parent it cannot build", "a trigger refusing the made row"],
)
def test_a_table_pggate_cannot_make_rows_for_is_unproven_saying_why(project, db, ddl, reason):
    db.execute(BASE + scoped("public.tasks"))
    db.execute(ddl + scoped("public.items"))
    result = prove(project, ACTOR)
    unproven = [f for f in result.findings if f.check == "RLS032"]
    assert [f.object for f in unproven] == ["public.items"], result.findings
    assert reason in unproven[0].message, unproven[0].message
    assert result.summary["tables"]["public.items"]["status"] == "unproven"
    assert result.summary["proven"] == "proven 1 of 2 tables"


def test_parents_overrides_the_inferred_chain(project, db):
    db.execute(BASE + scoped("public.tasks"))
    db.execute(
        """
        create table public.boards (id int primary key, org_id int not null);
        create table public.cards (id int primary key, task_id int not null references public.tasks,
                                   board_id int not null references public.boards);
        """
    )
    db.execute(scoped("public.boards"))
    inferred = prove(project, ACTOR).summary["tables"]["public.cards"]["tenant"]
    assert inferred == "via board_id -> public.boards (column org_id)"  # by constraint name
    toml = ACTOR.replace(
        'column = "org_id"', 'column = "org_id"\nparents = { "public.cards" = "public.tasks" }'
    )
    chosen = prove(project, toml).summary["tables"]["public.cards"]["tenant"]
    assert chosen == "via task_id -> public.tasks (parents)"


@pytest.mark.parametrize(
    ("tenancy", "message"),
    [
        ('table_columns = { "public.tasks" = "team_id" }', "has no such column"),
        ('roots = ["public.pairs"]', "needs a one-column primary key (it has 2)"),
        ('parents = { "public.tasks" = "public.pairs" }', "has no foreign key to that table"),
        ('user_tables = { "public.nope" = "id" }', "not a table in an exposed schema"),
    ],
)
def test_tenancy_mistakes_are_findings_not_crashes(cli, project, db, tenancy, message):
    db.execute(
        BASE
        + scoped("public.tasks")
        + "create table public.pairs (a int, b int, primary key (a, b));"
    )
    root = project(extra_toml=ACTOR.replace('column = "org_id"', f'column = "org_id"\n{tenancy}'))
    result = cli("verify", "--env", "test", "--format", "json", cwd=root)
    assert result.exit_code == 1, result.output
    gates = {g["gate"]: g for g in result.json()["gates"]}
    assert {"rls", "isolation", "views", "functions"} <= set(gates)  # the other gates report
    found = [f for f in gates["isolation"]["findings"] if f["check"] == "RLS013"]
    assert any(message in f["message"] for f in found), found


def test_a_skipped_isolation_gate_says_why_in_text(cli, project, db):
    db.execute("create table public.countries (code text primary key)")
    root = project()
    result = cli("verify", "--env", "test", "--gate", "isolation", cwd=root)
    assert result.exit_code == 0, result.output
    assert re.search(r"gate isolation: SKIP \(no \[tenancy\] in pggate\.toml", result.stdout), (
        result.stdout
    )


_CATALOG = re.compile(r"\bpg_(class|attribute|constraint|policy|trigger|index|depend|proc|roles)\b")


def _catalog_queries(project, db, first: int, last: int, monkeypatch) -> int:
    """Catalog queries of a proof run after adding tables t<first> .. t<last - 1>."""
    for i in range(first, last):
        db.execute(
            f"create table public.t{i} (id int primary key, org_id int not null,"
            f" parent int references public.tasks);" + scoped(f"public.t{i}")
        )
    seen: list[str] = []
    execute = psycopg.Connection.execute

    def counting(self, query, params=None, **kwargs):
        text = query.as_string(self) if hasattr(query, "as_string") else str(query)
        if _CATALOG.search(text):
            seen.append(text)
        return execute(self, query, params, **kwargs)

    root = project(extra_toml=ACTOR)
    proj = load_project(root)
    with open_session(proj, "test") as session:
        monkeypatch.setattr(psycopg.Connection, "execute", counting)
        result = run(CheckContext(session.conn, proj, session=session))
        monkeypatch.undo()
    tables = last + 1
    assert result.summary["proven"] == f"proven {tables} of {tables} tables", result.findings
    return len(seen)


def test_the_proof_reads_the_catalog_a_fixed_number_of_times(project, db, monkeypatch):
    # the same catalog queries for 2 tables as for 6: none per table
    db.execute(BASE + scoped("public.tasks"))
    two = _catalog_queries(project, db, 0, 1, monkeypatch)
    six = _catalog_queries(project, db, 1, 5, monkeypatch)
    assert two == six, (two, six)
