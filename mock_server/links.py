"""Links that work: the sandbox answers the URLs its answers hand out (not Invoca's contract).

A thin adapter over :mod:`simulator.links` (the rules live there; docs/fidelity.md L1-L5):

* ``GET /c/<network id>/<advertiser id>-<campaign id>-<ring pool id>?us=...`` (an
  allocation's ``tracking_url``, a ring pool's ``test_click_url``): 302 to the pool's landing
  page with ``PPCPN=<number>``; the click is recorded (the allocation's ``clicks`` in
  ``/_sandbox/allocations``, a ``TrackingLinkClicked`` event) and the request is in the
  request journal as operation ``followTrackingLink``. An unknown link: a small 404 page.
* ``GET`` of an ``object_url`` (:data:`mock_server.objects.PAGES`, but the RingPool API's
  ``sample_api_url``, a contract route): a small HTML page naming the object and its main
  fields; an unknown object: a 404 page.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Blueprint, Response, current_app, request

from mock_server.objects import PAGES
from mock_server.state import sandbox_state
from simulator.errors import RecordNotFound

__all__ = ["CLICK_OPERATION", "links"]

links = Blueprint("links", __name__)

#: the request journal's operation id of a followed tracking link
CLICK_OPERATION = "followTrackingLink"
HTML_TYPE = "text/html; charset=utf-8"


def _page(title: str, body: str, status: int = 200) -> Response:
    text = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title></head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{body}\n"
            f"<p><small>invoca-sandbox</small></p>\n</body>\n</html>\n")
    return Response(text, status=status, content_type=HTML_TYPE)


def _not_found(error: RecordNotFound) -> Response:
    return _page("Not found", f"<p>{html.escape(str(error))}</p>", 404)


@links.get("/c/<network_id>/<triple>")
def follow(network_id: str, triple: str) -> Response:
    """A visitor follows a tracking link: 302 to the landing page, the click recorded."""
    state = sandbox_state(current_app)
    query = dict(request.args.items())
    try:
        with state.lock:
            followed = state.platform.follow_tracking_link(network_id, triple, query)
        response = Response("", status=302, content_type=HTML_TYPE)
        response.headers["Location"] = followed.location
        response.autocorrect_location_header = False
    except RecordNotFound as error:
        response = _not_found(error)
    if state.journal.maxlen:
        state.journal.record(at=state.platform.now(), method=request.method, path=request.path,
                             query=request.query_string.decode("latin-1"),
                             path_params={"network_id": network_id, "link": triple},
                             environ=request.environ, body=None,
                             operation_id=CLICK_OPERATION, status=response.status_code)
    return response


def _object_view(page: str) -> Any:
    def view(**ids: str) -> Response:
        state = sandbox_state(current_app)
        ordered = [ids[f"id{i}"] for i in range(len(ids))]
        try:
            with state.lock:
                described = state.platform.object_page(page, ordered)
        except RecordNotFound as error:
            return _not_found(error)
        rows = "\n".join(f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
                         for name, value in described["fields"])
        return _page(described["title"], f"<table>\n{rows}\n</table>")

    view.__name__ = f"object_page_{page}"
    return view


for _name, _path in PAGES.items():
    if "?" in _path:  # the RingPool API's sample URL: a contract route
        continue
    _rule = _path
    for _index in range(_path.count("{")):
        _rule = _rule.replace(f"{{{_index}}}", f"<id{_index}>")
    links.add_url_rule(_rule, endpoint=f"object_page_{_name}", view_func=_object_view(_name),
                       methods=["GET"])
