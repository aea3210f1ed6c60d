"""The SMS Messaging API's model: SMS-enabled numbers, messages and their delivery reports.

Rules of this module:

* A network enables its own promo numbers for SMS (:class:`SmsNumber`, by E.164 number);
  disabling soft-deletes (``deleted_at``); enabling a disabled one again restores it.
* An outgoing message is one :class:`SmsMessage` per recipient. Its fate is drawn when it is
  sent, from the book's own seeded stream (``invoca-sandbox:<seed>:sms``): uuids, carrier
  ids and whether the carrier fails it (``failure_rate``). Nothing is drawn afterwards, so
  when a message is read never changes what it becomes.
* Delivery reports appear on the sandbox clock (:meth:`SmsBook.settle`): ``sent``
  (``progress_bit`` 1) ``send_delay_seconds`` after the message was created, then
  ``delivered`` (2) or ``failed`` (4) ``delivery_delay_seconds`` later. A message without a
  report is queued.
* Segments are counted as carriers do (:func:`segments`): GSM-7 (160 septets, 153 per part
  when concatenated; the extension table costs two) or else UCS-2 (70 UTF-16 units, 67 per
  part; an emoji is two units and never split).
* Listings (:func:`page_of`) take ``page``/``limit``, ``sort=field:dir`` and filters
  ``field[eq|lte|gte|empty]``; messages are filtered to the current date (UTC, on the sandbox
  clock) when no date filter is given.
* Errors carry the documents' own messages (:class:`SmsError` subclasses); the HTTP edge
  renders them as ``{"message": ...}``.
"""

from __future__ import annotations

import math
import random
import re
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers

from simulator.errors import SandboxError

__all__ = [
    "DEFAULT_DELIVERY_DELAY_SECONDS",
    "DEFAULT_FAILURE_RATE",
    "DEFAULT_SEND_DELAY_SECONDS",
    "PROGRESS_BITS",
    "DeliveryReport",
    "SmsBadRequest",
    "SmsBook",
    "SmsConflict",
    "SmsError",
    "SmsForbidden",
    "SmsMessage",
    "SmsNotFound",
    "SmsNumber",
    "SmsPage",
    "SmsUnprocessable",
    "e164",
    "e164_of",
    "page_of",
    "segments",
    "stamp",
]

DEFAULT_SEND_DELAY_SECONDS = 1.0
DEFAULT_DELIVERY_DELAY_SECONDS = 5.0
DEFAULT_FAILURE_RATE = 0.0
#: a delivery report's ``progress_bit``: sent to the carrier, delivered, failed
PROGRESS_BITS = {"sent": 1, "delivered": 2, "failed": 4}
CARRIER_INTERFACE = "bandwidth"
#: the carrier's answer on a failed message (Bandwidth's error code and description)
FAILED_CODE, FAILED_DESCRIPTION = 4720, "Carrier Rejected as Invalid Destination"
DELIVERED_DESCRIPTION = "ok"

#: the longest text of a message (the contract's maxLength)
MAX_TEXT = 2048
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
OPERATORS = ("eq", "lte", "gte", "empty")
FILTER_KEY = re.compile(r"^([A-Za-z_]+)\[([A-Za-z_]*)\]$")
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")

# ---------------------------------------------------------------------------- errors


class SmsError(SandboxError):
    """An error of the SMS Messaging API (body ``{"message": ...}``)."""

    error_class = "SmsError"
    status_hint = 400


class SmsBadRequest(SmsError):
    error_class = "SmsBadRequest"
    status_hint = 400


class SmsForbidden(SmsError):
    error_class = "SmsForbidden"
    status_hint = 403

    def __init__(self, message: str = "Forbidden") -> None:
        super().__init__(message)


class SmsNotFound(SmsError):
    error_class = "SmsNotFound"
    status_hint = 404


class SmsConflict(SmsError):
    error_class = "SmsConflict"
    status_hint = 409


class SmsUnprocessable(SmsError):
    error_class = "SmsUnprocessable"
    status_hint = 422


INVALID_NUMBER = "Unprocessable Entity - the requested phone number is not valid"
UNKNOWN_OBJECT = ("Not Found - The request could not be completed due to the requested object "
                  "identifier being unknown to SMS Messaging.")
CONFLICT = ("Conflict - The request could not be completed due to a conflict with the current "
            "state of SMS Messaging.")
