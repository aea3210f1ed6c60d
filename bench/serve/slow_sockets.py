"""Slow clients: N sockets that send a body's headers and never its end, while others probe.

Usage::

    .venv/bin/python bench/serve/slow_sockets.py                       # both servers, 64 x 30 s
    .venv/bin/python bench/serve/slow_sockets.py --servers granian --sockets 200 --seconds 10
    .venv/bin/python bench/serve/slow_sockets.py --servers granian --serve-args="--threads 5"

For each server: starts ``invoca-sandbox serve --server S`` on a free 127.0.0.1 port (its own
process group), opens ``--sockets`` connections that each send a Bulk ``POST`` with
``Content-Length: 100000`` and only 30 bytes of body and then hold the connection open, and
for ``--seconds`` probes the server from fresh connections, in turn ``GET /_sandbox/health``
and a legacy ``allocate_number.json`` (each with a ``--timeout`` second deadline), every
``--gap`` seconds. Prints per endpoint p50 / p99 / max latency (ms), the probes slower than
1 s and the probes that timed out or failed, and how many slow sockets the server closed
before the end. Stops the process group it started by its PID.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLOW_HEAD = (b"POST /api/2013-07-01/bulk.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
SLOW_BODY = b'{"requests": [{"api_suffix": "'  # 30 bytes of 100,000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def request(port: int, path: str, timeout: float) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start(server: str, port: int, extra: Sequence[str]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port),
         "--server", server, *extra],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{server} exited with {process.returncode}")
        with suppress(OSError):
            if request(port, "/_sandbox/health", 2)[0] == 200:
                return process
        if time.monotonic() > deadline:
            raise RuntimeError(f"{server} did not answer within 60 s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def slow_sockets(port: int, count: int) -> list[socket.socket]:
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(SLOW_HEAD + SLOW_BODY)
        held.append(sock)
    return held


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed (or answered on) this connection."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True


def measure(server: str, args: argparse.Namespace) -> dict[str, object]:
    port = free_port()
    process = start(server, port, shlex.split(args.serve_args))
    try:
        world = json.loads(request(port, "/_sandbox/world", 5)[1])
        pool = world["ring_pool"]
        paths = {"health": "/_sandbox/health",
                 "allocate": f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                             f"?ring_pool_key={pool['api_key']}&utm_source=slow"}
        held = slow_sockets(port, args.sockets)
        latencies: dict[str, list[float]] = {name: [] for name in paths}
        failures = dict.fromkeys(paths, 0)
        deadline = time.monotonic() + args.seconds
        turn = 0
        while time.monotonic() < deadline:
            name = list(paths)[turn % len(paths)]
            turn += 1
            began = time.perf_counter()
            try:
                status, _ = request(port, paths[name], args.timeout)
            except OSError:
                failures[name] += 1
            else:
                if status == 200:
                    latencies[name].append((time.perf_counter() - began) * 1000)
                else:
                    failures[name] += 1
            time.sleep(args.gap)
        closed = sum(closed_by_server(sock) for sock in held)
        for sock in held:
            sock.close()
    finally:
        stop(process)
    found: dict[str, object] = {"server": server, "sockets": args.sockets,
                                "seconds": args.seconds, "closed_by_server": closed}
    for name, values in latencies.items():
        ordered = sorted(values) or [float("nan")]
        found[name] = {
            "probes": len(values) + failures[name],
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
            "over_1s": sum(value > 1000 for value in values),
            "timeouts_or_errors": failures[name],
        }
    return found


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--servers", nargs="+", default=["granian", "waitress"])
    p.add_argument("--sockets", type=int, default=64, help="slow sockets held (64)")
    p.add_argument("--seconds", type=float, default=30.0, help="how long they are held (30)")
    p.add_argument("--timeout", type=float, default=5.0, help="probe deadline, seconds (5)")
    p.add_argument("--gap", type=float, default=0.05, help="pause between probes (0.05 s)")
    p.add_argument("--serve-args", default="", help="more arguments for serve")
    args = p.parse_args(argv)
    for server in args.servers:
        found = measure(server, args)
        print(json.dumps(found), flush=True)
        for name in ("health", "allocate"):
            row = found[name]
            assert isinstance(row, dict)
            print(f"{server:9} {args.sockets} slow sockets {args.seconds:g} s  {name:8} "
                  f"probes {row['probes']:4}  p50 {row['p50_ms']:8.2f} ms  "
                  f"p99 {row['p99_ms']:8.2f} ms  max {row['max_ms']:8.2f} ms  "
                  f"over 1 s {row['over_1s']}  timeouts/errors {row['timeouts_or_errors']}",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
