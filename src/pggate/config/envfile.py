"""Env files (dotenv syntax): values read, secrets registered with ``masking`` at once."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ConfigError
from ..masking import is_secret_key, mask, register_secret, register_url


def parse_env_file(path: Path) -> dict[str, str]:
    """Read a dotenv file: ``KEY=value``, ``export`` prefix, comments, quotes.

    Single quotes are literal; double quotes understand ``\\n``, ``\\"`` and
    ``\\\\`` and may span lines; an unquoted value ends at `` #``. Every value
    under a secret-looking key is registered for masking.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save the env file as UTF-8") from None
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        number, line = index + 1, lines[index].strip()
        index += 1
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
            raise ConfigError(
                f"{path}:{number}: expected KEY=value, got {mask(line)[:60]!r}",
                hint="each line is KEY=value; comments start with #",
            )
        rest = rest.strip()
        if rest[:1] in ("'", '"'):
            quote = rest[0]
            body = rest[1:]
            while not _closes(body, quote):
                if index >= len(lines):
                    raise ConfigError(
                        f"{path}:{number}: the {quote} quote opened for {key} is never closed",
                        hint=f"end the value with {quote}",
                    )
                body += "\n" + lines[index]
                index += 1
            value = _unquote(body, quote)
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        values[key] = value
        if is_secret_key(key):
            register_secret(value)
        if "://" in value:
            register_url(value)
    return values


def _closes(body: str, quote: str) -> bool:
    escaped = False
    for char in body:
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return True
    return False


def _unquote(body: str, quote: str) -> str:
    out, escaped = [], False
    for char in body:
        if escaped:
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(char, char))
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            break
        else:
            out.append(char)
    return "".join(out)
