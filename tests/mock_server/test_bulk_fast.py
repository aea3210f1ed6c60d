"""The Bulk RingPool API's hot path answers exactly as the plain row-by-row code did.

``Platform.bulk_allocate_numbers`` works out once per request what rows share (the pool part
of ``api_suffix``, the (pool, key) check) and builds answer rows in one step; the event log
keeps deferred events in a form the garbage collector stops tracking. These tests pin that
nothing observable changed: rows, allocation logs and events equal those of the reference
below (the code as it was, row by row), for any mix of good and bad rows; the served bytes
are the same with and without the fast dispatcher and from run to run.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from werkzeug.wrappers import Request

from mock_server.app import Incoming, create_app, sandbox_state
from simulator.clock import ManualClock
from simulator.errors import InvalidInput, RecordInvalid, SandboxError
from simulator.events import EventLog, NumberAllocated, NumberRecycled, OverflowServed
from simulator.network import formatted
from simulator.platform import _SPLIT_EQUALS, Platform, Principal, _suffix_table

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
V = "2016-10-01"

# ---- the reference: bulk_allocate_numbers as it was (row by row) --------------------------

_SUFFIX = re.compile(r"^/?(?P<id>\d+)/allocate_number\.(?P<format>json|xml|csv)\?(?P<query>.*)$")
_TRUE = frozenset({"1", "true", "yes", "on"})


def _reference_error(row: dict[str, Any], error: SandboxError) -> None:
    row["error_class"] = error.error_class
    row["message"] = error.message or str(error)


def reference_bulk(platform: Platform, body: Any) -> list[dict[str, Any]]:
    requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
    if not isinstance(requests, list | tuple) or not requests:
        raise RecordInvalid("requests must be a non-empty array of {api_suffix, request_id}")
    now = platform.now()
    rows: list[dict[str, Any]] = []
    batch: list[tuple[dict[str, Any], dict[str, str], str | None]] = []
    batch_pool: Any = None
    pools: dict[tuple[str, str], Any] = {}
    for request in requests:
        row: dict[str, Any] = {}
        rows.append(row)
        try:
            if not isinstance(request, dict | Mapping):
                raise InvalidInput("each request must be an object with api_suffix")
            request_id = request.get("request_id")
            if request_id is not None:
                row["request_id"] = request_id
            suffix = str(request.get("api_suffix") or "")
            match = _SUFFIX.match(suffix)
            if match is None:
                raise InvalidInput(f"Invalid api_suffix '{suffix}'")
            query = dict(parse_qsl(match["query"], keep_blank_values=True))
            pool_id = match["id"]
            key = query.get("ring_pool_key", "")
            checked = pools.get((pool_id, key))
            if checked is None:
                checked = pools[pool_id, key] = platform._bulk_pool(pool_id, key)
            placement, names, affiliate_param, default_affiliate = checked
            if names.isdisjoint(query):
                raise RecordInvalid("At least one RingPool parameter is required")
        except SandboxError as error:
            _reference_error(row, error)
            continue
        affiliate = query.get(affiliate_param) if affiliate_param else None
        if placement is not batch_pool:
            _reference_allocate(platform, now, batch_pool, batch)
            batch_pool = placement
        batch.append((row, query, affiliate or default_affiliate))
    _reference_allocate(platform, now, batch_pool, batch)
    return rows


def _reference_allocate(platform: Platform, now: datetime, placement: Any,
                        batch: list[tuple[dict[str, Any], dict[str, str], str | None]]) -> None:
    if not batch or placement is None:
        return
    pool = placement.pool
    answers = pool.allocate_rows(now, [query for _, query, _ in batch],
                                 [affiliate for _, _, affiliate in batch])
    for (row, query, _), answer in zip(batch, answers, strict=True):
        if answer is None:
            _reference_error(row, pool.full_error())
            continue
        if isinstance(answer, SandboxError):
            _reference_error(row, answer)
            continue
        number = answer[2]
        row["promo_number_formatted"] = formatted(number)
        row["promo_number"] = number
        if str(query.get("mobile_click_to_call") or "").strip().lower() in _TRUE:
            row["tracking_url"] = f"tel:+1{number}"
        else:
            row["tracking_url"] = platform.directory.tracking_url(pool, number)
        if answer[3] == answer[4]:
            row["overflow"] = True
    batch.clear()


# ---- a world with every kind of pool a row can reach ---------------------------------------


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


VALUES = st.sampled_from(["x", "a b", "a+b", "a%20b", "", "%ZZ", "ü", "1", "true", " Yes ",
                          "on", "0", "&", "="])
PARAMS = st.sampled_from(["gclid", "utm_source", "param1", "param4", "pid", "referrer",
                          "mobile_click_to_call", "other", "param1", "gclid"])


@st.composite
def row(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["good"] * 6 + ["key", "unknown", "bare", "junk", "shape",
                                                  "newline", "digits", "slash", "format"]))
    target = draw(st.sampled_from(["small", "wide", "search", "strict", "closed", "demo"]))
    params = draw(st.lists(st.tuples(PARAMS, VALUES), max_size=3))
    request_id = draw(st.one_of(st.none(), st.sampled_from(["r1", "", 0, 7, "r1"])))
    return kind, target, params, request_id, draw(st.sampled_from(["json", "xml", "csv"]))


def suffix_of(spec: Any, pools: dict[str, dict[str, Any]]) -> Any:
    kind, target, params, request_id, fmt = spec
    pool = pools[target]
    key = "NOPE" if kind == "key" else pool["api_key"]
    pool_id = "999" if kind == "unknown" else str(pool["id"])
    query = "&".join([f"ring_pool_key={key}", *(f"{n}={v}" for n, v in params)])
    suffix: Any = f"{pool_id}/allocate_number.{fmt}?{query}"
    if kind == "bare":
        suffix = f"{pool_id}/allocate_number.{fmt}"
    elif kind == "junk":
        suffix = f"{pool_id}/allocate_numbers.{fmt}?{query}"
    elif kind == "newline":
        suffix = suffix + "\n" if params else suffix.replace("?", "\n?")
    elif kind == "digits":
        suffix = "\u0662" + suffix[len(pool_id):] if pool_id == "2" else int(pool_id)
    elif kind == "slash":
        suffix = "/" + suffix
    elif kind == "format":
        suffix = suffix.replace(f".{fmt}?", ".JSON?")
    if kind == "shape":
        return draw_shape(request_id)
    entry: dict[str, Any] = {"api_suffix": suffix}
    if request_id is not None:
        entry["request_id"] = request_id
    return entry


def draw_shape(request_id: Any) -> Any:
    return {"request_id": request_id} if request_id is not None else "not an object"


def rows_body(name: str, rows: list[Any], pools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: [suffix_of(r, pools) for r in rows]}


def assert_same_as_reference(
    seed: int, step_seconds: int, bodies: list[Callable[[dict[str, dict[str, Any]]], Any]]
) -> None:
    """Two identical platforms: each body (built for a platform's pools) through the fast Bulk
    path on one and the reference on the other, ``step_seconds`` apart; the same answer
    bytes, allocation logs and events."""
    fast, fast_pools = build(seed)
    slow, slow_pools = build(seed)
    for body in bodies:
        got = fast.bulk_allocate_numbers(body(fast_pools))
        want = reference_bulk(slow, body(slow_pools))
        assert orjson.dumps(got) == orjson.dumps(want)
        fast.clock.advance(step_seconds)  # type: ignore[attr-defined]
        slow.clock.advance(step_seconds)  # type: ignore[attr-defined]
    for target in fast_pools:
        assert fast.allocations(fast_pools[target]["id"]) == slow.allocations(
            slow_pools[target]["id"])
    assert list(fast.events) == list(slow.events)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(row(), min_size=1, max_size=12), min_size=1, max_size=4),
       st.sampled_from(["requests", "request"]))
def test_rows_logs_and_events_equal_the_reference_when_rows_are_any_mix(
    requests: list[list[Any]], name: str,
) -> None:
    assert_same_as_reference(3, 700, [partial(rows_body, name, rows) for rows in requests])


SAFE_VALUES = st.sampled_from(["x", "ab", "", "1", "true", "Yes", "on", "0", "aff-2", "ü"])


@st.composite
def uniform_request(draw: st.DrawFn) -> tuple[str, list[tuple[list[tuple[str, str]], Any]]]:
    """Rows of one pool with one key (the usual Bulk request: the one-step path takes it)."""
    target = draw(st.sampled_from(["small", "wide", "strict", "closed", "demo"]))
    rows = draw(st.lists(st.tuples(
        st.lists(st.tuples(PARAMS, SAFE_VALUES), min_size=1, max_size=3),
        st.one_of(st.none(), st.sampled_from(["r1", "", 0, 7]))), min_size=1, max_size=15))
    return target, rows


def uniform_body(spec: tuple[str, list[Any]], pools: dict[str, dict[str, Any]],
                 glue: str) -> dict[str, Any]:
    target, rows = spec
    pool = pools[target]
    found = []
    for params, request_id in rows:
        query = glue.join([f"ring_pool_key={pool['api_key']}",
                           *(f"{n}={v}" for n, v in params)])
        entry: dict[str, Any] = {"api_suffix": f"{pool['id']}/allocate_number.json?{query}"}
        if request_id is not None:
            entry["request_id"] = request_id
        found.append(entry)
    return {"requests": found}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(uniform_request(), min_size=1, max_size=4), st.sampled_from(["&", "&&"]))
def test_uniform_rows_equal_the_reference_when_one_pool_and_key(
    requests: list[Any], glue: str,
) -> None:
    assert_same_as_reference(8, 1000, [partial(uniform_body, spec, glue=glue) for spec in requests])


@st.composite
def same_names_request(draw: st.DrawFn) -> tuple[str, list[tuple[list[tuple[str, str]], Any]]]:
    """Rows of one pool with one key whose queries name the same fields in the same order
    (the one-step path parses them column by column), values free to differ."""
    target = draw(st.sampled_from(["wide", "big", "demo", "closed"]))
    names = draw(st.lists(PARAMS, min_size=1, max_size=4))
    rows = draw(st.lists(st.tuples(
        st.lists(SAFE_VALUES, min_size=len(names), max_size=len(names)),
        st.one_of(st.none(), st.sampled_from(["r1", "", 0, 7]))), min_size=1, max_size=45))
    return target, [(list(zip(names, values, strict=True)), request_id)
                    for values, request_id in rows]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(same_names_request(), min_size=1, max_size=5), st.sampled_from([1, 1000, 2000]))
def test_same_names_rows_equal_the_reference_when_parsed_and_allocated_at_once(
    requests: list[Any], step_seconds: int,
) -> None:
    # rows of a big pool (40 numbers, holds of 1,800 s) at one instant: allocated in one step
    # when enough numbers are free, the rest when they run out (overflow, or refusals)
    assert_same_as_reference(
        5, step_seconds, [partial(uniform_body, spec, glue="&") for spec in requests])


FIELD_TEXT = st.lists(st.sampled_from(["a=1", "a=", "b=2", "=3", "a", "", "c=x=y", "b=1", "?=1",
                                        "d?e=4"]), max_size=4).map("&".join)
HEADS = st.sampled_from(["2/allocate_number.json", "2/a=b", "2/a&b", "", "7"])


@given(st.lists(st.tuples(HEADS, FIELD_TEXT), min_size=1, max_size=6) | st.tuples(
    HEADS, FIELD_TEXT).flatmap(lambda pair: st.lists(st.just(pair), min_size=1, max_size=4)),
    st.booleans())
@example([("2", "a=1"), ("2", "a=1&2?a=2")], True)  # 3 fields, all like the first
@example([("2/a&b", "a=1"), ("2/a&b", "a=1")], True)  # a "&" in the head
def test_suffix_table_is_the_row_by_row_parse_when_suffixes_share_head_and_names(
    pairs: list[tuple[str, str]], question: bool,
) -> None:
    suffixes = [f"{head}?{text}" if question else head + text for head, text in pairs]
    found = _suffix_table(suffixes)
    parts = [suffix.partition("?") for suffix in suffixes]
    try:
        expected = [dict(map(_SPLIT_EQUALS, filter(None, text.split("&"))))
                    for _, _, text in parts]
    except ValueError:  # a field without "=": the row-by-row loop parses those
        assert found is None
        return
    if found is not None:
        head, table = found
        assert {(h, sep) for h, sep, _ in parts} == {(head, "?")}
        assert [list(query.items()) for query in table] == [
            list(query.items()) for query in expected]
    heads = {(h, sep) for h, sep, _ in parts}
    shapes = {tuple(field.partition("=")[0] for field in text.split("&")) for _, _, text in parts}
    fields = [field for _, _, text in parts for field in text.split("&")]
    names_once = len(shapes) == 1 and all(len(set(shape)) == len(shape) for shape in shapes)
    if (len(heads) == 1 and all(sep and "&" not in h and "=" not in h for h, sep in heads)
            and all("=" in field for field in fields) and names_once):
        assert found is not None  # the usual Bulk request takes the column path


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


# ---- the event log ---------------------------------------------------------------------------


def test_deferred_events_read_back_as_built_events_and_leave_the_collector() -> None:
    log = EventLog(maxlen=4)
    at = 1_475_280_000_000_000
    built = OverflowServed(datetime(2016, 10, 1, tzinfo=UTC), 1, 9, "8005550100")
    log.append(built)
    assert log.record([(NumberAllocated, at, 1, 10, "8005550101"),
                       (NumberRecycled, at + 5, 1, "8005550101")]) == 3
    assert log.record([]) == 3
    assert log.record([(NumberAllocated, at + 9, 2, 11, "8005550102"),
                       (NumberAllocated, at + 9, 2, 12, "8005550103")]) == 5
    events = log.events()
    assert [type(e).__name__ for e in events] == [
        "NumberAllocated", "NumberRecycled", "NumberAllocated", "NumberAllocated"]
    assert events[1] == NumberRecycled(datetime.fromtimestamp((at + 5) / 1e6, UTC), 1,
                                       "8005550101")
    assert [seq for seq, _ in log.since(3)] == [4, 5]
    gc.collect()
    entries = list(log._entries)
    assert not any(gc.is_tracked(entry) for entry in entries)


def test_fields_of_one_kind_read_back_as_deferred_events_when_recorded_as_a_run() -> None:
    at = 1_475_280_000_000_000
    runs, deferred = EventLog(maxlen=3), EventLog(maxlen=3)
    fields = [(at, 1, 10, "8005550101"), (at, 1, 11, "8005550102")]
    assert runs.record([(NumberRecycled, at - 1, 1, "8005550100")]) == 1
    assert runs.record_fields(NumberAllocated, iter(fields)) == 3
    assert runs.record_fields(NumberAllocated, []) == 3
    deferred.record([(NumberRecycled, at - 1, 1, "8005550100")])
    deferred.record([(NumberAllocated, *entry) for entry in fields])
    assert runs.since(0) == deferred.since(0)
    assert [seq for seq, _ in runs.since(0)] == [1, 2, 3]
    assert runs.record_fields(NumberAllocated, [(at + 1, 1, 12, "8005550103")]) == 4
    assert [seq for seq, _ in runs.since(0)] == [2, 3, 4]  # the bound drops the oldest
    with pytest.raises(TypeError):
        runs.record_fields(dict, fields)  # type: ignore[arg-type]
    assert runs.last_seq == 4


def test_nothing_recorded_when_a_deferred_event_is_not_an_event() -> None:
    log = EventLog()
    with pytest.raises(TypeError):
        log.record([(NumberAllocated, 1, 1, 1, "8005550100"), (dict, 1)])
    with pytest.raises(TypeError):
        log.record([("NumberAllocated", 1, 1, 1, "8005550100")])
    assert len(log) == 0
    assert log.last_seq == 0


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
