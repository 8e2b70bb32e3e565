"""The README's command tour lists every command and every option it takes."""

import re
from pathlib import Path

import typer.main

from pggate.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"
SHARED = {"--project", "--env", "--format", "--yes", "--verbose", "--help"}


def _tour_rows() -> list[str]:
    text = README.read_text()
    tour = text.split("## A tour of the commands", 1)[1].split("\n## ", 1)[0]
    return [line for line in tour.splitlines() if line.startswith("| `pggate")]


def _options(command) -> set[str]:
    return {
        name
        for param in command.params
        for name in (*param.opts, *param.secondary_opts)
        if name.startswith("--")
    } - SHARED


def test_every_command_and_option_is_in_the_tour():
    rows = _tour_rows()
    group = typer.main.get_command(app)
    missing = {}
    for name, command in sorted(group.commands.items()):
        row = next((r for r in rows if re.search(rf"`pggate {re.escape(name)}\b", r)), None)
        if row is None:
            missing[name] = "no row"
            continue
        absent = sorted(o for o in _options(command) if o not in row)
        if absent:
            missing[name] = absent
    assert not missing, f"README.md tour: add {missing}"


def test_the_readme_stands_alone():
    text = README.read_text()
    assert "../shared" not in text and "DESIGN.md" not in text
    for link in re.findall(r"\]\(([^)#]+)\)", text):
        if not link.startswith("http"):
            assert (README.parent / link).exists(), f"README links to missing {link}"
