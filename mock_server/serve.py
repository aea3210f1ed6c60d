"""``invoca-sandbox serve``: the sandbox on a real multi-threaded WSGI server.

Usage::

    invoca-sandbox serve [--host 127.0.0.1] [--port 8080] [--seed 0] [--clock system|manual]
                         [--start ISO-8601] [--world FILE] [--server granian|waitress]
                         [--threads N] [--tls [--cert FILE --key FILE]]
                         [--strict] [--strict-versions] [--admin-token TOKEN]
                         [--state FILE] [--allocation-retention N] [--event-retention N]
                         [--transaction-retention N] [--journal-limit N]
                         [--max-body-bytes N] [--max-state-bytes N]
                         [--numbers fictional|valid] [--number-quarantine-seconds N]
                         [--call-ingestion-delay SECONDS] [--sms-send-delay S]
                         [--sms-delivery-delay S] [--sms-failure-rate R]
                         [--no-cors | --cors-origin ORIGIN[,ORIGIN...]]

Rules:
1. Binds 127.0.0.1 unless told otherwise; stops cleanly (exit status 0) on Ctrl-C / SIGTERM /
   SIGHUP, waiting at most ``STOP_GRACE`` seconds for requests in progress. A port already in
   use is refused at once (exit status 2, "port N is in use"); granian's worker process ends
   when this process ends, ``kill -9`` included (:mod:`mock_server.lifecycle`).
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
8. ``--admin-token`` (or ``$INVOCA_SANDBOX_ADMIN_TOKEN``) guards the control API; off loopback
   it is required, else exit status 2 before binding (:mod:`mock_server.admin`).
9. ``--state FILE`` keeps the state in FILE across restarts (:mod:`mock_server.persistence`:
   loaded at start, written atomically after changes and at a clean stop; a file that is not
   a sandbox state is refused with status 2 and left unchanged). The retention flags set the
   platform's bounds of the same names (``simulator.settings``; ``none`` = unbounded).
10. ``--max-body-bytes N`` (default 1 MiB) bounds a request body (413 in the family's error
   shape), ``--max-state-bytes N`` (default 64 MiB) the body of ``PUT /_sandbox/state``; 0
   lifts a limit. waitress refuses anything beyond the larger of the two itself.
11. Clients that send slowly do not hold up the others: granian starts a thread per request in
   progress, up to ``--threads`` (default :data:`GRANIAN_THREADS`), so that many bodies may be
   arriving at once; waitress reads whole requests before a thread sees them and keeps up to
   :data:`WAITRESS_CONNECTION_LIMIT` connections. A body that ends before its
   ``Content-Length`` is never applied (:func:`mock_server.wsgi.complete_body`).
12. CORS is on (as Prism's): any origin may call, preflights are answered for every route;
   ``--cors-origin`` lists the origins allowed, ``--no-cors`` turns it off
   (:mod:`mock_server.cors`).

Defaults (sandbox choices): ``--server granian`` (the faster of the two; issue 8 benchmarks
them), ``--clock system`` (a served sandbox follows real time; ``POST /_sandbox/clock`` can
move it forward), ``--threads`` 256 on granian (started as needed), 2 per core + 1 (at most 8)
on waitress.
"""

from __future__ import annotations

import argparse
import json
import logging
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

from mock_server.admin import (
    ADMIN_ENV,
    ADMIN_HEADER,
    add_admin_flags,
    admin_config,
    admin_problem,
)
from mock_server.app import BOUNDS, create_app
from mock_server.control import DEFAULT_MAX_STATE_BYTES, parse_instant
from mock_server.lifecycle import STOP_GRACE, bound_to_parent, port_in_use, stop_on_hangup
from mock_server.persistence import StateFile, StateFileError
from mock_server.state import sandbox_state
from mock_server.tuning import settle_collector
from mock_server.wsgi import DEFAULT_MAX_BODY_BYTES
from simulator.clock import in_range
from simulator.errors import SandboxError
from simulator.number_shares import (
    DEFAULT_QUARANTINE_SECONDS,
    MAX_QUARANTINE_SECONDS,
    NUMBER_RANGES,
    check_number_settings,
)
from simulator.settings import PlatformSettings
from simulator.shares import share_argument

