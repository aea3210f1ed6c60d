"""One sandbox per port, and a server that lives no longer than the ``serve`` command.

Rules:
1. Before a server starts, :func:`port_in_use` binds the address once with a plain socket
   (``SO_REUSEADDR``, never ``SO_REUSEPORT``): granian binds with ``SO_REUSEPORT``, so a
   second sandbox on a port would otherwise start and split the traffic with the first.
2. granian's worker process ends when the process that started it ends, however it ends
   (``kill -9`` included): :func:`watch_parent` polls the parent's pid from a daemon thread
   and, once the parent is gone, stops the worker as SIGTERM does, or ends it after
   :data:`STOP_GRACE` seconds if requests still hold it (a client that never finishes its
   body).
3. SIGHUP stops ``serve`` as SIGTERM and SIGINT do (granian would respawn its worker from the
   start world instead, silently dropping the state). granian's worker ignores SIGHUP: a
   terminal's hangup reaches the whole process group, and ``serve`` stops the worker itself.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

#: seconds a stopping server waits for requests in progress before its worker is killed
STOP_GRACE = 5
#: how often a worker checks that its parent is alive (seconds)
PARENT_POLL = 0.25


def port_in_use(host: str, port: int) -> bool:
    """Whether ``host:port`` cannot be bound (another server holds it)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False  # the server reports an address it cannot resolve itself
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            return True
    return False


def watch_parent(parent: int, *, poll: float = PARENT_POLL, grace: float = STOP_GRACE) -> None:
    """From now on, end this process soon after process ``parent`` ends (rule 2)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="invoca-sandbox-parent-watch", daemon=True).start()


def bound_to_parent(loader: Callable[[str], Any], parent: int, target: str) -> Any:
    """granian's target loader ``loader``, run in the worker once it watches ``parent`` and
    leaves SIGHUP to it (rules 2 and 3)."""
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watch_parent(parent)
    return loader(target)


def stop_on_hangup(stop: Callable[..., Any]) -> None:
    """SIGHUP calls ``stop`` as SIGTERM does (rule 3), where the platform has SIGHUP."""
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, stop)
