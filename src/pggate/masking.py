"""Secret masking: the one function every renderer, log handler and error printer uses.

Two layers, because either alone leaks:

* patterns that look secret wherever they appear (a URL's password, a
  ``password=`` conninfo pair, a JWT, ``KEY=value`` for secret-looking keys);
* values pggate has read from env files and URLs (``register_secret``), masked
  verbatim and percent-decoded, since a server error may echo them back in
  any shape.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

MASK = "****"

_SECRET_KEY = re.compile(r"(PASSWORD|PASSWD|PWD|SECRET|KEY|TOKEN|CREDENTIAL)", re.IGNORECASE)
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<at>@)", re.I
)
_URL_PASSWORD_GREEDY = re.compile(r"\b[a-z][a-z0-9+.-]*://[^:/@\s]*:(?P<pw>\S*)@", re.I)
_CONNINFO_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.I)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
# Env-style assignments only (upper case), so "sample_keys: ..." in a message survives.
_ASSIGNMENT = re.compile(
    r"(?P<key>\b[A-Z_][A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|KEY|TOKEN)[A-Z0-9_]*)"
    r"(?P<sep>\s*[=:]\s*)(?P<val>\"[^\"]*\"|'[^']*'|\S+)"
)
# Keys of JSON data whose values are secrets; narrower than env keys ("primary_key" is not one).
_SECRET_DATA_KEY = re.compile(
    r"(password|passwd|secret|token|api_?key|private_key|service_key)", re.I
)
_MIN_SECRET_LENGTH = 4  # masking "a" everywhere would wreck every message

_known: set[str] = set()


def is_secret_key(key: str) -> bool:
    """Whether an env-file key names a secret (``*PASSWORD*``, ``*KEY*``, ...)."""
    return bool(_SECRET_KEY.search(key))


def register_secret(value: str | None) -> None:
    """Remember a secret so ``mask`` hides it wherever it shows up later."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    _known.update({value, unquote(value), quote(value, safe="")})


def register_url(url: str | None) -> None:
    """Remember the password of a database URL, if it has one."""
    if not url:
        return
    match = _URL_PASSWORD.search(url)
    if match and match.group("pw"):
        register_secret(match.group("pw"))
    # A password written with a raw '@' runs to the last '@': remember that reading too.
    greedy = _URL_PASSWORD_GREEDY.search(url)
    if greedy and greedy.group("pw"):
        register_secret(greedy.group("pw"))
    for conninfo in _CONNINFO_PASSWORD.finditer(url):
        register_secret(conninfo.group("pw").strip("'"))


def forget_secrets() -> None:
    """Forget registered secrets (tests)."""
    _known.clear()


def mask(text: str) -> str:
    """Hide every secret in ``text``: passwords in URLs, conninfo, JWTs, known values."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK if m['pw'] else ''}{m['at']}", text)
    text = _CONNINFO_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)
    text = _JWT.sub(MASK, text)
    return _ASSIGNMENT.sub(lambda m: f"{m['key']}{m['sep']}{MASK}", text)


def mask_data(value: Any) -> Any:
    """``mask`` applied to every string inside JSON-like data.

    A scalar under a secret-looking key (``"password": ...``) is hidden too. Keys are never
    changed, and what sits under a key naming an object (``"public.api_keys": {...}``, a
    table's probe results) is data like any other: names are not secrets.
    """
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked_entry(k, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_data(v) for v in value]
    return value


def _masked_entry(key: Any, value: Any) -> Any:
    secret_key = isinstance(key, str) and "." not in key and _SECRET_DATA_KEY.search(key)
    if secret_key and value and isinstance(value, str | int | float):
        return MASK
    return mask_data(value)
