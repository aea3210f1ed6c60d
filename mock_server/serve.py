"""``invoca-sandbox serve``: the sandbox on a real multi-threaded WSGI server.

Usage::

    invoca-sandbox serve [--host 127.0.0.1] [--port 8080] [--seed 0] [--clock system|manual]
                         [--start ISO-8601] [--world FILE] [--server granian|waitress]
                         [--threads N] [--tls [--cert FILE --key FILE]]
                         [--strict] [--strict-versions]

Rules:
1. Binds 127.0.0.1 unless told otherwise; stops cleanly (exit status 0) on Ctrl-C / SIGTERM.
2. ONE process holds the state: granian runs one worker process with several blocking
   threads (the app is built before the worker forks, so the banner and the server share the
   same world); waitress runs threads in this process. The app serialises platform calls
   with its own lock, so either keeps the state correct.
3. ``--world FILE`` is JSON (``.json``) or TOML (anything else, read with ``tomllib``).
4. The start-up banner prints the world's credentials and three curl commands that work as
   printed, then ``Serving on http://HOST:PORT``.
5. ``--strict`` reads the contract literally (config ``STRICT``: only published version dates,
   a Transactions ``limit`` above 4000 refused, unknown body keys refused);
   ``--strict-versions`` only the versions part (``STRICT_VERSIONS``). Off by default: real
   integrations run unchanged. A world file's ``[settings]`` table can turn them on too.
6. ``--tls`` serves HTTPS (granian): with ``--cert``/``--key`` as given, else a self-signed
   certificate for localhost/127.0.0.1 made at start by the ``openssl`` command (the banner's
   curl commands then use ``-k``).
7. The process that serves is tuned for serving first (:mod:`mock_server.tuning`: the garbage
   collector); nothing else applies that tuning.

Defaults (sandbox choices): ``--server granian`` (the faster of the two; issue 8 benchmarks
them), ``--clock system`` (a served sandbox follows real time; ``POST /_sandbox/clock`` can
move it forward), ``--threads`` 2 per core + 1, at most 8.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any

from flask import Flask

from mock_server.app import create_app
from mock_server.control import parse_instant
from mock_server.state import sandbox_state
from mock_server.tuning import settle_collector
from simulator.errors import SandboxError

SERVERS = ("granian", "waitress")
#: granian warns above 2 threads per core + 1; more threads do not help a GIL-bound app
DEFAULT_THREADS = min(8, (os.cpu_count() or 1) * 2 + 1)
NETWORK_VERSION = "2016-10-01"
RINGPOOL_VERSION = "2015-12-09"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="invoca-sandbox serve",
                                description="Run the Invoca API sandbox HTTP server.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to bind (default 8080)")
    p.add_argument("--seed", type=int, default=0, help="seed of the demo world (default 0)")
    p.add_argument("--clock", choices=("system", "manual"), default="system",
                   help="system: real time plus an adjustable offset; manual: moves only "
                        "when told (default system)")
    p.add_argument("--start", type=_instant, default=None,
                   help="ISO-8601 start instant of the sandbox clock")
    p.add_argument("--world", type=Path, default=None,
                   help="JSON or TOML file describing the world (default: the seeded demo)")
    p.add_argument("--server", choices=SERVERS, default="granian",
                   help="WSGI server (default granian)")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                   help=f"request threads (default {DEFAULT_THREADS}: 2 per core + 1, at most 8)")
    p.add_argument("--tls", action="store_true",
                   help="serve HTTPS (granian only); without --cert/--key a self-signed "
                        "certificate for localhost/127.0.0.1 is generated at start")
    p.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM)")
    p.add_argument("--key", type=Path, default=None, help="TLS private key (PEM)")
    p.add_argument("--strict", action="store_true",
                   help="docs-literal: only published version dates, a limit above the "
                        "maximum and unknown body keys refused (default: lenient)")
    p.add_argument("--strict-versions", action="store_true",
                   help="only published version dates (a date between them is 404)")
    p.add_argument("--call-ingestion-delay", type=float, default=None, metavar="SECONDS",
                   help="seconds on the sandbox clock before an ingested call is a transaction "
                        "(0..86400; default 900)")
    return p


def _instant(text: str) -> str:
    try:
        parse_instant(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    return text


def read_world(path: Path) -> dict[str, Any]:
    """A world description from a JSON or TOML file."""
    raw = path.read_bytes()
    data: Any = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode())
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a world file holds one object/table at the top level")
    return data


def config_from(args: argparse.Namespace) -> dict[str, Any]:
    host = f"[{args.host}]" if ":" in args.host else args.host
    scheme = "https" if args.tls else "http"
    config: dict[str, Any] = {"SEED": args.seed, "CLOCK": args.clock,
                              "BASE_URL": f"{scheme}://{host}:{args.port}"}
    if args.start:
        config["START"] = args.start
    if args.world is not None:
        config["WORLD"] = read_world(args.world)
    if args.strict:
        config["STRICT"] = True
    if args.strict_versions:
        config["STRICT_VERSIONS"] = True
    if args.call_ingestion_delay is not None:
        config["CALL_INGESTION_DELAY_SECONDS"] = args.call_ingestion_delay
    return config


# ---------------------------------------------------------------------------- banner


def banner(app: Flask, host: str, port: int, *, tls: bool = False) -> str:
    """Credentials and three curl commands that work against this server as printed."""
    state = sandbox_state(app)
    base = f"{'https' if tls else 'http'}://{host}:{port}"
    curl = "curl -sk" if tls else "curl -s"
    summary: Mapping[str, Any] = state.platform.world_summary()
    lines = ["invoca-sandbox: an offline Invoca API sandbox (not Invoca)", ""]
    token = summary.get("api_token")
    network_id = summary.get("network_id")
    basic = summary.get("basic_auth") or {}
    pool = summary.get("ring_pool") or {}
    if summary:
        lines += [
            f"  network_id       {network_id}",
            f"  API token        {token}",
            f"  HTTP Basic       {basic.get('username')}:{basic.get('password')}",
            f"  advertiser       {summary.get('advertiser_id_from_network')}",
            f"  campaign         {summary.get('advertiser_campaign_id_from_network')}",
            f"  affiliate        {summary.get('affiliate_id_from_network')}",
            f"  ring pool        id {pool.get('id')}, key {pool.get('api_key')}",
        ]
        bulk = summary.get("bulk_ring_pool") or {}
        if bulk:
            lines.append(f"  bulk ring pool   id {bulk.get('id')}, key {bulk.get('api_key')}")
        lines.append("")
    lines += ["Try:", f"  {curl} {base}/_sandbox/health"]
    if token and network_id is not None:
        lines.append(
            f"  {curl} -H 'Authorization: {token}' "
            f"{base}/api/{NETWORK_VERSION}/{network_id}/advertisers.json"
        )
    allocate = state.operations.get("allocateNumber")
    if pool and allocate is not None and allocate.handler is not None:
        lines.append(
            f"  {curl} '{base}/api/{RINGPOOL_VERSION}/ring_pools/{pool.get('id')}"
            f"/allocate_number.json?ring_pool_key={pool.get('api_key')}&param1=demo'"
        )
    else:
        lines.append(f"  {curl} {base}/_sandbox/world")
    strictness = state.strictness
    mode = ("strict (docs-literal)" if strictness.inputs else
            "strict versions, lenient inputs" if strictness.versions else
            "lenient (--strict for the docs-literal reading)")
    lines += ["", f"Mode: {mode}",
              f"API docs: {base}/_sandbox/docs   contract: {base}/openapi.yaml",
              f"Serving on {base} (Ctrl-C to stop)"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- servers


def _prebuilt(app: Flask, target: str) -> Flask:
    return app


def _rebuilt(config: Mapping[str, Any], target: str) -> Flask:
    app = create_app(config)
    settle_collector(app)  # (this process serves it, not the parent)
    return app


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (the ``openssl`` command)."""
    cert, key = directory / "sandbox-cert.pem", directory / "sandbox-key.pem"
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TLSSetupError("--tls without --cert/--key needs the openssl command")
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise TLSSetupError(f"openssl could not make a certificate: {result.stderr.strip()}")
    return cert, key