SERVERS = ("granian", "waitress")
#: threads running requests at once: 2 per core + 1, at most 8 (more do not help a GIL-bound app)
WORKER_THREADS = min(8, (os.cpu_count() or 1) * 2 + 1)
#: granian runs each request in progress on a thread of its own, started when needed (idle
#: ones end after 30 s); a client still sending its body holds one, so this bounds how many
#: such clients the sandbox outlasts. waitress reads a whole request before a thread sees it.
GRANIAN_THREADS = 256
DEFAULT_THREADS = {"granian": GRANIAN_THREADS, "waitress": WORKER_THREADS}
#: waitress: connections open at once (its default, 100, is a handful of slow clients)
WAITRESS_CONNECTION_LIMIT = 1000
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
    p.add_argument("--threads", type=int, default=None,
                   help=f"request threads (default: granian {GRANIAN_THREADS}, started as "
                        f"needed; waitress {WORKER_THREADS})")
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
    add_admin_flags(p)
    _state_options(p)
    add_limit_flags(p)
    number_flags(p)
    cors_flags(p)
    p.add_argument("--call-ingestion-delay", type=float, default=None, metavar="SECONDS",
                   help="seconds on the sandbox clock before an ingested call is a transaction "
                        "(0..86400; default 900)")
    p.add_argument("--sms-send-delay", type=float, default=None, metavar="SECONDS",
                   help="SMS: seconds on the sandbox clock from a message to its 'sent' delivery "
                        "report (0..86400; default 1)")
    p.add_argument("--sms-delivery-delay", type=float, default=None, metavar="SECONDS",
                   help="SMS: seconds from 'sent' to 'delivered' or 'failed' (0..86400; "
                        "default 5)")
    p.add_argument("--sms-failure-rate", type=share_argument, default=None, metavar="P",
                   help="SMS: the share of messages the carrier fails, drawn from the seed "
                        "(2%% or 0.02; default 0)")
    return p


def cors_flags(p: argparse.ArgumentParser) -> None:
    """CORS (:mod:`mock_server.cors`): on for every origin unless told otherwise."""
    p.add_argument("--no-cors", action="store_true",
                   help="send no CORS headers and leave preflight requests to the routes")
    p.add_argument("--cors-origin", default=None, metavar="ORIGIN[,ORIGIN...]",
                   help="the browser origins allowed (default *: any)")


def cors_config(args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {"CORS": not args.no_cors}
    if args.cors_origin:
        config["CORS_ORIGIN"] = args.cors_origin
    return config


# ---------------------------------------------------------------------------- state and bounds

#: the retention flags, named after the platform's bounds: flag -> bound (mock_server.app)
BOUND_FLAGS = {f"--{name.replace('_', '-')}": name for name in BOUNDS}
#: where an app's StateFile is kept in ``app.extensions``
STATE_FILE = "invoca_sandbox.state_file"


def _state_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", type=Path, default=None, metavar="FILE",
                   help="keep the state in FILE across restarts: loaded at start (created "
                        "when missing), written atomically within 0.5 s of a change and at "
                        "a clean stop")
    defaults = PlatformSettings()
    helps = {"allocation_retention": "allocations kept per ring pool",
             "event_retention": "events kept in the event log",
             "transaction_retention": "transactions kept, the most recent",
             "journal_limit": "commands kept for state export/import and --state"}
    for flag, name in BOUND_FLAGS.items():
        p.add_argument(flag, type=_bound, default=argparse.SUPPRESS, metavar="N|none",
                       help=f"{helps[name]} (default {getattr(defaults, name)}; "
                            "none = unbounded, memory then grows)")


def _bound(text: str) -> int | None:
    if text.lower() == "none":
        return None
    if text.isascii() and text.isdigit() and 1 <= int(text) <= 2**31 - 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"not a positive count or none: {text!r}")


def _state_config(args: argparse.Namespace) -> dict[str, Any]:
    return {name.upper(): getattr(args, name) for name in BOUND_FLAGS.values()
            if hasattr(args, name)}


def open_state(app: Flask, path: Path) -> StateFile:
    """``--state``: ``app`` loaded from ``path`` (or ``path`` created); StateFileError."""
    state_file = StateFile(app, path)
    print(f"invoca-sandbox serve: state {state_file.open()}", flush=True)
    app.extensions[STATE_FILE] = state_file
    return state_file


