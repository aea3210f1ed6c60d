"""What one sandbox app owns, where its parts find it, and the frame's one hook.

Rules:
1. ``create_app`` puts one :class:`SandboxState` in ``app.extensions[EXTENSION]``; the control
   API, the fault middleware and ``serve`` read it there (:func:`sandbox_state`), never from
   module globals: two apps in one process share nothing.
2. The frame offers ONE hook: a WSGI middleware may put an :data:`Intercept` under the
   environ key :data:`INTERCEPT`. The frame calls it at one point of its order, after
   validation and authentication and before the handler, with the request's
   :class:`~mock_server.handlers.Call` and the operation's handler (None when the sandbox does
   not implement the operation); it answers the handler to run instead (None: the frame
   answers 501), and may sleep or raise a :class:`~simulator.errors.SandboxError` first. The
   frame runs what it gets under its lock and renders the result as usual. Without the key the
   frame calls the handler itself (:mod:`mock_server.faults` is the one middleware using it).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

from mock_server.binding import FieldFilter, Handler, Operation
from mock_server.handlers import Call
from mock_server.request_journal import RequestJournal
from mock_server.validation import Strictness

#: the key of the app's :class:`SandboxState` in ``app.extensions``
EXTENSION = "invoca_sandbox"
#: the environ key of the frame's hook (rule 2)
INTERCEPT = "invoca_sandbox.intercept"

#: ``intercept(call, handler) -> the handler to run`` (rule 2)
Intercept = Callable[[Call, Handler | None], Handler | None]


@dataclass
class SandboxState:
    """Everything one app owns."""

    platform: Any
    spec: Mapping[str, Any]
    operations: dict[str, Operation]
    config: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock)
    handle_random: random.Random = field(default_factory=random.Random)
    field_filter: FieldFilter | None = None
    #: the bounded request journal (``GET /_sandbox/requests``)
    journal: RequestJournal = field(default_factory=RequestJournal)
    #: the lenient readings of the contract that are off (``STRICT``, ``STRICT_VERSIONS``)
    strictness: Strictness = field(default_factory=Strictness)

    @property
    def seed(self) -> int:
        """The app's seed (config ``SEED``): of the platform, error handles and faults."""
        return int(self.config.get("SEED", 0))

    def next_handle(self) -> int:
        """A 10-digit error handle, from the app's seeded generator."""
        with self.lock:
            return self.handle_random.randint(1_000_000_000, 9_999_999_999)


def sandbox_state(app: Flask) -> SandboxState:
    """The state of an app built by :func:`mock_server.app.create_app`."""
    state: SandboxState = app.extensions[EXTENSION]
    return state
