"""SMS Messaging API handlers (2022-08-01, base path ``/sms/{version}``).

Thin adapters, one platform call each. What is decided here is HTTP only: the statuses the
documents give (201 or 204 with ``Location`` when a number is enabled, 409 ``{}``, 202 for
sent messages) and the pagy pagination object's URLs, written from the request's own path
and query (``page`` last, the other parameters as sent; relative, as the examples show).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from mock_server.handlers import Call, Reply, body_of
from simulator.sms import SmsConflict, SmsPage

__all__ = [
    "create_sms_messages",
    "create_sms_phone_number",
    "delete_sms_message",
    "delete_sms_phone_number",
    "get_sms_delivery_report",
    "get_sms_message",
    "get_sms_phone_number",
    "get_sms_phone_number_usage",
    "list_sms_delivery_reports",
    "list_sms_messages",
    "list_sms_messages_by_phone_number",
    "list_sms_phone_numbers",
]

#: the pagination object's keys, in the documents' order
PAGINATION_KEYS = ("prev_url", "series", "in", "scaffold_url", "from", "last_url", "pages",
                   "count", "last", "first_url", "items", "next", "next_url", "to", "prev",
                   "page", "page_url")


def _base(call: Call) -> str:
    return f"/sms/{call.version}"


def _query_prefix(query: Mapping[str, Any]) -> str:
    """The request's other query parameters (``page`` left out), ``%2B`` for ``+``."""
    parts = []
    for key, value in query.items():
        if key == "page":
            continue
        for one in value if isinstance(value, list) else [value]:
            text = "" if one is None else str(one)
            parts.append(f"{quote(str(key), safe='[]_')}={quote(text, safe=':')}")
    return "".join(f"{part}&" for part in parts)


def pagination(page: SmsPage, path: str, query: Mapping[str, Any]) -> dict[str, Any]:
    """pagy's pagination object for ``page`` of the listing at ``path``."""
    numbers = page.numbers()
    prefix = f"{path}?{_query_prefix(query)}page="

    def url(number: Any) -> str:
        return prefix + ("" if number is None else str(number))

    values = {**numbers, "prev_url": url(numbers["prev"]),
              "scaffold_url": prefix + "__pagy_page__", "last_url": url(numbers["last"]),
              "first_url": url(1), "next_url": url(numbers["next"]),
              "page_url": url(numbers["page"])}
    return {key: values[key] for key in PAGINATION_KEYS}


def _listing(name: str, page: SmsPage, path: str, query: Mapping[str, Any],
             *, first: bool = True) -> dict[str, Any]:
    paging = pagination(page, path, query)
    if first:
        return {"pagination": paging, name: page.items}
    return {name: page.items, "pagination": paging}


# ---- phone numbers


def list_sms_phone_numbers(call: Call) -> Any:
    page = call.platform.list_sms_phone_numbers(call.principal, call.query)
    return _listing("phone_numbers", page, f"{_base(call)}/phone_numbers", call.query,
                    first=False)


def get_sms_phone_number(call: Call) -> Any:
    return call.platform.get_sms_phone_number(call.principal, call.path["phone_number"])


def create_sms_phone_number(call: Call) -> Any:
    """201 with the new SMS number, 204 (no body) for a disabled one enabled again, 409
    ``{}`` (as documented) for one already enabled; ``Location`` names its page."""
    number = call.path["phone_number"]
    location = {"Location": f"{call.base_url}{_base(call)}/phone_numbers/{number}"}
    try:
        value, new = call.platform.create_sms_phone_number(call.principal, number)
    except SmsConflict:
        return Reply(b"{}", status=409, content_type="application/json; charset=utf-8")
    if new:
        return Reply(value, status=201, headers=location)
    return Reply(b"", status=204, headers=location, content_type="text/plain; charset=utf-8")


def delete_sms_phone_number(call: Call) -> Any:
    return call.platform.delete_sms_phone_number(call.principal, call.path["phone_number"])


# ---- messages


def create_sms_messages(call: Call) -> Any:
    page = call.platform.create_sms_messages(call.principal, body_of(call))
    return Reply(_listing("messages", page, f"{_base(call)}/messages", {}), status=202)


def list_sms_messages(call: Call) -> Any:
    page = call.platform.list_sms_messages(call.principal, call.query)
    return _listing("messages", page, f"{_base(call)}/messages", call.query)


def list_sms_messages_by_phone_number(call: Call) -> Any:
    number = call.path["phone_number"]
    page = call.platform.list_sms_messages_by_phone_number(call.principal, number, call.query)
    return _listing("messages", page, f"{_base(call)}/messages/phone_number/{number}",
                    call.query)


def get_sms_phone_number_usage(call: Call) -> Any:
    return call.platform.get_sms_phone_number_usage(call.principal, call.path["phone_number"])


def get_sms_message(call: Call) -> Any:
    return call.platform.get_sms_message(call.principal, call.path["message_uuid"])


def delete_sms_message(call: Call) -> Any:
    return call.platform.delete_sms_message(call.principal, call.path["message_uuid"])


def list_sms_delivery_reports(call: Call) -> Any:
    message = call.path["message_uuid"]
    page = call.platform.list_sms_delivery_reports(call.principal, message, call.query)
    return _listing("delivery_reports", page,
                    f"{_base(call)}/messages/uuid/{message}/delivery_reports", call.query,
                    first=False)


def get_sms_delivery_report(call: Call) -> Any:
    return call.platform.get_sms_delivery_report(call.principal, call.path["message_uuid"],
                                                 call.path["delivery_report_uuid"])
