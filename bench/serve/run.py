"""Serving benchmark: the sandbox over HTTP against Prism and WireMock, side by side.

Usage::

    .venv/bin/python bench/serve/run.py                  # everything, ~6 minutes
    .venv/bin/python bench/serve/run.py --duration 3 --runs 3 --connections 32
    .venv/bin/python bench/serve/run.py --only sandbox   # the sandbox's servers only
    .venv/bin/python bench/serve/run.py --startup-only   # start-up to first answer only

What it does, in order:

1. Installs what it compares when missing: wrk (``apt-get install -y wrk``), Prism
   (``@stoplight/prism-cli``) and WireMock (the ``wiremock`` npm package, which bundles the
   standalone jar; runs on the machine's Java) into ``bench/serve/.tools/`` (gitignored).
2. Measures the start-up of ``invoca-sandbox serve`` (process start to the first answered
   allocation), median of 3.
3. For each server: starts it on a free 127.0.0.1 port pinned to core 0 (``taskset``), warms
   it up, runs every endpoint it serves with wrk pinned to core 1 (32 connections, keep-alive,
   ``--runs`` runs of ``--duration`` seconds, medians reported), then stops the process group
   it started by its PID (SIGTERM, then SIGKILL).
4. Prints one table (req/s, p99, ratios against the comparators) and writes it, with the raw
   runs, to ``bench/serve/results/`` (gitignored).

The sandbox is measured doing the real work: the legacy allocation endpoints allocate from
the demo ring pool ``rp-1``, which the benchmark first resizes through the Network Integration
API (``PUT``: ``max_pool_size`` 8,000, 150,000 for the bulk pool, ``lifetime_seconds`` 1), on a
server built with the valid number range (config ``NUMBERS`` ``valid``, ``NUMBERS_PER_NETWORK``
1,000,000: the fictional range holds only 700 toll-free numbers) and the system clock. A pool
provisions numbers before it reuses any (the model's rule), so the benchmark provisions every
number first with Bulk requests; from then on every request is a real allocation, every hold
ends 1 s later and is recycled, and there is no overflow while the rate stays under 8,000 per
second (150,000 allocations per second for Bulk). The Network Integration read is of a third
pool, ``rp-read`` (15 numbers, created by ``PUT``), because a pool's body lists its promo
numbers.
Each request is validated, authenticated (ring pool key or API token), recorded (allocation
log, event log, journal, request journal) and rendered.
Bulk sends 100 rows per request to the bulk-enabled pool ``rp-bulk-1`` (resized the same way)
and is reported as allocations per second.

The comparators serve the SAME paths with a canned body: Prism from ``openapi/invoca.yaml``
(static examples, then ``-d`` dynamic), WireMock from a mapping file written here.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform as host_platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOOLS = HERE / ".tools"
RESULTS = HERE / "results"
SPEC = ROOT / "openapi" / "invoca.yaml"
PYTHON = sys.executable
SERVER_CORE, LOAD_CORE = "0", "1"

RINGPOOL_VERSION = "2015-12-09"
NETWORK_VERSION = "2016-10-01"
BULK_VERSION = "2013-07-01"
BULK_ROWS = 100
POOL_SIZE = 8_000
BULK_POOL_SIZE = 150_000
LIFETIME_SECONDS = 1
READ_POOL_ID_FROM_NETWORK = "rp-read"

# The demo world of seed 0 (mock_server.app.create_app({"SEED": 0})): its ids and keys. The
# benchmark reads them from /_sandbox/world of the sandbox; comparators get the same strings.
NETWORK_ID = "1"
POOL_ID, POOL_ID_FROM_NETWORK = "1", "rp-1"
BULK_POOL_ID, BULK_POOL_ID_FROM_NETWORK = "2", "rp-bulk-1"
NI_POOL_PATH = (f"/api/{NETWORK_VERSION}/{NETWORK_ID}/advertisers/adv-1/advertiser_campaigns/"
                "camp-1/ring_pools/{pool}.json")


# ---------------------------------------------------------------------------- tools


def ensure_tools() -> None:
    """wrk from Debian packages; Prism and WireMock from npm into bench/serve/.tools."""
    if shutil.which("wrk") is None:
        print("installing wrk (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "wrk"], check=True,
                       stdout=subprocess.DEVNULL)
    if not (tool("prism").exists() and wiremock_jar() is not None):
        print("installing @stoplight/prism-cli and wiremock into bench/serve/.tools", flush=True)
        TOOLS.mkdir(parents=True, exist_ok=True)
        if not (TOOLS / "package.json").exists():
            (TOOLS / "package.json").write_text('{"name": "serve-bench-tools", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@stoplight/prism-cli",
                        "wiremock"], cwd=TOOLS, check=True, stdout=subprocess.DEVNULL)


def tool(name: str) -> Path:
    return TOOLS / "node_modules" / ".bin" / name


def wiremock_jar() -> Path | None:
    return next(iter(sorted((TOOLS / "node_modules" / "wiremock").glob("build/*.jar"))), None)


def tool_version(name: str) -> str:
    try:
        data = json.loads((TOOLS / "node_modules" / name / "package.json").read_text())
    except OSError:
        return "?"
    return str(data.get("version", "?"))


def pinned(core: str, argv: Sequence[str]) -> list[str]:
    """``argv`` pinned to ``core`` with taskset (unpinned on a 1-core machine)."""
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return list(argv)
    return ["taskset", "-c", core, *argv]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ---------------------------------------------------------------------------- processes


@dataclass
class Started:
    """A server process this script started (its own process group)."""

    name: str
    process: subprocess.Popen[bytes]
    base: str
    log: Path


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 5.0) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def started(name: str, argv: Sequence[str], port: int, probe: str, *,
            env: dict[str, str] | None = None, timeout: float = 90.0) -> Iterator[Started]:
    """Start ``argv`` on core 0, wait until ``probe`` answers, stop it by PID afterwards."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(pinned(SERVER_CORE, argv), stdout=out, stderr=out,
                                   start_new_session=True, cwd=ROOT,
                                   env={**os.environ, **(env or {})})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
            try:
                http("GET", base + probe, timeout=2)
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer within {timeout} s") from None
                time.sleep(0.1)
        yield Started(name, process, base, log)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this script started (its PID), SIGKILL after 10 s."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    # children left in the group (npm-java-runner -> java, prism -> node workers)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class Endpoint:
    """One measured endpoint: what wrk sends, and how a request counts."""

    key: str
    label: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: units of work per request (Bulk: rows)
    per_request: int = 1


