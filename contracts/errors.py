"""Suite 3, error shapes: each documented error of each API, in every format the API offers.

An :class:`ErrorExample` is one request that must fail in a documented way: the status, the
media type for its format (``x-error-media-type-by-format``), a body that validates against the
contract's schema for that operation/status/media type (XML and text decoded as
:mod:`contracts.deserializers` does), and the error class (``errors.class`` in JSON,
``<Class>`` in XML, the ``Class:`` prefix of text). 500s come from the sandbox's fault
injection (``POST /_sandbox/faults {"operation": ..., "status": 500, "count": 1}``); they need
the ``faults`` capability.

Choices: the requests below are the smallest that trigger each error on any deployment with
the target's credentials (a wrong key, no credentials, an id that cannot exist, a limit below
the documented minimum, a property outside the path's version, a version that is no date).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import requests

from contracts.deserializers import decode_xml, resolve, response_schema
from contracts.target import Target

NETWORK_VERSION = "2016-10-01"
RINGPOOL_VERSION = "2015-12-09"
TRANSACTIONS_VERSION = "2021-08-09"
BULK_VERSION = "2013-07-01"
CONVERSION_VERSION = "2014-04-15"
SIGNAL_LEGACY_VERSION = "2017-02-01"
CALL_INGESTION_VERSION = "2022-03-01"
#: a version path segment shaped like a date that is no calendar date (no API has it)
NO_SUCH_VERSION = "0000-00-00"
#: an id no deployment uses (the docs' ids are numeric or short strings)
MISSING_ID = "contract-missing-0"

#: the error media type of each format, for APIs whose path ends in ``.{format}``
LEGACY_MEDIA = {"xml": "application/xml", "json": "text/plain", "csv": "text/plain"}
TRANSACTIONS_MEDIA = {"xml": "application/xml", "json": "application/json",
                      "csv": "text/plain"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    json_body: Any = None
    data: str | None = None

    def send(self, target: Target) -> requests.Response:
        return target.request(self.method, self.path, headers=dict(self.headers),
                              params=dict(self.params), json=self.json_body, data=self.data)

    def curl(self, target: Target) -> str:
        url = requests.Request(self.method, target.url(self.path),
                               params=dict(self.params)).prepare().url or target.url(self.path)
        parts = ["curl", "-s", "-i", "-X", self.method]
        headers = dict(self.headers)
        body = self.data
        if self.json_body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(self.json_body)
        parts += [f"-H '{name}: {value}'" for name, value in headers.items()]
        if body is not None:
            parts.append(f"-d '{body}'")
        parts.append(f"'{url}'")
        return " ".join(parts)


@dataclass(frozen=True)
class ErrorExample:
    """One documented error: how to provoke it and what it must look like."""

    name: str
    api: str
    operation_id: str
    status: int
    media_type: str
    #: the expected error class; ``None`` for Rails-style field errors (no class)
    error_class: str | None
    build: Callable[[Target], Request]
    #: capabilities needed besides plain HTTP ("faults" for injected 500s)
    needs: tuple[str, ...] = ()
    #: the request would change state if the target wrongly accepted it (skipped read-only)
    changes_state: bool = False
    #: a sandbox deviation known when this was written (the suite marks it xfail, strict)
    known_deviation: str | None = None


def _network(target: Target, rest: str) -> str:
    return f"/api/{NETWORK_VERSION}/{target.network_id}/{rest}"


def _legacy(target: Target, fmt: str, pool_id: int | str | None = None) -> str:
    ident = pool_id if pool_id is not None else (target.ring_pool.id if target.ring_pool else 1)
    return f"/api/{RINGPOOL_VERSION}/ring_pools/{ident}/allocate_number.{fmt}"


def _legacy_key(target: Target) -> str:
    return target.ring_pool.key if target.ring_pool else "0"


def _transactions(target: Target, fmt: str) -> str:
    return f"/api/{TRANSACTIONS_VERSION}/networks/transactions/{target.network_id}.{fmt}"


def _world(target: Target, key: str, default: str) -> str:
    return str(target.world.get(key) or default)


def _campaign_path(target: Target, rest: str) -> str:
    advertiser = _world(target, "advertiser_id_from_network", "1")
    campaign = _world(target, "advertiser_campaign_id_from_network", "1")
    return _network(target, f"advertisers/{advertiser}/advertiser_campaigns/{campaign}/{rest}")


def _no_credentials(target: Target) -> Request:
    return Request("GET", _network(target, "advertisers.json"))


def _version_refused(target: Target) -> Request:
    ring_pool = target.world.get("ring_pool") or {}
    ident = ring_pool.get("id_from_network", "1") if isinstance(ring_pool, Mapping) else "1"
    return Request("PUT", _campaign_path(target, f"ring_pools/{ident}.json"),
                   headers=target.auth_headers(), json_body={"allow_overflow": False})


def _fields_missing(target: Target) -> Request:
    return Request("POST", _campaign_path(target, "ring_pools.json"),
                   headers=target.auth_headers(),
                   json_body={"id_from_network": MISSING_ID, "name": "contract",
                              "max_pool_size": 2, "lifetime_seconds": 1800})


def _advertiser_missing(target: Target) -> Request:
    return Request("GET", _network(target, f"advertisers/{MISSING_ID}.json"),
                   headers=target.auth_headers())


def _advertisers(target: Target) -> Request:
    return Request("GET", _network(target, "advertisers.json"), headers=target.auth_headers())


def _bulk_not_json(target: Target) -> Request:
    return Request("POST", f"/api/{BULK_VERSION}/bulk.json",
                   headers={"Content-Type": "application/json"}, data="not json")


def _bulk(target: Target) -> Request:
    pool = target.bulk_ring_pool
    suffix = (f"{pool.id if pool else 1}/allocate_number.json?ring_pool_key="
              f"{pool.key if pool else 'x'}&param1=contract")
    return Request("POST", f"/api/{BULK_VERSION}/bulk.json",
                   json_body={"requests": [{"api_suffix": suffix}]})


def _signal_no_credentials(target: Target) -> Request:
    return Request("POST", f"/api/{SIGNAL_LEGACY_VERSION}/transactions/signals.json",
                   json_body=SIGNAL_BODY)


#: a call sale no deployment has (a caller of the 555 fiction range at the epoch start)
CONVERSION_FORM = "start_time_t=1000000000&calling_phone_number=%2B1+8055550100&reason_code=S"
#: the Signal API body shape of ``SignalLegacyRequest`` for a transaction that cannot exist
SIGNAL_BODY = {"search": {"transaction_id": "00000000-FFFFFFFF"},
               "signal": {"name": "sale", "partner_unique_id": "contract-1"}}


def _conversion_id(target: Target) -> str:
    """The world advertiser's Invoca id (a conversion reporting id), or 1."""
    advertiser = target.world.get("advertiser_id_from_network")
    if advertiser and target.network_id is not None:
        answer = target.request("GET", _network(target, f"advertisers/{advertiser}.json"),
                                headers=target.auth_headers())
        if answer.status_code == 200 and isinstance(answer.json(), Mapping):
            return str(answer.json().get("id", 1))
    return "1"


