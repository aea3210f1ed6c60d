"""Object pages written as URLs at the HTTP edge (mock_server.objects)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from mock_server.objects import represent, url_writer
from simulator.clock import ManualClock
from simulator.platform import Platform
from simulator.resources.records import Link


def test_links_become_urls_on_the_base_when_an_answer_is_represented() -> None:
    answer = [{"id": 7, "object_url": Link("advertiser", (7,))}, {"id": 8}]
    assert represent(answer, "http://sandbox:8080/") == [
        {"id": 7, "object_url": "http://sandbox:8080/as/7/dashboards/ui"}, {"id": 8},
    ]
    assert represent({}, "https://invoca.net") == {}


def test_sample_api_url_names_the_pool_and_its_key_when_written() -> None:
    written = represent({"sample_api_url": Link("ring_pool_sample_api", (3, "A329F4DC002168"))},
                        "https://invoca.net")
    assert written == {"sample_api_url": "https://invoca.net/api/2015-12-09/ring_pools/3/"
                                         "allocate_number.json?ring_pool_key=A329F4DC002168"}


def _pages(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("object_url", "sample_api_url"):
                yield item
            yield from _pages(item)
    elif isinstance(value, list):
        for item in value:
            yield from _pages(item)


def test_every_page_the_model_links_is_a_url_when_the_state_is_exported() -> None:
    platform = Platform(ManualClock(datetime(2024, 3, 1, tzinfo=UTC)), seed=0)
    assert platform.world is not None
    admin = platform.authenticate(token=platform.world.api_token)
    platform.create_affiliate_campaign_promo_number(
        admin, 1, "adv-1", "camp-1", "aff-1",
        {"description": "Radio spot", "media_type": "Offline: Radio"}, version="2016-10-01")
    exported = platform.export_state(links=url_writer("https://invoca.net"))
    pages = list(_pages(exported))
    # advertiser, affiliate, two campaigns (the ExternalOnly one too), affiliate campaign,
    # promo number, two ring pools' two
    assert len(pages) == 10
    assert all(isinstance(page, str) and page.startswith("https://invoca.net/") for page in pages)
    assert list(_pages(platform.export_state())) == []  # without a writer the model has no URLs
