"""An actor granted some columns only is probed with the columns it may use, never judged by a
``permission denied`` its own probe caused (``GRANT SELECT (id, name) ON t``).

A row is then addressed by a key the actor may read instead of ``ctid`` (a system column
only table-level SELECT covers); an UPDATE probe sets a column the actor may update and
read. Where no such key exists the table is unproven, saying why: never a pass, never a
leak or refusal the probe made up. DELETE is the exception: ``DELETE`` with no ``WHERE``
needs no SELECT, so it runs, and the connecting role counts which rows it removed.
"""

from tests.integration.gates.test_isolation_trust import ACTOR, BASE, checks, prove, scoped

CONTACTS = """
create table public.contacts (id int primary key, org_id int not null, name text not null,
                              email text);
insert into public.contacts values (1, 10, 'a', 'a@x'), (2, 20, 'b', 'b@x');
alter table public.contacts enable row level security;
alter table public.contacts force row level security;
grant insert, delete on public.contacts to pggate_trust_actor;
"""

SCOPED = """
create policy scoped on public.contacts using (org_id in (select private.my_orgs()))
  with check (org_id in (select private.my_orgs()));
"""

# every row for reading and updating; inserts, moves and deletes stay scoped
LEAKY = """
create policy read_all on public.contacts for select using (true);
create policy update_all on public.contacts for update using (true) with check (true);
create policy ins on public.contacts for insert with check (org_id in (select private.my_orgs()));
create policy del on public.contacts for delete using (org_id in (select private.my_orgs()));
"""


def contacts(result) -> dict:
    return result.summary["tables"]["public.contacts"]


def by_probe(result, probe: str) -> list[dict]:
    return [p for p in contacts(result)["probes"] if p["probe"] == probe]


def test_column_select_is_proven_on_a_readable_key_and_the_job_is_possible(project, db):
    db.execute(BASE + scoped("public.tasks") + CONTACTS + SCOPED)
    db.execute(
        "grant select (id, org_id, name), update (name) on public.contacts to pggate_trust_actor"
    )
    result = prove(project, ACTOR)
    assert not [f for f in result.findings if f.object == "public.contacts"], result.findings
    assert contacts(result)["status"] == "proven"
    # the probes ran and were refused by the policy: no row, not a permission error
    for probe in ("read", "update", "delete"):
        runs = by_probe(result, probe)
        assert len(runs) == 2, runs  # both directions
        assert {(r["result"], r.get("sqlstate")) for r in runs} == {("refused", None)}, runs
    # the positive path: it sees, updates, deletes and inserts its own rows
    for command in ("select", "update", "delete", "insert"):
        assert {r["result"] for r in by_probe(result, f"own {command}")} == {"ok"}, command


def test_a_leak_through_granted_columns_is_found(project, db):
    db.execute(BASE + scoped("public.tasks") + CONTACTS + LEAKY)
    db.execute(
        "grant select (id, org_id, name), update (name) on public.contacts to pggate_trust_actor;"
        "grant select (id, name) on public.contacts to pggate_trust_anon;"
        "create policy anon_reads on public.contacts for select to pggate_trust_anon using (true);"
    )
    result = prove(project, ACTOR)
    found = {c for c, obj in checks(result) if obj == "public.contacts"}
    assert {"RLS010", "RLS011"} <= found, result.findings
    reads = [f for f in result.findings if f.check == "RLS010" and f.object == "public.contacts"]
    assert any("anon" in f.message for f in reads), [f.message for f in reads]
    assert {r["result"] for r in by_probe(result, "read")} == {"leak"}
    assert {r["result"] for r in by_probe(result, "update")} == {"leak"}
    assert {r["result"] for r in by_probe(result, "anon read")} == {"leak"}
    # moving a row needs UPDATE on org_id, which the actor does not hold: a real refusal
    assert {(r["result"], r.get("sqlstate")) for r in by_probe(result, "move")} == {
        ("refused", "42501")
    }


def test_without_a_readable_key_the_table_is_unproven_and_says_why(project, db):
    db.execute(BASE + scoped("public.tasks") + CONTACTS + LEAKY)
    db.execute("grant select (name, email), update (name) on public.contacts to pggate_trust_actor")
    result = prove(project, ACTOR)
    found = [f for f in result.findings if f.object == "public.contacts"]
    assert {f.check for f in found} == {"RLS032"}, found
    message = found[0].message
    assert "may read only columns name, email of public.contacts" in message, message
    assert "no key it may read" in message, message
    assert contacts(result)["status"] == "unproven"
    assert {r["result"] for r in by_probe(result, "read")} == {"unproven"}
    # never a made-up refusal or an impossible job
    assert not [f for f in result.findings if f.check == "RLS031"]