def _conversion(target: Target, *, ident: str | None = None, form: str = CONVERSION_FORM,
                credentials: bool = True) -> Request:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if credentials:
        headers.update(target.basic_headers())
    return Request("POST", f"/api/{CONVERSION_VERSION}/calls/"
                           f"{ident or _conversion_id(target)}.xml", headers=headers, data=form)


def _conversion_no_credentials(target: Target) -> Request:
    return _conversion(target, credentials=False)


def _conversion_invalid(target: Target) -> Request:
    return _conversion(target, form="start_time_t=12&calling_phone_number=%2B1+8055550100")


def _conversion_no_call(target: Target) -> Request:
    return _conversion(target)


def _conversion_unknown_id(target: Target) -> Request:
    return _conversion(target, ident="999999999")


def _signal(target: Target, *, version: str = SIGNAL_LEGACY_VERSION,
            body: Any = None) -> Request:
    return Request("POST", f"/api/{version}/transactions/signals.json",
                   headers=target.auth_headers(),
                   json_body=SIGNAL_BODY if body is None else body)


def _signal_invalid(target: Target) -> Request:
    return _signal(target, body={})


def _signal_wrong_version(target: Target) -> Request:
    return _signal(target, version="2018-02-01")


def _signal_valid(target: Target) -> Request:
    return _signal(target)