def _start_writer(app: Flask) -> None:
    """The state writer runs in the process that serves (granian's worker)."""
    state_file: StateFile | None = app.extensions.get(STATE_FILE)
    if state_file is not None:
        state_file.start()


def add_limit_flags(p: argparse.ArgumentParser) -> None:
    """The body limits: ``--max-body-bytes``, ``--max-state-bytes`` (rule 10)."""
    p.add_argument("--max-body-bytes", type=_byte_count, default=DEFAULT_MAX_BODY_BYTES,
                   help=f"longest request body read, in bytes; 0 = no limit "
                        f"(default {DEFAULT_MAX_BODY_BYTES})")
    p.add_argument("--max-state-bytes", type=_byte_count, default=DEFAULT_MAX_STATE_BYTES,
                   help=f"longest PUT /_sandbox/state body, in bytes; 0 = no limit "
                        f"(default {DEFAULT_MAX_STATE_BYTES})")


def limit_config(args: argparse.Namespace) -> dict[str, Any]:
    """The app config of the body limits (rule 10)."""
    return {"MAX_BODY_BYTES": args.max_body_bytes, "MAX_STATE_BYTES": args.max_state_bytes}


def _byte_count(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}")
    return int(text)


def number_flags(p: argparse.ArgumentParser) -> None:
    """``--numbers valid`` issues every valid-looking NANP number instead of the fictional
    NXX-555-0100..0199 (config ``NUMBERS``); ``--number-quarantine-seconds`` is how long a
    released number waits before it is issued again (``NUMBER_QUARANTINE_SECONDS``). Unset,
    a world file's ``[settings]`` or the defaults decide."""
    p.add_argument("--numbers", choices=NUMBER_RANGES, default=None,
                   help="number range: fictional NXX-555-0100..0199, never a real phone, or "
                        "valid, every valid-looking NANP number (default fictional)")
    p.add_argument("--number-quarantine-seconds", type=_quarantine, default=None,
                   metavar="N", help="sandbox seconds before a released number is issued "
                                     f"again (default {DEFAULT_QUARANTINE_SECONDS})")


def _quarantine(text: str) -> int:
    try:
        seconds = int(text)
        check_number_settings("fictional", seconds)
    except (ValueError, SandboxError):
        raise argparse.ArgumentTypeError(
            f"not a number of seconds from 0 to {MAX_QUARANTINE_SECONDS}: {text!r}") from None
    return seconds