def wrk_script(endpoint: Endpoint, directory: Path) -> Path:
    lines = [f"wrk.method = {json.dumps(endpoint.method)}"]
    for name, value in endpoint.headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if endpoint.body:
        lines.append(f"wrk.body = {json.dumps(endpoint.body.decode())}")
    script = directory / f"{endpoint.key}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


LATENCY = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
RATE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
TOTAL = re.compile(r"(\d+) requests in")


@dataclass
class Run:
    rate: float
    p99_ms: float
    requests: int
    non_2xx: int


def wrk(base: str, endpoint: Endpoint, seconds: float, connections: int,
        scripts: Path) -> Run:
    argv = pinned(LOAD_CORE, [
        "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
        "--timeout", "5s",
        "-s", str(wrk_script(endpoint, scripts)), base + endpoint.path,
    ])
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rate_match, latency_match = RATE.search(out), LATENCY.search(out)
    if rate_match is None or latency_match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    value, unit = float(latency_match[1]), latency_match[2]
    p99 = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non_2xx = NON_2XX.search(out)
    total = TOTAL.search(out)
    return Run(float(rate_match[1]), p99, int(total[1]) if total else 0,
               int(non_2xx[1]) if non_2xx else 0)


@dataclass
class Measured:
    server: str
    endpoint: Endpoint
    runs: list[Run]

    @property
    def rate(self) -> float:
        return statistics.median(r.rate for r in self.runs)

    @property
    def units(self) -> float:
        return self.rate * self.endpoint.per_request

    @property
    def p99_ms(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def errors(self) -> int:
        return sum(r.non_2xx for r in self.runs)


# ---------------------------------------------------------------------------- endpoints


def endpoints(pool_key: str, bulk_key: str, token: str) -> dict[str, Endpoint]:
    query = f"ring_pool_key={pool_key}&utm_source=bench&utm_campaign=serve"
    legacy = f"/api/{RINGPOOL_VERSION}/ring_pools/{POOL_ID}/allocate_number"
    rows = [{"api_suffix": f"{BULK_POOL_ID}/allocate_number.json?ring_pool_key={bulk_key}"
                           f"&utm_source=row{n}", "request_id": f"r{n}"}
            for n in range(BULK_ROWS)]
    media = {"json": "application/json", "xml": "application/xml", "csv": "text/csv"}
    found = {
        f"legacy_{fmt}": Endpoint(f"legacy_{fmt}", f"legacy allocate_number.{fmt}", "GET",
                                  f"{legacy}.{fmt}?{query}", {"Accept": media[fmt]})
        for fmt in ("json", "xml", "csv")
    }
    found["ni_ring_pool"] = Endpoint(
        "ni_ring_pool", "Network Integration GET ring_pools/{id}.json", "GET",
        NI_POOL_PATH.format(pool=READ_POOL_ID_FROM_NETWORK),
        {"Authorization": token, "Accept": "application/json"},
    )
    found["bulk_100"] = Endpoint(
        "bulk_100", f"Bulk, {BULK_ROWS} rows per request", "POST",
        f"/api/{BULK_VERSION}/bulk.json",
        {"Content-Type": "application/json", "Accept": "application/json"},
        json.dumps({"requests": rows}).encode(), BULK_ROWS,
    )
    return found


# ---------------------------------------------------------------------------- servers


def sandbox_child(argv: Sequence[str]) -> int:
    """``run.py --child SERVER PORT THREADS``: the sandbox app on granian, gunicorn or waitress."""
    server, port, threads = argv[0], int(argv[1]), int(argv[2])
    sys.path.insert(0, str(ROOT))
    from mock_server.app import create_app  # noqa: PLC0415 - only the child needs the app
    from mock_server.serve import serve  # noqa: PLC0415
    from mock_server.tuning import settle_collector  # noqa: PLC0415

    config = {"SEED": 0, "CLOCK": "system", "NUMBERS": "valid",
              "NUMBERS_PER_NETWORK": 1_000_000,
              "BASE_URL": f"http://127.0.0.1:{port}"}
    app = create_app(config)
    if server in ("granian", "waitress"):
        return serve(app, config, host="127.0.0.1", port=port, server=server, threads=threads)
    settle_collector(app)  # as serve() does for the other two
    from gunicorn.app.base import BaseApplication  # noqa: PLC0415

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in {"bind": f"127.0.0.1:{port}", "workers": 1, "threads": threads,
                               "worker_class": "gthread", "accesslog": None,
                               "loglevel": "warning", "keepalive": 5}.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    Gunicorn().run()
    return 0


def prepare_sandbox(base: str) -> dict[str, str]:
    """Resize the demo pools through the Network Integration API; the keys and token."""
    status, raw = http("GET", base + "/_sandbox/world")
    if status != 200:
        raise RuntimeError(f"/_sandbox/world answered {status}")
    world = json.loads(raw)
    token = world["api_token"]
    pools = ((POOL_ID_FROM_NETWORK, POOL_ID, world["ring_pool"]["api_key"], POOL_SIZE),
             (BULK_POOL_ID_FROM_NETWORK, BULK_POOL_ID, world["bulk_ring_pool"]["api_key"],
              BULK_POOL_SIZE))
    for pool, pool_id, key, size in pools:
        status, raw = http("PUT", base + NI_POOL_PATH.format(pool=pool), {
            "pool_type": "Custom", "destination_type": "Advertiser",
            "max_pool_size": size, "lifetime_seconds": LIFETIME_SECONDS,
        }, {"Authorization": token})
        if status != 200:
            raise RuntimeError(f"resizing {pool} answered {status}: {raw[:300]!r}")
        # provision every number now (a pool provisions before it reuses), in Bulk requests
        for _ in range(size // 1000):
            rows = [{"api_suffix": f"{pool_id}/allocate_number.json?ring_pool_key={key}"
                                   "&utm_source=provision"}] * 1000
            status, raw = http("POST", base + f"/api/{BULK_VERSION}/bulk.json",
                               {"requests": rows}, timeout=60)
            if status != 200:
                raise RuntimeError(f"provisioning {pool} answered {status}: {raw[:300]!r}")
    status, raw = http("PUT", base + NI_POOL_PATH.format(pool=READ_POOL_ID_FROM_NETWORK), {
        "name": "Bench read", "pool_type": "Custom", "destination_type": "Advertiser",
        "destination_url": "https://www.example.com/landing", "max_pool_size": 15,
        "param1": "utm_source"}, {"Authorization": token})
    if status not in (200, 201):
        raise RuntimeError(f"creating {READ_POOL_ID_FROM_NETWORK} answered {status}: {raw[:300]!r}")
    for _ in range(15):  # the read pool shows 15 promo numbers, as a busy small pool does
        http("GET", base + f"/api/{RINGPOOL_VERSION}/ring_pools/{json.loads(raw)['id']}/"
             f"allocate_number.json?ring_pool_key={json.loads(raw)['api_key']}&utm_source=b")
    return {"pool_key": world["ring_pool"]["api_key"],
            "bulk_key": world["bulk_ring_pool"]["api_key"], "token": token}


def wiremock_mappings(directory: Path, bodies: dict[str, tuple[str, bytes]],
                      paths: dict[str, Endpoint]) -> None:
    mappings = directory / "mappings"
    mappings.mkdir(parents=True, exist_ok=True)
    found = []
    for key, (content_type, body) in bodies.items():
        endpoint = paths[key]
        found.append({
            "request": {"method": endpoint.method, "urlPath": endpoint.path.split("?")[0]},
            "response": {"status": 200, "body": body.decode(),
                         "headers": {"Content-Type": content_type}},
        })
    (mappings / "bench.json").write_text(json.dumps({"mappings": found}, indent=1))


@dataclass
class Target:
    name: str
    argv: Callable[[int], list[str]]
    endpoints: tuple[str, ...]
    probe: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    #: extra warm-up seconds before the first endpoint (JIT compilers: the JVM, node)
    warmup_first: float = 0.0


def measure(target: Target, paths_for: Callable[[str], dict[str, Endpoint]],
            args: argparse.Namespace, scripts: Path) -> list[Measured]:
    """Start ``target``, warm each of its endpoints up, run them in ``args.runs`` rounds (one
    run of each endpoint per round), stop it.

    ``paths_for(base)`` gives the endpoints once the server answers (the sandbox's keys come
    from its world, and its pools are resized then)."""
    port = free_port()
    print(f"== {target.name}", flush=True)
    found: list[Measured] = []
    with started(target.name, target.argv(port), port, target.probe, env=target.env) as server:
        paths = paths_for(server.base)
        if target.warmup_first:
            wrk(server.base, paths[target.endpoints[0]], target.warmup_first, args.connections,
                scripts)
        chosen = [paths[key] for key in target.endpoints
                  if not args.endpoints or key in args.endpoints.split(",")]
        for endpoint in chosen:
            wrk(server.base, endpoint, args.warmup, args.connections, scripts)
        # runs in rounds (every endpoint once per round, each round starting one endpoint
        # further): a server whose state fills up over the first minutes (journals and logs
        # up to their retention) weighs on every endpoint alike, not on those measured last
        runs: dict[str, list[Run]] = {endpoint.label: [] for endpoint in chosen}
        for round_index in range(args.runs):
            turn = round_index % len(chosen) if chosen else 0
            for endpoint in chosen[turn:] + chosen[:turn]:
                runs[endpoint.label].append(
                    wrk(server.base, endpoint, args.duration, args.connections, scripts)
                )
        for endpoint in chosen:
            measured = Measured(target.name, endpoint, runs[endpoint.label])
            found.append(measured)
            print(f"   {endpoint.label:48} {measured.rate:>9,.0f} req/s  p99 "
                  f"{measured.p99_ms:6.1f} ms  non-2xx {measured.errors}  "
                  f"runs {[round(r.rate) for r in measured.runs]}", flush=True)
    return found


def available(server: str) -> bool:
    """Whether the sandbox's ``server`` is installed (gunicorn is a benchmark-only extra)."""
    if importlib.util.find_spec(server) is not None:
        return True
    print(f"{server} is not installed (pip install {server}): skipped", flush=True)
    return False


def sandbox_argv(server: str, threads: int) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        return [PYTHON, str(Path(__file__)), "--child", server, str(port), str(threads)]

    return argv


def startup(runs: int = 3) -> list[float]:
    """Seconds from starting ``invoca-sandbox serve`` to its first answered allocation."""
    cli = Path(PYTHON).parent / "invoca-sandbox"
    found = []
    for _ in range(runs):
        port = free_port()
        url = (f"http://127.0.0.1:{port}/api/{RINGPOOL_VERSION}/ring_pools/{POOL_ID}/"
               "allocate_number.json")
        started_at = time.perf_counter()
        process = subprocess.Popen([str(cli), "serve", "--port", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True, cwd=ROOT)
        try:
            while True:
                try:
                    http("GET", url, timeout=2)  # a 403 (no key) is an answer too
                    break
                except (OSError, urllib.error.URLError):
                    if process.poll() is not None or time.perf_counter() - started_at > 30:
                        raise RuntimeError("invoca-sandbox serve did not start") from None
                    time.sleep(0.01)
            found.append(time.perf_counter() - started_at)
        finally:
            stop(process)
    return found


# ---------------------------------------------------------------------------- report


def machine() -> str:
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines()
                      if line.startswith("Model name")), "?")
    except OSError:
        pass
    load = os.getloadavg()
    return (f"nproc {os.cpu_count()}, {model}, {host_platform.python_implementation()} "
            f"{host_platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f} "
            f"{load[2]:.2f}")


def table(results: list[Measured], default: str, comparators: Sequence[str]) -> str:
    by = {(m.server, m.endpoint.key): m for m in results}
    keys = list(dict.fromkeys(m.endpoint.key for m in results))
    servers = list(dict.fromkeys(m.server for m in results))
    head = ["endpoint", *[f"{s} req/s (p99 ms)" for s in servers],
            *[f"{default} / {c}" for c in comparators]]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in keys:
        label = next(m.endpoint.label for m in results if m.endpoint.key == key)
        cells = [label]
        for server in servers:
            m = by.get((server, key))
            if m is None:
                cells.append("-")
                continue
            extra = f", {m.units:,.0f} alloc/s" if m.endpoint.per_request > 1 else ""
            errors = f", {m.errors} non-2xx" if m.errors else ""
            cells.append(f"{m.rate:,.0f} ({m.p99_ms:.1f}{extra}{errors})")
        ours = by.get((default, key))
        for comparator in comparators:
            theirs = by.get((comparator, key))
            cells.append(f"{ours.rate / theirs.rate:.2f}x" if ours and theirs else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- main


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (3)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per endpoint")
    p.add_argument("--runs", type=int, default=3, help="wrk runs per endpoint (median; 3)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    p.add_argument("--threads", type=int, default=None,
                   help="request threads of the sandbox servers (default: serve's default)")
    p.add_argument("--only", choices=("sandbox", "comparators"), default=None)
    p.add_argument("--servers", default="granian,gunicorn,waitress",
                   help="the sandbox's servers to compare (granian,gunicorn,waitress)")
    p.add_argument("--endpoints", default=None,
                   help="comma-separated endpoint keys to run (default: all): legacy_json, "
                        "legacy_xml, legacy_csv, ni_ring_pool, bulk_100")
    p.add_argument("--startup-only", action="store_true")
    p.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    p.add_argument("--no-install", action="store_true", help="do not install missing tools")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["--child"]:
        return sandbox_child(arguments[1:])
    args = parser().parse_args(arguments)
    print(f"machine: {machine()}", flush=True)
    startup_times = [] if args.no_startup else startup()
    if startup_times:
        print(f"start-up of invoca-sandbox serve to the first answer: median "
              f"{statistics.median(startup_times):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in startup_times)})", flush=True)
    if args.startup_only:
        return 0
    if not args.no_install:
        ensure_tools()
    sys.path.insert(0, str(ROOT))
    from mock_server.serve import DEFAULT_THREADS, WORKER_THREADS  # noqa: PLC0415

    def threads_of(server: str) -> int:
        return int(args.threads or DEFAULT_THREADS.get(server, WORKER_THREADS))

    results: list[Measured] = []
    keys: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as scratch_name:
        scratch = Path(scratch_name)

        def sandbox_paths(base: str) -> dict[str, Endpoint]:
            keys.update(prepare_sandbox(base))
            return endpoints(keys["pool_key"], keys["bulk_key"], keys["token"])

        sandbox_servers = [s for s in args.servers.split(",") if s and available(s)]
        all_keys = ("legacy_json", "legacy_xml", "legacy_csv", "ni_ring_pool", "bulk_100")
        if args.only != "comparators":
            for server in sandbox_servers:
                target = Target(
                    f"sandbox-{server}", sandbox_argv(server, threads_of(server)),
                    all_keys if server == sandbox_servers[0] else ("legacy_json", "bulk_100"),
                    probe="/_sandbox/health",
                )
                results += measure(target, sandbox_paths, args, scratch)
        if args.only != "sandbox":
            if not keys:  # the demo world of seed 0
                keys.update({"pool_key": "755215A60A37A6", "bulk_key": "0E2B97DEB64709",
                             "token": "9DjgnC8mf0Qg0UAK56d2aCnijBR9z5GL"})
            results += comparators(endpoints(keys["pool_key"], keys["bulk_key"], keys["token"]),
                                   args, scratch)
    default = f"sandbox-{args.servers.split(',')[0]}"
    comparator_names = [name for name in ("prism-static", "prism-dynamic", "wiremock-static")
                        if any(m.server == name for m in results)]
    report = table(results, default, comparator_names)
    print()
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    (RESULTS / f"serve-{stamp}.md").write_text(
        f"machine: {machine()}\nstart-up (s): {startup_times}\nthreads: "
        f"{ {server: threads_of(server) for server in args.servers.split(',') if server} }\n\n"
        f"{report}\n\nruns:\n" + "\n".join(
            f"{m.server} {m.endpoint.key}: "
            + ", ".join(f"{r.rate:.0f} req/s p99 {r.p99_ms:.2f} ms" for r in m.runs)
            for m in results) + "\n")
    return 0


def comparators(paths: dict[str, Endpoint], args: argparse.Namespace,
                scratch: Path) -> list[Measured]:
    found: list[Measured] = []
    prism = str(tool("prism"))

    def fixed(base: str) -> dict[str, Endpoint]:
        return paths

    shared = ("legacy_json", "legacy_xml", "legacy_csv", "ni_ring_pool")
    probe = paths["legacy_json"].path
    found += measure(Target(
        "prism-static", lambda port: [prism, "mock", "-h", "127.0.0.1", "-p", str(port),
                                      str(SPEC)], shared, probe, warmup_first=5),
                     fixed, args, scratch)
    found += measure(Target(
        "prism-dynamic", lambda port: [prism, "mock", "-d", "-h", "127.0.0.1", "-p",
                                       str(port), str(SPEC)], ("legacy_json", "ni_ring_pool"),
        probe, warmup_first=5), fixed, args, scratch)
    jar = wiremock_jar()
    java = shutil.which("java")
    if jar is None or java is None:
        print("WireMock skipped: no jar or no java", flush=True)
        return found
    root = scratch / "wiremock"
    wiremock_mappings(root, static_bodies(), paths)
    found += measure(Target(
        "wiremock-static", lambda port: [java, "-jar", str(jar), "--port", str(port),
                                         "--bind-address", "127.0.0.1", "--root-dir", str(root),
                                         "--disable-banner"],
        shared, "/__admin/health", warmup_first=30), fixed, args, scratch)
    return found


def static_bodies() -> dict[str, tuple[str, bytes]]:
    """The canned bodies WireMock answers (the shapes the sandbox renders)."""
    url = ("https://invoca.net/c/1/1-1-1?us=https%3A%2F%2Fwww.example.com%2Flanding%3F"
           "sid%3D8775550113")
    legacy = {"promo_number_formatted": "877-555-0113", "tracking_url": url,
              "promo_number": "8775550113"}
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n'
           "  <PromoNumberFormatted>877-555-0113</PromoNumberFormatted>\n"
           "  <PromoNumber>8775550113</PromoNumber>\n"
           f"  <TrackingUrl>{url}</TrackingUrl>\n</Response>\n")
    csv = f"PromoNumberFormatted,PromoNumber,TrackingUrl\n877-555-0113,8775550113,{url}\n"
    pool = {"id": 3, "id_from_network": "rp-read", "name": "Sandbox RingPool",
            "pool_type": "Custom", "destination_type": "Advertiser",
            "destination_url": "https://www.example.com/landing", "lifetime_seconds": 1800,
            "max_pool_size": 15, "param1": "utm_source", "param2": "utm_campaign"}
    return {
        "legacy_json": ("application/json; charset=utf-8", json.dumps(legacy).encode()),
        "legacy_xml": ("application/xml; charset=utf-8", xml.encode()),
        "legacy_csv": ("text/csv; charset=utf-8", csv.encode()),
        "ni_ring_pool": ("application/json; charset=utf-8", json.dumps(pool).encode()),
    }


if __name__ == "__main__":
    sys.exit(main())
