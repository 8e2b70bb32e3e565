"""``stage`` compares with the previous package of the same environment by default."""

from pggate import pipeline
from tests.conftest import write_project


def test_a_second_stage_shows_what_changed_since_the_first(tmp_path, db_url):
    root = write_project(
        tmp_path / "p",
        url=db_url,
        extra_toml='\n[tenancy]\nexposed_schemas = ["public"]\n',
        migrations={
            "20240101000000_notes.sql": "create table public.notes (id int primary key);\n"
            "-- migrate:down\ndrop table public.notes;\n"
        },
    )
    first = pipeline.stage(root, "test")
    assert "RLS001" in {f.check for f in first.findings}
    (root / "migrations" / "20240102000000_notes_rls.sql").write_text(
        "alter table public.notes enable row level security;\n"
        "-- migrate:down\nalter table public.notes disable row level security;\n"
    )
    second = pipeline.stage(root, "test")
    report = (root / "evidence" / f"test_{second.run_id}" / "report.md").read_text()
    section = report[report.index("## Changes since the previous run") :]
    section = section[: section.index("\n## ")]
    assert f"Compared with run `{first.run_id}`" in section
    fixed = section.split("**Fixed findings**")[1].split("**")[0]
    assert "RLS001 on public.notes" in fixed
    added = section.split("**Migrations added**")[1].split("**")[0]
    assert "20240102000000 notes_rls" in added
    first_report = (root / "evidence" / f"test_{first.run_id}" / "report.md").read_text()
    assert "## Changes since the previous run" not in first_report  # nothing before it
