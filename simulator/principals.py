"""Principals: who calls the platform (a network, advertiser or affiliate user of one network),
and the credentials naming them.

Its own module so that the world, the journal and the platform facade all name a principal
without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import Unauthorized

__all__ = ["ROLES", "Keyring", "Principal"]

#: the roles a principal may have
ROLES = ("network", "advertiser", "affiliate")


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
        self.tokens: dict[str, Principal] = {}
        self.basic: dict[tuple[str, str], Principal] = {}

    def authenticate(self, *, token: str | None = None,
                     basic: tuple[str, str] | None = None) -> Principal:
        """The principal of a token or Basic credentials; ``Unauthorized`` otherwise."""
        if token:
            principal = self.tokens.get(token)
            if principal is not None:
                return principal
        if basic is not None:
            principal = self.basic.get((basic[0], basic[1]))
            if principal is not None:
                return principal
        if not token and basic is None:
            raise Unauthorized("Authentication required: pass an API token or Basic credentials")
        raise Unauthorized("Invalid credentials")
