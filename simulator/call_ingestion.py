"""The Call Ingestion API (2022-03-01): calls from other telephony systems become transactions.

Rules of this module:

* A request is read whole before anything changes, and answered with the documents' errors
  (the contract's ``CallIngestionRequest``): no ``call`` object is ``RecordInvalid``
  "Validation failed: 'call' is required"; every problem of the request is packed into one
  ``RecordInvalid`` "Validation failed: ..." message joined with ``", "`` ("we will do our
  best to package all of the issues together in one response message"), except a lone invalid
  value, which is answered with the value's path as the error class (``call.start_time``), as
  the docs' campaign errors are (``call.advertiser_campaign_id_from_network``).
* Who may ingest: a network token, or an advertiser token for its own advertiser's
  campaigns; an affiliate token, or a network without the Call Ingestion feature, is
  ``UnauthorizedOperation``; a campaign the token does not reach (or no campaign of that id in
  the network) is ``UnauthorizedAdvertiser``. The campaign's current terms (those of its last
  go_live; a campaign never live: its staged terms) must say ``campaign_type`` ExternalOnly
  ("campaign must be for external calls only") and ``transcription_enabled`` ("campaign must
  have transcription enabled").
* ``external_call_unique_id`` is unique per network: the same call again (the same id and the
  same call parameters; signals and custom data are not compared) is *already received*
  (the first ``cuid``, nothing changes); the id with other parameters is
  :class:`IdAlreadyUsed` (409).
* Processing is asynchronous on the sandbox clock: a received call becomes a ``Call``
  transaction ``delay_seconds`` after it was received (:meth:`CallIngestion.due`), never
  before. Its ``transaction_id`` and ``complete_call_id`` are the ``cuid`` answered at once,
  drawn from the transaction id stream when the call is received (so the ids do not depend on
  when the platform looks at the clock).
* No recording is fetched or processed: the call has no duration (0), no transcript and no
  recording link; signals and custom data sent with the call are on its transaction as custom
  data (signals of data type ``Signal``, custom data ``Short Text``, source ``Api``).
* No I/O, no wall clock, no global random: instants are passed in, ids come from the seeded
  :class:`~simulator.transactions.TransactionIds`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import phonenumbers

from openapi.contract import load_spec
from simulator.errors import (
    RecordInvalid,
    SandboxError,
    UnauthorizedAdvertiser,
    UnauthorizedOperation,
)
from simulator.events import Event
from simulator.network import formatted
from simulator.principals import Principal
from simulator.reported_values import parse_boolean, parse_timestamp
from simulator.resources.records import AdvertiserCampaign, Network
from simulator.transaction_columns import blank_row
from simulator.transactions import CustomValue, Transaction, TransactionIds, time_fields

__all__ = [
    "DEFAULT_DELAY_SECONDS",
    "CallIngested",
    "CallIngestion",
    "IdAlreadyUsed",
    "InvalidValue",
    "Receipt",
    "parse_start_time",
    "processed_event",
]

#: the default processing delay ("Requests may take up to 24 hours to process"): 15 minutes
DEFAULT_DELAY_SECONDS = 900.0
#: the longest processing delay the documents allow
MAX_DELAY_SECONDS = 24 * 3600.0
#: the country codes a destination may have: US/Canada, "UK and Spanish numbers"
DESTINATION_COUNTRIES = frozenset({1, 44, 34})
#: the longest external_call_unique_id the sandbox keeps (sandbox bound)
MAX_ID_LENGTH = 255
REQUIRED = ("external_call_unique_id", "start_time", "destination_phone_number",
            "calling_phone_number", "advertiser_campaign_id_from_network", "call_direction")
PERMISSION = "You do not have permissions to perform the requested operation."
CAMPAIGN = "call.advertiser_campaign_id_from_network"


def _model_enum(name: str) -> tuple[str, ...]:
    """A ``CallIngestionCall`` property's ``x-model-checks`` enum (the contract's list)."""
    schema = load_spec()["components"]["schemas"]["CallIngestionCall"]
    return tuple(schema["properties"][name]["x-model-checks"]["enum"])


DIRECTIONS = _model_enum("call_direction")
LANGUAGE_CODES = _model_enum("language_code")


class InvalidValue(SandboxError):
    """One invalid value of a Call Ingestion request: its path is the error class (403)."""

    error_class = "RecordInvalid"
    status_hint = 403

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.error_class = path  # type: ignore[misc]  # the docs' field-path classes


class IdAlreadyUsed(SandboxError):
    """The external_call_unique_id names another call of the network (409)."""

    error_class = "call.external_call_unique_id"
    status_hint = 409


@dataclass(frozen=True, slots=True)
class CallIngested(Event):
    """An ingested call finished processing: it is a transaction now."""

    kind: ClassVar[str] = "CallIngested"

    transaction_id: str
    external_call_unique_id: str
    network_id: int
    advertiser_campaign_id_from_network: str


@dataclass(frozen=True, slots=True)
class Receipt:
    """The answer to a request: the call's ``cuid``; ``already_received`` for a repeat."""

    cuid: str
    already_received: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"cuid": self.cuid}