def ingestion_call(target: Target, external_id: str, campaign: str | None = None,
                   **changes: Any) -> dict[str, Any]:
    """A Call Ingestion ``call`` object: the world's ExternalOnly campaign (unless ``campaign``
    names another), the docs' numbers and a start time the docs' timestamp table uses."""
    call: dict[str, Any] = {
        "external_call_unique_id": external_id,
        "start_time": "1460404800",
        "destination_phone_number": "+18005550123",
        "calling_phone_number": "+18055550100",
        "advertiser_campaign_id_from_network": campaign or _world(
            target, "external_campaign_id_from_network", MISSING_ID),
        "call_direction": "inbound",
        "recording_url": "https://recordings.example.com/contract.wav",
    }
    call.update(changes)
    return call


def _ingestion(target: Target, body: Any, *, version: str = CALL_INGESTION_VERSION,
               credentials: bool = True) -> Request:
    return Request("POST", f"/api/{version}/calls.json",
                   headers=target.auth_headers() if credentials else {}, json_body=body)


def _ingestion_no_credentials(target: Target) -> Request:
    return _ingestion(target, {"call": ingestion_call(target, "contract-401")},
                      credentials=False)


def _ingestion_wrong_version(target: Target) -> Request:
    return _ingestion(target, {"call": ingestion_call(target, "contract-400")},
                      version="2021-03-01")


def _ingestion_no_call(target: Target) -> Request:
    return _ingestion(target, {})


def _ingestion_no_campaign(target: Target) -> Request:
    """A campaign id no deployment has: "You do not have access to this advertiser"."""
    return _ingestion(target, {"call": ingestion_call(target, "contract-403",
                                                      campaign=MISSING_ID)})


def _ingestion_bad_start(target: Target) -> Request:
    """One invalid value: its path is the class (the docs' ``call.<field>`` classes)."""
    return _ingestion(target, {"call": ingestion_call(target, "contract-403-start",
                                                      start_time="not a time")})


def _legacy_wrong_key(fmt: str) -> Callable[[Target], Request]:
    def build(target: Target) -> Request:
        return Request("GET", _legacy(target, fmt), params={"ring_pool_key": "WRONGKEY0000"})
    return build


def _legacy_unknown_version(fmt: str) -> Callable[[Target], Request]:
    """The legacy route under a version that stands for none (the contract's 404).

    Any real calendar date from the API's earliest use on is served (the contract's
    ``x-version-resolution``), so the version is not a calendar date at all
    (:data:`NO_SUCH_VERSION`). An unknown pool id is not a 404: the docs' message "API Key
    '...' is not valid for resource 'N'" covers it, so the sandbox answers 403 InvalidKey
    (fidelity C7/N9).
    """
    def build(target: Target) -> Request:
        ident = target.ring_pool.id if target.ring_pool else 1
        return Request("GET", f"/api/{NO_SUCH_VERSION}/ring_pools/{ident}/"
                              f"allocate_number.{fmt}",
                       params={"ring_pool_key": _legacy_key(target)})
    return build


def _legacy_missing_pool(fmt: str) -> Callable[[Target], Request]:
    def build(target: Target) -> Request:
        return Request("GET", _legacy(target, fmt, 999999999),
                       params={"ring_pool_key": _legacy_key(target)})
    return build


def _legacy_allocate(fmt: str) -> Callable[[Target], Request]:
    def build(target: Target) -> Request:
        return Request("GET", _legacy(target, fmt),
                       params={"ring_pool_key": _legacy_key(target), "param1": "contract"})
    return build


def _transactions_no_credentials(fmt: str) -> Callable[[Target], Request]:
    def build(target: Target) -> Request:
        return Request("GET", _transactions(target, fmt))
    return build


def _transactions_limit(fmt: str) -> Callable[[Target], Request]:
    """A limit below the documented minimum (one above the maximum is served at the maximum
    by a lenient target: the contract's ``x-lenient: clamp``)."""
    def build(target: Target) -> Request:
        return Request("GET", _transactions(target, fmt), headers=target.auth_headers(),
                       params={"limit": "0"})
    return build


