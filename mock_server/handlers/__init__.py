"""Handlers: one module per API family, one function per contract operation.

Rules:
1. A handler is named after the snake_case of its ``operationId`` and listed in its module's
   ``__all__``; :func:`mock_server.binding.handler_registry` finds it there.
2. A handler takes one :class:`Call` (the request, already validated and authenticated),
   makes ONE platform call and returns the value to render (the operation's success status),
   or a :class:`Reply` when the status, headers or rendering options differ. It raises
   :class:`~simulator.errors.SandboxError` subclasses for errors; the frame renders them.
3. No business rules here: any ``if`` about pools, numbers or campaigns belongs in simulator/.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """A validated request, as a handler sees it."""

    operation_id: str
    platform: Any
    principal: Any
    version: str | None
    format: str
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any
    base_url: str
    #: the path's ids in template order (``network_id``, ``advertiser_id_from_network``, ...)
    ids: tuple[Any, ...] = ()
    #: the request's headers (werkzeug ``Headers``: case-insensitive)
    headers: Any = field(default_factory=dict)


@dataclass
class Reply:
    """A handler's answer when the operation's default status or rendering is not enough."""

    value: Any
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    xml_root: str = "Response"
    xml_item: str = "Item"
    csv_options: dict[str, Any] = field(default_factory=dict)
    #: When set, the body is sent as is (already rendered) with this content type.
    content_type: str | None = None


def body_of(call: Call) -> Any:
    """The request body, ``{}`` when the request had none."""
    return {} if call.body is None else call.body
