"""The dashboard in headless Chromium: the clock and its advance buttons, each ring pool with
its numbers, holders, time left and overflow, the latest requests and transactions, live."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mock_server.admin import ADMIN_HEADER
from mock_server.threaded import ThreadedSandbox
from tests.browser.conftest import Watched

pytestmark = pytest.mark.server

#: a small pool of the test's own, to show holds ending at different times and an overflow
SMALL_POOL = {"id_from_network": "rp-small", "name": "Small landing-page pool",
              "pool_type": "Custom", "param1": "gclid", "max_pool_size": 2,
              "lifetime_seconds": 600, "destination_type": "Advertiser",
              "destination_url": "https://www.example.com/"}


def send(sandbox: ThreadedSandbox, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sandbox.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def allocate(sandbox: ThreadedSandbox, pool: dict[str, Any], value: str) -> str:
    answer = send(sandbox, "GET", f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                                  f"?ring_pool_key={pool['api_key']}&param1={value}")
    number: str = answer["promo_number"]
    return number


def busy_day(sandbox: ThreadedSandbox) -> dict[str, Any]:
    """The demo pool with three holders, a small pool full and overflowing, a call."""
    world = send(sandbox, "GET", "/_sandbox/world")
    held = [allocate(sandbox, world["ring_pool"], "google-ads")]
    send(sandbox, "POST", "/_sandbox/clock", {"advance_seconds": 420})
    held += [allocate(sandbox, world["ring_pool"], value) for value in ("bing", "newsletter")]
    campaign = (f"/api/2016-10-01/{world['network_id']}/advertisers/"
                f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
                f"{world['advertiser_campaign_id_from_network']}/ring_pools.json")
    small = send(sandbox, "POST", campaign, SMALL_POOL, {"Authorization": world["api_token"]})
    for value in ("a1", "a2", "a3"):
        allocate(sandbox, small, value)
    call = send(sandbox, "POST", "/_sandbox/calls",
                {"promo_number": held[0], "duration_seconds": 185})
    return {"world": world, "held": held, "small": small, "call": call}


def open_dashboard(watched: Watched, sandbox: ThreadedSandbox) -> Any:
    page = watched.page
    page.goto(f"{sandbox.url}/_sandbox/")
    page.wait_for_selector("[data-pool-id]", timeout=15_000)
    return page


def test_pools_holders_overflow_requests_and_transactions_show_when_the_dashboard_loads(
    watched: Watched, sandbox: ThreadedSandbox, artifacts: Path
) -> None:
    day = busy_day(sandbox)
    page = open_dashboard(watched, sandbox)
    demo = page.locator(f"[data-pool-id='{day['world']['ring_pool']['id']}']")
    assert demo.locator(".figure").first.inner_text().lower().split() == ["3", "/", "15", "held"]
    rows = demo.locator("tbody tr")
    assert [rows.nth(i).get_attribute("data-number") for i in range(3)] == day["held"]
    assert rows.nth(0).locator(".time-left").inner_text() == "23m 00s"
    assert "param1=bing" in rows.nth(1).inner_text()
    small = page.locator(f"[data-pool-id='{day['small']['id']}']")
    assert "Small landing-page pool" in small.locator("h3").inner_text()
    assert small.locator(".figure.overflow b").inner_text() == "1"
    assert page.locator("#clock-now").inner_text() == "2016-10-01 00:07:00 UTC"
    assert "manual clock" in page.locator("#clock-mode").inner_text()
    requests = page.locator("#requests tbody tr")
    assert requests.count() == 7
    assert "allocateNumber" in requests.first.inner_text()
    assert day["call"]["transaction_id"] in page.locator("#transactions").inner_text()
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    assert watched.errors == []
    assert watched.outside == []


def test_clock_moves_and_holds_count_down_when_an_advance_button_is_pressed(
    watched: Watched, sandbox: ThreadedSandbox
) -> None:
    world = send(sandbox, "GET", "/_sandbox/world")
    number = allocate(sandbox, world["ring_pool"], "x")
    page = open_dashboard(watched, sandbox)
    hold = page.locator(f"tr[data-number='{number}'] .time-left")
    assert hold.inner_text() == "30m 00s"
    page.get_by_role("button", name="+10 min").click()
    page.wait_for_function("document.getElementById('clock-now').dataset.now"
                           " === '2016-10-01T00:10:00Z'", timeout=10_000)
    assert hold.inner_text() == "20m 00s"
    assert send(sandbox, "GET", "/_sandbox/clock") == {"now": "2016-10-01T00:10:00Z"}
    page.get_by_role("button", name="+1 hour").click()
    page.wait_for_selector(f"tr[data-number='{number}']", state="detached", timeout=10_000)
    assert watched.errors == []


def test_new_requests_appear_without_a_reload_when_the_dashboard_is_open(
    watched: Watched, sandbox: ThreadedSandbox
) -> None:
    world = send(sandbox, "GET", "/_sandbox/world")
    page = open_dashboard(watched, sandbox)
    assert page.locator("#requests .empty").count() == 1
    number = allocate(sandbox, world["ring_pool"], "later")
    page.wait_for_selector(f"tr[data-number='{number}']", timeout=10_000)
    page.wait_for_selector("#requests tbody tr", timeout=10_000)
    assert "allocateNumber" in page.locator("#requests tbody tr").first.inner_text()


def test_state_shows_only_after_the_admin_token_is_given_when_one_is_set(
    watched: Watched,
) -> None:
    token = "admin-token-for-the-dashboard-test"
    with ThreadedSandbox({"ADMIN_TOKEN": token}) as guarded:
        page = watched.page
        page.goto(f"{guarded.url}/_sandbox/")
        page.wait_for_selector("#admin", state="visible", timeout=10_000)
        assert page.locator("[data-pool-id]").count() == 0
        assert page.locator(".advance button:disabled").count() == 4
        page.fill("#admin-token", token)
        page.click("#admin button")
        page.wait_for_selector("[data-pool-id]", timeout=10_000)
        assert page.locator("#admin").is_hidden()
        assert send(guarded, "GET", "/_sandbox/clock", headers={ADMIN_HEADER: token})
    assert [error for error in watched.errors if "401" not in error] == []
