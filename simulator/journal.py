"""Journal: the commands a platform ran, so its state can be exported and rebuilt by replay.

Rules of this module:

* The platform is deterministic (same seed, same commands at the same instants -> same
  state), so the commands *are* the state: an entry holds the operation's name, the instant
  the operation saw as ``now``, and its arguments as JSON-safe values.
* Arguments are encoded losslessly for what the facade takes: mappings, lists, strings,
  numbers, booleans, ``None``, tz-aware datetimes (``{"$datetime": iso}``), durations
  (``{"$seconds": n}``) and principals (``{"$principal": {...}}``).
* The journal is bounded: ``limit`` is a budget of *weight*, one per command unless the
  caller says more (the platform weighs a Bulk RingPool request by its rows, so the memory a
  journal holds stays bounded whatever the request sizes). Past the limit it stops recording
  and says it was truncated: such a state can be exported for reading but not imported (a
  replay would silently differ).
* Recording is on the allocation hot path: an entry is kept as a plain tuple and becomes a
  :class:`JournalEntry` when read.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.clock import as_utc
from simulator.errors import RecordInvalid
from simulator.principals import Principal

__all__ = ["DEFAULT_JOURNAL_LIMIT", "Journal", "JournalEntry", "decode", "encode"]

DEFAULT_JOURNAL_LIMIT = 100_000


def encode(value: Any) -> Any:
    """``value`` as JSON-safe data (see the module rules); TypeError for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Principal):
        return {"$principal": asdict(value)}
    if isinstance(value, datetime):
        return {"$datetime": as_utc(value).isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [encode(v) for v in value]
    raise TypeError(f"cannot journal a {type(value).__name__}")


def decode(value: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "$principal" and isinstance(inner, dict):
                return Principal(**inner)
            if key == "$datetime" and isinstance(inner, str):
                return datetime.fromisoformat(inner)
            if key == "$seconds" and isinstance(inner, int | float):
                return timedelta(seconds=inner)
        return {k: decode(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One command: ``op`` (a Platform method) run at ``at`` with these arguments.

    ``args``/``kwargs`` hold the decoded values; :meth:`to_dict` encodes them.
    """

    op: str
    at: datetime
    args: list[Any]
    kwargs: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "at": self.at.isoformat(), "args": encode(self.args),
                "kwargs": encode(self.kwargs)}

    @classmethod
    def from_dict(cls, data: Any, index: int) -> JournalEntry:
        where = f"journal[{index}]"
        if not isinstance(data, Mapping):
            raise RecordInvalid(f"{where} must be an object")
        try:
            at = as_utc(datetime.fromisoformat(str(data["at"])))
            op = str(data["op"])
        except (KeyError, ValueError):
            raise RecordInvalid(f"{where} needs op and an ISO-8601 at") from None
        except RecordInvalid:
            raise RecordInvalid(f"{where}: at must carry a UTC offset") from None
        args = data.get("args", [])
        kwargs = data.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, Mapping):
            raise RecordInvalid(f"{where}: args must be an array and kwargs an object")
        return cls(op, at, decode(list(args)), decode(dict(kwargs)))


class Journal:
    """A bounded, thread-safe list of :class:`JournalEntry`."""

    def __init__(self, limit: int | None = DEFAULT_JOURNAL_LIMIT) -> None:
        self.limit = limit
        self.truncated = False
        self._entries: list[tuple[str, datetime, list[Any], dict[str, Any]]] = []
        self._weight = 0
        self._lock = threading.Lock()

    def record(self, op: str, at: datetime, args: Sequence[Any],
               kwargs: Mapping[str, Any], *, weight: int = 1) -> None:
        """Keep a command (mappings among the arguments are copied; encoding is lazy).

        ``weight`` is what it costs of ``limit`` (see the module rules)."""
        if self.truncated:
            return
        entry = (op, at, [dict(a) if isinstance(a, Mapping) else a for a in args], dict(kwargs))
        with self._lock:
            if self.limit is not None and self._weight + weight > self.limit:
                self.truncated = True
                return
            self._weight += weight
            self._entries.append(entry)

    @property
    def weight(self) -> int:
        """The part of ``limit`` used so far."""
        return self._weight

    def entries(self) -> list[JournalEntry]:
        with self._lock:
            kept = list(self._entries)
        return [JournalEntry(*entry) for entry in kept]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def to_list(self) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in self.entries()]
