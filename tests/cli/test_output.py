"""What the CLI writes: piped progress lines as they are, many findings of one check in one row."""

import io

import pytest

from pggate.cli.output import Output
from pggate.cli.settings import Format, Settings
from pggate.events import Event


class Piped:
    """stderr as a pipe or a CI log sees it (capsys: isatty() is False)."""

    def __init__(self, capsys):
        self.capsys = capsys

    def getvalue(self) -> str:
        return self.capsys.readouterr().err


@pytest.fixture
def piped_stderr(monkeypatch, capsys):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    return Piped(capsys)


def test_piped_progress_lines_are_written_literally(piped_stderr):
    out = Output(Settings())
    out.emit(
        Event("migrate.progress", "migrating 007_[bold]x[/bold] :smile:", {"total": 3, "done": 1})
    )
    out.emit(Event("migration.applied", "applied quietly", {"important": False}))
    out.emit(Event("migration.note", "array[1] stays"))
    assert piped_stderr.getvalue() == "migrating 007_[bold]x[/bold] :smile:\narray[1] stays\n"


def test_verbose_shows_the_unimportant_lines_and_json_hides_all(piped_stderr):
    Output(Settings(verbose=True)).emit(
        Event("migration.applied", "applied quietly", {"important": False})
    )
    Output(Settings(format=Format.json)).emit(Event("migrate.progress", "migrating", {}))
    assert piped_stderr.getvalue() == "applied quietly\n"


def test_a_warning_is_said_once(piped_stderr):
    out = Output(Settings())
    for _ in range(3):
        out.emit(Event("env.warning", "the pooler is in session mode", {"warning": True}))
    assert piped_stderr.getvalue().count("the pooler is in session mode") == 1


def _shown(table) -> str:
    from rich.console import Console

    console = Console(width=200, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def _many(count: int, hint=lambda i: "wrap each call in a scalar subquery") -> list:
    from pggate.results import Finding, Severity

    return [
        Finding(
            "RLS008", "rls", Severity.WARNING, f"public.t{i:03d}", f"policy p{i} calls it", hint(i)
        )
        for i in range(count)
    ]


def test_many_findings_of_one_check_share_one_row_that_says_so():
    from pggate.cli.render import findings_table
    from pggate.results import Finding, Severity

    other = Finding("RLS001", "rls", Severity.ERROR, "public.tenants", "rls disabled", "enable it")
    shown = _shown(findings_table([*_many(25), other], group_over=20))
    assert (
        "25 objects: public.t000, public.t001, public.t002, public.t003, public.t004, ... (+20)"
        in shown
    )
    assert "e.g. policy p0 calls it" in shown and "hint: wrap each call" in shown
    assert "every one is listed in --format json" in shown
    assert "public.t005" not in shown
    assert "public.tenants" in shown and "rls disabled" in shown  # another check keeps its row


def test_up_to_the_limit_and_by_default_every_finding_has_its_row():
    from pggate.cli.render import findings_table

    assert _shown(findings_table(_many(20), group_over=20)).count("calls it") == 20
    assert _shown(findings_table(_many(25))).count("calls it") == 25  # validate: no grouping


def test_a_group_whose_hints_differ_does_not_pick_one():
    from pggate.cli.render import findings_table

    shown = _shown(findings_table(_many(25, hint=lambda i: f"index t{i}"), group_over=20))
    assert "hints differ per object" in shown and "index t0" not in shown


# ------------------------------------------------------------ the migrate result piped

NAMES = ("001_tasks", "002_a[b]_[dim]x[/dim]", "003_x\\[y] :smile:", "004_é中文")


def _migrate_result(**fields):
    from pggate.migrations.runner import MigrateResult

    applied = tuple(
        {"version": n.split("_")[0], "name": n.split("_", 1)[1], "duration_ms": 2.4 + i}
        for i, n in enumerate(NAMES)
    )
    return MigrateResult("test", "db", "run", **{"applied": applied, "duration_ms": 812.6} | fields)


def _as_rich_printed_it(result, **console) -> str:
    """The migrate result as the renderer printed it through rich markup, before plain lines."""
    from rich.console import Console
    from rich.markup import escape

    buffer = io.StringIO()
    c = Console(file=buffer, highlight=False, **console)
    verb = "would apply" if result.dry_run else "applied"
    for row in result.applied:
        name = escape(f"{row['version']}_{row['name']}")
        c.print(f"  {verb} {name}  [dim]{row['duration_ms']:.0f} ms[/dim]")
    for note in result.notes:
        c.print(f"  [yellow]note:[/yellow] {escape(note)}")
    count = len(result.applied)
    suffix = (
        " (dry run: the SQL ran and held its locks, then was rolled back)" if result.dry_run else ""
    )
    summary = (
        f"{verb} {count} migration(s) in {result.duration_ms:.0f} ms{suffix}"
        if count
        else "nothing to apply"
    )
    c.print(f"[bold]{summary}[/bold]")
    return buffer.getvalue()


RESULTS = {
    "applied": {},
    "dry run with a note": {
        "dry_run": True,
        "notes": ("dry run stops before 005_[big] :x:: it runs outside a transaction",),
    },
    "nothing": {"applied": ()},
}


@pytest.mark.parametrize("fields", RESULTS.values(), ids=RESULTS.keys())
def test_piped_the_migrate_result_is_the_text_rich_printed(fields, capsys, monkeypatch):
    from pggate.cli.render import text

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    result = _migrate_result(**fields)
    text(Output(Settings()), result)
    shown = capsys.readouterr().out
    # Byte for byte what rich printed piped (width 160), but for one thing rich got wrong:
    # it read ":smile:" and ":x:" in names as emoji codes.
    before = _as_rich_printed_it(result, width=160)
    assert shown == before.replace("😄", ":smile:").replace("❌", ":x:")
    assert "😄" in before or not result.applied
    if result.applied:
        assert "  applied 002_a[b]_[dim]x[/dim]  3 ms\n" in shown or result.dry_run
        assert "003_x\\[y] :smile:  4 ms\n" in shown


def test_piped_a_long_line_is_not_wrapped(capsys, monkeypatch):
    from pggate.cli.render import text

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    long = {"version": "001", "name": "x" * 200, "duration_ms": 1.0}
    text(Output(Settings()), _migrate_result(applied=(long,)))
    assert f"  applied 001_{'x' * 200}  1 ms\n" in capsys.readouterr().out


def test_in_a_terminal_the_migrate_result_keeps_its_colours(capsys, monkeypatch):
    from pggate.cli.render import text

    monkeypatch.setenv("FORCE_COLOR", "1")  # rich takes stdout for a terminal
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    result = _migrate_result(**RESULTS["dry run with a note"])
    out = Output(Settings())
    text(out, result)
    shown = capsys.readouterr().out
    before = _as_rich_printed_it(result, width=out.console.width, force_terminal=True)
    assert "\x1b[2m3 ms\x1b[0m" in shown and "\x1b[1mwould apply 4 migration(s)" in shown
    assert shown == before.replace("😄", ":smile:").replace("❌", ":x:")
