"""Referrer URLs: which search engine sent a visitor, and what they searched for.

Rules:

* The RingPool API accepts ``referrer=`` "instead of search_engine= and search_keyword[s]":
  those values are inferred by parsing the referrer URL. :func:`parse_referrer` does that.
* A search engine is recognised by its host (``google.com``, ``www.google.co.uk``,
  ``search.yahoo.com``, ``bing.com``, ...). Its keywords come from the engine's query
  parameter (``q`` for most, ``p`` for Yahoo, ``wd`` for Baidu, ``text`` for Yandex).
* Engine names are lower-case host words, as in the docs' web-integration example
  (``"google"``, ``"bing"``, ...). Sandbox choice: Invoca's exact spelling is not published.
* A known engine whose URL carries no query (modern Google sends none) still yields the
  engine, with ``keywords == ""``.
* ``search_type``: ``"Paid"`` when the URL or the landing page carries an ad click id
  (``gclid``, ``gbraid``, ``wbraid``, ``msclkid``, ``yclid``) or a ``/aclk`` path, else
  ``"Organic"`` (sandbox heuristic).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

__all__ = ["SEARCH_ENGINES", "SearchReferral", "parse_referrer", "search_type_for"]

#: engine name -> (registrable host word, query parameter names in order of preference)
SEARCH_ENGINES: dict[str, tuple[str, ...]] = {
    "google": ("q", "as_q"),
    "bing": ("q",),
    "yahoo": ("p", "q"),
    "duckduckgo": ("q",),
    "baidu": ("wd", "word"),
    "yandex": ("text",),
    "ask": ("q",),
    "aol": ("q", "query"),
    "ecosia": ("q",),
}

#: query parameters that mark a paid (ad) click
AD_CLICK_PARAMS = frozenset({"gclid", "gbraid", "wbraid", "msclkid", "yclid", "dclid"})


@dataclass(frozen=True, slots=True)
class SearchReferral:
    """What a search-engine referrer says: the engine, the keywords, Paid or Organic."""

    search_engine: str
    search_keywords: str
    search_type: str


def _engine_for_host(host: str) -> str | None:
    labels = [label for label in host.lower().split(".") if label]
    # "www.google.co.uk" -> look at every label but the public suffix-ish tail
    for label in labels:
        if label in SEARCH_ENGINES:
            return label
    return None


def _has_ad_click(url: str) -> bool:
    if not url:
        return False
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
    except ValueError:  # not a URL
        return False
    query = parse_qs(parts.query, keep_blank_values=True)
    return bool(AD_CLICK_PARAMS & set(query)) or parts.path.startswith("/aclk")


def search_type_for(referrer: str | None, landing_page: str | None = None) -> str:
    """``"Paid"`` when either URL carries an ad click id, else ``"Organic"``."""
    return "Paid" if _has_ad_click(referrer or "") or _has_ad_click(landing_page or "") else (
        "Organic"
    )


def parse_referrer(referrer: str, landing_page: str | None = None) -> SearchReferral | None:
    """The search engine and keywords in ``referrer``; None when it is not a known engine."""
    text = referrer.strip()
    if not text:
        return None
    try:
        parts = urlsplit(text if "//" in text else f"//{text}")
        host = parts.hostname or ""
    except ValueError:  # not a URL (a bracketed host that is no IP address, a bad port)
        return None
    engine = _engine_for_host(host)
    if engine is None:
        return None
    query = parse_qs(parts.query, keep_blank_values=True)
    # some engines put the query in the fragment (#q=...)
    query.update({k: v for k, v in parse_qs(parts.fragment).items() if k not in query})
    keywords = ""
    for name in SEARCH_ENGINES[engine]:
        values = query.get(name)
        if values and values[0].strip():
            keywords = " ".join(values[0].split())
            break
    return SearchReferral(engine, keywords, search_type_for(text, landing_page))
