"""Local numbers: which area codes a ``local_center`` names, with its preferences.

Rules of this module:

* A ``local_center``'s keys come in the docs' order ("tn_prefix", "zipcode", "latitude",
  "longitude"; promo numbers also "city" with "state"): "A filled field determines the center
  to start looking for local numbers at", so when several are filled the first one wins
  (sandbox reading of the docs' own example, which sends tn_prefix "", zipcode and
  latitude/longitude).
* The local number preferences in effect are the sent ones over the contract's defaults; their
  errors nest like the docs' users errors:
  ``{"local_number_preferences": [{"search_radius_miles": ["is not a number"]}]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import blank, fields_of, validate_fields
from simulator.numbers import area_codes_for

__all__ = ["CENTER_GROUPS", "effective_center", "local_npas", "local_preferences"]

#: a center's keys in the docs' order, the ones that go together grouped
CENTER_GROUPS = (("tn_prefix",), ("zipcode",), ("latitude", "longitude"))
PROMO_CENTER_GROUPS = (*CENTER_GROUPS, ("city", "state"))
#: the preferences' schema of a ring pool and of a promo number
PREFERENCES = {False: "RingPoolLocalNumberPreferences", True: "PromoNumberLocalNumberPreferences"}


def effective_center(center: Any, *, promo: bool = False) -> Any:
    """The part of a ``local_center`` that decides where numbers come from: the first filled
    group of :data:`CENTER_GROUPS` (unchanged when it has an unknown key or nothing filled,
    so that :func:`~simulator.numbers.area_codes_for` refuses it with the docs' message)."""
    if not isinstance(center, Mapping):
        return center
    groups = PROMO_CENTER_GROUPS if promo else CENTER_GROUPS
    if not set(center) <= {name for group in groups for name in group}:
        return center
    for group in groups:
        if any(not blank(center.get(name)) for name in group):
            return {name: center[name] for name in group if name in center}
    return center


def local_preferences(preferences: Any, *, promo: bool = False) -> dict[str, Any]:
    """The local number preferences in effect (the contract's defaults for what is not
    sent); RecordInvalid with nested errors."""
    if preferences is None:
        preferences = {}
    if not isinstance(preferences, Mapping):
        raise RecordInvalid(field_errors={"local_number_preferences": ["is invalid"]})
    problems: dict[str, list[str]] = {}
    values = validate_fields(fields_of(PREFERENCES[promo], ()), preferences, errors=problems)
    if problems:
        raise RecordInvalid("Validation failed",
                            field_errors={"local_number_preferences": [problems]})
    return values


def local_npas(values: Mapping[str, Any], *, promo: bool = False) -> list[str] | None:
    """Area codes for a ``local_center`` (validated here), or None for toll-free."""
    center = values.get("local_center")
    if not center:
        return None
    whitelist = [str(npa) for npa in values.get("tn_prefix_whitelist") or []]
    preferences = local_preferences(values.get("local_number_preferences"), promo=promo)
    return list(area_codes_for(
        effective_center(center, promo=promo), whitelist or None, allow_city_state=promo,
        search_radius_miles=preferences["search_radius_miles"],
        restrict_search_to_state=preferences["restrict_search_to_state"],
    ))