NO_MESSAGES_FOR_NUMBER = "Not Found - Could not find any messages for the requested phone number"
NO_MESSAGE = "Not Found - Could not find any messages for the requested uuid"
NO_REPORT = "Not Found - Could not find any delivery reports for the requested delivery report uuid"


def number_not_in_system(number: str) -> SmsNotFound:
    return SmsNotFound(f"Not Found - the requested phone number, {number}, is not in the system")


# ---------------------------------------------------------------------------- values


def stamp(instant: datetime | None) -> str | None:
    """``2022-03-14T20:30:12.000Z`` (milliseconds, UTC), as the documents show instants."""
    if instant is None:
        return None
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def e164(text: Any) -> str | None:
    """``text`` when it is a valid E.164 number (``+`` and digits, a number
    :mod:`phonenumbers` knows as valid), else None."""
    if not isinstance(text, str) or not E164.match(text):
        return None
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return formatted if formatted == text else None


def e164_of(number: str) -> str | None:
    """A promo number as stored (``8665550101``, NANP digits) in E.164, or None."""
    try:
        parsed = phonenumbers.parse(str(number), "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def _parts(units: Sequence[int], single: int, part: int) -> int:
    """How many parts ``units`` (the cost of each character, never split) take."""
    total = sum(units)
    if total <= single:
        return 1 if total else 0
    count, used = 1, 0
    for cost in units:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count


def segments(text: str) -> int:
    """The carrier segments of ``text``: GSM-7 when every character is in the GSM 03.38
    basic or extension table (160 / 153), else UCS-2 (70 / 67 UTF-16 units)."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text):
        return _parts([2 if ch in GSM_EXTENSION else 1 for ch in text], 160, 153)
    return _parts([2 if ord(ch) > 0xFFFF else 1 for ch in text], 70, 67)


# ---------------------------------------------------------------------------- records


@dataclass(eq=False)
class SmsNumber:
    phone_number: str
    network_id: int
    virtual_line_id: int
    created_at: datetime
    enabled_at: datetime | None
    deleted_at: datetime | None = None
    carrier_interface: str = CARRIER_INTERFACE

    def summary(self) -> dict[str, Any]:
        return {"phone_number": self.phone_number, "created_at": stamp(self.created_at),
                "deleted_at": stamp(self.deleted_at),
                "carrier_interface": self.carrier_interface,
                "enabled_at": stamp(self.enabled_at)}

    def detail(self) -> dict[str, Any]:
        return {"phone_number": self.phone_number, "virtual_line_id": self.virtual_line_id,
                "network_id": self.network_id, "created_at": stamp(self.created_at),
                "deleted_at": stamp(self.deleted_at),
                "carrier_interface": self.carrier_interface,
                "enabled_at": stamp(self.enabled_at)}


@dataclass(eq=False)
class DeliveryReport:
    uuid: str
    message_uuid: str
    progress_bit: int
    created_at: datetime
    destination: str
    carrier_description: str | None = None
    carrier_errorcode: int | None = None

    def summary(self) -> dict[str, Any]:
        return {"progress_bit": self.progress_bit, "created_at": stamp(self.created_at),
                "uuid": self.uuid}

    def detail(self) -> dict[str, Any]:
        return {"uuid": self.uuid, "message_uuid": self.message_uuid,
                "progress_bit": self.progress_bit, "created_at": stamp(self.created_at),
                "destination": self.destination,
                "carrier_description": self.carrier_description,
                "carrier_errorcode": self.carrier_errorcode}


@dataclass(frozen=True, slots=True)
class Fate:
    """What becomes of an outgoing message, drawn when it is sent."""

    sent_at: datetime
    ends_at: datetime
    fails: bool
    report_uuids: tuple[str, str]
    carrier_message_id: str


@dataclass(eq=False)
class SmsMessage:
    uuid: str
    cuid: str
    network_id: int
    direction: str
    sender: str
    to: str
    text: str
    segments: int
    created_at: datetime
    virtual_line_id: int
    deleted_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    carrier_message_id: str | None = None
    reports: list[DeliveryReport] = field(default_factory=list)
    fate: Fate | None = None

    def summary(self) -> dict[str, Any]:
        return {"direction": self.direction, "from": self.sender, "uuid": self.uuid,
                "delivery_reports": [r.summary() for r in self.reports], "text": self.text,
                "created_at": stamp(self.created_at), "to": self.to, "cuid": self.cuid,
                "deleted_at": stamp(self.deleted_at)}

    def detail(self) -> dict[str, Any]:
        return {"direction": self.direction, "from": self.sender, "uuid": self.uuid,
                "delivery_reports": [r.summary() for r in self.reports], "text": self.text,
                "segments": self.segments, "failed_at": stamp(self.failed_at), "to": self.to,
                "cuid": self.cuid, "delivered_at": stamp(self.delivered_at),
                "carrier_message_id": self.carrier_message_id,
                "deleted_at": stamp(self.deleted_at), "created_at": stamp(self.created_at),
                "virtual_line_id": self.virtual_line_id}

    #: the values filters and sorts read, by field name
    def value(self, name: str) -> Any:
        return {"from": self.sender, "segments": self.segments}.get(
            name, getattr(self, name, None))


# ---------------------------------------------------------------------------- listings


@dataclass(frozen=True)
class SmsPage:
    """One page of a listing, pagy's numbers (the HTTP edge writes its URLs)."""

    items: list[dict[str, Any]]
    page: int
    limit: int
    count: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.count / self.limit))

    def numbers(self) -> dict[str, Any]:
        """pagy's variables: ``count, page, items, pages, last, from, to, in, prev, next,
        series`` (the current page in ``series`` is a string, as pagy writes it)."""
        pages = self.pages
        shown = len(self.items)
        start = (self.page - 1) * self.limit
        return {"count": self.count, "page": self.page, "items": self.limit, "pages": pages,
                "last": pages, "from": start + 1 if shown else 0,
                "to": start + shown if shown else 0, "in": shown,
                "prev": self.page - 1 if 1 < self.page <= pages + 1 else None,
                "next": self.page + 1 if self.page < pages else None,
                "series": series(self.page, pages)}


