"""Phone numbers: formatting, validation, the number inventory, local area codes.

Rules:

* A promo number is 10 NANP digits (``"8883906665"``), formatted as the docs show
  (``"888-390-6665"``). Validity comes from ``phonenumbers`` (``is_valid_number``).
* Toll-free numbers are those in :data:`TOLL_FREE_NPAS`; every other valid NPA is local
  (geographic).
* :class:`NumberInventory` issues numbers deterministically from the seeded
  ``random.Random`` it is given, never the same number twice (until released). By default it
  only issues the NANP range reserved for fiction, NXX-555-0100..0199, so a sandbox number
  never rings a real phone: 100 numbers per NPA, 700 toll-free in all. ``fictional_only=False``
  allows the whole valid range (needed for pools of 100,000 numbers): exchanges 200..999 but
  N11, validity decided per exchange by ``phonenumbers``. ``share=(k, n)`` keeps only the
  numbers whose last seven digits are k modulo n (:func:`in_share`; a network's share,
  :mod:`simulator.number_shares`). Issuing is O(1) amortised: fictional numbers come from
  per-NPA lists shuffled once, on first use, each by its own stream; the full range uses
  rejection sampling against a set of issued numbers. Running out is known before any draw.
* The set of geographic NPAs is derived once from the ``zipcodes`` package's ``area_codes``
  data, keeping those ``phonenumbers`` accepts.
* :func:`area_codes_for` resolves a ``local_center`` to candidate NPAs, nearest first, using
  the ZIP codes' coordinates (a lazily built grid index; module-level read-only data).

Sandbox choices (listed in docs/fidelity.md):

* Local matching follows Invoca's description "same NPA, then nearest in the same state":
  the center's own NPA(s) first, then NPAs of other ZIP codes within ``search_radius_miles``
  (default 240, Invoca's ``local_number_preferences`` default) ordered by distance,
  restricted to the center's state when ``restrict_search_to_state`` (default true).
* A center far from every US ZIP (the docs' own example is latitude 45, longitude 45) gives
  no candidates: the pool falls back to toll-free numbers, as Invoca's does.
* Unknown ZIP codes, malformed NPAs and out-of-range coordinates are ``RecordInvalid``.
"""

from __future__ import annotations

import math
import random
import re
import threading
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import phonenumbers
import zipcodes

from simulator.errors import NumbersExhausted, RecordInvalid

__all__ = [
    "TOLL_FREE_NPAS",
    "NumberInventory",
    "area_codes_for",
    "format_number",
    "geographic_npas",
    "in_share",
    "is_toll_free",
    "parse_number",
]

TOLL_FREE_NPAS = frozenset({"800", "833", "844", "855", "866", "877", "888"})
_TOLL_FREE_ORDER = tuple(sorted(TOLL_FREE_NPAS))
_DIGITS = re.compile(r"\D+")
_NPA = re.compile(r"^[2-9]\d\d$")
_ZIP = re.compile(r"^\d{5}$")
_EARTH_RADIUS_MILES = 3958.8
DEFAULT_SEARCH_RADIUS_MILES = 240.0
LOCAL_CENTER_KEYS = frozenset({"tn_prefix", "zipcode", "latitude", "longitude"})
PROMO_LOCAL_CENTER_KEYS = LOCAL_CENTER_KEYS | {"city", "state"}


def is_toll_free(number: str) -> bool:
    """Whether a 10-digit number (or any form :func:`parse_number` accepts) is toll-free."""
    digits = _DIGITS.sub("", number)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return len(digits) == 10 and digits[:3] in TOLL_FREE_NPAS


def format_number(number: str) -> str:
    """``"8883906665"`` -> ``"888-390-6665"`` (accepts any form :func:`parse_number` does)."""
    digits = parse_number(number)
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def parse_number(text: str) -> str:
    """10 digits from a US number in any common form; RecordInvalid when not valid."""
    if not isinstance(text, str) or not text.strip():
        raise RecordInvalid(f"Invalid phone number {text!r}.")
    try:
        parsed = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException as error:
        raise RecordInvalid(f"Invalid phone number {text!r}.") from error
    if parsed.country_code != 1 or not phonenumbers.is_valid_number(parsed):
        raise RecordInvalid(f"Invalid phone number {text!r}.")
    return f"{parsed.national_number:010d}"


def _is_valid(digits: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(digits, "US"))
    except phonenumbers.NumberParseException:
        return False


# --------------------------------------------------------------------------- ZIP data
@dataclass(frozen=True, slots=True)
class _Zip:
    code: str
    city: str
    state: str
    latitude: float
    longitude: float
    area_codes: tuple[str, ...]



