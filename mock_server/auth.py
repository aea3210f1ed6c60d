"""Credentials: every way in the documents describe, handed to ``platform.authenticate``.

Rules:
1. The API token can come as the raw ``Authorization`` header (no ``Bearer`` prefix, as the
   docs' curl examples show; a ``Bearer ``/``Token `` prefix is tolerated), as the
   ``oauth_token`` query parameter, or as the ``oauth_token`` key of a JSON body. HTTP Basic
   (``Authorization: Basic ...``) gives a username and password. The first found wins in that
   order: header, query, body. Only the ways the operation's ``security`` lists count (e.g.
   Conversion Reporting takes HTTP Basic only; the Transactions API no Basic).
2. The model decides who a credential is (``platform.authenticate(token=..., basic=...)`` ->
   a principal, or :class:`~simulator.errors.Unauthorized`). Missing credentials never reach
   it: they are ``Unauthorized`` here, rendered as 401
   ``{"errors": {"class": "Unauthorized", "invalid_data": "..."}}``.
3. Operations whose security is ``ring_pool_key`` or none skip this module entirely.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.errors import Unauthorized

ALL_WAYS = frozenset({"header", "query", "body", "basic"})
MISSING_MESSAGE = (
    "API credentials are required: an API token in the Authorization header, the oauth_token "
    "parameter or JSON key, or HTTP Basic"
)


class Authenticator(Protocol):
    def authenticate(self, *, token: str | None, basic: tuple[str, str] | None) -> Any: ...


@dataclass(frozen=True)
class Credentials:
    """What the request carried: a token, a Basic pair, or neither."""

    token: str | None = None
    basic: tuple[str, str] | None = None

    @property
    def present(self) -> bool:
        return self.token is not None or self.basic is not None


def parse_basic(value: str) -> tuple[str, str] | None:
    """``Basic dXNlcjpwYXNz`` -> ``("user", "pass")``; anything malformed -> ``None``."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


def extract_credentials(
    authorization: str | None, query: Mapping[str, Any], body: Any,
    ways: frozenset[str] = ALL_WAYS,
) -> Credentials:
    """Find the credentials of a request among the ``ways`` its operation accepts.

    ``ways`` is a subset of ``header``, ``query``, ``body`` and ``basic``; a credential sent
    another way is ignored, except HTTP Basic to an operation that does not take it, which is
    refused with a message saying so.
    """
    if "bearer" in ways:
        return _bearer(authorization)
    if authorization:
        scheme, _, rest = authorization.strip().partition(" ")
        lowered = scheme.lower()
        if lowered == "basic" and rest:
            if "basic" not in ways:
                raise Unauthorized("This API does not accept HTTP Basic credentials")
            pair = parse_basic(rest)
            if pair is None:
                raise Unauthorized("The HTTP Basic credentials are malformed")
            return Credentials(basic=pair)
        if "header" in ways:
            if lowered in {"bearer", "token"} and rest:
                return Credentials(token=rest.strip())
            return Credentials(token=authorization.strip())
    if "query" in ways:
        token = query.get("oauth_token")
        if isinstance(token, list):
            token = token[-1] if token else None
        if isinstance(token, str) and token:
            return Credentials(token=token)
    if "body" in ways and isinstance(body, Mapping):
        token = body.get("oauth_token")
        if isinstance(token, str) and token:
            return Credentials(token=token)
    return Credentials()


#: what a request to a Bearer-only operation without ``Authorization: Bearer <token>`` is told
BEARER_MESSAGE = ("the SMS Messaging API takes an OAuth2 token in the Authorization header: "
                  "Authorization: Bearer <token>")


def _bearer(authorization: str | None) -> Credentials:
    """``Authorization: Bearer <token>``, the only way in (the SMS Messaging API: "Unlike
    other Invoca APIs, the SMS Messaging API uses the Bearer authentication scheme"); a raw
    token, another scheme or none is :class:`Unauthorized`."""
    scheme, _, rest = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not rest.strip():
        raise Unauthorized(BEARER_MESSAGE)
    return Credentials(token=rest.strip())


WAY_WORDS = {
    "header": "an API token in the Authorization header",
    "query": "the oauth_token query parameter",
    "body": "the oauth_token JSON key",
    "basic": "HTTP Basic credentials",
}


def missing_message(ways: frozenset[str] = ALL_WAYS) -> str:
    """What a request without credentials is told: the ways its operation accepts."""
    words = [WAY_WORDS[way] for way in ("header", "query", "body", "basic") if way in ways]
    if not words:
        return MISSING_MESSAGE
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return f"API credentials are required: {listed}"


def authenticate(platform: Authenticator, credentials: Credentials,
                 ways: frozenset[str] = ALL_WAYS) -> Any:
    """The principal for ``credentials``; missing or wrong -> :class:`Unauthorized`."""
    if not credentials.present:
        raise Unauthorized(missing_message(ways))
    return platform.authenticate(token=credentials.token, basic=credentials.basic)
