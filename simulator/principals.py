"""Principals: who calls the platform (a network, advertiser or affiliate user of one network),
and the credentials naming them.

Its own module so that the world, the journal and the platform facade all name a principal
without importing one another.

Rule: a credential (API token, HTTP Basic pair, ring pool key, the control API's admin token)
is compared with :func:`same_secret` only, in constant time, so the time an answer takes says
nothing about how much of a guess was right. The :class:`Keyring` finds a credential by the
SHA-256 digest of what was sent (a guess cannot steer a digest) and then confirms it with
:func:`same_secret`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

from simulator.errors import Unauthorized

__all__ = ["ROLES", "Keyring", "Principal", "same_secret"]

#: the roles a principal may have
ROLES = ("network", "advertiser", "affiliate")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def same_secret(given: str, expected: str) -> bool:
    """Whether ``given`` is the credential ``expected``, compared in constant time."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def _digest(*parts: str) -> bytes:
    """The key a credential is filed under (its parts kept apart: JSON of the list)."""
    return hashlib.sha256(_bytes(json.dumps(list(parts)))).digest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a network, advertiser or affiliate user of one network."""

    role: str  # network | advertiser | affiliate
    network_id: int
    advertiser_id_from_network: str | None = None
    affiliate_id_from_network: str | None = None


class Keyring:
    """The API tokens and HTTP Basic pairs a platform knows, each naming a principal."""

    def __init__(self) -> None:
        self._tokens: dict[bytes, tuple[str, Principal]] = {}
        self._basic: dict[bytes, tuple[tuple[str, str], Principal]] = {}

    def add_token(self, token: str, principal: Principal) -> None:
        self._tokens[_digest(token)] = (token, principal)

    def add_basic(self, username: str, password: str, principal: Principal) -> None:
        self._basic[_digest(username, password)] = ((username, password), principal)

    def authenticate(self, *, token: str | None = None,
                     basic: tuple[str, str] | None = None) -> Principal:
        """The principal of a token or Basic credentials; ``Unauthorized`` otherwise."""
        if token:
            found = self._tokens.get(_digest(token))
            if found is not None and same_secret(token, found[0]):
                return found[1]
        if basic is not None:
            pair = self._basic.get(_digest(basic[0], basic[1]))
            if pair is not None and (same_secret(basic[0], pair[0][0])
                                     & same_secret(basic[1], pair[0][1])):
                return pair[1]
        if not token and basic is None:
            raise Unauthorized("Authentication required: pass an API token or Basic credentials")
        raise Unauthorized("Invalid credentials")
