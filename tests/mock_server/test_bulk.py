"""The Bulk RingPool API end to end: rows answered in order with their request ids, the same
bytes through the fast dispatcher and through Flask, and from run to run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request

from mock_server.app import create_app
from mock_server.state import sandbox_state
from mock_server.wsgi import Incoming
from simulator.clock import ManualClock
from simulator.platform import Platform, Principal

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
V = "2016-10-01"


def build(seed: int) -> tuple[Platform, dict[str, dict[str, Any]]]:
    platform = Platform(ManualClock(START), seed=seed)
    assert platform.world is not None
    admin: Principal = platform.authenticate(token=platform.world.api_token)

    def pool(name: str, **overrides: Any) -> dict[str, Any]:
        body = {"id_from_network": name, "pool_type": "Custom", "destination_type": "Advertiser",
                "destination_url": "https://shop.example.com/?a=1", "max_pool_size": 3,
                "lifetime_seconds": 1800, "param1": "gclid", "param2": "utm_source",
                "bulk": True}
        body.update(overrides)
        return platform.create_ring_pool(admin, 1, "adv-1", "camp-1", body, version=V)

    pools = {
        "small": pool("rp-small"),
        "wide": pool("rp-wide", max_pool_size=8, param3="pid"),
        "search": pool("rp-search", pool_type="Search"),
        "strict": pool("rp-strict", max_pool_size=1),
        "closed": pool("rp-closed", max_pool_size=2, allow_overflow=False),
        "big": pool("rp-big", max_pool_size=40),
    }
    bulk = platform.world.bulk_ring_pool
    assert bulk is not None
    pools["demo"] = dict(bulk)
    return platform, pools


def test_row_keeps_its_request_id_first_when_answered_or_refused() -> None:
    platform, pools = build(1)
    good = f"{pools['wide']['id']}/allocate_number.json?ring_pool_key={pools['wide']['api_key']}"
    rows = platform.bulk_allocate_numbers({"requests": [
        {"request_id": "a", "api_suffix": good + "&gclid=1&mobile_click_to_call=TRUE"},
        {"request_id": 0, "api_suffix": good},
        {"api_suffix": good + "&pid=aff-9"},
    ]})
    assert list(rows[0]) == ["request_id", "promo_number_formatted", "promo_number",
                             "tracking_url"]
    assert rows[0]["tracking_url"] == f"tel:+1{rows[0]['promo_number']}"
    assert rows[1] == {"request_id": 0, "error_class": "RecordInvalid",
                       "message": "At least one RingPool parameter is required"}
    assert list(rows[2]) == ["promo_number_formatted", "promo_number", "tracking_url"]
    assert platform.allocations(pools["wide"]["id"])[-1]["affiliate_id_from_network"] == "aff-9"


# ---- the frame ------------------------------------------------------------------------------


@given(st.one_of(st.none(), st.text(max_size=30), st.sampled_from([
    "application/json", "Application/JSON; charset=UTF-8", " text/csv ;q=1", "multipart/form-data;"
    " boundary=x", "application/x-www-form-urlencoded", ""])))
def test_mimetype_is_werkzeugs_when_content_type_is_anything(content_type: str | None) -> None:
    environ: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SERVER_NAME": "x",
                               "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    assert Incoming(environ).mimetype == Request(environ).mimetype


def _bulk_answers(fast: bool) -> list[tuple[int, dict[str, str], bytes]]:
    app = create_app({"SEED": 4, "FAST_DISPATCH": fast})
    world = sandbox_state(app).platform.world_summary()
    pool = world["bulk_ring_pool"]
    suffix = f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}"
    bodies = [
        {"requests": [{"api_suffix": f"{suffix}&utm_source=r{n}", "request_id": f"r{n}"}
                      for n in range(30)]},
        {"request": [{"api_suffix": f"{suffix}&utm_source=x"},
                     {"api_suffix": f"{suffix}&mobile_click_to_call=1&param2=b"},
                     {"api_suffix": f"{suffix}", "request_id": "c"},
                     {"api_suffix": suffix.replace(pool["api_key"], "NOPE") + "&param1=a"}]},
        {"requests": []},
    ]
    client = app.test_client()
    found = []
    for body in bodies:
        response = client.post("/api/2013-07-01/bulk.json", data=orjson.dumps(body),
                               content_type="application/json")
        headers = {k.lower(): v for k, v in response.headers.items()}
        if response.status_code == 200:
            assert float(headers.pop("processing-time")) >= 0
        found.append((response.status_code, headers, response.data))
    return found


def test_bulk_bytes_same_when_fast_dispatch_or_flask_and_when_run_again() -> None:
    first = _bulk_answers(True)
    assert first == _bulk_answers(True) == _bulk_answers(False)
    assert [status for status, _, _ in first] == [200, 200, 403]
    rows = orjson.loads(first[1][2])["responses"]
    assert rows[1]["tracking_url"].startswith("tel:+1")
    assert [sorted(row) for row in rows[2:]] == [
        ["error_class", "message", "request_id"], ["error_class", "message"]]