def series(page: int, last: int, size: tuple[int, int, int, int] = (1, 4, 4, 1)) -> list[Any]:
    """pagy's ``series``: page numbers with ``"gap"`` markers, the current one a string."""
    left_gap_start = 1 + size[0]
    left_gap_end = page - size[1] - 1
    right_gap_start = page + size[2] + 1
    right_gap_end = last - size[3]
    left_gap_end = min(left_gap_end, right_gap_end)
    right_gap_start = max(right_gap_start, left_gap_start)
    found: list[Any] = []
    start = 1
    if left_gap_end - left_gap_start > 0:
        found += [*range(start, left_gap_start), "gap"]
        start = left_gap_end + 1
    if right_gap_end - right_gap_start > 0:
        found += [*range(start, right_gap_start), "gap"]
        start = right_gap_end + 1
    found += list(range(start, last + 1))
    return [str(item) if item == page else item for item in found]


@dataclass(frozen=True)
class Listing:
    """What one listing may be filtered and sorted by."""

    fields: tuple[str, ...]
    #: only the current date when no filter names a date field
    today_by_default: bool = False


MESSAGE_FIELDS = Listing(("created_at", "direction", "from", "to", "uuid", "cuid",
                          "segments", "deleted_at", "delivered_at", "failed_at"),
                         today_by_default=True)
REPORT_FIELDS = Listing(("created_at", "progress_bit"))
NUMBER_FIELDS = Listing(("created_at", "phone_number", "carrier_interface", "enabled_at",
                         "deleted_at"))


def _one(value: Any) -> str:
    if isinstance(value, list):
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _instant(text: str) -> datetime:
    cleaned = text.strip().replace(" ", "+")
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise SmsUnprocessable(f"Unprocessable Entity - '{text}' is not a valid timestamp") \
            from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _comparable(value: Any, wanted: str) -> tuple[Any, Any]:
    if isinstance(value, datetime):
        return value, _instant(wanted)
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value), wanted
    try:
        return value, int(wanted)
    except ValueError:
        raise SmsUnprocessable(f"Unprocessable Entity - '{wanted}' is not a valid integer") \
            from None


def _empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, int) and value == 0)


Row = Any  # SmsMessage | DeliveryReport | SmsNumber: each has value(name) or attributes


def _value(row: Row, name: str) -> Any:
    reader = getattr(row, "value", None)
    return reader(name) if reader is not None else getattr(row, name, None)


def _test(name: str, operator: str, wanted: str) -> Callable[[Row], bool]:
    if operator == "empty":
        return lambda row: _empty(_value(row, name))

    def test(row: Row) -> bool:
        value = _value(row, name)
        if value is None:
            return False
        have, want = _comparable(value, wanted)
        if operator == "eq":
            return bool(have == want)
        if operator == "lte":
            return bool(have <= want)
        return bool(have >= want)

    return test


