"""Conformance: schemathesis over every operation of the contract, against one :class:`Target`.

* :func:`load_schema` loads the contract (``--spec`` file, else the packaged
  ``openapi/invoca.yaml``) and points it at the target: base URL, fixed path parameters the
  target's world names (``network_id``, ``ring_pool_id``), phases and examples of the profile.
  ``--read-only`` keeps only operations that change nothing (``GET``, minus ``allocateNumber``
  which allocates and the operations the contract marks ``x-changes-state: true``).
* :func:`authorize` puts the target's credentials on a case the way its operation's
  ``security`` asks (token header, HTTP Basic, or ``ring_pool_key``), so schemathesis'
  ``ignored_auth`` check can remove them again.
* :func:`run_case` sends a case, runs every check (schemathesis' and ours) and records cases
  and failures into the :class:`~contracts.report.Report`. A schema-violating case a lenient
  target accepts as the contract's Leniency section allows is no failure
  (:mod:`contracts.leniency`).

The stateful phase is :func:`state_machine`: schemathesis' state machine over the contract's
links (create -> get/update/delete), sending through :func:`run_case` too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import CHECKS as CHECK_REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.generation.stateful.state_machine import APIStateMachine

import contracts.hooks  # noqa: F401  (registers deserializers and checks)
import openapi
from contracts.checks import check_name
from contracts.leniency import without_lenient_acceptances
from contracts.profile import Profile
from contracts.report import FailureRecord, Report
from contracts.target import Target, basic_header
from openapi.contract import parse_spec

#: schemathesis checks we run (every one of them)
CHECKS = "all"


def default_spec() -> Path:
    """The contract shipped with the project (``openapi/invoca.yaml``)."""
    return Path(openapi.__file__).resolve().parent / "invoca.yaml"


def stateful_gets(document: Mapping[str, Any]) -> frozenset[str]:
    """GET operations that change state: ``allocateNumber`` (it allocates) and every one the
    contract marks ``x-changes-state: true`` (the 2016 GET forms of the campaign actions)."""
    found = {"allocateNumber"}
    for item in (document.get("paths") or {}).values():
        operation = item.get("get") if isinstance(item, Mapping) else None
        if isinstance(operation, Mapping) and operation.get("x-changes-state"):
            found.add(str(operation.get("operationId")))
    return frozenset(found)


#: operations of the packaged contract that change state although their method is GET
STATEFUL_GETS = stateful_gets(parse_spec(default_spec()))


def changes_state(method: str, operation_id: str | None) -> bool:
    return method.upper() != "GET" or operation_id in STATEFUL_GETS


def load_schema(target: Target, profile: Profile, *, spec: Path | None = None,
                seed: int | None = None) -> Any:
    """The contract as a schemathesis schema, configured for ``target`` and ``profile``."""
    schema: Any = schemathesis.openapi.from_path(spec or default_spec())
    config = schema.config
    parameters: dict[str, Any] = {}
    if target.network_id is not None:
        parameters["path.network_id"] = target.network_id
    if target.ring_pool is not None:
        parameters["path.ring_pool_id"] = target.ring_pool.id
    config.update(base_url=target.base_url, parameters=parameters or None)
    config.phases.update(phases=[*profile.phases, "stateful"])
    config.generation.update(max_examples=profile.max_examples, no_shrink=not profile.shrink,
                             deterministic=profile.derandomize and seed is None)
    if seed is not None:
        config.seed = seed
    # a sandbox's credentials are no secret: print curl commands that work as shown
    config.output.sanitization.update(enabled=not target.has("sandbox"))
    # a failure's message is printed whole (fidelity CR5): no schema or value cut at 10 lines
    config.output.truncation.update(enabled=False)
    if target.read_only:
        schema = schema.exclude(method=["POST", "PUT", "DELETE", "PATCH"]).exclude(
            operation_id=sorted(stateful_gets(schema.raw_schema)))
    return schema


@dataclass(frozen=True)
class KnownDeviation:
    """A failure the sandbox is known to produce (reported apart, does not fail the run)."""

    #: the check's name (``*`` = any check)
    check: str
    #: operation labels it applies to (``*`` = every operation)
    operations: frozenset[str] | str
    reason: str
    #: only when the operation's response has this status
    status: int | None = None
    #: only when the failure's text holds this
    message: str | None = None
    #: only when the request body has this (field, value)
    body_field: tuple[str, str] | None = None

    def covers(self, check: str, case: Case, status: int, text: str) -> bool:
        body = case.body if isinstance(case.body, Mapping) else {}
        return (self.check in ("*", check)
                and (self.operations == "*" or case.operation.label in self.operations)
                and (self.status is None or self.status == status)
                and (self.message is None or self.message in text)
                and (self.body_field is None
                     or str(body.get(self.body_field[0])) == self.body_field[1]))


#: deviations of invoca-sandbox from its own contract, found by these suites and reported to
#: the mock server's maintainers. They only apply to targets with ``/_sandbox/health``;
#: against any other deployment every failure counts.
SANDBOX_DEVIATIONS: tuple[KnownDeviation, ...] = ()


def _security(case: Case) -> list[Mapping[str, Any]]:
    operation = case.operation.definition.raw
    security = operation.get("security", case.operation.schema.raw_schema.get("security", []))
    return list(security or [])


def credentials(case: Case, target: Target) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query) that authenticate ``case`` as the target's user, per its ``security``."""
    schemes = {name for requirement in _security(case) for name in requirement}
    headers: dict[str, str] = {}
    query: dict[str, str] = {}
    if "smsBearer" in schemes and target.token is not None:
        headers["Authorization"] = f"Bearer {target.token}"  # the SMS Messaging API
    elif "apiToken" in schemes and target.token is not None:
        headers["Authorization"] = target.token
    elif "basicAuth" in schemes and target.basic is not None:
        headers["Authorization"] = basic_header(*target.basic)
    elif "oauthTokenQuery" in schemes and target.token is not None:
        query["oauth_token"] = target.token
    if "ringPoolKey" in schemes and target.ring_pool is not None:
        query["ring_pool_key"] = target.ring_pool.key
    return headers, query


