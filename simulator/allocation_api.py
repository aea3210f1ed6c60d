"""The RingPool allocation APIs as the platform answers them: legacy ``allocateNumber`` and Bulk.

Both reach a pool by its id, check its ``ring_pool_key`` and allocate through
:class:`~simulator.ringpool.RingPool` (the rules live there); this module holds what the two
APIs add around it.

Rules (from the seeds; sandbox choices listed in docs/fidelity.md):

* A pool is found by its internal id; an unknown id or a wrong key is ``InvalidKey`` (the same
  answer for both, so ids cannot be probed). A pool created with ``bulk`` answers the legacy
  API with ``OnlyBulkNumberAllocationAllowed``.
* The allocation's affiliate id is the network's affiliate id parameter of the query, else
  the affiliate of the pool's affiliate campaign, else none.
* The answer names the number, formatted (``888-555-0100``), and a tracking URL:
  ``tel:+1<number>`` when ``mobile_click_to_call`` is 1/true/yes/on, else the pool's click
  URL (:meth:`simulator.resources.store.Store.tracking_url`).
* Bulk: the body's ``requests`` (or ``request``) is a non-empty array of at most
  ``limit`` rows (else the whole request fails with ``RecordInvalid``). Each row is
  ``{"api_suffix": "<pool id>/allocate_number.<json|xml|csv>?<query>", "request_id": ...}``
  and is answered on its own, in request order, with its ``request_id`` first when given: a
  malformed row or ``api_suffix`` is ``InvalidInput``; a wrong key ``InvalidKey``; a pool
  that is not Custom is ``RecordInvalid`` "The Bulk RingPool API supports Custom RingPools
  only"; a row without any RingPool parameter (``param1``..``param10`` or the pool's custom
  names) is ``RecordInvalid`` "At least one RingPool parameter is required". Valid rows are
  allocated at the request's instant, in request order; consecutive rows of one pool
  together (:meth:`RingPool.allocate_rows`, under the pool's lock). An answered row adds
  ``"overflow": true`` when it got the overflow number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from simulator.errors import (
    InvalidInput,
    InvalidKey,
    OnlyBulkNumberAllocationAllowed,
    RecordInvalid,
    SandboxError,
)
from simulator.network import formatted
from simulator.principals import same_secret
from simulator.resources.records import RingPoolPlacement
from simulator.resources.store import Store
from simulator.ringpool import Allocation
from simulator.visit_params import CUSTOM_PARAMS

__all__ = [
    "AllocationResult",
    "affiliate_of",
    "allocate_number",
    "bulk_allocate_numbers",
    "parse_query",
    "parse_suffix",
]

_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """What the RingPool APIs answer: the allocation plus its rendered number and URL."""

    allocation: Allocation
    promo_number: str
    promo_number_formatted: str
    tracking_url: str

    @property
    def overflow(self) -> bool:
        return self.allocation.overflow

    def to_dict(self) -> dict[str, Any]:
        """The legacy API's JSON body (no overflow flag: the legacy API has none)."""
        return {
            "promo_number_formatted": self.promo_number_formatted,
            "tracking_url": self.tracking_url,
            "promo_number": self.promo_number,
        }


def affiliate_of(placement: RingPoolPlacement, query: Mapping[str, str]) -> str | None:
    """The affiliate id of an allocation: the network's parameter, else the pool's affiliate
    campaign's affiliate."""
    affiliate_param = placement.network.affiliate_id_param
    affiliate = query.get(affiliate_param) if affiliate_param else None
    if affiliate in (None, "") and placement.affiliate_campaign is not None:
        affiliate = placement.affiliate_campaign.affiliate.id_from_network
    return None if affiliate in (None, "") else str(affiliate)


def _tracking_url(click_url: str, number: str, query: Mapping[str, str]) -> str:
    """An answer's tracking URL: ``tel:+1<number>`` when the query asks for a mobile click to
    call, else the pool's click URL (``Store.tracking_url(pool, "")``) and the number."""
    if str(query.get("mobile_click_to_call") or "").strip().lower() in _TRUE:
        return f"tel:+1{number}"
    return click_url + number


def _placement(directory: Store, ring_pool_id: int | str, key: str) -> RingPoolPlacement:
    """The pool with this id and key (InvalidKey otherwise)."""
    try:
        placement = directory.ring_pools_by_id[int(ring_pool_id)]
    except (KeyError, ValueError, TypeError):
        placement = None
    if placement is None or not same_secret(key, str(placement.pool.properties["api_key"])):
        raise InvalidKey(f"API Key '{key}' is not valid for resource '{ring_pool_id}'")
    return placement


def allocate_number(directory: Store, now: datetime, ring_pool_id: int | str,
                    query: Mapping[str, str], *, bulk: bool = False) -> AllocationResult:
    """The legacy RingPool API: one visitor's number from a pool at ``now``."""
    placement = _placement(directory, ring_pool_id, str(query.get("ring_pool_key") or ""))
    pool = placement.pool
    if not bulk and pool.properties["values"].get("bulk"):
        raise OnlyBulkNumberAllocationAllowed(
            "Numbers are automatically allocated by the PNAPI server"
        )
    allocation = pool.allocate(now, query, affiliate_id_from_network=affiliate_of(placement, query))
    number = allocation.promo_number
    return AllocationResult(allocation, number, formatted(number),
                            _tracking_url(directory.tracking_url(pool, ""), number, query))


