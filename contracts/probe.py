"""The base of the stateful suites' probes (call ingestion, Invoca Tags, SMS): record each case,
turn a departure into a recorded failure with its reproduction (the test's requests up to the
failing answer, :mod:`contracts.reproduction`), check an answer's body against the contract's
schema of its status, fail the test once with every problem (their messages and
reproductions are printed whole in the run's summary)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import requests

from contracts.deserializers import resolve, response_schema
from contracts.errors import operation_definition, operation_label
from contracts.report import FailureRecord, Report
from contracts.reproduction import answer_text
from contracts.target import Target


class Probe:
    """Sends a suite's requests (``send`` is the suite's own) and records its problems."""

    #: the report's check and suite names (set by each suite's probe)
    CHECK = ""
    SUITE = ""

    def __init__(self, target: Target, report: Report, document: Any) -> None:
        self.target = target
        self.report = report
        self.document = document
        self.problems: list[str] = []
        report.checks.add(self.CHECK)

    def expect(self, ok: bool, problem: str, response: requests.Response,
               operation_id: str) -> None:
        if ok:
            return
        self.problems.append(problem)
        self.report.record_failure(FailureRecord(
            check=self.CHECK, operation=operation_label(self.document, operation_id),
            title=problem, message=answer_text(response),
            curl=getattr(response, "request_curl", ""), suite=self.SUITE), answer=response)

    def conforms(self, response: requests.Response, operation_id: str) -> bool:
        """Whether the answer's body validates against the contract's schema of its status (a
        204 has no body)."""
        operation = operation_definition(self.document, operation_id)
        if response.status_code == 204:
            return not response.content
        schema = response_schema(self.document, operation, response.status_code,
                                 "application/json")
        if schema is None:
            return False
        try:
            value = response.json()
        except ValueError:
            return False
        validator = jsonschema.Draft202012Validator(
            {**resolve(self.document, schema), "components": self.document["components"]})
        return not list(validator.iter_errors(value))

    def finish(self) -> None:
        if self.problems:
            pytest.fail("\n".join(self.problems), pytrace=False)