def _unsupported(kind: str, names: Iterable[str], supported: Iterable[str]) -> SmsUnprocessable:
    return SmsUnprocessable(
        f"The request contains unsupported {kind}: "
        f"{', '.join(repr(n) for n in names)}. Supported {kind.rsplit(maxsplit=1)[-1]}: "
        f"'{', '.join(supported)}'")


def page_of(rows: Sequence[Row], query: Mapping[str, Any], listing: Listing, now: datetime,
            render: Callable[[Row], dict[str, Any]]) -> SmsPage:
    """One page of ``rows`` (in creation order) as ``query`` asks: filters, sort, page."""
    tests: list[Callable[[Row], bool]] = []
    bad_fields: list[str] = []
    bad_operators: list[str] = []
    dated = False
    for key, raw in query.items():
        found = FILTER_KEY.match(str(key))
        if found is None:
            continue
        name, operator = found.groups()
        if name not in listing.fields:
            bad_fields.append(name)
            continue
        if operator not in OPERATORS:
            bad_operators.append(operator)
            continue
        dated = dated or name.endswith("_at")
        tests.append(_test(name, operator, _one(raw)))
    if bad_fields:
        raise _unsupported("filter columns", bad_fields, listing.fields)
    if bad_operators:
        raise _unsupported("filter operators", bad_operators, OPERATORS)
    if listing.today_by_default and not dated:
        day = datetime(now.year, now.month, now.day, tzinfo=UTC)
        tests.append(lambda row: day <= row.created_at < day + timedelta(days=1))
    selected = [row for row in rows if all(test(row) for test in tests)]
    name, descending = _sort(_one(query.get("sort")), listing)
    if name != "created_at" or descending:
        selected = _sorted(selected, name, descending)
    limit = _positive(query.get("limit"), DEFAULT_LIMIT, "limit")
    limit = min(limit, MAX_LIMIT)
    page = _positive(query.get("page"), 1, "page")
    start = (page - 1) * limit
    return SmsPage([render(row) for row in selected[start:start + limit]], page, limit,
                   len(selected))