def leaves_out_authorization(case: Case) -> bool:
    """Whether ``case`` is the coverage phase's request without its ``Authorization`` header
    (an operation whose only scheme is the header token, the Call Ingestion API's): the
    credentials are not put back, so that the target can answer the documented 401."""
    meta = case.meta
    data = getattr(getattr(meta, "phase", None), "data", None)
    return (isinstance(data, CoveragePhaseData)
            and data.scenario == CoverageScenario.MISSING_PARAMETER
            and data.parameter_location == ParameterLocation.HEADER
            and str(data.parameter or "").lower() == "authorization")


def authorize(case: Case, target: Target) -> dict[str, str]:
    """Put the credentials on ``case`` (unless it already carries some, or is the request that
    must go without them: :func:`leaves_out_authorization`); the headers set."""
    headers, query = credentials(case, target)
    if leaves_out_authorization(case):
        headers.pop("Authorization", None)
    if headers:
        merged: dict[str, Any] = dict(case.headers or {})
        for name, value in headers.items():
            merged.setdefault(name, value)
        case.headers = merged  # type: ignore[assignment]
    if query:
        case.query = dict(case.query or {})
        for name, value in query.items():
            case.query.setdefault(name, value)
    return {name: case.headers[name] for name in headers}


def _failures(exc: BaseException) -> Iterable[Failure]:
    if isinstance(exc, FailureGroup):
        yield from exc.exceptions
    elif isinstance(exc, Failure):
        yield exc


#: checks that send requests of their own: their reproduction ends with the last one sent
SENDING_CHECKS = frozenset({"ignored_auth"})


def _answer(check: str, response: Any) -> Any:
    """The answer a failure of ``check`` is about (``None``: the last request sent)."""
    return None if check in SENDING_CHECKS else response