# ---------------------------------------------------------------------------- Bulk

#: an ``api_suffix``'s part before "?": the pool id and the answer's format
_HEAD = re.compile(r"/?(?P<id>\d+)/allocate_number\.(?:json|xml|csv)")
#: a valid Bulk row waiting for its pool's run: (its place, request id, query, affiliate id)
_Row = tuple[int, Any, dict[str, str], str | None]


def bulk_allocate_numbers(directory: Store, now: datetime,
                          body: Mapping[str, Any] | Sequence[Any], *,
                          limit: int) -> list[dict[str, Any]]:
    """The Bulk RingPool API's ``responses``: one answer per row, in request order."""
    requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
    if not isinstance(requests, list | tuple) or not requests:
        raise RecordInvalid("requests must be a non-empty array of {api_suffix, request_id}")
    if len(requests) > limit:
        raise RecordInvalid(
            f"A bulk request may hold at most {limit} requests; got {len(requests)}")
    answers: list[dict[str, Any]] = [{}] * len(requests)
    #: (pool id, key) -> the pool's placement and the names that count as its parameters
    checked: dict[tuple[str, str], tuple[RingPoolPlacement, frozenset[str]]] = {}
    run: list[_Row] = []  # consecutive valid rows of one pool
    run_placement: RingPoolPlacement | None = None
    for place, request in enumerate(requests):
        is_object = type(request) is dict or isinstance(request, Mapping)
        request_id = request.get("request_id") if is_object else None
        try:
            if not is_object:
                raise InvalidInput("each request must be an object with api_suffix")
            pool_id, query = parse_suffix(str(request.get("api_suffix") or ""))
            key = query.get("ring_pool_key", "")
            found = checked.get((pool_id, key))
            if found is None:  # checked once per request
                found = checked[pool_id, key] = _bulk_pool(directory, pool_id, key)
            placement, parameters = found
            if parameters.isdisjoint(query):
                raise RecordInvalid("At least one RingPool parameter is required")
        except SandboxError as error:
            answers[place] = _error_answer(request_id, error)
            continue
        if placement is not run_placement:
            _allocate_run(directory, now, run_placement, run, answers)
            run, run_placement = [], placement
        run.append((place, request_id, query, affiliate_of(placement, query)))
    _allocate_run(directory, now, run_placement, run, answers)
    return answers


def parse_suffix(suffix: str) -> tuple[str, dict[str, str]]:
    """An ``api_suffix``'s pool id and query: ``[/]<id>/allocate_number.<json|xml|csv>?<query>``
    (one newline may end it: the reference parse was a regular expression ending in ``$``);
    InvalidInput otherwise."""
    head, question, text = suffix.partition("?")
    pool_id = _pool_id(head)
    if text.endswith("\n"):
        text = text[:-1]
    if pool_id is None or not question or "\n" in text:
        raise InvalidInput(f"Invalid api_suffix '{suffix}'")
    return pool_id, parse_query(text)


@lru_cache(maxsize=1024)
def _pool_id(head: str) -> str | None:
    match = _HEAD.fullmatch(head)
    return None if match is None else match["id"]


def parse_query(text: str) -> dict[str, str]:
    """``dict(parse_qsl(text, keep_blank_values=True))`` (the last value of a name wins),
    without the decoding work when there is nothing to decode: then it is the same split
    (empty fields skipped; a name alone has an empty value)."""
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    query: dict[str, str] = {}
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            query[name] = value
    return query


def _bulk_pool(directory: Store, pool_id: str,
               key: str) -> tuple[RingPoolPlacement, frozenset[str]]:
    """A Bulk row's pool (a Custom pool with this key) and the query names that count as a
    RingPool parameter of it."""
    placement = _placement(directory, pool_id, key)
    pool = placement.pool
    if pool.pool_type != "Custom":
        raise RecordInvalid("The Bulk RingPool API supports Custom RingPools only")
    return placement, frozenset(CUSTOM_PARAMS).union(name for name in pool.param_names if name)


def _allocate_run(directory: Store, now: datetime, placement: RingPoolPlacement | None,
                  run: Sequence[_Row], answers: list[dict[str, Any]]) -> None:
    """Allocate a run of valid rows of one pool at ``now`` and put their answers in place."""
    if placement is None or not run:
        return
    pool = placement.pool
    outcomes = pool.allocate_rows(now, [query for _, _, query, _ in run],
                                  [affiliate for _, _, _, affiliate in run])
    click_url = directory.tracking_url(pool, "")
    for (place, request_id, query, _), outcome in zip(run, outcomes, strict=True):
        if isinstance(outcome, SandboxError):
            answers[place] = _error_answer(request_id, outcome)
            continue
        number = outcome.promo_number
        answer: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
        answer["promo_number_formatted"] = formatted(number)
        answer["promo_number"] = number
        answer["tracking_url"] = _tracking_url(click_url, number, query)
        if outcome.overflow:
            answer["overflow"] = True
        answers[place] = answer


def _error_answer(request_id: Any, error: SandboxError) -> dict[str, Any]:
    answer: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
    answer["error_class"] = error.error_class
    answer["message"] = error.message or str(error)
    return answer