def _transactions_read(fmt: str) -> Callable[[Target], Request]:
    def build(target: Target) -> Request:
        return Request("GET", _transactions(target, fmt), headers=target.auth_headers())
    return build


def examples() -> list[ErrorExample]:
    """Every error example, in a stable order."""
    network, legacy, transactions = "Network Integration", "Legacy RingPool", "Transactions"
    json_type, xml_type = "application/json", "application/xml"
    conversion = "Conversion Reporting"
    ingestion = "Call Ingestion"
    found: list[ErrorExample] = [
        ErrorExample("network-401", network, "listAdvertiser", 401, json_type, "Unauthorized",
                     _no_credentials),
        ErrorExample("network-403-class", network, "updateRingPool", 403, json_type,
                     "InvalidInput", _version_refused, changes_state=True),
        ErrorExample("network-403-fields", network, "createRingPool", 403, json_type, None,
                     _fields_missing, changes_state=True),
        ErrorExample("network-404", network, "getAdvertiser", 404, json_type, "RecordNotFound",
                     _advertiser_missing),
        ErrorExample("network-500", network, "listAdvertiser", 500, json_type,
                     "InternalServiceError", _advertisers, needs=("faults",)),
        ErrorExample("bulk-403", "Bulk RingPool", "bulkAllocateNumbers", 403, json_type,
                     "InvalidInput", _bulk_not_json),
        ErrorExample("bulk-500", "Bulk RingPool", "bulkAllocateNumbers", 500, json_type,
                     "InternalServiceError", _bulk, needs=("faults",)),
        ErrorExample("signal-401", "Signal", "reportSignal", 401, json_type, "Unauthorized",
                     _signal_no_credentials),
        ErrorExample("signal-400-version", "Signal", "reportSignal", 400, json_type,
                     "BadRequest", _signal_wrong_version),
        ErrorExample("signal-403", "Signal", "reportSignal", 403, json_type, "RecordInvalid",
                     _signal_invalid),
        ErrorExample("signal-500", "Signal", "reportSignal", 500, json_type,
                     "InternalServiceError", _signal_valid, needs=("faults",)),
        ErrorExample("ingestion-401", ingestion, "createIngestedCall", 401, json_type,
                     "Unauthorized", _ingestion_no_credentials),
        ErrorExample("ingestion-400-version", ingestion, "createIngestedCall", 400, json_type,
                     "BadRequest", _ingestion_wrong_version),
        ErrorExample("ingestion-403", ingestion, "createIngestedCall", 403, json_type,
                     "RecordInvalid", _ingestion_no_call),
        ErrorExample("ingestion-403-advertiser", ingestion, "createIngestedCall", 403,
                     json_type, "UnauthorizedAdvertiser", _ingestion_no_campaign),
        ErrorExample("ingestion-403-value", ingestion, "createIngestedCall", 403, json_type,
                     "call.start_time", _ingestion_bad_start),
        ErrorExample("ingestion-500", ingestion, "createIngestedCall", 500, json_type,
                     "InternalServiceError", _ingestion_no_call, needs=("faults",)),
        ErrorExample("conversion-401", conversion, "reportConversion", 401, xml_type,
                     "Unauthorized", _conversion_no_credentials),
        ErrorExample("conversion-403", conversion, "reportConversion", 403, xml_type,
                     "InvalidInput", _conversion_invalid),
        ErrorExample("conversion-404", conversion, "reportConversion", 404, xml_type,
                     "NotFound", _conversion_no_call, changes_state=True),
        ErrorExample("conversion-404-unknown-id", conversion, "reportConversion", 404,
                     xml_type, "NotFound", _conversion_unknown_id),
        ErrorExample("conversion-500", conversion, "reportConversion", 500, xml_type,
                     "InternalServiceError", _conversion_no_call, needs=("faults",)),
    ]
    for fmt in ("xml", "json", "csv"):
        found += [
            ErrorExample(f"legacy-403-invalid-key-{fmt}", legacy, "allocateNumber", 403,
                         LEGACY_MEDIA[fmt], "InvalidKey", _legacy_wrong_key(fmt)),
            ErrorExample(f"legacy-404-{fmt}", legacy, "allocateNumber", 404, LEGACY_MEDIA[fmt],
                         "NotFound", _legacy_unknown_version(fmt)),
            ErrorExample(f"legacy-403-unknown-pool-{fmt}", legacy, "allocateNumber", 403,
                         LEGACY_MEDIA[fmt], "InvalidKey", _legacy_missing_pool(fmt)),
            ErrorExample(f"legacy-500-{fmt}", legacy, "allocateNumber", 500, LEGACY_MEDIA[fmt],
                         "InternalServiceError", _legacy_allocate(fmt), needs=("faults",)),
            ErrorExample(f"transactions-401-{fmt}", transactions, "listNetworkTransactions", 401,
                         TRANSACTIONS_MEDIA[fmt], "Unauthorized",
                         _transactions_no_credentials(fmt)),
            ErrorExample(f"transactions-403-{fmt}", transactions, "listNetworkTransactions", 403,
                         TRANSACTIONS_MEDIA[fmt], "InvalidInput", _transactions_limit(fmt)),
            ErrorExample(f"transactions-500-{fmt}", transactions, "listNetworkTransactions", 500,
                         TRANSACTIONS_MEDIA[fmt], "InternalServiceError",
                         _transactions_read(fmt), needs=("faults",)),
        ]
    return found