@cache
def _zips() -> dict[str, _Zip]:
    table: dict[str, _Zip] = {}
    for row in zipcodes.list_all():
        try:
            latitude, longitude = float(row["lat"]), float(row["long"])
        except (TypeError, ValueError, KeyError):
            continue
        table[row["zip_code"]] = _Zip(
            code=row["zip_code"],
            city=str(row.get("city") or "").upper(),
            state=str(row.get("state") or "").upper(),
            latitude=latitude,
            longitude=longitude,
            area_codes=tuple(code for code in row.get("area_codes") or () if _NPA.match(code)),
        )
    return table


@cache
def geographic_npas() -> frozenset[str]:
    """Every local NPA in the ZIP data that ``phonenumbers`` accepts (fictional line test)."""
    codes = {code for zip_ in _zips().values() for code in zip_.area_codes}
    return frozenset(
        code for code in codes if code not in TOLL_FREE_NPAS and _is_valid(f"{code}5550100")
    )


@cache
def _grid() -> dict[tuple[int, int], list[_Zip]]:
    cells: dict[tuple[int, int], list[_Zip]] = defaultdict(list)
    for zip_ in _zips().values():
        cells[(math.floor(zip_.latitude), math.floor(zip_.longitude))].append(zip_)
    return dict(cells)


@cache
def _npa_centers() -> dict[str, tuple[float, float, str]]:
    """NPA -> (mean latitude, mean longitude, most common state) of its ZIP codes."""
    points: dict[str, list[_Zip]] = defaultdict(list)
    for zip_ in _zips().values():
        for code in zip_.area_codes:
            points[code].append(zip_)
    centers = {}
    for code, zips in points.items():
        states: dict[str, int] = defaultdict(int)
        for zip_ in zips:
            states[zip_.state] += 1
        state = max(sorted(states), key=lambda s: states[s])
        centers[code] = (
            sum(z.latitude for z in zips) / len(zips),
            sum(z.longitude for z in zips) / len(zips),
            state,
        )
    return centers


@cache
def _city_index() -> dict[tuple[str, str], list[_Zip]]:
    index: dict[tuple[str, str], list[_Zip]] = defaultdict(list)
    for zip_ in _zips().values():
        index[(zip_.city, zip_.state)].append(zip_)
    return dict(index)


def _miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def _nearby(latitude: float, longitude: float, radius: float) -> list[tuple[float, _Zip]]:
    """ZIP codes within ``radius`` miles of the point, nearest first."""
    grid = _grid()
    lat_span = math.ceil(radius / 69.0) + 1
    cos_lat = max(0.01, math.cos(math.radians(min(89.0, abs(latitude) + lat_span))))
    lon_span = min(180, math.ceil(radius / (69.17 * cos_lat)) + 1)
    base_lat, base_lon = math.floor(latitude), math.floor(longitude)
    found: list[tuple[float, _Zip]] = []
    for cell_lat in range(base_lat - lat_span, base_lat + lat_span + 1):
        for step in range(-lon_span, lon_span + 1):
            cell_lon = (base_lon + step + 180) % 360 - 180
            for zip_ in grid.get((cell_lat, cell_lon), ()):
                distance = _miles(latitude, longitude, zip_.latitude, zip_.longitude)
                if distance <= radius:
                    found.append((distance, zip_))
    found.sort(key=lambda item: (item[0], item[1].code))
    return found


