"""A real PgBouncer (Debian's ``pgbouncer``) in front of the test server, on a free loopback port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    """Whether the pgbouncer binary is installed (.ci/run installs it)."""
    return Path(PGBOUNCER).is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_address(admin_url: str) -> tuple[str, int]:
    """Host (or Unix socket folder) and port of the test server."""
    parts = urlsplit(admin_url)
    host = parts.hostname or unquote(parse_qs(parts.query).get("host", [""])[0])
    if host.startswith("/"):
        sockets = sorted(Path(host).glob(".s.PGSQL.*"))
        port = int(sockets[0].name.rsplit(".", 1)[1]) if sockets else 5432
        return host, parts.port or port
    return host, parts.port or 5432


@contextmanager
def pgbouncer(admin_url: str, *, mode: str = "transaction", pool_size: int = 3) -> Iterator[int]:
    """Run PgBouncer in ``mode`` in front of the server of ``admin_url``; its port."""
    host, server_port = _server_address(admin_url)
    folder = Path(tempfile.mkdtemp(prefix="pggate-pgbouncer-"))
    port = _free_port()
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={host} port={server_port} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder}/userlist.txt
pool_mode = {mode}
default_pool_size = {pool_size}
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
"""
    )
    command = [PGBOUNCER, str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        from pggate.embedded import _ensure_service_user

        user = _ensure_service_user()
        for path in (folder, *folder.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(folder, 0o755)
        command[1:1] = ["-u", user.pw_name]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (
                    (folder / "pgbouncer.log").read_text()
                    if (folder / "pgbouncer.log").exists()
                    else ""
                )
                raise RuntimeError(f"pgbouncer did not start: {process.stdout.read()!r} {log}")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def via(port: int, database: str) -> str:
    """A URL reaching ``database`` through the pooler on ``port``."""
    return f"postgresql://postgres@127.0.0.1:{port}/{database}"
