"""``serve --state FILE``: the sandbox's state kept in a file across restarts.

Rules:
1. At start an existing FILE is loaded through the platform's state import (its journal
   replayed, ``Platform.import_state``); a missing one is created from the configured world.
   A file that is not JSON, not a sandbox state document of :data:`STATE_FORMAT`, or cannot
   be replayed is refused (:class:`StateFileError`: ``serve`` exits 2) and never written.
2. Writes are atomic: a temporary file in FILE's directory, written and fsynced, then
   ``os.replace``; the directory is fsynced after.
3. Debounced: a change is written at most :data:`DELAY_SECONDS` after it, together with every
   change made until then (under steady load one write per delay), so a ``kill -9`` loses at
   most the changes of the last second. Changes are seen on ``Platform.generation``: nothing
   of the state is compared.
4. The file holds the smallest document the state import takes (``format``, ``now``, ``seed``,
   ``replay``; ``GET /_sandbox/state`` answers a larger one, importable too). A journal only
   grows, so each entry is encoded once and a write costs the bytes, not the encoding.
5. The writer is a thread of the process holding the state (``serve`` starts it in granian's
   worker, which is forked after the app is built): :meth:`StateFile.start` is called there.
   It is not a daemon: it watches the main thread and, when that ends (a clean stop), writes
   the latest state once more. A process started later from the same app (a worker granian
   respawns) first loads the file again when another process has written it since.
6. A journal past ``journal_limit`` cannot be replayed: the file keeps the last state before
   it, and one warning on stderr says so.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson
from flask import Flask

from mock_server.state import SandboxState, sandbox_state
from simulator.errors import SandboxError
from simulator.journal import STATE_FORMAT, Journal

__all__ = ["DELAY_SECONDS", "StateFile", "StateFileError", "read_state"]

#: a change is written at most this long after it (rule 3)
DELAY_SECONDS = 0.5
#: how often the writer reads the platform's generation
TICK_SECONDS = 0.05


class StateFileError(Exception):
    """The state file cannot be used; it is left as it is."""


def read_state(path: Path) -> dict[str, Any] | None:
    """The sandbox state document in ``path``; None when there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateFileError(f"cannot read the state file {path}: {exc.strerror}") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StateFileError(f"{path} is not a sandbox state file (not JSON: {exc}); "
                             "it was left unchanged") from None
    found = document.get("format") if isinstance(document, dict) else None
    if found is None or not isinstance(document.get("replay"), dict):
        raise StateFileError(f"{path} is not a sandbox state file (no \"format\": "
                             f"{STATE_FORMAT!r} and \"replay\"); it was left unchanged")
    if found != STATE_FORMAT:
        raise StateFileError(f"{path} is a state file of format {found!r}; this sandbox reads "
                             f"{STATE_FORMAT!r}; it was left unchanged")
    return document


class StateFile:
    """One app's state kept in ``path`` (see the module rules)."""

    def __init__(self, app: Flask, path: Path) -> None:
        self.path = path
        self._state: SandboxState = sandbox_state(app)
        self._written = -1  # the generation in the file
        self._journal: Journal | None = None  # the journal whose entries are encoded
        self._encoded: list[bytes] = []
        self._warned: Journal | None = None
        self._seen: tuple[int, int, int] | None = None  # the file as last read or written
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # ---- start: load or create ----------------------------------------------------------

    def open(self) -> str:
        """Load the file into the app, or create it from the app's world; says which."""
        document = read_state(self.path)
        platform = self._state.platform
        if document is None:
            try:
                self.write()
            except OSError as exc:
                raise StateFileError(f"cannot create the state file {self.path}: "
                                     f"{exc.strerror or exc}") from None
            self._seen = _signature(self.path)
            return f"created {self.path}"
        try:
            with self._state.lock:
                platform.import_state(document)
        except (SandboxError, TypeError, ValueError) as exc:
            raise StateFileError(f"{self.path} cannot be replayed ({exc}); "
                                 "it was left unchanged") from None
        self._written = platform.generation
        self._seen = _signature(self.path)
        entries = document["replay"].get("journal") or []
        if len(platform.journal) == len(entries):  # the replay recorded them as they were
            self._journal = platform.journal
            self._encoded = [orjson.dumps(entry) for entry in entries]
        return f"loaded {self.path} (now {document.get('now')})"

    # ---- writing --------------------------------------------------------------------------

    def write(self) -> bool:
        """Write the current state atomically (rule 2); False when it cannot be replayed."""
        state = self._state
        with state.lock:
            generation = state.platform.generation
            document, journal, count = state.platform.replay_snapshot()
        if document["replay"]["truncated"]:
            self._written = generation
            if self._warned is not journal:
                self._warned = journal
                print(f"invoca-sandbox serve: the journal passed journal_limit "
                      f"({journal.limit}); {self.path} keeps the state before it "
                      "(raise --journal-limit to keep more)", file=sys.stderr, flush=True)
            return False
        document["replay"]["journal"] = orjson.Fragment(self._journal_bytes(journal, count))
        _replace_atomically(self.path, orjson.dumps(document))
        self._written = generation
        self._seen = _signature(self.path)
        return True

    def _journal_bytes(self, journal: Journal, count: int) -> bytes:
        if journal is not self._journal:  # reset or imported: a new journal
            self._journal, self._encoded = journal, []
        known = len(self._encoded)
        if count > known:
            self._encoded.extend(orjson.dumps(entry.to_dict())
                                 for entry in journal.entries(known, count))
        return b"[" + b",".join(self._encoded[:count]) + b"]"

    # ---- the writer thread ----------------------------------------------------------------

    def start(self) -> None:
        """Run the writer in this process (rule 5)."""
        if _signature(self.path) != self._seen:
            self.open()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="invoca-sandbox-state",
                                        daemon=False)
        self._thread.start()

    def stop(self) -> None:
        """Write the latest state and end the writer."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        main = threading.main_thread()
        dirty_since: float | None = None
        while main.is_alive() and not self._stop.wait(TICK_SECONDS):
            if self._state.platform.generation == self._written:
                continue
            now = time.monotonic()
            if dirty_since is None:
                dirty_since = now
            if now - dirty_since >= DELAY_SECONDS:
                self._write_or_warn()
                dirty_since = None
        if self._state.platform.generation != self._written:
            self._write_or_warn()

    def _write_or_warn(self) -> None:
        try:
            self.write()
        except OSError as exc:  # tried again at the next change
            print(f"invoca-sandbox serve: cannot write {self.path}: {exc}", file=sys.stderr,
                  flush=True)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


def _replace_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` or what it held before, whatever happens meanwhile."""
    directory = path.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                             dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)