# ---------------------------------------------------------------------------- validation


def operation_definition(document: Mapping[str, Any], operation_id: str) -> Mapping[str, Any]:
    for item in document.get("paths", {}).values():
        for operation in resolve(document, item).values():
            if isinstance(operation, Mapping) and operation.get("operationId") == operation_id:
                return operation
    raise KeyError(f"no operation {operation_id!r} in the contract")


def operation_label(document: Mapping[str, Any], operation_id: str) -> str:
    """``METHOD /path`` of an operation (schemathesis' label), or the id when unknown."""
    for path, item in document.get("paths", {}).items():
        for method, operation in resolve(document, item).items():
            if isinstance(operation, Mapping) and operation.get("operationId") == operation_id:
                return f"{method.upper()} {path}"
    return operation_id


def error_class(media_type: str, value: Any) -> str | None:
    """The error class a decoded error body names (``None`` for field errors)."""
    if media_type == "application/json" and isinstance(value, Mapping):
        errors = value.get("errors")
        if isinstance(errors, Mapping) and isinstance(errors.get("class"), str):
            return str(errors["class"])
        return None
    if media_type == "application/xml" and isinstance(value, Mapping):
        found = value.get("Class")
        return str(found) if found is not None else None
    if isinstance(value, str):
        head, sep, _ = value.partition(":")
        return head.strip() if sep else None
    return None


def problems(document: Mapping[str, Any], example: ErrorExample,
             response: requests.Response) -> list[str]:
    """How ``response`` departs from what ``example`` documents (empty: it conforms)."""
    found: list[str] = []
    if response.status_code != example.status:
        found.append(f"status {response.status_code}, documented {example.status}")
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != example.media_type:
        found.append(f"Content-Type {media_type or '(none)'!r}, documented "
                     f"{example.media_type!r}")
    operation = operation_definition(document, example.operation_id)
    schema = response_schema(document, operation, example.status, media_type)
    try:
        if media_type == "application/json":
            value: Any = response.json()
        elif media_type in {"application/xml", "text/xml"}:
            value = decode_xml(document, response.content, schema)
        else:
            value = response.text
    except ValueError as exc:
        return [*found, f"body cannot be decoded as {media_type}: {exc}"]
    if schema is None:
        found.append(f"the contract documents no {media_type} body for {example.status}")
    else:
        validator_schema = {**resolve(document, schema),
                            "components": document.get("components", {})}
        validator = jsonschema.Draft202012Validator(validator_schema)
        found += [f"body: {error.message}" for error in validator.iter_errors(value)][:5]
    got_class = error_class(media_type, value)
    if got_class != example.error_class:
        found.append(f"error class {got_class!r}, documented {example.error_class!r}")
    return found
