"""Suite 4, idempotency and versions (see contracts.idempotency)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests

from contracts.deserializers import response_schema
from contracts.errors import (
    NETWORK_VERSION,
    Request,
    error_class,
    operation_definition,
    operation_label,
)
from contracts.idempotency import (
    REFUSED_PROPERTIES,
    RESOLVED_READS,
    RESOURCES,
    VERSION_HEADER,
    RefusedProperty,
    ResolvedRead,
    Resource,
    out_of_version,
    success_statuses,
)
from contracts.report import FailureRecord, Report
from contracts.reproduction import answer_text
from contracts.target import Target

_ids = itertools.count(1)


class Probe:
    """Sends requests for one test and turns departures into recorded failures."""

    def __init__(self, target: Target, report: Report, document: Any, check: str) -> None:
        self.target = target
        self.report = report
        self.document = document
        self.check = check
        self.problems: list[str] = []
        report.checks.add(check)

    def send(self, request: Request, operation_id: str) -> requests.Response:
        self.report.record_case(operation_label(self.document, operation_id))
        response = request.send(self.target)
        response.request_curl = request.curl(self.target)  # type: ignore[attr-defined]
        return response

    def expect(self, ok: bool, problem: str, response: requests.Response,
               operation_id: str) -> None:
        if ok:
            return
        self.problems.append(problem)
        self.report.record_failure(FailureRecord(
            check=self.check, operation=operation_label(self.document, operation_id), title=problem,
            message=answer_text(response), curl=getattr(response, "request_curl", ""),
            suite="idempotency"), answer=response)

    def finish(self) -> None:
        """Fail the test once (messages and reproductions: the run's summary)."""
        if self.problems:
            pytest.fail("\n".join(self.problems), pytrace=False)


def _path(target: Target, version: str, rest: str) -> str:
    ring_pool = target.world.get("ring_pool") or {}
    rest = rest.format(
        advertiser=target.world.get("advertiser_id_from_network", "1"),
        campaign=target.world.get("advertiser_campaign_id_from_network", "1"),
        ring_pool=ring_pool.get("id_from_network", "1") if isinstance(ring_pool, dict) else "1",
    )
    return f"/api/{version}/{target.network_id}/{rest}"


@pytest.mark.changes_state
@pytest.mark.parametrize("resource", RESOURCES, ids=lambda resource: resource.kind)
def test_writes_are_idempotent_when_repeated(resource: Resource, contract_target: Target,
                                             contract_report: Report,
                                             contract_schema: Any) -> None:
    document = contract_schema.raw_schema
    probe = Probe(contract_target, contract_report, document, "idempotency")
    headers = contract_target.auth_headers()
    ident = f"contract-{resource.kind}-{next(_ids)}"
    collection = _path(contract_target, NETWORK_VERSION, f"{resource.collection}.json")
    item = _path(contract_target, NETWORK_VERSION, f"{resource.collection}/{ident}.json")
    create_ok = success_statuses(operation_definition(document, resource.create_operation))
    update_ok = success_statuses(operation_definition(document, resource.update_operation))

    body = {**resource.body, "id_from_network": ident, "name": f"{resource.body['name']} {ident}"}
    first = probe.send(Request("POST", collection, headers=headers, json_body=body),
                       resource.create_operation)
    second = probe.send(Request("POST", collection, headers=headers, json_body=body),
                        resource.create_operation)
    for response in (first, second):
        probe.expect(response.status_code in create_ok,
                     f"POST {resource.collection} answered {response.status_code}; documented "
                     f"{sorted(create_ok)}", response, resource.create_operation)
    if first.ok and second.ok:
        probe.expect(first.json().get("id") == second.json().get("id"),
                     f"POST twice made two {resource.kind}s: ids {first.json().get('id')} and "
                     f"{second.json().get('id')}", second, resource.create_operation)
    listing = probe.send(Request("GET", collection, headers=headers),
                         f"list{resource.kind.capitalize()}")
    if listing.ok:
        count = sum(1 for row in listing.json() if row.get("id_from_network") == ident)
        probe.expect(count == 1, f"the list holds {count} {resource.kind}s with "
                                 f"id_from_network {ident}", listing,
                     f"list{resource.kind.capitalize()}")

    created = f"{ident}-put"
    put_item = _path(contract_target, NETWORK_VERSION, f"{resource.collection}/{created}.json")
    upsert = probe.send(Request("PUT", put_item, headers=headers,
                                json_body={**resource.body,
                                           "name": f"{resource.body['name']} {created}"}),
                        resource.update_operation)
    probe.expect(upsert.status_code in update_ok,
                 f"PUT of a missing {resource.kind} answered {upsert.status_code}; documented "
                 f"{sorted(update_ok)} (upsert)", upsert, resource.update_operation)
    fetched = probe.send(Request("GET", put_item, headers=headers),
                         f"get{resource.kind.capitalize()}")
    probe.expect(fetched.status_code == 200, f"PUT did not create {created}: GET answered "
                                             f"{fetched.status_code}", fetched,
                 f"get{resource.kind.capitalize()}")

    for path in (item, put_item):
        for attempt in ("first", "second"):
            gone = probe.send(Request("DELETE", path, headers=headers), resource.delete_operation)
            is_empty = gone.status_code == 200 and gone.content.strip() in {b"{}"}
            probe.expect(is_empty, f"{attempt} DELETE answered {gone.status_code} "
                                   f"{gone.text[:80]!r}; documented 200 {{}}", gone,
                         resource.delete_operation)
        after = probe.send(Request("GET", path, headers=headers),
                           f"get{resource.kind.capitalize()}")
        probe.expect(after.status_code == 404, f"after DELETE, GET answered {after.status_code}",
                     after, f"get{resource.kind.capitalize()}")
    probe.finish()


def _refused_param(refused: RefusedProperty) -> Any:
    return pytest.param(refused, id=refused.name, marks=[pytest.mark.changes_state])


def expect_deviation(request: pytest.FixtureRequest, target: Target, reason: str | None) -> None:
    """Mark the running test xfail (strict) for a known deviation of the sandbox only."""
    if reason and target.has("sandbox"):
        request.applymarker(pytest.mark.xfail(reason=f"known sandbox deviation: {reason}",
                                              strict=True))


@pytest.mark.parametrize("refused", [_refused_param(item) for item in REFUSED_PROPERTIES])
def test_property_is_refused_when_outside_the_version(refused: RefusedProperty,
                                                     contract_target: Target,
                                                     contract_report: Report,
                                                     contract_schema: Any,
                                                     request: pytest.FixtureRequest) -> None:
    expect_deviation(request, contract_target, refused.known_deviation)
    document = contract_schema.raw_schema
    probe = Probe(contract_target, contract_report, document, "version_fields")
    sent = Request(refused.method, _path(contract_target, refused.version, refused.path),
                   headers=contract_target.auth_headers(), json_body=dict(refused.body))
    response = probe.send(sent, refused.operation_id)
    body: Any = response.json() if "json" in response.headers.get("Content-Type", "") else None
    message = str((body or {}).get("errors", {}).get("invalid_data", "")) if isinstance(
        body, dict) and isinstance(body.get("errors"), dict) else ""
    probe.expect(response.status_code == 403
                 and error_class("application/json", body) == "InvalidInput"
                 and refused.property_name in message,
                 f"{refused.property_name} in API version {refused.version} answered "
                 f"{response.status_code} {response.text[:120]!r}; documented 403 InvalidInput "
                 f"naming {refused.property_name}", response, refused.operation_id)
    probe.finish()


#: (operationId, method, path under /api/{version}/{network_id}/) of GETs whose answers hold
#: properties that exist only in some versions
VERSIONED_READS = (
    ("getNetwork", "network.json"),
    ("listAdvertiser", "advertisers.json"),
    ("listRingPool", "advertisers/{advertiser}/advertiser_campaigns/{campaign}/ring_pools.json"),
    ("getRingPool", "advertisers/{advertiser}/advertiser_campaigns/{campaign}/ring_pools/"
                    "{ring_pool}.json"),
)


@pytest.mark.parametrize("version", ["2014-01-01", "2016-10-01", "2018-11-01", "2019-05-01",
                                     "2022-08-01"])
@pytest.mark.parametrize("read", VERSIONED_READS,
                         ids=[operation_id for operation_id, _ in VERSIONED_READS])
def test_response_leaves_out_properties_when_outside_the_version(
        read: tuple[str, str], version: str, reset_target: Target,
        contract_report: Report, contract_schema: Any) -> None:
    operation_id, path = read
    probe = Probe(reset_target, contract_report, contract_schema.raw_schema, "version_fields")
    response = probe.send(Request("GET", _path(reset_target, version, path),
                                  headers=reset_target.auth_headers()), operation_id)
    _check_versioned_read(probe, operation_id, version, response)
    probe.finish()


@pytest.mark.changes_state
def test_nested_property_is_left_out_when_outside_the_version(
        reset_target: Target, contract_report: Report, contract_schema: Any) -> None:
    probe = Probe(reset_target, contract_report, contract_schema.raw_schema, "version_fields")
    user = {"id_from_network": f"contract-user-{next(_ids)}", "first_name": "C",
            "last_name": "T", "role": "Observer",
            "email_settings": [{"email_address": "c@example.com", "use_for_notifications": True}]}
    created = probe.send(Request("POST", _path(reset_target, "2022-08-01", "network.json"),
                                 headers=reset_target.auth_headers(),
                                 json_body={"users": [user]}), "createNetworkUser")
    probe.expect(created.status_code == 201, f"creating a user in 2022-08-01 answered "
                                             f"{created.status_code}", created,
                 "createNetworkUser")
    response = probe.send(Request("GET", _path(reset_target, "2016-10-01", "network.json"),
                                  headers=reset_target.auth_headers()), "getNetwork")
    _check_versioned_read(probe, "getNetwork", "2016-10-01", response)
    probe.finish()


def _check_versioned_read(probe: Probe, operation_id: str, version: str,
                          response: requests.Response) -> None:
    document = probe.document
    probe.expect(response.status_code == 200, f"GET answered {response.status_code}",
                 response, operation_id)
    if response.status_code == 200:
        schema = response_schema(document, operation_definition(document, operation_id), 200,
                                 "application/json")
        extra = out_of_version(document, schema, response.json(), version)
        probe.expect(not extra, f"API version {version} answered properties it does not have: "
                                f"{', '.join(extra[:8])}", response, operation_id)


def _serves_published_dates_only(target: Target) -> bool:
    """Whether a sandbox target reads versions strictly (its health says so)."""
    if not target.has("sandbox"):
        return False
    health = target.request("GET", "/_sandbox/health")
    body = health.json() if health.status_code == 200 else {}
    return isinstance(body, dict) and bool(body.get("strict_versions"))


def _shape(value: Any) -> Any:
    """The property names of an answer (of its first item for a list)."""
    if isinstance(value, list):
        return _shape(value[0]) if value else []
    return sorted(value) if isinstance(value, dict) else type(value).__name__


@pytest.mark.parametrize("read", RESOLVED_READS,
                         ids=[f"{r.operation_id}-{r.requested}" for r in RESOLVED_READS])
def test_unpublished_date_answers_like_the_version_before_it_when_requested(
        read: ResolvedRead, contract_target: Target, contract_report: Report,
        contract_schema: Any) -> None:
    if _serves_published_dates_only(contract_target):
        pytest.skip("the target serves published version dates only (strict versions)")
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema,
                  "version_resolution")
    headers = contract_target.auth_headers()
    between = probe.send(Request("GET", _path(contract_target, read.requested, read.path),
                                 headers=headers), read.operation_id)
    published = probe.send(Request("GET", _path(contract_target, read.published, read.path),
                                   headers=headers), read.operation_id)
    probe.expect(between.status_code == published.status_code == 200,
                 f"GET at {read.requested} answered {between.status_code}, at {read.published} "
                 f"{published.status_code}; documented 200 for both ({read.requested} stands "
                 f"for {read.published})", between, read.operation_id)
    if between.status_code == published.status_code == 200:
        probe.expect(_shape(between.json()) == _shape(published.json()),
                     f"GET at {read.requested} answered the properties "
                     f"{_shape(between.json())}, at {read.published} "
                     f"{_shape(published.json())}", between, read.operation_id)
        _check_versioned_read(probe, read.operation_id, read.published, between)
    if contract_target.has("sandbox"):
        served = between.headers.get(VERSION_HEADER)
        probe.expect(served == read.published,
                     f"{VERSION_HEADER} at {read.requested} is {served!r}; expected "
                     f"{read.published}", between, read.operation_id)
    probe.finish()