class TLSSetupError(RuntimeError):
    """TLS was asked for and cannot be set up."""


def run_granian(app: Flask, config: Mapping[str, Any], host: str, port: int, *,
                threads: int, tls: tuple[Path, Path] | None = None) -> int:
    """Serve ``app`` on granian: one worker process, ``threads`` blocking threads."""
    from granian.constants import Interfaces  # noqa: PLC0415 - only this server needs it
    from granian.log import LogLevels  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    server = Server(
        target="mock_server.app:create_app",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        log_level=LogLevels.warning,
        ssl_cert=tls[0] if tls else None,
        ssl_key=tls[1] if tls else None,
    )
    # With fork the worker inherits the app already built (and its world); with spawn
    # (other platforms) it builds the same app again from the same config and seed.
    loader = (
        partial(_prebuilt, app) if multiprocessing.get_start_method() == "fork"
        else partial(_rebuilt, dict(config))
    )
    server.serve(target_loader=loader)
    return 0


def run_waitress(app: Flask, host: str, port: int, threads: int) -> int:
    """Serve ``app`` on waitress (threads in this process) until SIGINT/SIGTERM."""
    try:
        from waitress.server import create_server  # noqa: PLC0415 - only this server needs it
    except ImportError:
        print("invoca-sandbox serve: --server waitress needs the waitress package "
              "(pip install waitress)", file=sys.stderr)
        return 2

    server = create_server(app, host=host, port=port, threads=threads, ident="invoca-sandbox")

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


def serve(app: Flask, config: Mapping[str, Any], *, host: str, port: int, server: str,
          threads: int, tls: tuple[Path, Path] | None = None) -> int:
    """Serve ``app`` on ``server`` until stopped, the process tuned for serving first
    (:mod:`mock_server.tuning`)."""
    settle_collector(app)
    if server == "waitress":
        return run_waitress(app, host, port, threads)
    return run_granian(app, config, host, port, threads=threads, tls=tls)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.tls and args.server == "waitress":
        print("invoca-sandbox serve: --tls needs --server granian", file=sys.stderr)
        return 2
    if (args.cert is None) != (args.key is None) or (args.cert and not args.tls):
        print("invoca-sandbox serve: give --tls with both --cert and --key, or neither",
              file=sys.stderr)
        return 2
    try:
        config = config_from(args)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"invoca-sandbox serve: cannot read the world: {exc}", file=sys.stderr)
        return 2
    try:
        app = create_app(config)
    except SandboxError as exc:
        print(f"invoca-sandbox serve: the world cannot be built: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="invoca-sandbox-tls-") as scratch:
        tls: tuple[Path, Path] | None = None
        if args.tls:
            try:
                tls = (args.cert, args.key) if args.cert else self_signed_certificate(
                    Path(scratch))
            except TLSSetupError as exc:
                print(f"invoca-sandbox serve: {exc}", file=sys.stderr)
                return 2
        print(banner(app, args.host, args.port, tls=args.tls), flush=True)
        try:
            return serve(app, config, host=args.host, port=args.port, server=args.server,
                         threads=args.threads, tls=tls)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