def record_failures(report: Report, exc: BaseException, case: Case, suite: str,
                    headers: Mapping[str, str] | None = None, *, response: Any = None
                    ) -> None:
    """Record each failure of ``exc``; its reproduction is the case's requests up to
    ``response`` (the stateful phase's: the run's, from its start)."""
    curl = case.as_curl_command(headers=dict(headers or {}))  # when nothing was recorded
    for failure in _failures(exc):
        check = check_name(failure)
        report.record_failure(FailureRecord(
            check=check, operation=case.operation.label,
            title=failure.title or "", message=failure.message or "", curl=curl, suite=suite,
        ), answer=_answer(check, response))


def split_known(target: Target, exc: BaseException, case: Case,
                status: int) -> tuple[list[Failure], list[tuple[Failure, str]]]:
    """(new failures, known sandbox deviations with their reasons) of a failed validation."""
    fresh: list[Failure] = []
    known: list[tuple[Failure, str]] = []
    deviations = SANDBOX_DEVIATIONS if target.has("sandbox") else ()
    for failure in _failures(exc):
        name = check_name(failure)
        text = f"{failure.title}\n{failure.message}"
        reason = next((d.reason for d in deviations
                       if d.covers(name, case, status, text)), None)
        if reason is None:
            fresh.append(failure)
        else:
            known.append((failure, reason))
    return fresh, known


def validate(case: Case, response: Response, target: Target, report: Report, *, suite: str,
             headers: Mapping[str, str] | None, **kwargs: Any) -> None:
    """Run every check on ``response``; record failures; raise only for new ones."""
    try:
        case.validate_response(response, headers=dict(headers or {}) or None,
                               transport_kwargs=kwargs or None)
    except (Failure, FailureGroup) as exc:
        found, known = split_known(target, exc, case, response.status_code)
        # the contract's Leniency section: unknown keys dropped, clamped values served
        fresh = without_lenient_acceptances(found, case, target, check_name)
        curl = case.as_curl_command(headers=dict(headers or {}))
        for failure, reason in known:
            report.record_known(FailureRecord(
                check=check_name(failure), operation=case.operation.label,
                title=f"{failure.title} ({reason})", message=failure.message or "", curl=curl,
                suite=suite), answer=_answer(check_name(failure), response))
        if fresh:
            whole = not known and len(fresh) == len(found)
            group = FailureGroup(fresh, str(exc)) if whole else FailureGroup(fresh)
            record_failures(report, group, case, suite, headers, response=response)
            raise group from None


def check_names() -> frozenset[str]:
    """Every check a conformance case runs (schemathesis' built-ins and ours)."""
    load_all_checks()
    return frozenset(check.__name__ for check in CHECK_REGISTRY.get_all())


def run_case(case: Case, target: Target, report: Report, *, suite: str = "conformance") -> Response:
    """Send ``case`` with credentials, run every check, record what happened."""
    if not report.checks >= check_names():
        report.checks.update(check_names())
    headers = authorize(case, target)
    report.record_case(case.operation.label)
    target.recorder.start(since="the case")
    response = case.call(base_url=target.base_url, session=target.session,
                         headers=headers or None)
    validate(case, response, target, report, suite=suite, headers=headers,
             base_url=target.base_url, session=target.session)
    return response


def state_machine(schema: Any, target: Target, report: Report) -> type[APIStateMachine]:
    """Schemathesis' state machine over the contract's links, sending through :func:`run_case`."""
    base = schema.as_state_machine()

    class ContractStateMachine(base):  # type: ignore[misc,valid-type]
        def __init__(self) -> None:
            super().__init__()
            target.recorder.start(since="the start of the stateful run")

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            headers = authorize(case, target)
            report.record_case(case.operation.label)
            report.checks.update(check_names())
            return {"base_url": target.base_url, "session": target.session,
                    "headers": headers}

        def validate_response(self, response: Response, case: Case,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            headers = kwargs.pop("headers", None)
            validate(case, response, target, report, suite="stateful", headers=headers,
                     **kwargs)

    return ContractStateMachine
