"""Our checks, beyond schemathesis' own: plain functions registered with ``schemathesis.check``.

Each check takes ``(ctx, response, case)``, returns ``None`` when it has nothing to say about
this response, and raises ``AssertionError`` with a precise message when the response departs
from the contract. Importing this module registers them (``contracts.hooks`` does, so that
``SCHEMATHESIS_HOOKS=contracts.hooks schemathesis run ...`` runs them too).

* :func:`csv_body_conformance`: a ``text/csv`` body has the header ``x-csv-columns`` allows (in
  that order, then extra marketing-data columns) and each row satisfies ``x-csv-row-schema``.
* :func:`format_media_type_conformance`: where the path ends in ``.{format}``, the response's
  media type is the one ``x-media-type-by-format`` (success) or
  ``x-error-media-type-by-format`` (errors) names for that format.

Choices: an empty CSV body is an empty page (no header needed). With ``include_columns`` or
``exclude_columns`` in the request, the row schema's ``required`` is limited to the columns the
header holds (the request chose them). Without a header (``include_header=0``) rows are only
checked for a constant width.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jsonschema
import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.core.failures import Failure

from contracts.deserializers import csv_rows, resolve, response_schema

_CUSTOM_TITLE = re.compile(r"Custom check failed: `([^`]+)`")


def check_name(failure: Failure) -> str:
    """The name of the check that reported ``failure`` (ours or schemathesis')."""
    names = type(failure).checks
    if names:
        return str(names[0])
    match = _CUSTOM_TITLE.search(failure.title or "")
    return match.group(1) if match else (failure.title or type(failure).__name__)


def _media_type(response: Response) -> str:
    values = response.headers.get("content-type") or [""]
    return values[0].split(";")[0].strip().lower()


def _query(case: Case) -> Mapping[str, Any]:
    return case.query if isinstance(case.query, Mapping) else {}


def _row_validator(document: Mapping[str, Any], row_ref: str,
                   present: list[str] | None) -> jsonschema.protocols.Validator:
    row_schema = dict(resolve(document, {"$ref": row_ref}))
    if present is not None:
        row_schema["required"] = [name for name in row_schema.get("required", [])
                                  if name in present]
    schema = {**row_schema, "components": document.get("components", {})}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def csv_problems(document: Mapping[str, Any], schema: Mapping[str, Any], text: str,
                 query: Mapping[str, Any]) -> list[str]:
    """What is wrong with CSV ``text`` under ``schema`` (``x-csv-*``), given the request query."""
    columns = schema.get("x-csv-columns")
    row_ref = schema.get("x-csv-row-schema")
    if not isinstance(columns, list) or not isinstance(row_ref, str):
        return []
    separator = str(query.get("column_separator", ","))
    if len(separator) != 1:
        return []
    rows = csv_rows(text, separator)
    if str(query.get("include_header", "1")) == "0":
        widths = {len(row) for row in rows}
        return [f"rows have different widths: {sorted(widths)}"] if len(widths) > 1 else []
    if not rows:
        return []  # an empty page (choice: the header may be left out when there are no rows)
    header, data = rows[0], rows[1:]
    problems: list[str] = []
    if len(set(header)) != len(header):
        problems.append(f"duplicate columns in header {header}")
    known = [name for name in header if name in columns]
    order = [name for name in columns if name in known]
    if known != order:
        problems.append(f"header columns {known} are not in the order of x-csv-columns")
    first_unknown = next((i for i, name in enumerate(header) if name not in columns), len(header))
    late_known = [name for name in header[first_unknown:] if name in columns]
    if late_known:
        problems.append(f"documented columns {late_known} come after the undocumented column "
                        f"{header[first_unknown]!r}")
    if not known:
        problems.append(f"no documented column in header {header}; x-csv-columns: {columns}")
    chosen = "include_columns" in query or "exclude_columns" in query
    validator = _row_validator(document, row_ref, header if chosen else None)
    for number, row in enumerate(data, start=2):
        if len(row) != len(header):
            problems.append(f"line {number} has {len(row)} fields, the header {len(header)}")
            continue
        for error in validator.iter_errors(dict(zip(header, row, strict=True))):
            problems.append(f"line {number}: {error.message}")
        if len(problems) > 10:
            break
    return problems


@schemathesis.check
def csv_body_conformance(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 2xx ``text/csv`` body has the documented header and rows."""
    if _media_type(response) != "text/csv" or not 200 <= response.status_code < 300:
        return None
    document = case.operation.schema.raw_schema
    schema = response_schema(document, case.operation.definition.raw, response.status_code,
                             "text/csv")
    if not isinstance(schema, Mapping):
        return None
    text = response.content.decode(response.encoding or "utf-8")
    problems = csv_problems(document, schema, text, _query(case))
    if problems:
        raise AssertionError("CSV body does not match x-csv-columns / x-csv-row-schema:\n  "
                             + "\n  ".join(problems))
    return None


#: error classes a legacy RingPool ``.json`` call answers in JSON although other errors are text
JSON_LEGACY_ERRORS = frozenset({"OnlyBulkNumberAllocationAllowed"})


@schemathesis.check
def format_media_type_conformance(ctx: CheckContext, response: Response,
                                  case: Case) -> bool | None:
    """The response media type is the one the contract names for the path's ``.{format}``."""
    definition = case.operation.definition.raw
    success = definition.get("x-media-type-by-format")
    errors = definition.get("x-error-media-type-by-format") or success
    fmt = case.path_parameters.get("format") if isinstance(case.path_parameters, Mapping) else None
    if not isinstance(success, Mapping) or fmt not in success:
        return None
    if {str(response.request.method).upper(), case.method.upper()} != {
            case.operation.method.upper()}:
        return None  # a probe with another method (unsupported_method): not this operation
    if str(response.status_code) not in (definition.get("responses") or {}):
        return None  # undocumented statuses are status_code_conformance's business
    table = success if response.status_code < 400 else errors
    expected = str(table[fmt]).lower()
    actual = _media_type(response)
    if actual == expected:
        return None
    if response.status_code == 403 and actual == "application/json":
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("errors"), dict) and body[
                "errors"].get("class") in JSON_LEGACY_ERRORS:
            return None
    source = "x-media-type-by-format" if response.status_code < 400 else (
        "x-error-media-type-by-format")
    raise AssertionError(
        f"`.{fmt}` answered {response.status_code} with Content-Type {actual or '(none)'!r}; "
        f"the contract says {expected!r} ({source})"
    )


#: our checks, in the order the summary lists them
CHECKS = (csv_body_conformance, format_media_type_conformance)
