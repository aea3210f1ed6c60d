"""A served sandbox against slow, broken and competing connections: a body cut short is never
applied, slow clients do not freeze it, a port is served by one sandbox, and stopping or
killing ``serve`` stops its server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.mock_server.test_serve import ROOT, free_port, get, running_server, server_params

pytestmark = pytest.mark.server

NI_POOL = "/api/2016-10-01/{network}/advertisers/{advertiser}/advertiser_campaigns/{campaign}/" \
          "ring_pools/{pool}.json"


def raw_request(base: str, head: str, body: bytes, *, announced: int) -> bytes:
    """Send ``head`` with ``Content-Length: announced`` and ``body`` (half-closing the
    connection when the body is short: the client is gone) and return what the server
    answers (if anything) before it closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"{head}\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Connection: close\r\nContent-Length: {announced}\r\n\r\n".encode()
                     + body)
        if len(body) < announced:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return answer


def export(base: str) -> Any:
    return json.loads(get(f"{base}/_sandbox/state")[1])


@pytest.mark.parametrize("server", server_params())
def test_truncated_body_changes_nothing_when_the_client_disconnects_mid_body(
        server: str) -> None:
    with running_server("--server", server, "--clock", "manual") as (base, _):
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        pool = NI_POOL.format(network=world["network_id"],
                              advertiser=world["advertiser_id_from_network"],
                              campaign=world["advertiser_campaign_id_from_network"],
                              pool=world["ring_pool"]["id_from_network"])
        before = export(base)
        put = f"PUT {pool} HTTP/1.1\r\nAuthorization: {world['api_token']}"
        resize = b'{"pool_type": "Custom", "destination_type": "Advertiser", "max_pool_size": 3}'
        for head, body in (
            (put, resize),
            ("POST /_sandbox/clock HTTP/1.1", b'{"advance_seconds": 3600}'),
        ):
            answer = raw_request(base, head, body, announced=len(body) + 40)
            assert not answer or answer.startswith(b"HTTP/1.1 400"), answer
            if answer:
                assert b'"class":"IncompleteBody"' in answer
        assert export(base) == before
        # the same requests complete are applied (the refusal was the missing bytes)
        answer = raw_request(base, put, resize, announced=len(resize))
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert export(base) != before


def slow_clients(base: str, count: int) -> list[socket.socket]:
    """``count`` connections that announce a 100,000-byte body, send 30 bytes, and wait."""
    host, port = base.removeprefix("http://").split(":")
    held = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"POST /api/2013-07-01/bulk.json HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
                     b'{"requests": [{"api_suffix": "')
        held.append(sock)
    return held


@pytest.mark.parametrize("server", server_params())
def test_health_and_allocation_answer_when_64_slow_clients_hold_connections(
        server: str) -> None:
    with running_server("--server", server) as (base, _):
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        pool = world["ring_pool"]
        allocate = (f"{base}/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                    f"?ring_pool_key={pool['api_key']}")
        held = slow_clients(base, 64)
        for _ in range(10):  # each within get()'s 5 s: a liveness bound, not a timing
            assert get(f"{base}/_sandbox/health")[0] == 200
            assert get(allocate)[0] == 200
            time.sleep(0.2)
    # running_server stopped it by SIGTERM with the slow clients still connected: status 0
    for sock in held:
        sock.close()


def serve_command(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), *extra]


@pytest.mark.parametrize("server", server_params())
def test_second_serve_exits_at_once_saying_port_in_use_when_the_port_is_served(
        server: str) -> None:
    with running_server("--server", server) as (base, _):
        port = int(base.rsplit(":", 1)[1])
        for second in ("granian", "waitress"):
            process = subprocess.Popen(serve_command(port, "--server", second), cwd=ROOT,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, start_new_session=True)
            try:
                out, err = process.communicate(timeout=60)
            finally:
                end_group(process)
            assert process.returncode != 0
            assert f"port {port} is in use" in err
            assert "Serving on" not in out
        assert get(f"{base}/_sandbox/health")[0] == 200


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def end_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL to what is left of the process group ``process`` leads (its own session)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def started_serve(port: int, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(serve_command(port, *extra), cwd=ROOT, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None
        try:
            if get(f"http://127.0.0.1:{port}/_sandbox/health")[0] == 200:
                return process
        except OSError:
            pass
        assert time.monotonic() < deadline, "serve did not answer"
        time.sleep(0.1)


def gone_within(pids: list[int], port: int, seconds: float) -> bool:
    """Whether every pid has ended and nothing listens on ``port`` within ``seconds``
    (a liveness bound)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(alive(pid) for pid in pids):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_server_stops_when_serve_is_killed_with_sigkill_while_slow_clients_hold_it() -> None:
    port = free_port()
    process = started_serve(port, "--server", "granian")
    workers = children(process.pid)
    assert workers, "granian serves from a worker process"
    held = slow_clients(f"http://127.0.0.1:{port}", 4)
    try:
        process.kill()
        process.wait(timeout=10)
        assert gone_within(workers, port, 30), "the worker outlived serve"
    finally:
        for sock in held:
            sock.close()
        end_group(process)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("server", server_params())
def test_serve_stops_with_status_0_when_its_terminal_hangs_up(server: str) -> None:
    port = free_port()
    process = started_serve(port, "--server", server)
    workers = children(process.pid)
    try:
        os.killpg(process.pid, signal.SIGHUP)  # a hangup reaches the whole process group
        assert process.wait(timeout=30) == 0
        assert gone_within(workers, port, 30)
    finally:
        end_group(process)