def test_delete_granted_without_any_select_is_probed_blind(project, db):
    # No statement of the actor's can name a row (a WHERE needs SELECT), but `delete from
    # contacts` needs none: it runs, and the connecting role counts what it removed
    db.execute(BASE + scoped("public.tasks") + CONTACTS + SCOPED)
    result = prove(project, ACTOR)
    runs = by_probe(result, "delete")
    assert len(runs) == 2 and {r["result"] for r in runs} == {"refused"}, runs
    assert all("DELETE with no WHERE" in r["message"] for r in runs), runs
    assert {r["result"] for r in by_probe(result, "own delete")} == {"ok"}
    # reading: no SELECT privilege at all, so the refusal is real
    assert {(r["result"], r.get("sqlstate")) for r in by_probe(result, "read")} == {
        ("refused", "42501")
    }
    assert not [f for f in result.findings if f.object == "public.contacts"], result.findings
    assert contacts(result)["status"] == "proven"
    # the blind deletes were rolled back
    assert db.execute("select count(*) as n from public.contacts").fetchone()["n"] == 2


def test_a_blind_delete_that_reaches_the_other_tenant_is_a_leak(project, db):
    db.execute(BASE + scoped("public.tasks") + CONTACTS + LEAKY)  # del is scoped in LEAKY
    db.execute(
        "drop policy del on public.contacts;"
        "create policy del_all on public.contacts for delete using (true);"
    )
    result = prove(project, ACTOR)
    assert {r["result"] for r in by_probe(result, "delete")} == {"leak"}
    leaks = [f for f in result.findings if f.check == "RLS011" and f.object == "public.contacts"]
    assert leaks and "deleted 1 of 1 row(s)" in leaks[0].message, result.findings
    assert db.execute("select count(*) as n from public.contacts").fetchone()["n"] == 2


def test_a_blind_delete_stopped_by_a_key_proves_nothing(project, db):
    # The foreign key may protect the actor's own row: whose rows the DELETE reached is
    # unknown, so the direction is unproven, never "refused"
    db.execute(BASE + scoped("public.tasks") + CONTACTS + SCOPED)
    db.execute(
        "create table public.notes (id int primary key, contact_id int references "
        "public.contacts (id));"
        "insert into public.notes values (1, 1), (2, 2);"
    )
    result = prove(project, ACTOR)
    runs = by_probe(result, "delete")
    assert {r["result"] for r in runs} == {"unproven"}, runs
    assert all("stopped by a constraint" in r["message"] for r in runs), runs
    assert contacts(result)["status"] == "unproven"


def test_a_blind_delete_whose_rows_cannot_all_be_counted_is_unproven(project, db, monkeypatch):
    # Where the connecting role cannot see every row it would count (a forced policy that
    # applies to it too), what the DELETE removed is unknown: unproven, never "refused".
    # Stood in for here by a row address that matches nothing.
    from pggate.checks.isolation.probe import Prober

    rows = Prober._rows

    def with_a_ghost(self, table, side):
        found = rows(self, table, side)
        return [*found, "(4242,1)"] if table.name == "public.contacts" else found

    monkeypatch.setattr(Prober, "_rows", with_a_ghost)
    db.execute(BASE + scoped("public.tasks") + CONTACTS + SCOPED)
    result = prove(project, ACTOR)
    for probe in ("delete", "own delete"):
        runs = by_probe(result, probe)
        assert {r["result"] for r in runs} == {"unproven"}, runs
        assert all("sees 1 of the 2 row(s)" in r["message"] for r in runs), runs
    assert contacts(result)["status"] == "unproven"


def test_a_composite_key_or_a_unique_column_names_rows_too(project, db):
    db.execute(BASE + scoped("public.tasks"))
    db.execute(
        """
        create table public.lines (org_id int not null, n int not null, secret text, note text,
                                   primary key (org_id, n));
        insert into public.lines values (10, 1, 's', 'a'), (20, 1, 's', 'b');
        create table public.badges (id int primary key, code text not null unique,
                                    org_id int not null, secret text);
        insert into public.badges values (1, 'x1', 10, 's'), (2, 'x2', 20, 's');
        """
    )
    for table in ("public.lines", "public.badges"):
        db.execute(
            f"alter table {table} enable row level security;"
            f"alter table {table} force row level security;"
            f"create policy read_all on {table} for select using (true);"
        )
    db.execute(
        "grant select (org_id, n, note) on public.lines to pggate_trust_actor;"
        "grant select (code, org_id) on public.badges to pggate_trust_actor;"
    )
    result = prove(project, ACTOR)
    leaks = {obj for c, obj in checks(result) if c == "RLS010"}
    assert leaks == {"public.lines", "public.badges"}, result.findings
    sample = next(f for f in result.findings if f.check == "RLS010" and f.object == "public.badges")
    assert sample.details["sample_key"] in ("x1", "x2")  # the key it may read, not the id
    assert not [f for f in result.findings if f.check == "RLS032"], result.findings