@dataclass(frozen=True, slots=True)
class NetworkIngestion:
    """A network's Call Ingestion setup: the feature ("must be enabled for your network") and
    Direct Recording Access (recordings named after the external id need no filename)."""

    enabled: bool = True
    direct_access: bool = False


@dataclass(frozen=True, slots=True)
class IngestedCall:
    """A received call: what identifies it, when it is processed, and its transaction."""

    network_id: int
    external_call_unique_id: str
    cuid: str
    received_at: datetime
    ready_at: datetime
    #: the normalised call parameters (a repeat has the same)
    details: tuple[Any, ...]
    transaction: Transaction
    campaign_id_from_network: str


@dataclass
class _Read:
    """A request read whole: the call's normalised values and every problem found."""

    values: dict[str, Any] = field(default_factory=dict)
    signals: dict[str, CustomValue] = field(default_factory=dict)
    custom: dict[str, CustomValue] = field(default_factory=dict)
    #: (path, message, missing)
    problems: list[tuple[str, str, bool]] = field(default_factory=list)

    def missing(self, name: str) -> None:
        self.problems.append((f"call.{name}", f"'{name}' is required", True))

    def invalid(self, path: str, message: str) -> None:
        self.problems.append((path, message, False))

    def raise_problems(self) -> None:
        if not self.problems:
            return
        if len(self.problems) == 1 and not self.problems[0][2]:
            path, message, _ = self.problems[0]
            raise InvalidValue(path, message)
        raise RecordInvalid("Validation failed: " + ", ".join(m for _, m, _ in self.problems))


# ----------------------------------------------------------------------------- values

_DATE_TIME = re.compile(
    r"^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?"
    r"(?: ?(AM|PM))?(?: ?(Z|UTC|[+-]\d{2}:?\d{2}))?$", re.IGNORECASE)


def parse_start_time(value: Any) -> datetime | None:
    """A ``start_time`` in one of the documented formats (:func:`parse_timestamp`: epoch
    seconds or ms, compressed, ISO 8601, Excel) or the docs' examples' own (``2022-03-25
    09:31:29``, ``2016-02-03 09:30:00 AM``, ``2016-08-08 11:03:31 -0700``); wall times without
    an offset are in the network's time zone, UTC in the sandbox. None when not one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    found = parse_timestamp(value)
    if found is not None:
        return found
    match = _DATE_TIME.match(str(value).strip())
    if match is None:
        return None
    y, mo, d, h, mi, s, frac, half, zone = match.groups()
    hour = int(h)
    if half is not None:
        if hour > 12 and half.upper() == "AM":
            return None
        if half.upper() == "PM" and hour < 12:
            hour += 12
        elif half.upper() == "AM" and hour == 12:
            hour = 0
    try:
        instant = datetime(int(y), int(mo), int(d), hour, int(mi), int(s),
                           int((frac or ".0")[1:].ljust(6, "0")), UTC)
    except ValueError:
        return None
    if zone and zone.upper() not in ("Z", "UTC"):
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        instant -= offset if zone[0] == "+" else -offset
    return instant


def e164(value: Any, countries: frozenset[int] | None = None) -> str | None:
    """A valid phone number as E.164 text (``+18885551212``); ten digits without a country
    code are read as North American. None when not valid (or not of ``countries``)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > 32:
        return None
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    if countries is not None and parsed.country_code not in countries:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def shown(number: str) -> str:
    """A number as the Transactions API shows it: ``888-555-1212`` for North America."""
    return formatted(number[2:]) if number.startswith("+1") else number


