"""What a visitor's query becomes in an allocation: the parameters each pool type keeps.

Rules (RingPool allocation API, Network Integration RingPools; docs/fidelity.md A9, A10):

* An allocation keeps the *normalized* parameters, :data:`NORMALIZED_PARAMS`: ``param1`` to
  ``param10``, the search fields, ``referrer``, ``landing_page`` and
  ``mobile_click_to_call``. A pool's ``param_names`` map custom names to ``param1``..
  ``param10`` (``param_names[0]`` is ``param1``'s name, ...).
* Precedence: an explicit ``paramN`` key wins over the custom name mapped to it. Keys that
  are neither normalized names nor custom names are ignored (e.g. ``ring_pool_key`` and the
  network's affiliate id parameter, which the caller handles itself).
* A ``referrer`` from a known search engine fills in missing ``search_engine``,
  ``search_keywords`` and ``search_type`` for every pool type (:mod:`simulator.referrer`);
  a ``search_engine`` without a ``search_type`` gets one from the referrer and landing page.
* Required parameters by pool type: ``Search`` needs ``search_engine`` and
  ``search_keywords``; ``SearchKeyword`` needs ``search_keyword_id``; ``ReferralDomain`` and
  ``ReferralDomainWithSearchTracking`` need ``referrer``; ``Custom`` and
  ``CustomWithSearchTracking`` need nothing. Missing ones raise ``RecordInvalid`` (message
  plus Rails-style ``field_errors``).
* ``ReferralDomainWithSearchTracking``: a referrer that is not a search engine becomes the
  traffic source (``search_engine``), as the docs say.

The kept parameters are :data:`Params`: flat ``(name, value, name, value, ...)`` in the order
of :data:`NORMALIZED_PARAMS`, or None for none (smaller than a dict, and strings only).
Speed: when no value can matter (Custom types, no referrer or search key), how a set of query
keys normalizes is worked out once per key tuple and cached (:meth:`VisitParams.params`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from types import MappingProxyType

from simulator.errors import RecordInvalid
from simulator.fields import field_of
from simulator.referrer import parse_referrer, search_type_for

__all__ = [
    "CUSTOM_PARAMS",
    "NORMALIZED_PARAMS",
    "POOL_TYPES",
    "Params",
    "VisitParams",
    "as_mapping",
    "checked_param_names",
    "checked_pool_type",
]

#: the RingPool types, as the contract lists them (``RingPoolWrite.pool_type``)
POOL_TYPES = field_of("RingPoolWrite", "pool_type").choices

CUSTOM_PARAMS = tuple(f"param{n}" for n in range(1, 11))

#: the parameter names an allocation keeps, in this order
NORMALIZED_PARAMS = (
    *CUSTOM_PARAMS,
    "search_engine",
    "search_keywords",
    "search_keyword_id",
    "search_type",
    "referrer",
    "landing_page",
    "mobile_click_to_call",
)

#: an allocation's parameters, flat: ``(name, value, ...)`` in NORMALIZED_PARAMS order
Params = tuple[str, ...] | None

_NORMALIZED = frozenset(NORMALIZED_PARAMS)
_ORDER = {name: index for index, name in enumerate(NORMALIZED_PARAMS)}
#: query keys whose values matter (referrer parsing, search type, required fields)
_VALUES_MATTER = frozenset(
    {"referrer", "search_engine", "search_keywords", "search_keyword_id", "search_type"}
)
_VALUE_FREE_TYPES = frozenset({"Custom", "CustomWithSearchTracking"})
#: key tuples whose plan a pool keeps (the cache is emptied when full)
_PLAN_CACHE_SIZE = 256
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


def as_mapping(params: Params) -> Mapping[str, str]:
    """The read-only mapping of :data:`Params`."""
    if params is None:
        return _NO_PARAMS
    return MappingProxyType(dict(zip(params[::2], params[1::2], strict=True)))


def checked_pool_type(value: object) -> str:
    if value not in POOL_TYPES:
        raise RecordInvalid(
            f"pool_type must be one of {', '.join(POOL_TYPES)}, got {value!r}",
            field_errors={"pool_type": ["is not included in the list"]},
        )
    return str(value)


def checked_param_names(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or len(names) > len(CUSTOM_PARAMS):
        raise RecordInvalid(
            f"param_names must be a sequence of at most 10 names, got {names!r}",
            field_errors={"param_names": ["is invalid"]},
        )
    return tuple("" if name is None else str(name) for name in names)


class VisitParams:
    """The parameter rules of one pool configuration (pool type and custom names)."""

    __slots__ = ("_custom", "_plans", "param_names", "pool_type")

    def __init__(self, pool_type: object, param_names: Sequence[str]) -> None:
        self.pool_type = checked_pool_type(pool_type)
        self.param_names = checked_param_names(param_names)
        #: custom name -> the paramN it stands for (the first mapping of a name wins)
        self._custom: dict[str, str] = {}
        for index, name in enumerate(self.param_names):
            if name and name not in _NORMALIZED and name not in self._custom:
                self._custom[name] = CUSTOM_PARAMS[index]
        #: key tuple -> ((query key, normalized name), ...) in order, or None: values matter
        self._plans: dict[tuple[str, ...], tuple[tuple[str, str], ...] | None] = {}

    def params(self, query: Mapping[str, str]) -> Params:
        """The normalized parameters of ``query`` (RecordInvalid when the type needs more)."""
        keys = tuple(query)
        try:
            plan = self._plans[keys]
        except KeyError:
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            plan = self._plans[keys] = self._plan(keys)
        if plan is None:
            return self._normalize(query)
        if not plan:
            return None
        flat: list[str] = []
        for key, name in plan:
            flat += (name, str(query[key]))
        return tuple(flat)

    def _plan(self, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
        """Where each kept parameter comes from, when no value matters (else None)."""
        if self.pool_type not in _VALUE_FREE_TYPES or not _VALUES_MATTER.isdisjoint(keys):
            return None
        sources: dict[str, str] = {}  # normalized name -> the query key it comes from
        for key in keys:
            if key in self._custom:
                sources.setdefault(self._custom[key], key)
        for key in keys:
            if key in _NORMALIZED:
                sources[key] = key  # explicit names win over custom names
        return tuple((sources[name], name) for name in sorted(sources, key=_ORDER.__getitem__))

    def _normalize(self, query: Mapping[str, str]) -> Params:
        """The rules of the module docstring, value by value."""
        params: dict[str, str] = {}
        for key, value in query.items():
            if key in self._custom:
                params.setdefault(self._custom[key], str(value))
        for key, value in query.items():
            if key in _NORMALIZED:
                params[key] = str(value)  # explicit names win over custom names
        referrer = params.get("referrer")
        landing_page = params.get("landing_page")
        if referrer and ("search_engine" not in params or "search_keywords" not in params):
            parsed = parse_referrer(referrer, landing_page)
            if parsed is not None:
                params.setdefault("search_engine", parsed.search_engine)
                params.setdefault("search_keywords", parsed.search_keywords)
                params.setdefault("search_type", parsed.search_type)
        if "search_engine" in params and "search_type" not in params:
            params["search_type"] = search_type_for(referrer, landing_page)
        self._require(params, referrer)
        if (self.pool_type == "ReferralDomainWithSearchTracking" and referrer
                and "search_engine" not in params):
            # "will use referrer as the Traffic Source if either ... are omitted"
            params["search_engine"] = referrer
            params.setdefault("search_keywords", "")
            params.setdefault("search_type", search_type_for(referrer, landing_page))
        if not params:
            return None
        return tuple(chain.from_iterable(
            (name, params[name]) for name in sorted(params, key=_ORDER.__getitem__)))

    def _require(self, params: Mapping[str, str], referrer: str | None) -> None:
        """The pool type's required parameters (RecordInvalid naming the missing ones)."""
        pool_type = self.pool_type
        if pool_type == "Search":
            missing = [name for name in ("search_engine", "search_keywords") if name not in params]
            if missing:
                raise RecordInvalid(
                    f"A Search RingPool needs {' and '.join(missing)} "
                    "(or a referrer from a known search engine)",
                    field_errors={name: ["can't be blank"] for name in missing},
                )
        elif pool_type == "SearchKeyword":
            if not params.get("search_keyword_id"):
                raise RecordInvalid(
                    "A SearchKeyword RingPool needs search_keyword_id",
                    field_errors={"search_keyword_id": ["can't be blank"]},
                )
        elif pool_type in ("ReferralDomain", "ReferralDomainWithSearchTracking") and not referrer:
            raise RecordInvalid(
                f"A {pool_type} RingPool needs referrer",
                field_errors={"referrer": ["can't be blank"]},
            )
