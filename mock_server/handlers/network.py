"""Network Integration API handlers: one generic adapter for every operation of the family.

Every operation of the contract's ``Network Integration`` tag is answered by the
:class:`~simulator.platform.Platform` method of the same name (the snake_case of its
operationId), given the principal, the path's ids in template order, the body when the
operation has a request body, and the path's ``version``; the answer's object pages are
written as URLs on the platform's base URL (:mod:`mock_server.objects`). The frame renders it
with the operation's status (POST 201, PUT 200, DELETE 200 ``{}``) and drops the fields the
version does not have (``x-versions``). The one exception: creating a Local RingPool (a body
with ``local_center``) answers 200, as the seed shows (:func:`create_ring_pool`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_server.binding import snake_case
from mock_server.handlers import Call, Reply, body_of
from mock_server.objects import represent
from openapi.contract import operations

FAMILY = "Network Integration"


#: operations whose Platform method also takes query parameters (as keywords): name -> them
QUERIES: dict[str, tuple[str, ...]] = {
    "list_customer_phone_numbers": ("limit", "start", "query", "status", "sort_by", "sort_dir"),
    "delete_ring_pool": ("delete_detected_phone_number",),
}


def _query(call: Call, names: tuple[str, ...]) -> dict[str, Any]:
    found = {}
    for name in names:
        value = call.query.get(name) if call.query else None
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        if value is not None:
            found[name] = value
    return found


def answer(name: str, *, with_body: bool) -> Callable[[Call], Any]:
    """The handler of operation ``name``: the Platform method of the same name, given the
    principal, the path's ids, the body when ``with_body``, the query parameters of
    :data:`QUERIES`, and the version."""
    names = QUERIES.get(name, ())

    def handler(call: Call) -> Any:
        body = (body_of(call),) if with_body else ()
        result = getattr(call.platform, name)(call.principal, *call.ids, *body,
                                              version=call.version, **_query(call, names))
        return represent(result, call.platform.settings.base_url)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = f"Platform.{name}(principal, *ids{', body' if with_body else ''}, version)"
    return handler


#: every operation of the family -> whether it has a request body (from the contract)
BODIES = {snake_case(operation.operation_id): "requestBody" in operation.definition
          for operation in operations() if operation.family == FAMILY}
_answer_create_ring_pool = answer("create_ring_pool", with_body=True)


def create_ring_pool(call: Call) -> Any:
    """POST: Create a RingPool (upsert). A Local RingPool answers 200, as the seed shows."""
    created = _answer_create_ring_pool(call)
    return Reply(created, status=200) if "local_center" in body_of(call) else created


def use_ppc_access_token(call: Call) -> Any:
    """GET /home?access_token=...: the PPC Platform login flow (no API credentials; the
    one-time token is the credential)."""
    token = call.query.get("access_token")
    return call.platform.use_ppc_access_token(None if token is None else str(token), "/home")


def use_ppc_access_token_at_affiliate_page(call: Call) -> Any:
    """GET /affiliates/<id>?access_token=...: the docs' on-the-fly destination."""
    token = call.query.get("access_token")
    return call.platform.use_ppc_access_token_at_affiliate_page(
        None if token is None else str(token), f"/affiliates/{call.path['affiliate_id']}")


#: operations with a handler of their own above
_OWN = ("create_ring_pool", "use_ppc_access_token", "use_ppc_access_token_at_affiliate_page")
globals().update({name: answer(name, with_body=with_body) for name, with_body in BODIES.items()
                  if name not in _OWN})

__all__ = [*BODIES]  # noqa: PLE0604 - names from the contract
