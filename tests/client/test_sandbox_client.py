"""``client.sandbox.SandboxClient`` against a served sandbox (a thread of this process, over
real HTTP: the same as against ``invoca-sandbox serve``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from client.sandbox import SandboxClient, SandboxClientError
from mock_server.threaded import ThreadedSandbox

ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json"


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox({"SEED": 3}) as running:
        yield running


@pytest.fixture
def sandbox(server: ThreadedSandbox) -> SandboxClient:
    server.restart()
    return SandboxClient(server.url)


def test_client_verifies_allocations_when_a_pool_is_used(sandbox: SandboxClient) -> None:
    pool = sandbox.world["ring_pool"]
    for param in ("a", "b", "c"):
        answer = sandbox.get(ALLOCATE.format(id=pool["id"]),
                             query={"ring_pool_key": pool["api_key"], "param1": param})
        assert answer.status == 200 and answer.json()["promo_number"]
    assert sandbox.count(operationId="allocateNumber",
                         path_params={"ring_pool_id": pool["id"]}, status=200) == 3
    assert [entry["query_params"]["param1"] for entry in sandbox.journal(
        operationId="allocateNumber", query={"param1": "b"})] == ["b"]
    assert sandbox.clear_journal() == 3
    assert sandbox.journal() == []


def test_client_moves_the_clock_and_places_calls_when_asked(sandbox: SandboxClient) -> None:
    pool = sandbox.world["ring_pool"]
    number = sandbox.get(ALLOCATE.format(id=pool["id"]),
                         query={"ring_pool_key": pool["api_key"]}).json()["promo_number"]
    assert sandbox.advance(60)["now"] == "2016-10-01T00:01:00Z"
    assert sandbox.set_clock("2016-10-01T00:05:00Z")["now"] == "2016-10-01T00:05:00Z"
    assert sandbox.now == "2016-10-01T00:05:00Z"
    call = sandbox.call(number, duration_seconds=90)
    assert (call["duration"], call["start_time"]) == (90, "2016-10-01T00:05:00+00:00")
    assert [row["promo_number"] for row in sandbox.allocations(pool["id"])] == [number]


def test_client_raises_with_the_answer_when_the_sandbox_refuses(sandbox: SandboxClient) -> None:
    with pytest.raises(SandboxClientError) as refused:
        sandbox.set_clock("2000-01-01T00:00:00Z")  # backwards
    assert refused.value.status == 403 and "errors" in refused.value.body
    with pytest.raises(SandboxClientError):
        sandbox.count(operationid="allocateNumber")


def test_client_sends_the_admin_token_when_the_control_api_is_guarded() -> None:
    with ThreadedSandbox({"ADMIN_TOKEN": "s3cret"}) as guarded:
        assert SandboxClient(guarded.url, admin_token="s3cret").health()["status"] == "ok"
        with pytest.raises(SandboxClientError) as refused:
            SandboxClient(guarded.url).health()
        assert refused.value.status == 401


def test_reset_keeps_the_clock_when_done_over_http(sandbox: SandboxClient) -> None:
    sandbox.advance(3600)
    sandbox.add_fault(operation="allocateNumber", status=500)
    assert sandbox.reset()["now"] == "2016-10-01T01:00:00Z"
    sandbox.clear_faults()
    assert sandbox.journal() == []


@pytest.mark.server
def test_client_works_against_a_served_process_when_started_apart() -> None:
    from tests.mock_server.test_serve import running_server  # noqa: PLC0415

    with running_server("--clock", "manual", "--server", "waitress",
                        "--cors-origin", "http://localhost:3000") as (base, _):
        sandbox = SandboxClient(base)
        pool = sandbox.world["ring_pool"]
        answer = sandbox.get(ALLOCATE.format(id=pool["id"]),
                             query={"ring_pool_key": pool["api_key"]},
                             headers={"Origin": "http://localhost:3000"})
        assert answer.status == 200
        assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert sandbox.count({"operationId": "allocateNumber"}) == 1
        [entry] = sandbox.journal(path_params={"ring_pool_id": pool["id"]})
        assert entry["query_params"]["ring_pool_key"] == "[REDACTED]"
