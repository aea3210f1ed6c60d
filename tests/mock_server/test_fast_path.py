"""The serving fast path: the cached contract, the environ-level query parser, the route cache."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from mock_server.app import MATCH_CACHE_SIZE, create_app
from mock_server.wsgi import parse_query
from openapi import SPEC_PATH
from openapi.contract import cached_spec, parse_spec


def test_cached_contract_equals_the_parsed_yaml_when_read_twice(tmp_path: Path) -> None:
    first = cached_spec(SPEC_PATH, tmp_path)
    written = list(tmp_path.glob("contract-*.marshal"))
    second = cached_spec(SPEC_PATH, tmp_path)
    assert len(written) == 1
    assert first == second == parse_spec(SPEC_PATH)


def test_corrupt_cache_is_rebuilt_from_the_yaml_when_unreadable(tmp_path: Path) -> None:
    cached_spec(SPEC_PATH, tmp_path)
    [cache] = tmp_path.glob("contract-*.marshal")
    cache.write_bytes(b"not marshal data")
    assert cached_spec(SPEC_PATH, tmp_path) == parse_spec(SPEC_PATH)
    assert isinstance(marshal.loads(cache.read_bytes()), dict)


def test_changed_contract_gets_a_new_cache_entry_when_the_yaml_differs(tmp_path: Path) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text("openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths: {}\n")
    before = cached_spec(contract, tmp_path / "cache")
    contract.write_text("openapi: 3.1.0\ninfo: {title: b, version: '1'}\npaths: {}\n")
    after = cached_spec(contract, tmp_path / "cache")
    assert (before["info"]["title"], after["info"]["title"]) == ("a", "b")
    assert len(list((tmp_path / "cache").glob("contract-*.marshal"))) == 2


QUERY_PIECES = [*"abcXYZ019-_.~=&+%/ ", "%20", "%2B", "%26", "%3D", "%C3%A9", "%ZZ", "%FF"]
QUERY_TEXT = st.lists(st.sampled_from(QUERY_PIECES), max_size=20).map("".join)


@given(query=QUERY_TEXT)
def test_query_parser_reads_what_werkzeug_reads_when_given_any_ascii_query(query: str) -> None:
    environ = EnvironBuilder(path="/").get_environ()
    environ["QUERY_STRING"] = query.replace(" ", "+")
    args = Request(environ).args
    expected = dict(args.lists())
    parsed = parse_query(environ["QUERY_STRING"])
    assert dict(parsed) == expected
    for name, values in expected.items():
        assert parsed.get(name) == args.get(name)
        assert parsed.getlist(name) == values


def test_route_cache_starts_over_when_more_paths_than_its_size_are_seen() -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    client = app.test_client()
    world: dict[str, Any] = client.get("/_sandbox/world").get_json()
    pool = world["ring_pool"]
    good = (f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
            f"?ring_pool_key={pool['api_key']}&utm_source=a")
    for n in range(MATCH_CACHE_SIZE + 10):  # unknown pools: each path is new to the cache
        assert client.get(f"/api/2015-12-09/ring_pools/{900 + n}/allocate_number.json"
                          "?ring_pool_key=x").status_code == 403
    answered = client.get(good)
    assert answered.status_code == 200
    assert answered.get_json()["promo_number"]
