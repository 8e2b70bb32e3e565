from pathlib import Path

import pytest

from pggate.config import load_project, parse_duration, parse_env_file, resolve_target
from pggate.errors import ConfigError
from pggate.masking import mask


def project_at(tmp_path: Path, toml: str) -> Path:
    (tmp_path / "pggate.toml").write_text(toml)
    return tmp_path


def test_project_found_upwards_from_a_subfolder(tmp_path):
    project_at(tmp_path, "[project]\nmigrations = 'db'\n")
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    project = load_project(start=nested)
    assert project.root == tmp_path.resolve()
    assert project.migrations_dir == tmp_path.resolve() / "db"


def test_missing_project_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_project(start=tmp_path)
    assert "no pggate.toml found" in err.value.message
    assert "pggate init" in err.value.hint


def test_unknown_key_is_named_with_its_path(tmp_path):
    project_at(tmp_path, "[environments.staging]\nconfirmm = true\n")
    with pytest.raises(ConfigError) as err:
        load_project(tmp_path)
    assert "environments.staging.confirmm: unknown key" in err.value.message


def test_wrong_type_is_named(tmp_path):
    project_at(tmp_path, "[environments.staging]\nconfirm = 'sometimes'\n")
    with pytest.raises(ConfigError, match=r"environments\.staging\.confirm"):
        load_project(tmp_path)


def test_malformed_toml_is_a_config_error(tmp_path):
    project_at(tmp_path, "[project\nmigrations = 'x'\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_project(tmp_path)


def test_bad_duration_is_rejected(tmp_path):
    project_at(tmp_path, "[environments.s]\nlock_timeout = 'soon'\n")
    with pytest.raises(ConfigError, match="lock_timeout"):
        load_project(tmp_path)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5.0),
        ("500ms", 0.5),
        ("2min", 120.0),
        ("1h", 3600.0),
        ("3", 3.0),
        ("off", None),
        ("0", None),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


def test_env_file_syntax(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "# a comment\n"
        "\n"
        "export DATABASE_URL='postgresql://u:p@h/db'\n"
        'QUOTED="a \\"b\\" c"\n'
        "PLAIN=value # trailing comment\n"
        "HASH_IN=abc#def\n"
        'MULTI="line1\nline2"\n'
        "EMPTY=\n"
    )
    values = parse_env_file(env)
    assert values == {
        "DATABASE_URL": "postgresql://u:p@h/db",
        "QUOTED": 'a "b" c',
        "PLAIN": "value",
        "HASH_IN": "abc#def",
        "MULTI": "line1\nline2",
        "EMPTY": "",
    }


def test_env_file_bad_line_names_file_and_line(tmp_path):
    env = tmp_path / ".env"
    env.write_text("OK=1\nthis is not an assignment\n")
    with pytest.raises(ConfigError, match=r"\.env:2: expected KEY=value"):
        parse_env_file(env)


def test_env_file_unclosed_quote(tmp_path):
    env = tmp_path / ".env"
    env.write_text("A='never closed\n")
    with pytest.raises(ConfigError, match="never closed"):
        parse_env_file(env)


def test_env_file_secrets_are_registered_for_masking(tmp_path):
    env = tmp_path / ".env"
    env.write_text(
        "SERVICE_ROLE_KEY=sk-verysecretvalue\nDATABASE_URL=postgresql://u:pa%40ss@h/db\n"
    )
    parse_env_file(env)
    assert "sk-verysecretvalue" not in mask("the key is sk-verysecretvalue")
    assert "pa@ss" not in mask("server said pa@ss was wrong")


ENVS = """
[environments.staging]
env_file = ".env.staging"
[environments.ci]
[environments.embedded]
embedded = true
"""


def test_url_from_env_file(tmp_path):
    root = project_at(tmp_path, ENVS)
    (root / ".env.staging").write_text("DATABASE_URL=postgresql://u:pw1234@db/app\n")
    target = resolve_target(load_project(root), "staging", environ={})
    assert target.url == "postgresql://u:pw1234@db/app"
    assert target.source == ".env.staging"
    assert "pw1234" not in target.masked_url