def _positive(value: Any, default: int, name: str) -> int:
    if value is None or value in ("", []):
        return default
    if isinstance(value, list):
        value = value[-1]
    if isinstance(value, bool):
        raise SmsBadRequest(f"Bad Request - {name} must be a positive integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SmsBadRequest(f"Bad Request - {name} must be a positive integer") from None
    if number < 1:
        raise SmsBadRequest(f"Bad Request - {name} must be a positive integer")
    return number


def _sort(text: str, listing: Listing) -> tuple[str, bool]:
    name, sep, direction = text.partition(":")
    name, direction = name.strip(), direction.strip().lower()
    if not sep and name.lower() in ("asc", "desc"):
        name, direction = "", name.lower()
    name = name or "created_at"
    if name not in listing.fields:
        raise _unsupported("sort columns", [name], listing.fields)
    if direction not in ("", "asc", "desc"):
        raise SmsUnprocessable(f"The request contains an unsupported sort direction: "
                               f"'{direction}'. Supported directions: 'asc, desc'")
    return name, direction == "desc"


def _sorted(rows: list[Row], name: str, descending: bool) -> list[Row]:
    present = [row for row in rows if _value(row, name) is not None]
    absent = [row for row in rows if _value(row, name) is None]
    ordered = sorted(present, key=lambda row: _value(row, name), reverse=descending)
    return ordered + absent if not descending else absent + ordered


# ---------------------------------------------------------------------------- the book


class SmsBook:
    """Every network's SMS-enabled numbers and messages (one book per platform)."""

    def __init__(self, seed: int, *, send_delay_seconds: float = DEFAULT_SEND_DELAY_SECONDS,
                 delivery_delay_seconds: float = DEFAULT_DELIVERY_DELAY_SECONDS,
                 failure_rate: float = DEFAULT_FAILURE_RATE) -> None:
        #: the book's own stream: drawn only by commands that succeed (a refusal draws nothing)
        self.rng = random.Random(f"invoca-sandbox:{seed}:sms")
        self.send_delay = timedelta(seconds=send_delay_seconds)
        self.delivery_delay = timedelta(seconds=delivery_delay_seconds)
        self.failure_rate = failure_rate
        #: (network id, E.164) -> number
        self.numbers: dict[tuple[int, str], SmsNumber] = {}
        #: uuid -> message, in creation order
        self.messages: dict[str, SmsMessage] = {}
        self.pending: list[SmsMessage] = []

    # ---- draws

    def _uuid(self) -> str:
        return str(uuid_module.UUID(int=self.rng.getrandbits(128), version=4))

    def _cuid(self) -> str:
        bits = self.rng.getrandbits(64)
        text = f"{bits:016X}"
        return f"{text[:4]}-{text[4:]}"

    # ---- numbers

    def number(self, network_id: int, phone_number: str) -> SmsNumber:
        """An SMS number of the network (deleted ones too); 422 when it is not E.164 at all,
        404 otherwise."""
        if not E164.match(phone_number):
            raise SmsUnprocessable(INVALID_NUMBER)
        found = self.numbers.get((network_id, phone_number))
        if found is None:
            raise number_not_in_system(phone_number)
        return found

    def enable(self, network_id: int, phone_number: str, virtual_line_id: int | None,
               now: datetime) -> tuple[SmsNumber, bool]:
        """Enable one of the network's promo numbers (``virtual_line_id`` None: not the
        network's): (the number, True when it is new); re-enabling a disabled one restores
        it (False); an enabled one is 409."""
        if not E164.match(phone_number):
            raise SmsUnprocessable(INVALID_NUMBER)
        if virtual_line_id is None:  # a valid number or not, it is not the network's
            raise SmsForbidden()
        found = self.numbers.get((network_id, phone_number))
        if found is not None:
            if found.deleted_at is None:
                raise SmsConflict("")
            found.deleted_at = None
            found.enabled_at = now
            found.virtual_line_id = virtual_line_id
            return found, False
        created = SmsNumber(phone_number, network_id, virtual_line_id, now, now)
        self.numbers[network_id, phone_number] = created
        return created, True

    def disable(self, network_id: int, phone_number: str, now: datetime) -> SmsNumber:
        found = self.number(network_id, phone_number)
        if found.deleted_at is None:
            found.deleted_at = now
            found.enabled_at = None
        return found

    def numbers_of(self, network_id: int) -> list[SmsNumber]:
        return [n for (net, _), n in self.numbers.items() if net == network_id]

    def enabled_number(self, phone_number: str) -> SmsNumber | None:
        """The enabled SMS number ``phone_number`` of any network (inbound messages)."""
        for (_, number), found in self.numbers.items():
            if number == phone_number and found.deleted_at is None:
                return found
        return None

    # ---- messages

    def send(self, network_id: int, requests: Any, now: datetime) -> list[SmsMessage]:
        """Messages for every (request, recipient), all checked before any is made."""
        if not isinstance(requests, list) or not requests:
            raise SmsBadRequest("Bad Request - the body must be a non-empty array of messages")
        planned: list[tuple[SmsNumber, str, str]] = []
        for index, request in enumerate(requests):
            if not isinstance(request, Mapping):
                raise SmsBadRequest(f"Bad Request - message {index} must be an object")
            sender, text, recipients = request.get("from"), request.get("text"), request.get("to")
            if isinstance(recipients, str):
                recipients = [recipients]
            if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
                raise SmsBadRequest(f"Bad Request - message {index}: text is required (at "
                                    f"most {MAX_TEXT} characters)")
            if not isinstance(recipients, list) or not recipients:
                raise SmsBadRequest(f"Bad Request - message {index}: to must list one or more "
                                    "E.164 phone numbers")
            for recipient in recipients:
                if e164(recipient) is None:
                    raise SmsBadRequest(f"Bad Request - message {index}: {recipient!r} is not "
                                        "a valid E.164 phone number")
            if e164(sender) is None:
                raise SmsBadRequest(f"Bad Request - message {index}: from {sender!r} is not a "
                                    "valid E.164 phone number")
            number = self.numbers.get((network_id, str(sender)))
            if number is None:
                raise SmsNotFound(UNKNOWN_OBJECT)
            if number.deleted_at is not None:
                raise SmsConflict(CONFLICT)
            planned += [(number, recipient, text) for recipient in recipients]
        made = []
        for number, recipient, text in planned:
            message = SmsMessage(
                uuid=self._uuid(), cuid=self._cuid(), network_id=network_id, direction="out",
                sender=number.phone_number, to=recipient, text=text, segments=segments(text),
                created_at=now, virtual_line_id=number.virtual_line_id)
            sent_at = now + self.send_delay
            message.fate = Fate(sent_at=sent_at, ends_at=sent_at + self.delivery_delay,
                                fails=self.rng.random() < self.failure_rate,
                                report_uuids=(self._uuid(), self._uuid()),
                                carrier_message_id=f"{self.rng.getrandbits(48):d}")
            self.messages[message.uuid] = message
            self.pending.append(message)
            made.append(message)
        self.settle(now)
        return made

    def receive(self, sender: Any, to: Any, text: Any, now: datetime) -> SmsMessage:
        """An incoming message from ``sender`` to the enabled number ``to``."""
        if e164(sender) is None:
            raise SmsBadRequest(f"Bad Request - from {sender!r} is not a valid E.164 phone number")
        if e164(to) is None:
            raise SmsBadRequest(f"Bad Request - to {to!r} is not a valid E.164 phone number")
        if not isinstance(text, str) or not text or len(text) > MAX_TEXT:
            raise SmsBadRequest(f"Bad Request - text is required (at most {MAX_TEXT} "
                                "characters)")
        number = self.enabled_number(str(to))
        if number is None:
            raise number_not_in_system(str(to))
        message = SmsMessage(
            uuid=self._uuid(), cuid=self._cuid(), network_id=number.network_id, direction="in",
            sender=sender, to=to, text=text, segments=segments(text), created_at=now,
            virtual_line_id=number.virtual_line_id, delivered_at=now,
            carrier_message_id=f"{self.rng.getrandbits(48):d}")
        self.messages[message.uuid] = message
        return message

    def settle(self, now: datetime) -> None:
        """Add the delivery reports whose instant has come (nothing is drawn here)."""
        still: list[SmsMessage] = []
        for message in self.pending:
            fate = message.fate
            assert fate is not None
            if not message.reports and now >= fate.sent_at:
                message.carrier_message_id = fate.carrier_message_id
                message.reports.append(DeliveryReport(
                    fate.report_uuids[0], message.uuid, PROGRESS_BITS["sent"], fate.sent_at,
                    message.to))
            if len(message.reports) == 1 and now >= fate.ends_at:
                if fate.fails:
                    message.failed_at = fate.ends_at
                    message.reports.append(DeliveryReport(
                        fate.report_uuids[1], message.uuid, PROGRESS_BITS["failed"],
                        fate.ends_at, message.to, FAILED_DESCRIPTION, FAILED_CODE))
                else:
                    message.delivered_at = fate.ends_at
                    message.reports.append(DeliveryReport(
                        fate.report_uuids[1], message.uuid, PROGRESS_BITS["delivered"],
                        fate.ends_at, message.to, DELIVERED_DESCRIPTION))
            if len(message.reports) < 2:
                still.append(message)
        self.pending = still

    def message(self, network_id: int, message_uuid: str) -> SmsMessage:
        found = self.messages.get(message_uuid)
        if found is None or found.network_id != network_id:
            raise SmsNotFound(NO_MESSAGE)
        return found

    def messages_of(self, network_id: int, phone_number: str | None = None) -> list[SmsMessage]:
        return [m for m in self.messages.values() if m.network_id == network_id
                and (phone_number is None or phone_number in (m.sender, m.to))]

    def report(self, network_id: int, message_uuid: str, report_uuid: str) -> DeliveryReport:
        message = self.message(network_id, message_uuid)
        for report in message.reports:
            if report.uuid == report_uuid:
                return report
        raise SmsNotFound(NO_REPORT)

    def delete(self, network_id: int, message_uuid: str, now: datetime) -> SmsMessage:
        found = self.message(network_id, message_uuid)
        if found.deleted_at is None:
            found.deleted_at = now
        return found

    def usage(self, network_id: int, phone_number: str) -> dict[str, Any]:
        """Messages and segments sent from and received by one of the network's numbers
        (soft-deleted messages included: they were sent)."""
        self.number(network_id, phone_number)
        counts = {"out": [0, 0], "in": [0, 0]}
        for message in self.messages_of(network_id):
            if message.direction == "out" and message.sender == phone_number:
                counts["out"][0] += 1
                counts["out"][1] += message.segments
            elif message.direction == "in" and message.to == phone_number:
                counts["in"][0] += 1
                counts["in"][1] += message.segments
        return {"messages": {
            "phone_number": phone_number,
            "outgoing": {"segments": counts["out"][1], "messages": counts["out"][0]},
            "incoming": {"segments": counts["in"][1], "messages": counts["in"][0]}}}