def number_config(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys of the number flags that were given."""
    config: dict[str, Any] = {}
    if args.numbers is not None:
        config["NUMBERS"] = args.numbers
    if args.number_quarantine_seconds is not None:
        config["NUMBER_QUARANTINE_SECONDS"] = args.number_quarantine_seconds
    return config


def _instant(text: str) -> str:
    try:
        in_range(parse_instant(text), name="--start")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    except SandboxError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
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
    config.update(admin_config(args))
    config.update(_state_config(args))
    if args.state is not None:
        config["STATE_FILE"] = str(args.state)
    config.update(limit_config(args))
    config.update(number_config(args))
    config.update(cors_config(args))
    if args.call_ingestion_delay is not None:
        config["CALL_INGESTION_DELAY_SECONDS"] = args.call_ingestion_delay
    for flag, key in (("sms_send_delay", "SMS_SEND_DELAY_SECONDS"),
                      ("sms_delivery_delay", "SMS_DELIVERY_DELAY_SECONDS"),
                      ("sms_failure_rate", "SMS_FAILURE_RATE")):
        if getattr(args, flag) is not None:
            config[key] = getattr(args, flag)
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
    bulk = summary.get("bulk_ring_pool") or {}
    shown = [  # only what the world has: a world file without Basic credentials shows none
        ("network_id", network_id),
        ("API token", token),
        ("HTTP Basic", f"{basic.get('username')}:{basic.get('password')}" if basic else None),
        ("advertiser", summary.get("advertiser_id_from_network")),
        ("campaign", summary.get("advertiser_campaign_id_from_network")),
        ("affiliate", summary.get("affiliate_id_from_network")),
        ("ring pool", f"id {pool.get('id')}, key {pool.get('api_key')}" if pool else None),
        ("bulk ring pool", f"id {bulk.get('id')}, key {bulk.get('api_key')}" if bulk else None),
    ]
    credentials = [f"  {label:<16} {value}" for label, value in shown if value is not None]
    if credentials:
        lines += [*credentials, ""]
    if state.config.get("ADMIN_TOKEN"):  # the banner never prints the admin token itself
        curl_control = f'{curl} -H "{ADMIN_HEADER}: ${ADMIN_ENV}"'
    else:
        curl_control = curl
    lines += ["Try:", f"  {curl_control} {base}/_sandbox/health"]
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
        lines.append(f"  {curl_control} {base}/_sandbox/world")
    strictness = state.strictness
    mode = ("strict (docs-literal)" if strictness.inputs else
            "strict versions, lenient inputs" if strictness.versions else
            "lenient (--strict for the docs-literal reading)")
    lines += ["", f"Mode: {mode}",
              f"Dashboard: {base}/_sandbox/   API docs: {base}/_sandbox/docs   "
              f"contract: {base}/openapi.yaml",
              f"Serving on {base} (Ctrl-C to stop)"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- servers


def _prebuilt(app: Flask, target: str) -> Flask:
    _start_writer(app)  # (this process serves it, not the parent)
    return app


def _rebuilt(config: Mapping[str, Any], target: str) -> Flask:
    app = create_app(config)
    if config.get("STATE_FILE"):
        open_state(app, Path(config["STATE_FILE"]))
    _start_writer(app)
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


class _ThreadsWarning(logging.Filter):
    """Drops granian's warning about many threads: they are started only as needed, and
    are there for clients that send slowly (:data:`GRANIAN_THREADS`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Configuration allows spawning up to")


def run_granian(app: Flask, config: Mapping[str, Any], host: str, port: int, *,
                threads: int, tls: tuple[Path, Path] | None = None) -> int:
    """Serve ``app`` on granian: one worker process, ``threads`` blocking threads."""
    from granian.constants import Interfaces  # noqa: PLC0415 - only this server needs it
    from granian.log import LogLevels  # noqa: PLC0415
    from granian.server import Server  # noqa: PLC0415

    server = Server(
        target="mock_server.app:create_app",
        workers_kill_timeout=STOP_GRACE,
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
    server.signal_handler_reload = server.signal_handler_interrupt  # type: ignore[method-assign]
    logging.getLogger("_granian").addFilter(_ThreadsWarning())
    server.serve(target_loader=partial(bound_to_parent, loader, os.getpid()))
    return 0


def run_waitress(app: Flask, host: str, port: int, threads: int) -> int:
    """Serve ``app`` on waitress (threads in this process) until SIGINT/SIGTERM."""
    try:
        from waitress.server import create_server  # noqa: PLC0415 - only this server needs it
    except ImportError:
        print("invoca-sandbox serve: --server waitress needs the waitress package "
              "(pip install waitress)", file=sys.stderr)
        return 2

    limits = [int(app.config.get(key) or 0) for key in ("MAX_BODY_BYTES", "MAX_STATE_BYTES")]
    largest = 0 if 0 in limits else max(limits)
    server = create_server(app, host=host, port=port, threads=threads, ident="invoca-sandbox",
                           connection_limit=WAITRESS_CONNECTION_LIMIT,
                           **({"max_request_body_size": largest} if largest else {}))

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    stop_on_hangup(stop)
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
        _start_writer(app)
        try:
            return run_waitress(app, host, port, threads)
        finally:
            if STATE_FILE in app.extensions:
                app.extensions[STATE_FILE].stop()
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
    problem = admin_problem(args)
    if problem is not None:
        print(f"invoca-sandbox serve: {problem}", file=sys.stderr)
        return 2
    if port_in_use(args.host, args.port):
        print(f"invoca-sandbox serve: port {args.port} is in use", file=sys.stderr)
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
    if args.state is not None:
        try:
            open_state(app, args.state)
        except StateFileError as exc:
            print(f"invoca-sandbox serve: {exc}", file=sys.stderr)
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
                         threads=args.threads or DEFAULT_THREADS[args.server], tls=tls)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
