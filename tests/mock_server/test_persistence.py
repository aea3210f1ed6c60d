"""``serve --state FILE``: the state survives a restart and a ``kill -9``; bad files are refused
and left alone; the retention flags reach the platform."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mock_server import serve
from mock_server.app import create_app
from mock_server.persistence import StateFile
from mock_server.state import sandbox_state
from simulator.clock import ManualClock
from simulator.journal import STATE_FORMAT
from simulator.platform import Platform, PlatformSettings
from simulator.transactions import DEFAULT_TRANSACTION_RETENTION, TransactionLog

ROOT = Path(__file__).resolve().parents[2]
NETWORK = "/api/2016-10-01"
RINGPOOL = "/api/2015-12-09"
#: longer than the writer's delay (0.5 s) and one write: the last change is in the file
SETTLE_SECONDS = 2.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)
    _connections: list[http.client.HTTPConnection] = field(default_factory=list)

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self._local.connection = connection
            self._connections.append(connection)
        data = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        try:
            connection.request(method, path, body=data, headers=sent)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self._local.connection = None
            connection.close()
            raise
        return response.status, json.loads(raw) if raw else None

    def kill_hard(self) -> None:
        """``kill -9`` of the serve process, then of its group (its server process too)."""
        with suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def close(self) -> None:
        for connection in self._connections:
            connection.close()


@contextmanager
def serving(state: Path, *extra: str) -> Iterator[Served]:
    """``serve --state`` on a free port, in its own process group; killed at the end."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port),
         "--clock", "manual", "--state", str(state), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )
    served = Served(process, port)
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: served.output.extend(iter(stdout.readline, "")),
                              daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "".join(served.output)
            with suppress(OSError, http.client.HTTPException):
                if served.request("GET", "/_sandbox/health")[0] == 200:
                    break
            assert time.monotonic() < deadline, "no answer:\n" + "".join(served.output)
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            served.kill_hard()
        served.close()
        reader.join(timeout=5)
        stdout.close()


def world_of(served: Served) -> dict[str, Any]:
    status, world = served.request("GET", "/_sandbox/world")
    assert status == 200
    return dict(world)


def allocate(served: Served, world: dict[str, Any], marker: str) -> None:
    pool = world["ring_pool"]
    status, _ = served.request(
        "GET", f"{RINGPOOL}/ring_pools/{pool['id']}/allocate_number.json"
        f"?ring_pool_key={pool['api_key']}&param1={marker}")
    assert status == 200


def write_advertiser(served: Served, world: dict[str, Any], ident: str) -> None:
    status, _ = served.request("PUT", f"{NETWORK}/{world['network_id']}/advertisers/{ident}.json",
                               {"name": f"Advertiser {ident}"},
                               {"Authorization": world["api_token"]})
    assert status == 200


def allocation_markers(served: Served, world: dict[str, Any]) -> list[str]:
    status, log = served.request("GET",
                                 f"/_sandbox/allocations?ring_pool_id={world['ring_pool']['id']}")
    assert status == 200
    return [entry["params"]["param1"] for entry in log]


def advertisers(served: Served, world: dict[str, Any]) -> set[str]:
    status, listed = served.request("GET", f"{NETWORK}/{world['network_id']}/advertisers.json",
                                    headers={"Authorization": world["api_token"]})
    assert status == 200
    return {item["id_from_network"] for item in listed}


def clock_of(served: Served) -> str:
    status, body = served.request("GET", "/_sandbox/clock")
    assert status == 200
    return str(body["now"])


# ---------------------------------------------------------------------------- restarts


