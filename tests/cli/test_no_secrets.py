"""A planted password never appears in any output of any command, success or failure."""

from urllib.parse import urlsplit, urlunsplit

from tests.conftest import write_project

PLANTED = "Zx9-Planted-Secret"


def url_with_password(db_url: str) -> str:
    parts = urlsplit(db_url)
    if parts.hostname is None:  # embedded server over a socket
        return db_url.replace("postgres@", f"postgres:{PLANTED}@", 1)
    netloc = f"{parts.username or 'postgres'}:{PLANTED}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


def test_every_command_masks_the_password(run_pggate, tmp_path, db_url):
    root = write_project(
        tmp_path / "p",
        url=url_with_password(db_url),
        migrations={
            "001_a.sql": "create table a (id int);\n-- migrate:down\ndrop table a;",
            "002_bad.sql": "select 1/0;\n-- migrate:down\nselect 1;",
        },
    )
    runs = [
        ("check-env",),
        ("validate", "--env", "test"),
        ("status",),
        ("migrate", "--to", "1"),
        ("migrate",),
        ("schema",),
        ("verify",),
        ("rollback", "--to", "0", "--yes"),
    ]
    for args in runs:
        for extra in ((), ("--format", "json"), ("-v",)):
            command = [*args, *extra]
            if "--env" not in command:
                command += ["--env", "test"]
            result = run_pggate(*command, cwd=root)
            assert PLANTED not in result.output, (command, result.output)
    assert not (root / ".pggate" / "local").exists()  # no embedded server was started
    assert PLANTED not in (root / ".pggate" / "cache" / "parse.json").read_text()
