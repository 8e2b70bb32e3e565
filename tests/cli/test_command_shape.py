"""The CLI's shape: every command through one wrapper, every result rendered, GitHub a renderer."""

import ast
import json
from pathlib import Path

from pggate import api
from pggate.cli import app
from pggate.cli.render import RENDERERS
from pggate.results import DiffResult, SchemaResult
from tests.conftest import write_project

SRC = Path(__file__).resolve().parents[2] / "src" / "pggate"


def _result_classes() -> set[str]:
    """Classes under src/ that define both exit_code() and to_dict(): command results."""
    names = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
                if {"exit_code", "to_dict"} <= methods:
                    names.add(node.name)
    return names


def test_every_result_type_has_a_text_renderer():
    missing = _result_classes() - set(RENDERERS)
    assert not missing, f"add a renderer to pggate/cli/render.py RENDERERS for {missing}"


def test_every_command_goes_through_the_one_wrapper():
    plain = [c.name for c in app.registered_commands if not hasattr(c.callback, "pggate_command")]
    assert not plain, f"register these with pggate.cli.command.command: {plain}"
    assert len(app.registered_commands) >= 15


def test_schema_and_diff_return_result_objects(project):
    root = project(migrations={"001_a.sql": "create table a (id int);"})
    api.migrate(root, "test")
    snapshot = api.schema(root, "test")
    assert isinstance(snapshot, SchemaResult)
    assert "public.a" in json.dumps(snapshot.to_dict()["snapshot"])
    same = api.diff(root, "test", "test")
    assert isinstance(same, DiffResult) and same.identical and same.exit_code() == 0


def _bad_project(tmp_path):
    return write_project(tmp_path / "p", migrations={"001_bad.sql": "create tabel x (id int);\n"})


def test_github_annotations_point_at_the_file_in_text_mode(run_pggate, tmp_path):
    root = _bad_project(tmp_path)
    result = run_pggate("validate", cwd=root, env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 2
    assert "::error file=migrations/001_bad.sql,line=1,title=MIG001::" in result.stdout
    plain = run_pggate("validate", cwd=root)
    assert "::error" not in plain.stdout


def test_github_annotations_never_break_the_json_document(run_pggate, project):
    root = project(migrations={"001_bad.sql": "create tabel x (id int);\n"})
    result = run_pggate(
        "stage",
        "--env",
        "test",
        "--yes",
        "--format",
        "json",
        cwd=root,
        env={"GITHUB_ACTIONS": "true"},
    )
    assert result.json()["verdict"] == "NO-GO"
