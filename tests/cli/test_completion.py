"""``pggate completion``: each script really completes in its shell."""

import shutil
import subprocess

import pytest

from pggate.cli import app


def _script(run_pggate, tmp_path, shell: str):
    result = run_pggate("completion", shell)
    assert result.exit_code == 0, result.output
    path = tmp_path / f"pggate.{shell}"
    path.write_text(result.stdout)
    return path


def _shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return found


def _bash_complete(script, *words: str, shell: str = "bash") -> list[str]:
    quoted = " ".join(f"'{w}'" for w in words)
    setup = "setopt ksharrays; " if shell == "zsh" else ""
    program = (
        f"source {script}; {setup}COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        '_pggate; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        [_shell(shell), "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_bash_completes_commands_options_and_values(run_pggate, tmp_path):
    script = _script(run_pggate, tmp_path, "bash")
    assert _bash_complete(script, "pggate", "mig") == ["migrate"]
    assert _bash_complete(script, "pggate", "--env", "staging", "ver") == ["verify"]
    assert "--dry-run" in _bash_complete(script, "pggate", "migrate", "--")
    assert _bash_complete(script, "pggate", "stage", "--format", "") == ["text", "json"]
    assert _bash_complete(script, "pggate", "completion", "f") == ["fish"]


def test_zsh_offers_the_same_words(run_pggate, tmp_path):
    # Under bashcompinit zsh filters by the typed prefix itself: check what is offered.
    script = _script(run_pggate, tmp_path, "zsh")
    top = set(_bash_complete(script, "pggate", "--env", "staging", "ver", shell="zsh"))
    assert {"verify", "migrate", "--format"} <= top and "--dry-run" not in top
    assert "--dry-run" in _bash_complete(script, "pggate", "migrate", "--", shell="zsh")
    assert _bash_complete(script, "pggate", "stage", "--format", "", shell="zsh") == [
        "text",
        "json",
    ]


def test_fish_completes_commands_and_options(run_pggate, tmp_path):
    script = _script(run_pggate, tmp_path, "fish")

    def complete(line: str) -> list[str]:
        done = subprocess.run(
            [_shell("fish"), "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [row.split("\t")[0] for row in done.stdout.splitlines()]

    assert complete("pggate mig") == ["migrate"]
    assert "--dry-run" in complete("pggate migrate --dr")
    assert "--rehearse-rollback" in complete("pggate stage --re")


def test_every_command_is_in_the_script(run_pggate):
    script = run_pggate("completion", "bash").stdout
    for registered in app.registered_commands:
        assert f"        {registered.name})" in script