def _text(value: Any) -> str | None:
    """A scalar given as text (strings and integers), None when not one or blank."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _given(value: Any) -> bool:
    return value is not None and value != ""


# ----------------------------------------------------------------------------- the book


class CallIngestion:
    """The calls a platform received through the Call Ingestion API, pending or processed."""

    def __init__(self, ids: TransactionIds, delay_seconds: float = DEFAULT_DELAY_SECONDS) -> None:
        if not 0 <= delay_seconds <= MAX_DELAY_SECONDS:
            raise ValueError(f"call_ingestion_delay_seconds must be 0..{MAX_DELAY_SECONDS:.0f}")
        self.ids = ids
        self.delay = timedelta(seconds=delay_seconds)
        self.networks: dict[int, NetworkIngestion] = {}
        #: (network id, external_call_unique_id) -> the call
        self.received: dict[tuple[int, str], IngestedCall] = {}
        #: received and not processed yet, in processing order
        self.pending: list[IngestedCall] = []

    def configure(self, network_id: int, *, enabled: bool | None = None,
                  direct_access: bool | None = None) -> None:
        """A network's setup (world files: ``call_ingestion``, ``recording_direct_access``)."""
        current = self.networks.get(network_id, NetworkIngestion())
        self.networks[network_id] = NetworkIngestion(
            current.enabled if enabled is None else bool(enabled),
            current.direct_access if direct_access is None else bool(direct_access))

    def setup(self, network_id: int) -> NetworkIngestion:
        return self.networks.get(network_id, NetworkIngestion())

    # ---- receiving ------------------------------------------------------------------------

    def receive(self, now: datetime, network: Network, principal: Principal, body: Any,
                campaign_fields: Callable[[dict[str, Any], AdvertiserCampaign], None],
                ) -> Receipt:
        """Read, check and record one request (see the module rules)."""
        setup = self.setup(network.id)
        if principal.role not in ("network", "advertiser") or not setup.enabled:
            raise UnauthorizedOperation(PERMISSION)
        call = body.get("call") if isinstance(body, Mapping) else None
        if not isinstance(call, Mapping):
            raise RecordInvalid("Validation failed: 'call' is required")
        read = self._read(call, body, setup)
        read.raise_problems()
        values = read.values
        campaign = self._campaign(network, principal, values["campaign"])
        external_id = values["external_call_unique_id"]
        details = tuple(sorted((k, v) for k, v in values.items()))
        key = (network.id, external_id)
        previous = self.received.get(key)
        if previous is not None:
            if previous.details == details:
                return Receipt(previous.cuid, already_received=True)
            raise IdAlreadyUsed("external_call_unique_id has already been used")
        cuid = self.ids.next()
        fields = blank_row()
        campaign_fields(fields, campaign)
        fields.update(time_fields(values["start_at"]))
        fields.update({
            "transaction_id": cuid,
            "complete_call_id": cuid,
            "transaction_type": "Call",
            "duration": 0,
            "connect_duration": 0,
            "ivr_duration": 0,
            "calling_phone_number": shown(values["calling_phone_number"]),
            "destination_phone_number": shown(values["destination_phone_number"]),
            "call_source_description": "External",
            "transfer_from_type": "N/A",
        })
        custom = {**read.custom, **read.signals}
        transaction = Transaction(network.id, values["start_at"], fields, custom)
        ingested = IngestedCall(network.id, external_id, cuid, now, now + self.delay, details,
                                transaction, campaign.id_from_network)
        self.received[key] = ingested
        self.pending.append(ingested)  # one delay for all: received order is ready order
        return Receipt(cuid)

    def _read(self, call: Mapping[str, Any], body: Mapping[str, Any],
              setup: NetworkIngestion) -> _Read:
        read = _Read()
        values = read.values
        for name in REQUIRED:
            if not _given(call.get(name)):
                read.missing(name)
        external_id = _text(call.get("external_call_unique_id"))
        if _given(call.get("external_call_unique_id")):
            if external_id is None or len(external_id) > MAX_ID_LENGTH:
                read.invalid("call.external_call_unique_id", "external_call_unique_id must be "
                             f"a string of at most {MAX_ID_LENGTH} characters")
            values["external_call_unique_id"] = external_id
        if _given(call.get("start_time")):
            start = parse_start_time(call["start_time"])
            if start is None:
                read.invalid("call.start_time",
                             "start_time is not in a supported timestamp format")
            values["start_at"] = start
        for name, countries, wording in (
                ("destination_phone_number", DESTINATION_COUNTRIES,
                 "a valid E.164 phone number of the US or Canada (+1), the UK (+44) or "
                 "Spain (+34)"),
                ("calling_phone_number", None, "a valid E.164 phone number")):
            if _given(call.get(name)):
                number = e164(call[name], countries)
                if number is None:
                    read.invalid(f"call.{name}", f"{name} must be {wording}")
                values[name] = number
        if _given(call.get("advertiser_campaign_id_from_network")):
            campaign = _text(call["advertiser_campaign_id_from_network"])
            if campaign is None:
                read.invalid(CAMPAIGN, "advertiser_campaign_id_from_network must be an id")
            values["campaign"] = campaign
        if _given(call.get("call_direction")):
            direction = call["call_direction"]
            if direction not in DIRECTIONS:
                read.invalid("call.call_direction",
                             f"call_direction must be {' or '.join(DIRECTIONS)}")
            values["call_direction"] = direction
        self._recording(call, read, setup)
        language = call.get("language_code")
        if _given(language) and language not in LANGUAGE_CODES:
            read.invalid("call.language_code",
                         f"language_code must be one of {', '.join(LANGUAGE_CODES)}")
        values["language_code"] = language if _given(language) else None
        auth = call.get("recording_auth_config_id")
        values["recording_auth_config_id"] = _text(auth) if _given(auth) else None
        if _given(auth) and _text(auth) is None:
            read.invalid("call.recording_auth_config_id",
                         "recording_auth_config_id must be an id")
        self._signals(body.get("signals"), read)
        self._custom_data(body.get("custom_data"), read)
        return read

    @staticmethod
    def _recording(call: Mapping[str, Any], read: _Read, setup: NetworkIngestion) -> None:
        url, filename = call.get("recording_url"), call.get("recording_filename")
        if _given(url) and _given(filename):
            read.invalid("call.recording_url",
                         "give recording_url or recording_filename, not both")
        elif _given(url):
            parts = urlsplit(str(url)) if isinstance(url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                read.invalid("call.recording_url", "recording_url must be an http or https URL")
        elif _given(filename):
            if not isinstance(filename, str) or not filename.strip():
                read.invalid("call.recording_filename", "recording_filename must be a path")
        elif setup.direct_access:
            # "If your recording filename exactly matches the external_call_unique_id, you can
            # omit this field entirely"
            filename = read.values.get("external_call_unique_id")
        else:
            read.problems.append(("call.recording_url",
                                  "'recording_url' or 'recording_filename' is required", True))
        read.values["recording_url"] = url if _given(url) else None
        read.values["recording_filename"] = filename if _given(filename) else None

    @staticmethod
    def _signals(signals: Any, read: _Read) -> None:
        if signals is None:
            return
        if not isinstance(signals, list):
            read.invalid("signals", "signals must be an array")
            return
        for index, signal in enumerate(signals):
            if not isinstance(signal, Mapping) or not _given(signal.get("name")) \
                    or _text(signal.get("name")) is None:
                read.problems.append((f"signals[{index}].name",
                                      f"signals[{index}] 'name' is required", True))
                continue
            value = signal.get("value")
            met = True if value is None else parse_boolean(value)
            if met is None:
                read.invalid(f"signals[{index}].value",
                             f"signals[{index}] 'value' must be true or false")
                continue
            name = str(_text(signal["name"]))
            names = {known.lower(): known for known in read.signals}
            read.signals[names.get(name.lower(), name)] = CustomValue(met, "Signal", "Api")

    @staticmethod
    def _custom_data(custom: Any, read: _Read) -> None:
        if custom is None:
            return
        if not isinstance(custom, list):
            read.invalid("custom_data", "custom_data must be an array")
            return
        for index, given in enumerate(custom):
            item = given if isinstance(given, Mapping) else {}
            name = _text(item.get("name")) if _given(item.get("name")) else None
            if name is None:
                read.problems.append((f"custom_data[{index}].name",
                                      f"'name' for custom_data[{index}] is required", True))
            value = item.get("value")
            if not _given(value) or isinstance(value, Mapping | list):
                read.problems.append((f"custom_data[{index}].value",
                                      f"'value' for custom_data[{index}] is required", True))
            elif name is not None:
                read.custom[name] = CustomValue(value, "Short Text", "Api")

    @staticmethod
    def _campaign(network: Network, principal: Principal, key: str) -> AdvertiserCampaign:
        """The ExternalOnly campaign ``key`` names, reached by ``principal``."""
        found: AdvertiserCampaign | None = None
        for advertiser in network.advertisers.values():
            if principal.role == "advertiser" and (
                    advertiser.id_from_network != principal.advertiser_id_from_network):
                continue
            found = advertiser.campaigns.get(key)
            if found is not None:
                break
        if found is None:
            raise UnauthorizedAdvertiser("You do not have access to this advertiser")
        terms = found.live_values if found.live_values is not None else found.values
        if terms.get("campaign_type") != "ExternalOnly":
            raise InvalidValue(CAMPAIGN, "campaign must be for external calls only")
        if parse_boolean(terms.get("transcription_enabled", True)) is False:
            raise InvalidValue(CAMPAIGN, "campaign must have transcription enabled")
        return found

    # ---- processing -----------------------------------------------------------------------

    def due(self, now: datetime) -> list[IngestedCall]:
        """The received calls whose processing is over at ``now`` (removed from pending), in
        the order they were received."""
        count = 0
        for ingested in self.pending:
            if ingested.ready_at > now:
                break
            count += 1
        if not count:
            return []
        done, self.pending = self.pending[:count], self.pending[count:]
        return done


def processed_event(now: datetime, ingested: IngestedCall) -> CallIngested:
    """The event of a call whose processing is over."""
    return CallIngested(now, ingested.cuid, ingested.external_call_unique_id,
                        ingested.network_id, ingested.campaign_id_from_network)