def _coordinate(name: str, value: Any, limit: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise RecordInvalid(f"Invalid {name} in Local Center.")
    return number


def area_codes_for(
    local_center: Mapping[str, Any],
    tn_prefix_whitelist: Sequence[str] | None = None,
    *,
    allow_city_state: bool = False,
    search_radius_miles: float = DEFAULT_SEARCH_RADIUS_MILES,
    restrict_search_to_state: bool = True,
) -> list[str]:
    """Candidate local NPAs for a ``local_center``, nearest first (may be empty).

    ``local_center`` holds exactly one of ``tn_prefix``, ``zipcode``, or ``latitude`` with
    ``longitude``; promo numbers (``allow_city_state=True``) also accept ``city`` with
    ``state``. Any other key raises ``RecordInvalid("Invalid Key in Local Center.")``.
    """
    if not isinstance(local_center, Mapping):
        raise RecordInvalid("Invalid Key in Local Center.")
    allowed = PROMO_LOCAL_CENTER_KEYS if allow_city_state else LOCAL_CENTER_KEYS
    keys = set(local_center)
    if not keys or not keys <= allowed:
        raise RecordInvalid("Invalid Key in Local Center.")
    groups = [
        group
        for group in ({"tn_prefix"}, {"zipcode"}, {"latitude", "longitude"}, {"city", "state"})
        if group & keys
    ]
    if len(groups) != 1 or not groups[0] <= keys:
        raise RecordInvalid(
            "Local Center requires exactly one of: tn_prefix, zipcode, "
            "latitude & longitude together"
            + (", city & state together." if allow_city_state else ".")
        )
    radius = float(search_radius_miles)
    if not math.isfinite(radius) or radius < 0:
        raise RecordInvalid("search_radius_miles must be 0 or more.")
    whitelist = None
    if tn_prefix_whitelist is not None:
        if isinstance(tn_prefix_whitelist, str):
            raise RecordInvalid("tn_prefix_whitelist must be an array of NPAs.")
        whitelist = {str(code).strip() for code in tn_prefix_whitelist}
    npas = geographic_npas()
    first: list[str] = []
    state: str | None
    if "tn_prefix" in keys:
        npa = str(local_center["tn_prefix"]).strip()
        if not _NPA.match(npa):
            raise RecordInvalid("Invalid tn_prefix in Local Center.")
        center = _npa_centers().get(npa)
        if npa not in npas or center is None:
            return []
        first = [npa]
        latitude, longitude, state = center
    elif "zipcode" in keys:
        code = str(local_center["zipcode"]).strip()[:5]
        zip_ = _zips().get(code) if _ZIP.match(code) else None
        if zip_ is None:
            raise RecordInvalid("Invalid zipcode in Local Center.")
        first = list(zip_.area_codes)
        latitude, longitude, state = zip_.latitude, zip_.longitude, zip_.state
    elif "city" in keys:
        key = (
            str(local_center["city"]).strip().upper(),
            str(local_center["state"]).strip().upper(),
        )
        zips = _city_index().get(key)
        if not zips:
            raise RecordInvalid("Invalid city and state in Local Center.")
        counts: dict[str, int] = defaultdict(int)
        for zip_ in zips:
            for code in zip_.area_codes:
                counts[code] += 1
        first = sorted(counts, key=lambda c: (-counts[c], c))
        latitude = sum(z.latitude for z in zips) / len(zips)
        longitude = sum(z.longitude for z in zips) / len(zips)
        state = key[1]
    else:
        latitude = _coordinate("latitude", local_center["latitude"], 90.0)
        longitude = _coordinate("longitude", local_center["longitude"], 180.0)
        state = None
    ordered = _ordered_npas(
        tuple(first), round(latitude, 6), round(longitude, 6), state=state, radius=radius,
        restrict_search_to_state=bool(restrict_search_to_state),
    )
    if whitelist is not None:
        return [code for code in ordered if code in whitelist]
    return list(ordered)


@lru_cache(maxsize=4096)
def _ordered_npas(
    first: tuple[str, ...],
    latitude: float,
    longitude: float,
    *,
    state: str | None,
    radius: float,
    restrict_search_to_state: bool,
) -> tuple[str, ...]:
    """The center's own NPAs, then those of nearby ZIP codes by distance (memoised)."""
    npas = geographic_npas()
    nearby = _nearby(latitude, longitude, radius)
    if state is None and nearby:
        state = nearby[0][1].state
    ordered: dict[str, None] = dict.fromkeys(code for code in first if code in npas)
    for _, zip_ in nearby:
        if restrict_search_to_state and zip_.state != state:
            continue
        for code in zip_.area_codes:
            if code in npas:
                ordered.setdefault(code)
    return tuple(ordered)


# --------------------------------------------------------------------------- inventory
#: the subscriber numbers (last seven digits) of the full range: exchanges 200..999
_FIRST_SUBSCRIBER, _END_SUBSCRIBER = 2_000_000, 10_000_000
#: the fictional lines of every NPA: NXX-555-0100..0199
_FICTIONAL_LINES = range(100, 200)


def in_share(number: str, share: tuple[int, int]) -> bool:
    """Whether ``number`` belongs to share ``(k, n)``: its last seven digits are k modulo n."""
    k, n = share
    return int(number[3:]) % n == k


@lru_cache(maxsize=65_536)
def _valid_exchange(npa: str, exchange: str) -> bool:
    """Whether numbers of NPA-NXX are valid: ``phonenumbers``' NANP patterns decide by the
    first six digits (memoised: the full range draws many numbers of each exchange)."""
    return exchange[1:] != "11" and _is_valid(f"{npa}{exchange}0100")  # N11: not lines


class _NpaStock:
    """The fictional numbers of one NPA's share still to issue, shuffled once on first use."""

    __slots__ = ("numbers",)

    def __init__(self, npa: str, rng: random.Random, share: tuple[int, int]) -> None:
        self.numbers = [number for number in (f"{npa}555{line:04d}" for line in _FICTIONAL_LINES)
                        if in_share(number, share)]
        rng.shuffle(self.numbers)


class NumberInventory:
    """Issues US numbers deterministically from a seeded rng, never the same one twice.

    ``share=(k, n)`` limits it to the numbers whose last seven digits are k modulo n (a
    network's share, :mod:`simulator.number_shares`); the default is the whole range. Each
    NPA's fictional numbers are shuffled by their own stream (salted once from ``rng``), and
    an exhausted range answers before any draw: a refused issue leaves the rng as it was.
    Not thread-safe by itself beyond an internal lock around each call.
    """

    #: rejection-sampling tries per NPA before the full range counts as exhausted
    MAX_TRIES = 200

    def __init__(self, rng: random.Random, *, fictional_only: bool = True,
                 share: tuple[int, int] = (0, 1)) -> None:
        if not isinstance(rng, random.Random):
            raise TypeError("NumberInventory needs a seeded random.Random")
        k, n = share
        if not 0 <= k < n:
            raise ValueError(f"share {share} is not (k, n) with 0 <= k < n")
        self._rng = rng
        self._salt = rng.getrandbits(64)
        self.fictional_only = fictional_only
        self.share = share
        self._lock = threading.Lock()
        self._stocks: dict[str, _NpaStock] = {}
        self._issued: set[str] = set()
        #: fictional numbers of the share in one NPA (the same for every NPA)
        self._per_npa = sum(1 for line in _FICTIONAL_LINES if (5_550_000 + line) % n == k)
        #: the first subscriber number of the share in the full range, and how many it holds
        self._first = _FIRST_SUBSCRIBER + (k - _FIRST_SUBSCRIBER) % n
        self._span = max(0, (_END_SUBSCRIBER - self._first + n - 1) // n)

    @property
    def issued_count(self) -> int:
        with self._lock:
            return len(self._issued)

    @property
    def fictional_per_npa(self) -> int:
        """How many fictional numbers of each NPA the share holds."""
        return self._per_npa

    def is_issued(self, number: str) -> bool:
        with self._lock:
            return number in self._issued

    def _stock(self, npa: str) -> _NpaStock:
        stock = self._stocks.get(npa)
        if stock is None:
            stock = self._stocks[npa] = _NpaStock(
                npa, random.Random(f"{self._salt}:{npa}"), self.share)
        return stock

    def _has_stock(self, npa: str) -> bool:
        """Whether the NPA may still issue (the full range: always; rejection decides)."""
        if not self.fictional_only:
            return self._span > 0
        stock = self._stocks.get(npa)
        return bool(stock.numbers) if stock is not None else self._per_npa > 0

    def _issue_fictional(self, npa: str) -> str | None:
        stock = self._stock(npa)
        while stock.numbers:
            number = stock.numbers.pop()
            if number not in self._issued:
                self._issued.add(number)
                return number
        return None

    def _issue_any(self, npa: str) -> str | None:
        n = self.share[1]
        for _ in range(self.MAX_TRIES):
            subscriber = self._first + n * self._rng.randrange(self._span)
            number = f"{npa}{subscriber:07d}"
            if number in self._issued or not _valid_exchange(npa, number[3:6]):
                continue
            self._issued.add(number)
            return number
        return None

    def _issue(self, npa: str) -> str | None:
        return self._issue_fictional(npa) if self.fictional_only else self._issue_any(npa)

    def issue_toll_free(self) -> str:
        """A new toll-free number (random toll-free NPA among those with numbers left)."""
        with self._lock:
            open_npas = [npa for npa in _TOLL_FREE_ORDER if self._has_stock(npa)]
            while open_npas:
                index = self._rng.randrange(len(open_npas))
                number = self._issue(open_npas[index])
                if number is not None:
                    return number
                del open_npas[index]
            raise NumbersExhausted(
                "No toll-free number left in the fictional range (NXX-555-0100..0199, "
                f"{len(TOLL_FREE_NPAS) * self._per_npa} numbers): allow the full number range "
                "(fictional_only=False) to issue more."
            )

    def issue_local(self, npas: Sequence[str]) -> str | None:
        """A new local number in the first of ``npas`` that has one left; None if none.

        NPAs that are not geographic NPAs (toll-free, unassigned such as 455, malformed) are
        skipped.
        """
        with self._lock:
            valid = geographic_npas()
            for npa in npas:
                if npa not in valid or not self._has_stock(npa):
                    continue  # toll-free, unassigned or malformed NPA, or none left
                number = self._issue(npa)
                if number is not None:
                    return number
            return None

    def release(self, number: str) -> bool:
        """Return an issued number to the inventory; False when it was not issued."""
        with self._lock:
            if number not in self._issued:
                return False
            self._issued.discard(number)
            if self.fictional_only and number[3:6] == "555":
                self._stock(number[:3]).numbers.append(number)
            return True