def test_every_acknowledged_write_allocation_and_the_clock_survive_when_killed_after_a_flush(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox-state.json"
    with serving(state) as first:
        assert state.exists()  # created at start, before any change
        world = world_of(first)
        assert first.request("POST", "/_sandbox/clock", {"advance_seconds": 3600})[0] == 200
        for index in range(40):
            write_advertiser(first, world, f"adv-w{index}")
            allocate(first, world, f"m{index}")
            allocate(first, world, f"n{index}")
        clock = clock_of(first)
        written = advertisers(first, world)
        markers = allocation_markers(first, world)
        time.sleep(SETTLE_SECONDS)
        first.kill_hard()

    with serving(state) as second:
        assert world_of(second) == world
        assert clock_of(second) == clock == "2016-10-01T01:00:00Z"
        assert advertisers(second, world) == written
        assert allocation_markers(second, world) == markers
        assert {f"adv-w{index}" for index in range(40)} <= written


def test_the_state_kept_is_a_prefix_of_what_was_acknowledged_when_killed_mid_load(
    tmp_path: Path,
) -> None:
    state = tmp_path / "sandbox-state.json"
    acknowledged: list[tuple[str, float]] = []  # (marker, when acknowledged)
    in_flight: list[str] = []
    stop = threading.Event()

    with serving(state) as first:
        world = world_of(first)

        def load() -> None:
            index = 0
            while not stop.is_set():
                marker = f"k{index}"
                in_flight[:] = [marker]
                try:
                    if index % 5 == 4:
                        write_advertiser(first, world, marker)
                    else:
                        allocate(first, world, marker)
                except (OSError, http.client.HTTPException, AssertionError):
                    return  # the server was killed
                acknowledged.append((marker, time.monotonic()))
                index += 1

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 300 or acknowledged[-1][1] - acknowledged[0][1] < 3:
            assert time.monotonic() < deadline and loader.is_alive()
            time.sleep(0.05)
        killed_at = time.monotonic()
        first.kill_hard()
        stop.set()
        loader.join(timeout=30)

    with serving(state) as second:
        kept = set(allocation_markers(second, world)) | {
            ident for ident in advertisers(second, world) if ident.startswith("k")}
    order = [marker for marker, _ in acknowledged]
    assert kept <= set(order) | set(in_flight)
    count = len(kept & set(order))
    assert set(order[:count]) <= kept, "the file is not a prefix of what was acknowledged"
    lost = acknowledged[count:]
    lost_window = killed_at - lost[0][1] if lost else 0.0
    print(f"\nacknowledged {len(order)}, kept {count}, lost {len(lost)} "
          f"(acknowledged in the last {lost_window:.2f} s before the kill)")
    assert lost_window < 5  # a generous bound: the writer runs at most ~0.5 s after a change


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_the_latest_state_is_written_when_stopped_with_sigterm(tmp_path: Path,
                                                               server: str) -> None:
    pytest.importorskip(server)
    state = tmp_path / "sandbox-state.json"
    with serving(state, "--server", server) as first:
        world = world_of(first)
        write_advertiser(first, world, "adv-last")
        assert first.request("POST", "/_sandbox/clock", {"advance_seconds": 60})[0] == 200
        first.process.send_signal(signal.SIGTERM)  # at once: before the writer's delay
        assert first.process.wait(timeout=30) == 0
    document = json.loads(state.read_bytes())
    assert document["now"] == "2016-10-01T00:01:00+00:00"
    assert any(entry["op"] == "update_advertiser" for entry in document["replay"]["journal"])
    with serving(state, "--server", server) as second:
        assert "adv-last" in advertisers(second, world)


# ---------------------------------------------------------------------------- refused files


@pytest.mark.parametrize(("content", "said"), [
    (b'{"format": "invoca-sandbox-state/1", "now": "2016-', "not JSON"),
    (b"\x00\xff garbage", "not JSON"),
    (b'{"hello": "world"}', "not a sandbox state file"),
    (b"[1, 2, 3]", "not a sandbox state file"),
    (b'{"format": "invoca-sandbox-state/99", "replay": {}}', "format"),
    (json.dumps({"format": STATE_FORMAT, "now": "2016-10-01T00:00:00+00:00", "replay": {
        "seed": 0, "built_at": "2016-10-01T00:00:00+00:00", "world": None,
        "journal": [{"op": "drop_everything", "at": "2016-10-01T00:00:00+00:00"}]}}).encode(),
     "cannot be replayed"),
])
def test_state_file_is_refused_with_status_2_and_left_unchanged_when_not_a_sandbox_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str,
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    before = state.stat()
    status = serve.main(["--port", str(free_port()), "--clock", "manual", "--state", str(state)])
    assert status == 2
    error = capsys.readouterr().err
    assert said in error and str(state) in error and "left unchanged" in error
    assert state.read_bytes() == content
    assert state.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(tmp_path.iterdir()) == [state]  # no temporary file left either


def test_serve_exits_2_when_the_state_file_cannot_be_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "no-such-directory" / "state.json"
    assert serve.main(["--port", str(free_port()), "--state", str(missing)]) == 2
    assert "cannot create the state file" in capsys.readouterr().err


def test_state_of_another_format_is_refused_when_imported_over_http() -> None:
    client = create_app({"CLOCK": "manual"}).test_client()
    exported = client.get("/_sandbox/state").get_json()
    assert exported["format"] == STATE_FORMAT
    response = client.put("/_sandbox/state", json={**exported, "format": "other/1"})
    assert response.status_code == 403 and b"format" in response.data
    assert client.put("/_sandbox/state", json=exported).status_code == 200


def test_file_keeps_the_state_before_truncation_when_the_journal_passes_its_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app({"CLOCK": "manual", "JOURNAL_LIMIT": 2})
    platform = sandbox_state(app).platform
    state = tmp_path / "state.json"
    kept = StateFile(app, state)
    kept.open()
    platform.advance_clock(60)
    assert kept.write()
    written = state.read_bytes()
    platform.advance_clock(60)
    platform.advance_clock(60)  # the third command passes the limit of 2
    assert not kept.write()
    assert state.read_bytes() == written
    assert "journal_limit" in capsys.readouterr().err
    restored = create_app({"CLOCK": "manual"})
    StateFile(restored, state).open()
    assert sandbox_state(restored).platform.now().isoformat() == "2016-10-01T00:01:00+00:00"


# ---------------------------------------------------------------------------- retention


def test_transactions_are_bounded_when_no_retention_is_configured() -> None:
    assert PlatformSettings().transaction_retention == DEFAULT_TRANSACTION_RETENTION == 100_000
    assert TransactionLog().retention == DEFAULT_TRANSACTION_RETENTION
    platform = Platform(ManualClock(datetime(2016, 10, 1, tzinfo=UTC)))
    assert platform.transactions.retention == 100_000


@pytest.mark.parametrize(("flag", "name"), sorted(serve.BOUND_FLAGS.items()))
def test_retention_flag_reaches_the_platform_when_given(flag: str, name: str) -> None:
    for given, expected in (("7", 7), ("none", None)):
        args = serve.parser().parse_args([flag, given])
        app = create_app({**serve.config_from(args), "CLOCK": "manual"})
        assert getattr(sandbox_state(app).platform.settings, name) == expected
    defaults = create_app(serve.config_from(serve.parser().parse_args([])))
    assert getattr(sandbox_state(defaults).platform.settings, name) == getattr(
        PlatformSettings(), name)


@pytest.mark.parametrize("given", ["0", "-1", "1.5", "lots", "99999999999", "\u0663"])
def test_retention_flag_is_a_usage_error_when_not_a_positive_count(given: str) -> None:
    with pytest.raises(SystemExit) as exited:
        serve.parser().parse_args(["--transaction-retention", given])
    assert exited.value.code == 2


def test_transaction_log_keeps_the_most_recent_when_the_flag_bounds_it() -> None:
    args = serve.parser().parse_args(["--transaction-retention", "2"])
    app = create_app({**serve.config_from(args), "CLOCK": "manual"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    pool = world["ring_pool"]
    numbers = []
    for marker in ("a", "b", "c"):
        allocated = client.get(f"{RINGPOOL}/ring_pools/{pool['id']}/allocate_number.json"
                               f"?ring_pool_key={pool['api_key']}&param1={marker}").get_json()
        numbers.append(allocated["promo_number"])
    ids = [client.post("/_sandbox/calls", json={"promo_number": number}).get_json()
           ["transaction_id"] for number in numbers]
    listed = client.get(f"{NETWORK.replace('2016-10-01', '2020-10-01')}/networks/"
                        f"transactions/{world['network_id']}.json",
                        headers={"Authorization": world["api_token"]})
    assert listed.status_code == 200, listed.data
    assert [row["transaction_id"] for row in listed.get_json()] == ids[1:]


def test_file_holds_the_whole_journal_when_written_again_after_a_load(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = create_app({"CLOCK": "manual"})
    StateFile(first, state).open()
    client = first.test_client()
    world = client.get("/_sandbox/world").get_json()
    pool = world["ring_pool"]
    for marker in ("a", "b"):
        client.get(f"{RINGPOOL}/ring_pools/{pool['id']}/allocate_number.json"
                   f"?ring_pool_key={pool['api_key']}&param1={marker}")
    client.post("/_sandbox/clock", json={"advance_seconds": 90})
    assert StateFile(first, state).write()
    before = json.loads(state.read_bytes())["replay"]["journal"]

    second = create_app({"CLOCK": "manual"})
    kept = StateFile(second, state)
    kept.open()
    second.test_client().get(f"{RINGPOOL}/ring_pools/{pool['id']}/allocate_number.json"
                             f"?ring_pool_key={pool['api_key']}&param1=c")
    assert kept.write()
    after = json.loads(state.read_bytes())["replay"]["journal"]
    assert len(before) == 3 and after[:3] == before
    assert after[3]["op"] == "allocate_number" and after[3]["args"][1]["param1"] == "c"
    third = create_app({"CLOCK": "manual"})
    StateFile(third, state).open()
    assert third.test_client().get("/_sandbox/state").get_json() == \
        second.test_client().get("/_sandbox/state").get_json()


def test_writer_loads_the_file_again_when_another_process_wrote_it_before_it_starts(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    stale = create_app({"CLOCK": "manual"})  # as granian's parent holds it
    kept = StateFile(stale, state)
    kept.open()
    earlier = create_app({"CLOCK": "manual"})  # an earlier worker, which served and wrote
    worker = StateFile(earlier, state)
    worker.open()
    earlier.test_client().post("/_sandbox/clock", json={"advance_seconds": 120})
    assert worker.write()
    kept.start()  # a respawned worker starts from the parent's stale app
    kept.stop()
    assert sandbox_state(stale).platform.now() == sandbox_state(earlier).platform.now()
    assert json.loads(state.read_bytes())["now"] == "2016-10-01T00:02:00+00:00"
