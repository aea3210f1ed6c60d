"""The calls desk of the platform: simulated calls on the sandbox clock, the Calls In Progress
API, the Call API's transcripts and the Call Ingestion API (a part of :class:`Platform`).

A call is received (attributed when it starts), may be in progress from its transfer to its
end, and becomes its transaction when the clock passes its end (:meth:`CallDesk._settle_calls`,
run before anything reads or adds transactions); an ingested call becomes its transaction
after the processing delay. docs/fidelity.md CL1-CL9, I1-I12.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.call_ingestion import CallIngestion, Receipt, processed_event
from simulator.calls import (
    API_SOURCE,
    DEFAULT_CALL_SOURCE,
    CallBook,
    LiveCall,
    parse_custom_data,
    parse_transcript,
    timeline,
    transcript_body,
)
from simulator.clock import as_utc
from simulator.errors import (
    RecordInvalid,
    RecordNotFound,
    SandboxError,
    Unauthorized,
)
from simulator.events import Event, EventLog
from simulator.network import formatted
from simulator.numbers import parse_number
from simulator.principals import Principal
from simulator.resources.records import Advertiser, AdvertiserCampaign
from simulator.resources.store import Store, require_object
from simulator.ringpool import CUSTOM_PARAMS, Allocation, RingPool
from simulator.settings import Streams
from simulator.transactions import (
    RANKING_COLUMNS,
    CustomValue,
    Transaction,
    TransactionIds,
    TransactionLog,
    blank_row,
    time_fields,
)

_CALLER_NPAS = ("212", "213", "312", "415", "617", "702", "805", "303", "206", "404")
#: the longest simulated call: a 32-bit count of seconds, like every count of the contract
MAX_CALL_SECONDS = 2**31 - 1




@dataclass(frozen=True, slots=True)
class CallAttributed(Event):
    """A simulated call became a transaction (attributed to an allocation, or not)."""

    kind = "CallAttributed"

    transaction_id: str
    promo_number: str
    ring_pool_id: int | None
    allocation_id: int | None
    attributed: bool


class CallDesk:
    """The calls operations of :class:`simulator.platform.Platform` (a mixin: the platform holds
    the state they use)."""

    streams: Streams
    directory: Store
    calls: CallBook
    call_ingestion: CallIngestion
    transactions: TransactionLog
    transaction_ids: TransactionIds
    events: EventLog
    _lock: Any

    #: the platform's clock and scoping (simulator.journal.Journaled, simulator.platform)
    now: Callable[[], datetime]
    _scoped_advertiser: Callable[[Principal, int | str], Advertiser | None]

    # ---- calls --------------------------------------------------------------------------

    def _caller_number(self) -> str:
        npa = self.streams.callers.choice(_CALLER_NPAS)
        return f"{npa}555{self.streams.callers.randrange(100, 200):04d}"

    def simulate_call(
        self,
        promo_number: str,
        start_at: datetime | None = None,
        duration_seconds: int | None = 60,
        calling_phone_number: str | None = None,
        *,
        ring_seconds: int | None = None,
        talk_seconds: int | None = None,
        destination_phone_number: str | None = None,
        custom_data: Any = None,
        transcript: Any = None,
    ) -> dict[str, Any]:
        """An inbound call to ``promo_number``: its transaction-to-be (returned, with the
        call's ``call_status``, ``bridge_start_time`` and ``end_time``).

        Attributed when it starts (``start_at``, never in the future) to the allocation that
        held the number then (ring pool numbers) or to the static promo number's campaign; the
        overflow number or a never-allocated pool number gives an unattributed transaction of
        the pool's campaign.

        Without phases (no ``ring_seconds`` nor ``talk_seconds``) the call is over when it is
        made: its transaction is recorded at once (``duration_seconds``, default 60, all
        talk). With phases it rings ``ring_seconds`` (default 0), is transferred to its
        destination, talks ``talk_seconds`` (default ``duration_seconds`` - ``ring_seconds``,
        or 60) and ends on the sandbox clock: in progress (Calls In Progress API) from the
        transfer to its end, recorded as its transaction when the clock reaches the end.
        ``destination_phone_number`` overrides the campaign's; ``custom_data`` (the marketing
        data the call arrives with) and ``transcript`` (utterances) are optional: a call
        without a transcript gets a fake one, deterministic per seed.
        """
        digits = parse_number(str(promo_number))
        ring, talk, phases = _phases(duration_seconds, ring_seconds, talk_seconds)
        caller = parse_number(calling_phone_number) if calling_phone_number else None
        destination = (_format_loose(str(destination_phone_number))
                       if destination_phone_number not in (None, "") else None)
        custom_given = parse_custom_data(custom_data, DEFAULT_CALL_SOURCE)
        utterances = parse_transcript(transcript, talk)
        with self._lock:
            self._settle_calls()
            now = self.now()
            at = now if start_at is None else as_utc(start_at, name="start_time")
            if at > now:
                raise RecordInvalid(field_errors={"start_time": ["can't be in the future"]})
            received = self._receive_call(digits, at, caller, destination)
            fields, custom, campaign = received.fields, received.custom, received.campaign
            custom.update(custom_given)
            fields.update({
                "duration": ring + talk,
                "connect_duration": talk,
                "ivr_duration": ring,
            })
            bridged_at, ends_at = timeline(at, ring, talk)
            live = LiveCall(
                sequence=self.calls.next_sequence(),
                network_id=campaign.advertiser.network.id,
                advertiser_id=campaign.advertiser.id,
                affiliate_id=fields.get("affiliate_id") or None,
                started_at=at, bridged_at=bridged_at, ends_at=ends_at,
                fields=fields, custom=custom, called_phone_number=digits,
                attribution=received.attribution,
                transcript=utterances,
                names=(str(fields.get("advertiser_name") or ""),
                       str(fields.get("advertiser_campaign_name") or "")),
            )
            if phases and ends_at > now:
                self.calls.add(live)
                answer = Transaction(live.network_id, at, fields, custom).to_dict()
                status = live.status(now)
            else:
                answer, status = self._record_call(live, now).to_dict(), "ended"
            return {**answer, "call_status": status, "start_time": at,
                    "bridge_start_time": bridged_at, "end_time": ends_at}

    def _receive_call(self, digits: str, at: datetime, caller: str | None,
                      destination: str | None) -> _ReceivedCall:
        """The transaction row of a call to ``digits`` starting ``at`` (attributed then), its
        custom data and campaign: what the platform knows when a call arrives."""
        owner = self.directory.number_owners.get(digits)
        if owner is None:
            raise RecordNotFound(f"Could not find promo number {digits}")
        fields = blank_row()
        allocation: Allocation | None = None
        pool: RingPool | None = None
        affiliate_id_from_network: str | None = None
        custom: dict[str, CustomValue] = {}
        if owner.ring_pool_id is not None:
            placement = self.directory.ring_pools_by_id[owner.ring_pool_id]
            pool = placement.pool
            campaign = placement.campaign
            if digits != pool.overflow_number:
                allocation = pool.attribute(digits, at)
            if allocation is not None:
                affiliate_id_from_network = allocation.affiliate_id_from_network
            fields["media_type"] = "Pooling"
            fields.update(self._pool_fields(pool, allocation))
        else:
            promo = owner.promo_number
            assert promo is not None
            campaign = promo.campaign
            if promo.affiliate_campaign is not None:
                affiliate_id_from_network = promo.affiliate_campaign.affiliate.id_from_network
                fields["affiliate_campaign_id_from_network"] = (
                    promo.affiliate_campaign.id_from_network
                )
            fields["media_type"] = promo.values.get("media_type") or ""
            fields["virtual_line_id"] = str(promo.id)
            description = promo.values.get("description") or ""
            fields["promo_line_description"] = description
            fields["advertiser_promo_line_description"] = description
            for name, value in (promo.values.get("custom_data") or {}).items():
                custom[str(name)] = CustomValue(value, "Short Text", "VirtualLine")
        self._campaign_fields(fields, campaign, affiliate_id_from_network)
        transaction_id = self.transaction_ids.next()
        fields.update(time_fields(at))
        if destination is None:
            found = ""
            if pool is not None:
                found = pool.properties["values"].get("destination_phone_number") or ""
            if not found:
                found = campaign.advertiser.values.get("web_integration_phone_number") or ""
            destination = _format_loose(str(found))
        fields.update({
            "transaction_id": transaction_id,
            "complete_call_id": transaction_id,
            "transaction_type": "Call",
            "calling_phone_number": formatted(caller or self._caller_number()),
            "destination_phone_number": destination,
            "call_source_description": fields["media_type"],
            "call_result_description_detail": "Connected",
            "hangup_cause": "Caller: Hang-up",
            "transfer_from_type": "N/A",
        })
        attribution = (digits, pool.id if pool is not None else None,
                       allocation.id if allocation is not None else None,
                       allocation is not None or pool is None)
        return _ReceivedCall(fields, custom, campaign, attribution)

    def _record_call(self, call: LiveCall, at: datetime) -> Transaction:
        """An ended call becomes its transaction (with what was set while it was in
        progress); its transcript can be read from then on."""
        fields = dict(call.fields)
        if call.external_unique_id is not None:
            fields["external_unique_id"] = call.external_unique_id
        transaction = self.transactions.append(Transaction(
            call.network_id, call.started_at, fields, {**call.custom, **call.set_custom}
        ))
        self.calls.keep_transcript(
            call.call_record_id, call.transcript, int(fields.get("connect_duration") or 0),
            call.names, scope=(call.network_id, str(fields.get("advertiser_id_from_network")),
                               str(fields.get("affiliate_id_from_network") or "")))
        digits, pool_id, allocation_id, attributed = call.attribution
        self.events.append(CallAttributed(at, call.transaction_id, digits, pool_id,
                                          allocation_id, attributed))
        return transaction

    def _settle_calls(self) -> None:
        """Record every call the clock has seen end (in end order), then every ingested call
        whose processing is over, before anything reads or adds transactions: the same state
        whenever it is looked at."""
        for call in self.calls.ended(self.now()):
            self._record_call(call, call.ends_at)
        self._ingested_calls_due()

    # ---- Calls In Progress API --------------------------------------------------------------

    def _organization(self, principal: Principal, query: Mapping[str, Any]
                      ) -> tuple[int, int | None] | None:
        """The (network id, advertiser id or None) ``organization_type`` and ``id`` name, as
        ``principal`` may reach it; None for an advertiser its network does not have."""
        kind = str(query.get("organization_type") or "")
        ident = str(query.get("id") or "")
        if kind not in ("Network", "Advertiser"):
            raise RecordInvalid(field_errors={"organization_type": [
                "is not included in the list"]})
        if not ident.isdigit():
            raise RecordInvalid(field_errors={"id": ["is not a number"]})
        if kind == "Network":
            if principal.role != "network" or str(principal.network_id) != ident:
                raise Unauthorized(f"Not authorized for network {ident}")
            return int(ident), None
        advertiser = self._scoped_advertiser(principal, ident)
        if advertiser is None:
            return None
        return advertiser.network.id, advertiser.id

    def _calls_of(self, organization: tuple[int, int | None] | None) -> list[LiveCall]:
        if organization is None:
            return []
        network_id, advertiser_id = organization
        return [call for call in self.calls.in_progress(self.now())
                if call.network_id == network_id
                and (advertiser_id is None or call.advertiser_id == advertiser_id)]

    def list_current_calls(self, principal: Principal, query: Mapping[str, Any], *,
                           version: str | None = None) -> dict[str, Any]:
        """The calls in progress of an organization, most recently bridged first; filtered by
        ``transaction_id``, ``external_unique_id``, and ``calling_phone_number`` with
        ``destination_phone_number`` (both or neither)."""
        with self._lock:
            self._settle_calls()
            organization = self._organization(principal, query)
            wanted = _call_filters(query)
            calls = [call for call in self._calls_of(organization) if _matches(call, wanted)]
            return {"current_calls": [self._current_call(call) for call in calls]}

    def update_call_in_progress(self, principal: Principal, query: Mapping[str, Any],
                                body: Mapping[str, Any], *,
                                version: str | None = None) -> dict[str, Any]:
        """Set ``external_unique_id`` and ``custom_data`` values of the call in progress that
        ``transaction_id`` or ``external_unique_id`` names; the values show in its transaction
        when it ends. An ended, ringing or unknown call is ``NotFound``."""
        with self._lock:
            self._settle_calls()
            organization = self._organization(principal, query)
            transaction_id = _one(query, "transaction_id")
            external_id = _one(query, "external_unique_id")
            if not transaction_id and not external_id:
                raise RecordInvalid(field_errors={"transaction_id": [
                    "can't be blank (or give external_unique_id)"]})
            payload = require_object(body).get("call_in_progress")
            if not isinstance(payload, Mapping):
                raise RecordInvalid(field_errors={"call_in_progress": ["can't be blank"]})
            new_id = payload.get("external_unique_id")
            if new_id is not None and (not isinstance(new_id, str | int)
                                       or isinstance(new_id, bool) or not str(new_id).strip()):
                raise RecordInvalid(field_errors={"external_unique_id": ["is invalid"]})
            values = parse_custom_data(payload.get("custom_data"), API_SOURCE)
            calls = self._calls_of(organization)
            found = next((call for call in calls
                          if (not transaction_id or call.transaction_id == transaction_id)
                          and (not external_id or call.external_unique_id == external_id)),
                         None)
            if found is None:
                raise RecordNotFound("The call specified via transaction_id or external_unique_id "
                               "was not found")
            if new_id is not None:
                new_id = str(new_id)
                if any(call.external_unique_id == new_id and call is not found
                       for call in self.calls.all_live() if call.network_id == found.network_id):
                    raise RecordInvalid(field_errors={"external_unique_id": [
                        "has already been taken"]})
                found.external_unique_id = new_id
            found.set_custom.update(values)
            return {"current_calls": [self._current_call(found)]}

    #: the POST form of the update ("we will also accept POST requests")
    update_call_in_progress_via_post = update_call_in_progress

    def _current_call(self, call: LiveCall) -> dict[str, Any]:
        """A call in progress as the Calls In Progress API shows it (the fields of its page)."""
        f = call.fields

        def text(name: str) -> str:
            value = f.get(name)
            return "" if value is None else str(value)

        custom: dict[str, Any] = {
            name: {"value": value.value, "source": value.source}
            for name, value in call.custom.items() if value.value is not None
        }
        custom["demographics_data"] = {}  # no Enhanced Caller Profiles in the sandbox
        return {
            "transaction_id": call.transaction_id,
            "call_status": "bridged",
            "external_unique_id": call.external_unique_id,
            "calling_phone_number": _e164(text("calling_phone_number")),
            "destination_phone_number": _e164(text("destination_phone_number")),
            "called_phone_number": _e164(call.called_phone_number),
            "bridge_start_time": call.bridged_at.isoformat(timespec="seconds"),
            "call_record_id": call.call_record_id,
            "phone_type": text("mobile"),
            "advertiser_campaign_country": text("advertiser_campaign_country"),
            "advertiser_campaign_id": text("advertiser_campaign_id"),
            "advertiser_campaign_id_from_network": text("advertiser_campaign_id_from_network"),
            "advertiser_campaign_name": text("advertiser_campaign_name"),
            "advertiser_id": text("advertiser_id"),
            "advertiser_id_from_network": text("advertiser_id_from_network"),
            "advertiser_name": text("advertiser_name"),
            "affiliate_campaign_id_from_network": text("affiliate_campaign_id_from_network"),
            "affiliate_commissions_ranking": text("affiliate_commissions_ranking"),
            "affiliate_conversion_rate_ranking": text("affiliate_conversion_rate_ranking"),
            "affiliate_id": text("affiliate_id"),
            "affiliate_id_from_network": text("affiliate_id_from_network"),
            "affiliate_name": text("affiliate_name"),
            "affiliate_volume_ranking": text("affiliate_call_volume_ranking"),
            "city": text("city"),
            "keypress_1": text("keypress_1"),
            "keypress_2": text("keypress_2"),
            "keypress_3": text("keypress_3"),
            "keypress_4": text("keypress_4"),
            "keypresses": "",
            "media_type": text("media_type"),
            "promo_number_description": text("promo_line_description"),
            "promo_number_id": text("virtual_line_id"),
            "qualified_regions": text("qualified_regions"),
            "region": text("region"),
            "repeat_calling_phone_number": text("repeat_calling_phone_number"),
            "source": text("call_source_description"),
            "start_time": call.started_at.isoformat(timespec="seconds"),
            "verified_zip_code": "",
            "zip_code": "",
            "custom_data": custom,
        }

    # ---- Call API: transcripts ------------------------------------------------------------

    def get_call_transcript(self, principal: Principal, call_record_id: str,
                            query: Mapping[str, Any], *,
                            version: str | None = None) -> list[dict[str, str]]:
        """The transcript of an ended call in ``transcript_format`` (the four documented
        shapes); a call the principal cannot see is as unknown (``NotFound``)."""
        with self._lock:
            self._settle_calls()
            found = self.calls.transcript(str(call_record_id))
            if found is None or not _sees(principal, found[1]):
                raise RecordNotFound(f"Could not find call record {call_record_id}")
            return transcript_body(found[0], str(query.get("transcript_format") or ""))

    def _campaign_fields(self, fields: dict[str, Any], campaign: AdvertiserCampaign,
                         affiliate_id_from_network: str | None) -> None:
        advertiser = campaign.advertiser
        fields.update({
            "advertiser_id": advertiser.id,
            "advertiser_id_from_network": advertiser.id_from_network,
            "advertiser_name": advertiser.values.get("name") or "",
            "advertiser_campaign_id": campaign.id,
            "advertiser_campaign_id_from_network": campaign.id_from_network,
            "advertiser_campaign_name": campaign.values.get("name") or "",
            "advertiser_campaign_country": campaign.values.get("campaign_country") or "",
        })
        if affiliate_id_from_network is not None:
            affiliate = advertiser.network.affiliates.get(affiliate_id_from_network)
            if affiliate is not None:
                fields["affiliate_id"] = affiliate.id
                fields["affiliate_id_from_network"] = affiliate.id_from_network
                fields["affiliate_name"] = affiliate.values.get("name") or ""
                # "0 to 5, and -1 being 'new'": the sandbox ranks no affiliate, all are new
                fields.update(dict.fromkeys(RANKING_COLUMNS, "-1"))
                held = campaign.affiliate_campaigns.get(affiliate.id_from_network)
                if held is not None and not fields.get("affiliate_campaign_id_from_network"):
                    fields["affiliate_campaign_id_from_network"] = held.id_from_network

    @staticmethod
    def _pool_fields(pool: RingPool, allocation: Allocation | None) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "dynamic_number_pool_id": pool.id,
            "dynamic_number_pool_pool_type": pool.pool_type,
        }
        if allocation is None:
            return fields
        params = allocation.params
        names = pool.param_names
        for index, param in enumerate(CUSTOM_PARAMS, start=1):
            if param in params:
                name = names[index - 1] if index <= len(names) and names[index - 1] else param
                fields[f"dynamic_number_pool_referrer_param{index}_name"] = name
                fields[f"dynamic_number_pool_referrer_param{index}_value"] = params[param]
        fields["dynamic_number_pool_referrer_search_engine"] = params.get("search_engine", "")
        fields["dynamic_number_pool_referrer_search_keywords"] = params.get("search_keywords", "")
        fields["dynamic_number_pool_referrer_search_type"] = params.get("search_type", "")
        return fields

    # ---- Call Ingestion API ---------------------------------------------------------------

    def create_ingested_call(self, principal: Principal, body: Mapping[str, Any], *,
                             version: str | None = None) -> Receipt:
        """Call Ingestion API: receive a call of another telephony system; it becomes a
        transaction after the processing delay (:mod:`simulator.call_ingestion`)."""
        with self._lock:
            network = self.directory.network(principal.network_id)
            receipt = self.call_ingestion.receive(
                self.now(), network, principal, body,
                lambda fields, campaign: self._campaign_fields(fields, campaign, None))
            self._settle_calls()  # no delay: processed at once
            return receipt

    #: PUT: "we will also accept PUT requests with the same request format"
    update_ingested_call = create_ingested_call

    def _ingested_calls_due(self) -> None:
        """Record the ingested calls whose processing is over as transactions (on every
        clock move and Transactions API read; nothing random is drawn here)."""
        now = self.now()
        for ingested in self.call_ingestion.due(now):
            self.transactions.append(ingested.transaction)
            self.events.append(processed_event(now, ingested))


def _format_loose(number: str) -> str:
    """Format a 10-digit destination as ``866-555-1234``; leave anything else as given."""
    try:
        return formatted(parse_number(number))
    except SandboxError:
        return number


@dataclass(frozen=True, slots=True)
class _ReceivedCall:
    """What the platform knows of a call when it arrives."""

    fields: dict[str, Any]
    custom: dict[str, CustomValue]
    campaign: AdvertiserCampaign
    #: (promo number, ring pool id, allocation id, attributed) for ``CallAttributed``
    attribution: tuple[str, int | None, int | None, bool]


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            0 <= value <= MAX_CALL_SECONDS):
        raise RecordInvalid(field_errors={name: [f"must be an integer in 0..{MAX_CALL_SECONDS}"]})
    return value


def _phases(duration: Any, ring: Any, talk: Any) -> tuple[int, int, bool]:
    """(ring seconds, talk seconds, whether the call has phases) of a simulated call."""
    if duration is not None:
        duration = _whole("duration_seconds", duration)
    if ring is None and talk is None:
        return 0, 60 if duration is None else duration, False
    ring = 0 if ring is None else _whole("ring_seconds", ring)
    if talk is None:
        talk = 60 if duration is None else duration - ring
        if talk < 0:
            raise RecordInvalid(field_errors={"duration_seconds": [
                "must not be shorter than ring_seconds"]})
    talk = _whole("talk_seconds", talk)
    if duration is not None and duration != ring + talk:
        raise RecordInvalid(field_errors={"duration_seconds": [
            "must be ring_seconds + talk_seconds (or left out)"]})
    return ring, talk, True


def _one(query: Mapping[str, Any], name: str) -> str:
    value = query.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return "" if value is None else str(value).strip()


_NOT_DIGITS = re.compile(r"\D+")


def _phone_digits(text: str) -> str:
    """The national digits of a North American number in any common form (800-555-1234,
    8005551234, +18005551234, 18005551234); other text: its digits."""
    digits = _NOT_DIGITS.sub("", text)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _e164(number: str) -> str:
    """``805-555-0123`` -> ``+18055550123``; anything but 10 digits as given."""
    digits = _phone_digits(number)
    return f"+1{digits}" if len(digits) == 10 else number


def _call_filters(query: Mapping[str, Any]) -> dict[str, str]:
    """The Calls In Progress filters of ``query`` (phone numbers as national digits)."""
    wanted = {name: _one(query, name) for name in (
        "transaction_id", "external_unique_id", "calling_phone_number",
        "destination_phone_number")}
    calling, destination = wanted["calling_phone_number"], wanted["destination_phone_number"]
    if bool(calling) != bool(destination):
        missing = "destination_phone_number" if calling else "calling_phone_number"
        other = "calling_phone_number" if calling else "destination_phone_number"
        raise RecordInvalid(field_errors={missing: [f"is required with {other}"]})
    for name in ("calling_phone_number", "destination_phone_number"):
        if wanted[name]:
            digits = _phone_digits(wanted[name])
            if len(digits) != 10:
                raise RecordInvalid(field_errors={name: ["is not a phone number"]})
            wanted[name] = digits
    return {name: value for name, value in wanted.items() if value}


def _matches(call: LiveCall, wanted: Mapping[str, str]) -> bool:
    for name, value in wanted.items():
        if name == "transaction_id" and call.transaction_id != value:
            return False
        if name == "external_unique_id" and call.external_unique_id != value:
            return False
        if name in ("calling_phone_number", "destination_phone_number") and _phone_digits(
                str(call.fields.get(name) or "")) != value:
            return False
    return True


def _sees(principal: Principal, scope: tuple[int, str, str]) -> bool:
    """Whether ``principal`` may read a call of (network id, advertiser id from network,
    affiliate id from network): its network, advertiser or affiliate."""
    network_id, advertiser, affiliate = scope
    if principal.network_id != network_id:
        return False
    if principal.role == "advertiser":
        return principal.advertiser_id_from_network == advertiser
    if principal.role == "affiliate":
        return bool(affiliate) and principal.affiliate_id_from_network == affiliate
    return principal.role == "network"
