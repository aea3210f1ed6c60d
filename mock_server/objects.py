"""Network Integration objects as HTTP shows them: their pages written as URLs.

The model names an object's pages by :class:`~simulator.resources.records.Link` values (which
page, which ids); this module writes them as URLs on the sandbox's base URL, in the shapes of
the docs' examples (``object_url``: ``https://invoca.net/as/14/dashboards/ui``;
``sample_api_url``: the legacy RingPool API's allocation URL with the pool's key).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from simulator.resources.records import PAGE_FIELDS, Link

__all__ = ["PAGES", "RINGPOOL_API_VERSION", "represent", "url_writer"]

#: The RingPool allocation API version used in ``sample_api_url``.
RINGPOOL_API_VERSION = "2015-12-09"
#: page -> URL path on the base URL, with the Link's ids in order
PAGES: dict[str, str] = {
    "advertiser": "/as/{0}/dashboards/ui",
    "affiliate": "/ps/{0}/dashboards/ui",
    "advertiser_campaign": "/a_campaigns/terms/{0}",
    "affiliate_campaign": "/p_campaigns/terms/{0}/{1}",
    "advertiser_campaign_promo_numbers": "/a_campaigns/promo_numbers/{0}",
    "affiliate_campaign_promo_numbers": "/p_campaigns/promo_numbers/{0}/{1}",
    "ring_pool": "/a_campaigns/ring_pools/{0}",
    "ring_pool_sample_api": (
        f"/api/{RINGPOOL_API_VERSION}/ring_pools/{{0}}/allocate_number.json?ring_pool_key={{1}}"
    ),
}


@functools.lru_cache(maxsize=16)
def url_writer(base_url: str) -> Callable[[Link], str]:
    """What writes a Link as a URL on ``base_url``."""
    base = base_url.rstrip("/")

    def url(link: Link) -> str:
        return base + PAGES[link.page].format(*link.ids)

    return url


def represent(value: Any, base_url: str) -> Any:
    """An operation's answer (an object, a list of objects or ``{}``) with its objects' Links
    written as URLs; everything else as it is."""
    url = url_writer(base_url)
    if isinstance(value, dict):
        return _object(value, url)
    if isinstance(value, list):
        return [_object(item, url) if isinstance(item, dict) else item for item in value]
    return value


def _object(value: dict[str, Any], url: Callable[[Link], str]) -> dict[str, Any]:
    written = value
    for key in PAGE_FIELDS:
        link = value.get(key)
        if type(link) is Link:
            if written is value:
                written = value.copy()  # the same keys in the same order
            written[key] = url(link)
    return written
