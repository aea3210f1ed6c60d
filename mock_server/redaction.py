"""Redaction: what the sandbox journals or logs of a request never carries a credential (the
request journal, ``GET /_sandbox/requests``, keeps each query string through :func:`redact_query`).

Rule: a value is a secret when its name has a word of :data:`SECRET_WORDS` (the name split at
anything that is not a letter or digit and at lower-to-upper case changes, compared in lower
case: ``oauth_token``, ``ring_pool_key``, ``api_key``, ``apiKey``, ``client_secret``,
``password``, ``Authorization``, ``X-Sandbox-Admin-Token``), or when the value itself is a
``Bearer``/``Basic``/``Token`` credential whatever its name. A secret is journaled and logged
as :data:`REDACTED`. The same rule reads query strings (:func:`redact_query`), headers
(:func:`redact_headers`), JSON bodies at any depth (:func:`redact_value`: a secret name's
value, whatever its type, and any string that is a credential) and text that is no whole
JSON document, such as a body cut at the journal's cap (:func:`redact_text`: each
``"name": value`` of a secret name, to its end or the end of the text, and each
credential). ``search_keywords`` or ``search_keyword_id`` are not secrets: ``keywords`` is not
the word ``key``.

The state export (``GET /_sandbox/state``) is not a journal of requests: it is the world, its
credentials included, and stays behind the admin token off loopback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_plus

__all__ = ["REDACTED", "SECRET_WORDS", "is_secret_name", "redact_headers", "redact_query",
           "redact_text", "redact_value"]

#: what a secret is journaled and logged as
REDACTED = "[REDACTED]"

#: the words of a name that make its value a secret
SECRET_WORDS = frozenset({
    "token", "tokens", "key", "keys", "apikey", "auth", "password", "passwords", "passwd", "pwd",
    "secret", "secrets", "authorization", "credential", "credentials", "cookie", "signature",
})

_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_CREDENTIAL_VALUE = re.compile(r"\s*(bearer|basic|token)\s+\S", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    """Whether a parameter, field or header of this name holds a credential."""
    return any(word.lower() in SECRET_WORDS for word in _WORDS.findall(name))


def _is_secret(name: str, value: str) -> bool:
    return is_secret_name(name) or _CREDENTIAL_VALUE.match(value) is not None


def redact_query(query: str) -> str:
    """A raw query string with the value of every secret parameter replaced (the rest of the
    string, order and encoding included, as sent)."""
    if not query:
        return query
    pairs = []
    for pair in query.split("&"):
        name, sep, value = pair.partition("=")
        secret = sep and _is_secret(unquote_plus(name), unquote_plus(value))
        pairs.append(f"{name}={REDACTED}" if secret else pair)
    return "&".join(pairs)


def redact_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Request headers as ``{name: value}`` with every secret's value replaced."""
    return {name: REDACTED if _is_secret(name, value) else value for name, value in pairs}


def redact_value(value: Any, name: str = "") -> Any:
    """A JSON value with every secret replaced: the value of a secret name (at any depth, any
    type), and any string that is a credential."""
    if name and is_secret_name(name):
        return REDACTED
    if isinstance(value, dict):
        return {key: redact_value(item, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item, name) for item in value]
    if isinstance(value, str) and _CREDENTIAL_VALUE.match(value):
        return REDACTED
    return value


_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)')
_CREDENTIAL_TEXT = re.compile(r"\b(bearer|basic|token)(\s+)[^\s\"',;&]+", re.IGNORECASE)


def redact_text(text: str) -> str:
    """Text that may hold JSON pairs or credentials (a body cut short), every secret
    replaced."""
    def pair(match: re.Match[str]) -> str:
        if not is_secret_name(match.group(1)):
            return match.group(0)
        return f'"{match.group(1)}"{match.group(2)}"{REDACTED}"'

    text = _JSON_PAIR.sub(pair, text)
    return _CREDENTIAL_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
