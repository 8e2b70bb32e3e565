"""What the CLI writes for progress events when stderr is piped: each line as it is."""

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
