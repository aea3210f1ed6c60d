"""PPC Platform access tokens (2014-01-01, ``basics/ppc_platform_authentication_access_tokens``).

Rules of this module:

* A network creates a one-time-use access token for one of its users: a network user, a user
  of one of its advertisers or of one of its affiliates (the three documented paths), named by
  email address (any of the user's ``email_address`` / ``email_settings`` addresses, compared
  without case). An unknown organization or user is ``RecordNotFound``.
* The answer is the docs' ``{"token": ..., "id": n}``: ``id`` counts the platform's tokens from
  1, the token is 26 characters of the URL-safe alphabet from the seeded ``keys`` stream.
* The token is spent by the documented login flow: the PPC Platform destination URL with
  ``access_token=<token>`` (:meth:`AccessTokens.use`). The first use logs the user in (the
  answer names the user and the destination); any later use, or a token never issued, is
  ``Unauthorized`` and changes nothing. Tokens do not expire (the docs give no lifetime).
* No I/O, no wall clock: the instant of use comes from the caller.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.errors import RecordNotFound, Unauthorized
from simulator.principals import same_secret

__all__ = ["ALPHABET", "TOKEN_LENGTH", "AccessToken", "AccessTokens", "user_emails"]

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
TOKEN_LENGTH = 26


@dataclass(slots=True)
class AccessToken:
    """One issued token: whom it authenticates, and when it was used (None: not yet)."""

    id: int
    token: str
    network_id: int
    organization_type: str  # Network | Advertiser | Affiliate
    organization_id_from_network: str | None
    email: str
    created_at: datetime
    used_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """The create answer, as the docs show it."""
        return {"token": self.token, "id": self.id}


def user_emails(user: Any) -> set[str]:
    """Every address of a stored user (lower case)."""
    if not isinstance(user, Mapping):
        return set()
    found = {str(user["email_address"]).lower()} if user.get("email_address") else set()
    for setting in user.get("email_settings") or ():
        if isinstance(setting, Mapping) and setting.get("email_address"):
            found.add(str(setting["email_address"]).lower())
    return found


class AccessTokens:
    """The access tokens a platform issued (see the module rules)."""

    def __init__(self) -> None:
        self._issued: list[AccessToken] = []

    def issue(self, now: datetime, rng: random.Random, *, network_id: int,
              organization_type: str, organization_id: str | None, users: Any,
              email: str, owner: str) -> AccessToken:
        """A new token for the user of ``users`` with address ``email`` (``owner`` names the
        organization in the 404 message)."""
        wanted = email.strip().lower()
        if not any(wanted in user_emails(user) for user in users or ()):
            raise RecordNotFound(f"Could not find user {email} for {owner}")
        token = AccessToken(
            id=len(self._issued) + 1,
            token="".join(rng.choice(ALPHABET) for _ in range(TOKEN_LENGTH)),
            network_id=network_id, organization_type=organization_type,
            organization_id_from_network=organization_id, email=email, created_at=now)
        self._issued.append(token)
        return token

    def use(self, now: datetime, token: str | None, destination: str) -> dict[str, Any]:
        """Log in with ``token`` at ``destination``: once per token."""
        if not token:
            raise Unauthorized("An access_token is required: the network authenticates the "
                               "user and appends a token from create_access_token")
        found = next((t for t in self._issued if same_secret(t.token, token)), None)
        if found is None:
            raise Unauthorized("Invalid access token")
        if found.used_at is not None:
            raise Unauthorized("The access token has already been used (tokens are one-time use)")
        found.used_at = now
        return {
            "authenticated": True,
            "organization_type": found.organization_type,
            "network_id": found.network_id,
            "organization_id_from_network": found.organization_id_from_network,
            "email": found.email,
            "destination": destination,
        }

    def export(self) -> list[dict[str, Any]]:
        """The issued tokens as JSON-safe data."""
        return [{"id": t.id, "token": t.token, "network_id": t.network_id,
                 "organization_type": t.organization_type,
                 "organization_id_from_network": t.organization_id_from_network,
                 "email": t.email, "used": t.used_at is not None} for t in self._issued]