def test_process_variable_serves_an_env_without_file_url(tmp_path):
    root = project_at(tmp_path, ENVS)
    target = resolve_target(load_project(root), "ci", environ={"DATABASE_URL": "postgresql://h/db"})
    assert target.url == "postgresql://h/db"
    assert target.source == "$DATABASE_URL"


def test_file_and_process_disagreeing_is_refused_with_both_masked(tmp_path):
    root = project_at(tmp_path, ENVS)
    (root / ".env.staging").write_text("DATABASE_URL=postgresql://u:filepw99@db/app\n")
    with pytest.raises(ConfigError) as err:
        resolve_target(
            load_project(root),
            "staging",
            environ={"DATABASE_URL": "postgresql://u:procpw99@other/app"},
        )
    assert err.value.exit_code == 2
    text = err.value.message + err.value.hint
    assert "filepw99" not in text and "procpw99" not in text
    assert "db/app" in text and "other/app" in text


def test_file_and_process_agreeing_is_fine(tmp_path):
    root = project_at(tmp_path, ENVS)
    (root / ".env.staging").write_text("DATABASE_URL=postgresql://h/db\n")
    target = resolve_target(
        load_project(root), "staging", environ={"DATABASE_URL": "postgresql://h/db"}
    )
    assert target.url == "postgresql://h/db"


def test_local_without_url_is_embedded(tmp_path):
    root = project_at(tmp_path, ENVS)
    target = resolve_target(load_project(root), "local", environ={})
    assert target.embedded and target.is_local and target.url is None


def test_embedded_flag_with_a_url_in_its_env_file_is_refused(tmp_path):
    root = project_at(tmp_path, ENVS + 'env_file = ".env.embedded"\n')
    (root / ".env.embedded").write_text("DATABASE_URL=postgresql://h/db\n")
    with pytest.raises(ConfigError, match="embedded = true"):
        resolve_target(load_project(root), "embedded", environ={})


@pytest.mark.parametrize("name", ["local", "embedded"])
def test_a_process_url_never_redirects_local_or_embedded(tmp_path, name):
    root = project_at(tmp_path, ENVS)
    target = resolve_target(
        load_project(root), name, environ={"DATABASE_URL": "postgresql://u:pw@elsewhere/db"}
    )
    assert target.embedded and target.url is None
    assert "$DATABASE_URL is set but not used" in target.note
    assert "process_url = true" in target.note


def test_local_uses_the_process_url_when_the_project_opts_in(tmp_path):
    root = project_at(tmp_path, ENVS + "[environments.local]\nprocess_url = true\n")
    target = resolve_target(
        load_project(root), "local", environ={"DATABASE_URL": "postgresql://h/db"}
    )
    assert (target.url, target.source, target.embedded) == (
        "postgresql://h/db",
        "$DATABASE_URL",
        False,
    )
    assert target.from_process and target.note is None


def test_an_env_can_refuse_the_process_url(tmp_path):
    root = project_at(
        tmp_path, ENVS.replace("[environments.ci]", "[environments.ci]\nprocess_url = false")
    )
    with pytest.raises(ConfigError, match="has no database URL"):
        resolve_target(load_project(root), "ci", environ={"DATABASE_URL": "postgresql://h/db"})


def test_env_without_any_url_is_an_error(tmp_path):
    root = project_at(tmp_path, ENVS)
    with pytest.raises(ConfigError, match="has no database URL"):
        resolve_target(load_project(root), "ci", environ={})


def test_missing_env_file(tmp_path):
    root = project_at(tmp_path, ENVS)
    with pytest.raises(ConfigError, match=r"env file .*\.env\.staging.* not found"):
        resolve_target(load_project(root), "staging", environ={})


def test_unknown_environment_lists_known_ones(tmp_path):
    root = project_at(tmp_path, ENVS)
    with pytest.raises(ConfigError) as err:
        resolve_target(load_project(root), "prod", environ={})
    assert "ci, embedded, local, staging" in err.value.hint


def test_not_a_postgres_url(tmp_path):
    root = project_at(tmp_path, ENVS)
    (root / ".env.staging").write_text("DATABASE_URL=mysql://u:pw@h/db\n")
    with pytest.raises(ConfigError, match="not a PostgreSQL URL"):
        resolve_target(load_project(root), "staging", environ={})
