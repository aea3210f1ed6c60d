"""The contract document: valid OpenAPI, complete operations, declared parameters, versions, links.

Each rule is a function returning the list of problems it finds, so every rule is shown to pass
on the contract and to fail on a copy of it with one deliberate defect.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from openapi.contract import (
    FAMILIES,
    Operation,
    documented_versions,
    load_spec,
    operation_by_id,
    operations,
    resolve,
)

#: Error statuses every operation of a family must document.
REQUIRED_ERRORS: dict[str, set[str]] = {
    "Legacy RingPool": {"403", "404", "500"},
    "Bulk RingPool": {"403", "404", "500"},
    "Network Integration": {"401", "403", "404", "500"},
    "Transactions": {"401", "403", "404", "500"},
    "Signal": {"400", "401", "403", "404", "500"},
    "Conversion Reporting": {"401", "403", "404", "500"},
    "Calls In Progress": {"401", "403", "404", "500"},
    "Call API": {"401", "403", "404", "500"},
    "Call Ingestion": {"400", "401", "403", "409", "500"},
    "SMS Messaging": {"401", "403", "404", "500"},
}
#: Operations per family: the issue's "Done when" count.
EXPECTED_COUNTS = {
    "Legacy RingPool": 1,
    "Bulk RingPool": 1,
    "Network Integration": 92,
    "Transactions": 3,
    "Signal": 6,
    "Conversion Reporting": 4,
    "Calls In Progress": 3,
    "Call API": 1,
    "Call Ingestion": 2,
    "SMS Messaging": 12,
}
METHOD_PREFIX = {"put": "update", "delete": "delete"}
ACTION_IDS = {
    "goLiveAdvertiserCampaign",
    "archiveAdvertiserCampaign",
    "unarchiveAdvertiserCampaign",
    "goLiveAdvertiserCampaignViaGet",
    "archiveAdvertiserCampaignViaGet",
    "unarchiveAdvertiserCampaignViaGet",
    "getAdvertiserCampaignQuickStats",
    "getNetwork",
    "createNetworkUser",
    "updateNetworkUser",
    "usePpcAccessToken",
    "usePpcAccessTokenAtAffiliatePage",
    "goLiveJsTag",
    "pauseJsTag",
    "unpauseJsTag",
    "revertJsTag",
}
TEMPLATE = re.compile(r"\{([^{}]+)\}")


@pytest.fixture
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture
def spec_copy() -> dict[str, Any]:
    return copy.deepcopy(load_spec())


# --------------------------------------------------------------------------- rules
def operation_problems(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    ops = operations(spec)
    counts = Counter(op.operation_id for op in ops)
    problems += [f"operationId {name!r} used {n} times" for name, n in counts.items() if n > 1]
    for op in ops:
        label = f"{op.method.upper()} {op.path}"
        if not op.operation_id:
            problems.append(f"{label}: no operationId")
        if not str(op.definition.get("summary", "")).strip():
            problems.append(f"{label}: no summary")
        if "security" not in op.definition:
            problems.append(f"{label}: no security (an explicit [] is required when none)")
        if op.family not in REQUIRED_ERRORS:
            problems.append(f"{label}: first tag {op.family!r} is not an API family")
            continue
        statuses = set(op.definition.get("responses", {}))
        missing = REQUIRED_ERRORS[op.family] - statuses
        if missing:
            problems.append(f"{label}: missing error responses {sorted(missing)}")
        if not any(code.startswith("2") for code in statuses):
            problems.append(f"{label}: no success response")
    return problems


def naming_problems(spec: Mapping[str, Any]) -> list[str]:
    """Network Integration operationIds follow list/get/create/update/delete + resource."""
    problems: list[str] = []
    for op in operations(spec):
        if op.family != "Network Integration" or op.operation_id in ACTION_IDS:
            continue
        last = op.path.rsplit("/", 1)[-1]
        is_item = "{" in last
        if op.method == "get":
            expected = "get" if is_item or op.path.endswith("/affiliate_campaigns.json") else "list"
            if op.path.endswith(
                "/advertiser_campaigns/{advertiser_campaign_id_from_network}"
                "/affiliate_campaigns.json"
            ):
                expected = "list"
        elif op.method == "post":
            expected = "create"
        else:
            expected = METHOD_PREFIX[op.method]
        if not re.fullmatch(f"{expected}[A-Z][A-Za-z]+", op.operation_id):
            problems.append(
                f"{op.method.upper()} {op.path}: {op.operation_id} should start with {expected!r}"
            )
    return problems


def path_parameter_problems(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for op in operations(spec):
        declared = {p["name"] for p in op.parameters if p["in"] == "path"}
        templated = set(TEMPLATE.findall(op.path))
        label = f"{op.method.upper()} {op.path}"
        problems += [f"{label}: {{{n}}} not declared" for n in sorted(templated - declared)]
        problems += [
            f"{label}: path parameter {n} not in the path" for n in sorted(declared - templated)
        ]
        problems += [
            f"{label}: path parameter {p['name']} not required"
            for p in op.parameters
            if p["in"] == "path" and p.get("required") is not True
        ]
    return problems


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    yield pointer, node
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def version_problems(spec: Mapping[str, Any]) -> list[str]:
    dates = documented_versions(spec)
    problems: list[str] = []
    found = 0
    for pointer, node in walk(spec):
        if not isinstance(node, Mapping) or "x-versions" not in node:
            continue
        found += 1
        value = node["x-versions"]
        if not isinstance(value, Mapping) or not value or set(value) - {"from", "until"}:
            problems.append(f"{pointer}: x-versions must be {{from?, until?}}, not {value!r}")
            continue
        problems += [
            f"{pointer}: x-versions {key} {date!r} is not a documented version"
            for key, date in value.items()
            if date not in dates
        ]
        if "from" in value and "until" in value and value["from"] > value["until"]:
            problems.append(f"{pointer}: x-versions range is empty")
    if found == 0:
        problems.append("no x-versions anywhere")
    return problems + required_by_version_problems(spec)


def required_by_version_problems(spec: Mapping[str, Any]) -> list[str]:
    """``x-required-by-version`` names existing properties and documented dates."""
    dates = documented_versions(spec)
    problems: list[str] = []
    for pointer, node in walk(spec):
        if not isinstance(node, Mapping) or "x-required-by-version" not in node:
            continue
        for rule in node["x-required-by-version"]:
            window = {k: v for k, v in rule.items() if k in {"from", "until"}}
            if not window or set(rule) - {"from", "until", "required"}:
                problems.append(f"{pointer}: bad x-required-by-version rule {rule!r}")
            problems += [
                f"{pointer}: {date!r} is not a documented version"
                for date in window.values()
                if date not in dates
            ]
            problems += [
                f"{pointer}: required {name!r} is not a property"
                for name in rule.get("required", [])
                if name not in node["properties"]
            ]
    return problems


def _success_schema(spec: Mapping[str, Any], op: Operation) -> Mapping[str, Any]:
    for code, response in op.definition["responses"].items():
        if code.startswith("2"):
            content = resolve(spec, response).get("content", {})
            if "application/json" in content:
                return dict(resolve(spec, content["application/json"]["schema"]))
    return {}


def link_problems(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    by_id = {op.operation_id: op for op in operations(spec)}
    seen = 0
    for op in operations(spec):
        for code, raw in op.definition["responses"].items():
            for name, link in resolve(spec, raw).get("links", {}).items():
                seen += 1
                where = f"{op.operation_id} {code} link {name}"
                target = by_id.get(link.get("operationId", ""))
                if target is None:
                    problems.append(f"{where}: no operation {link.get('operationId')!r}")
                    continue
                names = {p["name"] for p in target.parameters}
                names |= {
                    scheme["name"]
                    for requirement in target.definition.get("security", [])
                    for scheme_name in requirement
                    for scheme in [spec["components"]["securitySchemes"][scheme_name]]
                    if scheme.get("type") == "apiKey"
                }
                for parameter, expression in link.get("parameters", {}).items():
                    if parameter not in names:
                        problems.append(
                            f"{where}: {target.operation_id} has no parameter {parameter!r}"
                        )
                    problems += _expression_problems(spec, op, where, str(expression))
    if seen == 0:
        problems.append("no links anywhere")
    return problems


def _expression_problems(
    spec: Mapping[str, Any], op: Operation, where: str, expression: str
) -> list[str]:
    if expression.startswith("$request.path."):
        name = expression.removeprefix("$request.path.")
        if name not in op.path_parameter_names:
            return [f"{where}: {expression} is not a path parameter of {op.operation_id}"]
        return []
    if expression.startswith("$response.body#/"):
        first, *rest = expression.removeprefix("$response.body#/").split("/")
        schema = _success_schema(spec, op)
        properties = schema.get("properties", {})
        if first not in properties:
            return [f"{where}: {expression} is not a property of the response"]
        if rest and rest[0].isdigit() and resolve(spec, properties[first]).get("type") == "array":
            return []  # an item of a list: /messages/0/uuid
        if rest and rest[0] not in resolve(spec, properties[first]).get("properties", {}):
            return [f"{where}: {expression} is not a property of the response"]
        return []
    if expression.startswith("$"):
        return [f"{where}: unsupported runtime expression {expression}"]
    return []


# --------------------------------------------------------------------------- tests on the contract
def test_validator_accepts_document_when_contract_is_loaded(spec: dict[str, Any]) -> None:
    errors = [error.message for error in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert errors == []
    assert spec["openapi"].startswith("3.1")


def test_every_family_has_its_operations_when_counted(spec: dict[str, Any]) -> None:
    counts = Counter(op.family for op in operations(spec))
    assert dict(counts) == EXPECTED_COUNTS
    assert tuple(EXPECTED_COUNTS) == FAMILIES


def test_operations_are_complete_when_contract_is_checked(spec: dict[str, Any]) -> None:
    assert operation_problems(spec) == []


def test_operation_ids_follow_convention_when_contract_is_checked(spec: dict[str, Any]) -> None:
    assert naming_problems(spec) == []


def test_path_parameters_are_declared_when_contract_is_checked(spec: dict[str, Any]) -> None:
    assert path_parameter_problems(spec) == []


def test_x_versions_name_documented_dates_when_contract_is_checked(spec: dict[str, Any]) -> None:
    assert version_problems(spec) == []


def test_links_point_at_operations_when_contract_is_checked(spec: dict[str, Any]) -> None:
    assert link_problems(spec) == []


@pytest.mark.parametrize(
    ("operation_id", "version_window"),
    [
        ("getPromoNumberById", {"from": "2018-05-01"}),
        ("createAffiliateCampaignRingPool", {"until": "2018-11-01"}),
        ("reportSignals", {"from": "2018-02-01"}),
        ("reportSignal", {"until": "2017-02-01"}),
    ],
)
def test_operation_carries_its_versions_when_it_exists_only_in_some(
    operation_id: str, version_window: dict[str, str]
) -> None:
    op = operation_by_id(operation_id)
    assert op.x_versions == version_window
    version = next(p for p in op.parameters if p["name"] == "version")
    dates = version["schema"]["enum"]
    assert all(
        version_window.get("from", "0") <= d <= version_window.get("until", "9") for d in dates
    )


def test_ring_pool_fields_are_versioned_when_docs_changed_them(spec: dict[str, Any]) -> None:
    props = spec["components"]["schemas"]["RingPoolWrite"]["properties"]
    assert props["pool_type"]["x-versions"] == {"until": "2018-11-01"}
    assert props["param10"]["x-versions"] == {"until": "2018-11-01"}
    assert props["allow_overflow"]["x-versions"] == {"from": "2019-05-01"}
    assert props["fill_immediately"]["x-versions"] == {"from": "2019-05-01"}


def test_create_ring_pool_links_to_allocation_when_pool_is_created() -> None:
    links = operation_by_id("createRingPool").definition["responses"]["201"]["links"]
    assert links["allocateNumber"]["parameters"] == {
        "ring_pool_id": "$response.body#/id",
        "ring_pool_key": "$response.body#/api_key",
        "format": "json",
    }
    assert {"getRingPool", "updateRingPool", "deleteRingPool"} <= set(links)


def test_security_lists_schemes_when_operation_needs_credentials(spec: dict[str, Any]) -> None:
    schemes = set(spec["components"]["securitySchemes"])
    assert schemes == {"apiToken", "oauthTokenQuery", "basicAuth", "ringPoolKey", "smsBearer"}
    for op in operations(spec):
        for requirement in op.definition["security"]:
            assert set(requirement) <= schemes, op.operation_id
    assert operation_by_id("bulkAllocateNumbers").definition["security"] == []
    assert operation_by_id("allocateNumber").definition["security"] == [{"ringPoolKey": []}]
    assert operation_by_id("reportConversion").definition["security"] == [{"basicAuth": []}]
    assert operation_by_id("getSmsMessage").definition["security"] == [{"smsBearer": []}]


def test_body_token_is_declared_when_operation_accepts_it(spec: dict[str, Any]) -> None:
    for op in operations(spec):
        flag = op.definition.get("x-oauth-token-in-body")
        assert isinstance(flag, bool), op.operation_id
        if flag:
            body = op.definition["requestBody"]
            schema = resolve(spec, body["content"]["application/json"]["schema"])
            assert "oauth_token" in schema["properties"], op.operation_id


# --------------------------------------------------------------------------- the rules can fail
def test_validator_rejects_document_when_a_response_lacks_description(
    spec_copy: dict[str, Any],
) -> None:
    del spec_copy["paths"]["/api/{version}/bulk.json"]["post"]["responses"]["200"]["description"]
    assert list(OpenAPIV31SpecValidator(spec_copy).iter_errors())


def test_operation_rule_fails_when_operation_id_is_duplicated(spec_copy: dict[str, Any]) -> None:
    item = spec_copy["paths"]["/api/{version}/{network_id}/advertisers.json"]
    item["post"]["operationId"] = item["get"]["operationId"]
    assert any("used 2 times" in p for p in operation_problems(spec_copy))


def test_operation_rule_fails_when_security_or_errors_are_missing(
    spec_copy: dict[str, Any],
) -> None:
    op = spec_copy["paths"]["/api/{version}/{network_id}/advertisers.json"]["get"]
    del op["security"]
    del op["responses"]["404"]
    problems = operation_problems(spec_copy)
    assert any("no security" in p for p in problems)
    assert any("missing error responses ['404']" in p for p in problems)


def test_naming_rule_fails_when_list_is_called_get(spec_copy: dict[str, Any]) -> None:
    spec_copy["paths"]["/api/{version}/{network_id}/affiliates.json"]["get"]["operationId"] = (
        "getAffiliates"
    )
    assert naming_problems(spec_copy)


def test_path_rule_fails_when_template_is_undeclared(spec_copy: dict[str, Any]) -> None:
    item = spec_copy["paths"]["/api/{version}/bulk.json"]
    spec_copy["paths"]["/api/{version}/{region}/bulk.json"] = item
    assert any("{region} not declared" in p for p in path_parameter_problems(spec_copy))


def test_version_rule_fails_when_date_is_undocumented(spec_copy: dict[str, Any]) -> None:
    props = spec_copy["components"]["schemas"]["RingPoolWrite"]["properties"]
    props["allow_overflow"]["x-versions"] = {"from": "2019-06-31"}
    assert any("not a documented version" in p for p in version_problems(spec_copy))


def test_link_rule_fails_when_target_is_missing(spec_copy: dict[str, Any]) -> None:
    path = "/api/{version}/{network_id}/advertisers/{advertiser_id_from_network}/advertiser_campaigns/{advertiser_campaign_id_from_network}/ring_pools.json"  # noqa: E501
    links = spec_copy["paths"][path]["post"]["responses"]["201"]["links"]
    links["allocateNumber"]["operationId"] = "allocateNumbers"
    links["getRingPool"]["parameters"]["ring_pool_id_from_network"] = "$response.body#/no_such"
    problems = link_problems(spec_copy)
    assert any("no operation 'allocateNumbers'" in p for p in problems)
    assert any("no_such is not a property" in p for p in problems)


def test_version_rule_fails_when_required_by_version_names_no_property(
    spec_copy: dict[str, Any],
) -> None:
    rules = spec_copy["components"]["schemas"]["RingPoolWrite"]["x-required-by-version"]
    rules[0]["required"].append("pool_kind")
    assert any("'pool_kind' is not a property" in p for p in version_problems(spec_copy))
