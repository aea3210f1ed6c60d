"""Errors of the platform model, named after Invoca's error classes.

One base class, :class:`SandboxError`. Each subclass carries the class name Invoca puts in
its error bodies (``error_class``) and a *status hint*: the HTTP status the documents assign
to that class. The model never builds HTTP responses; the mock server maps the hint to a
status and renders the body in the shape of the API that raised it (h11-style: the error
knows what went wrong, the adapter knows how to say it).

Two body shapes exist in the Network Integration API and both are representable:

* class errors: ``{"errors": {"class": "RecordNotFound", "invalid_data": "Could not find ..."}}``
  -> ``SandboxError(message)``
* field errors: ``{"errors": {"pool_type": ["can't be blank"]}}``
  -> ``RecordInvalid(field_errors={"pool_type": ["can't be blank"]})``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class SandboxError(Exception):
    """Base of every error the model raises on purpose."""

    error_class: ClassVar[str] = "SandboxError"
    status_hint: ClassVar[int] = 500

    def __init__(
        self,
        message: str = "",
        *,
        field_errors: Mapping[str, Sequence[Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message or self.error_class)
        self.message = message
        #: Rails-style ``{"field": ["message", ...]}``; when set, the body is the field shape.
        self.field_errors: dict[str, list[Any]] | None = (
            {k: list(v) for k, v in field_errors.items()} if field_errors else None
        )
        #: Additional top-level body keys (e.g. ``{"status": "Applied"}`` on a refused
        #: affiliate campaign transition).
        self.extra: dict[str, Any] = dict(extra or {})

    def to_dict(self) -> dict[str, Any]:
        """The JSON body Invoca's Network Integration / Signal APIs return for this error."""
        errors: dict[str, Any]
        if self.field_errors is not None:
            errors = dict(self.field_errors)
        else:
            errors = {"class": self.error_class, "invalid_data": self.message}
        return {"errors": errors, **self.extra}


class Unauthorized(SandboxError):
    """Missing or wrong credentials (401). The body shape is a sandbox choice (undocumented)."""

    error_class = "Unauthorized"
    status_hint = 401


class RecordInvalid(SandboxError):
    """Request arguments are invalid (403)."""

    error_class = "RecordInvalid"
    status_hint = 403


class InvalidInput(SandboxError):
    """Signal API: a required search field is missing or malformed (403)."""

    error_class = "InvalidInput"
    status_hint = 403


class UnauthorizedOperation(SandboxError):
    """The credentials do not allow this operation (403)."""

    error_class = "UnauthorizedOperation"
    status_hint = 403


class UnauthorizedAdvertiser(SandboxError):
    """The credentials do not reach this advertiser / campaign (403)."""

    error_class = "UnauthorizedAdvertiser"
    status_hint = 403


class RecordNotFound(SandboxError):
    """The resource was not found (404)."""

    error_class = "RecordNotFound"
    status_hint = 404


class NotFound(SandboxError):
    """Conversion Reporting API: no call matches the reported sale (404)."""

    error_class = "NotFound"
    status_hint = 404


class InvalidKey(SandboxError):
    """RingPool API: the ``ring_pool_key`` does not match the pool.

    The HTTP status is undocumented; 403 is a sandbox choice (docs/fidelity.md).
    """

    error_class = "InvalidKey"
    status_hint = 403


class OnlyBulkNumberAllocationAllowed(SandboxError):
    """Legacy RingPool API called on a pool served by Bulk RingPool (403, sandbox choice)."""

    error_class = "OnlyBulkNumberAllocationAllowed"
    status_hint = 403


class NumbersExhausted(SandboxError):
    """The network's share of the number range has no number left to issue (sandbox-only
    condition, 403 in the family's error shape)."""

    error_class = "NumbersExhausted"
    status_hint = 403


class ClockError(SandboxError):
    """The sandbox clock was asked to move backwards (403)."""

    error_class = "InvalidInput"
    status_hint = 403


class InternalServiceError(SandboxError):
    """A system error (500), identified by an integer error handle (10 digits)."""

    error_class = "InternalServiceError"
    status_hint = 500

    def __init__(self, handle: int, message: str = "") -> None:
        super().__init__(message or f"refer to error handle {handle}")
        self.handle = handle
