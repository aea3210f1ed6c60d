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
* :class:`Journaled` is the journaling half of a model facade: each command (a public method
  that changes state, :func:`journal_commands`) runs with ``now`` pinned to the instant it
  started at and is recorded once when it succeeds and changed something (the host's
  ``changed(op, result)`` says; a Bulk request whose every row was refused did not). A refused
  command changes nothing and is not recorded, unless it drew from a seeded stream (the
  host's :meth:`Journaled._draws` moved): then a replay must draw too. Nested commands, world
  building and replays record nothing themselves.
  :meth:`Journaled.import_state` rebuilds a state by replaying an exported journal on a fresh
  copy built from the same seed, then takes the copy's state: a journal that cannot be
  replayed changes nothing.
* :attr:`Journaled.generation` changes whenever the state may have changed (a command, a
  clock move, an import, a rebuild): a writer compares it instead of the state itself.
* An exported state names its format (:data:`STATE_FORMAT`); an import refuses another one.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar

from simulator.clock import ManualClock, as_utc, in_range
from simulator.errors import RecordInvalid, SandboxError
from simulator.principals import Principal

__all__ = [
    "DEFAULT_JOURNAL_LIMIT",
    "STATE_FORMAT",
    "Journal",
    "JournalEntry",
    "Journaled",
    "decode",
    "encode",
    "journal_commands",
]

DEFAULT_JOURNAL_LIMIT = 100_000
#: the ``format`` of an exported state document (bumped when an old one cannot be replayed)
STATE_FORMAT = "invoca-sandbox-state/1"
#: a seed is a signed 64-bit integer (the exported state writes it as a JSON integer)
SEED_LIMIT = 2**63


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

    def entries(self, start: int = 0, stop: int | None = None) -> list[JournalEntry]:
        """The entries ``[start:stop]`` (all by default)."""
        with self._lock:
            kept = self._entries[start:stop]
        return [JournalEntry(*entry) for entry in kept]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def to_list(self) -> list[dict[str, Any]]:
        return [entry.to_dict() for entry in self.entries()]


#: what a command costs of the journal's limit: ``weight(op, args, kwargs)``
Weight = Callable[[str, Sequence[Any], Mapping[str, Any]], int]
#: whether a command that succeeded changed anything: ``changed(op, result)``
Changed = Callable[[str, Any], bool]


class Journaled:
    """The journaling half of a model facade (see the module rules).

    The class using it provides ``clock`` (``now()``, and ``set()`` to move it), ``seed``,
    ``settings`` (a dataclass with ``journal_limit``, ``world`` and ``demo_world``),
    ``journal`` (a :class:`Journal`, made with the rest of its state at ``built_at``),
    ``_lock``, a
    constructor ``(clock, seed, *, settings)``, and :attr:`STATE`: the attributes a replay
    copies over. It calls :meth:`_start_journal` before building its state.
    """

    #: the attributes :meth:`import_state` takes from the replayed copy
    STATE: ClassVar[tuple[str, ...]] = ()
    #: the settings a state carries (its replay needs them: the number range, say)
    STATE_SETTINGS: ClassVar[tuple[str, ...]] = ()
    #: the commands (set by :func:`journal_commands`)
    COMMANDS: ClassVar[frozenset[str]] = frozenset()
    #: what a command weighs (set by :func:`journal_commands`)
    _weight: ClassVar[Weight]
    #: whether a command changed anything (set by :func:`journal_commands`)
    _command_changed: ClassVar[Changed]

    clock: Any
    seed: int
    settings: Any
    journal: Journal
    built_at: datetime
    _lock: Any

    def _start_journal(self) -> None:
        #: per-thread: the instant the running command sees as ``now``
        self._pin = threading.local()
        self._quiet = False  # True while building a world or replaying: nothing is journaled
        self._changes = itertools.count(1)  # next() is atomic: no lock on the hot path
        #: a new value after every change of state (see the module rules)
        self.generation = 0

    def _changed(self) -> None:
        self.generation = next(self._changes)

    def now(self) -> datetime:
        """The current instant (inside a journaled command: the instant it started at)."""
        pinned: datetime | None = getattr(self._pin, "now", None)
        if pinned is not None:
            return pinned
        return as_utc(self.clock.now(), name="now")

    @contextmanager
    def _unjournaled(self) -> Iterator[None]:
        """Nothing runs as a command inside (building a world, replaying)."""
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    def _draws(self) -> int:
        """How many draws the host's seeded streams have made (0: it has none)."""
        return 0

    def _command(self, op: str, method: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                 weight: Weight) -> Any:
        if self._quiet or getattr(self._pin, "now", None) is not None:
            return method(self, *args, **kwargs)  # nested, replaying or building
        now = self.now()
        self._pin.now = now
        draws = self._draws()
        try:
            result = method(self, *args, **kwargs)
        except SandboxError:
            if self._draws() != draws:  # it drew from the seed: a replay must draw too
                self.journal.record(op, now, args, kwargs, weight=weight(op, args, kwargs))
                self._changed()
            raise
        finally:
            self._pin.now = None
        if type(self)._command_changed(op, result) or self._draws() != draws:
            self.journal.record(op, now, args, kwargs, weight=weight(op, args, kwargs))
            self._changed()
        return result

    def _clock_command(self, method: Any, args: tuple[Any, ...],
                       kwargs: dict[str, Any]) -> Any:
        result = method(self, *args, **kwargs)
        if not self._quiet:
            now = self.now()
            self.journal.record("set_clock", now, (now,), {})
            self._changed()
        return result

    def import_state(self, state: Mapping[str, Any]) -> None:
        """Rebuild from an exported state document by replaying its journal.

        The seed, world, commands and :attr:`STATE_SETTINGS` come from ``state`` (those
        settings from this one when the state has none); other settings are this one's. The
        clock moves forward to the exported ``now`` when it is behind (never
        backwards). A state that cannot be replayed changes nothing (``RecordInvalid``).
        """
        if isinstance(state, Mapping) and state.get("format", STATE_FORMAT) != STATE_FORMAT:
            raise RecordInvalid(f"state is of format {state.get('format')!r}; this sandbox "
                                f"reads {STATE_FORMAT!r}")
        replay = state.get("replay") if isinstance(state, Mapping) else None
        if not isinstance(replay, Mapping):
            raise RecordInvalid("state has no replay section (export it with export_state)")
        if replay.get("truncated"):
            raise RecordInvalid("state cannot be imported: its journal was truncated "
                                f"(journal_limit {self.settings.journal_limit})")
        try:
            seed = int(replay["seed"])
            built_at = as_utc(datetime.fromisoformat(str(replay["built_at"])))
            final = as_utc(datetime.fromisoformat(str(state["now"])))
        except (KeyError, TypeError, ValueError, SandboxError):
            raise RecordInvalid("state needs replay.seed, replay.built_at and now") from None
        if not -SEED_LIMIT < seed < SEED_LIMIT:
            raise RecordInvalid(f"state's replay.seed must be a 64-bit integer: {seed}")
        in_range(built_at, name="state's replay.built_at")
        in_range(final, name="state's now")
        raw_journal = replay.get("journal")
        if not isinstance(raw_journal, list):
            raise RecordInvalid("state's replay.journal must be an array")
        entries = [JournalEntry.from_dict(item, i) for i, item in enumerate(raw_journal)]
        world = replay.get("world")
        if world is not None and not isinstance(world, Mapping):
            raise RecordInvalid("state's replay.world must be an object or null")
        carried = replay.get("settings", {})
        if not isinstance(carried, Mapping) or not set(carried) <= set(self.STATE_SETTINGS):
            raise RecordInvalid("state's replay.settings may hold only "
                                f"{', '.join(self.STATE_SETTINGS)}")
        clock = ManualClock(built_at)
        settings = replace(self.settings, world=world,
                           demo_world=bool(replay.get("demo_world", True)), **carried)
        copy = type(self)(clock, seed, settings=settings)  # type: ignore[call-arg]
        with copy._unjournaled():
            copy._replay(clock, entries)
        with self._lock:
            setter = getattr(self.clock, "set", None)
            if setter is not None and final > self.now():
                setter(final)
            for name in self.STATE:
                setattr(self, name, getattr(copy, name))
            self.seed = seed
            self.settings = copy.settings
            self._took_state()
            self._changed()

    def _took_state(self) -> None:
        """After :meth:`import_state` took a replayed copy's state: point what that state
        holds of the copy (its clock) at this facade. Nothing by default."""

    def _replay_state(self) -> dict[str, Any]:
        """What :meth:`import_state` needs of an exported state: the seed, the start, the
        world, the settings it carries and the journal."""
        return {**self._replay_header(), "journal": self.journal.to_list()}

    def _replay_header(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "built_at": self.built_at.isoformat(),
            "world": _plain(self.settings.world),
            "demo_world": self.settings.demo_world,
            "settings": {name: getattr(self.settings, name) for name in self.STATE_SETTINGS},
            "truncated": self.journal.truncated,
        }

    def replay_snapshot(self) -> tuple[dict[str, Any], Journal, int]:
        """The smallest state :meth:`import_state` takes, its journal left to the caller:
        the document without ``replay.journal``, the journal, and how many of its entries
        belong to the document (a journal only grows, so they can be encoded later)."""
        with self._lock:
            journal = self.journal
            document = {"format": STATE_FORMAT, "now": self.now().isoformat(),
                        "seed": self.seed, "replay": self._replay_header()}
            return document, journal, len(journal)

    def _replay(self, clock: ManualClock, entries: Sequence[JournalEntry]) -> None:
        """Run ``entries`` as they first ran, each at its instant, recording each once."""
        for index, entry in enumerate(entries):
            method = getattr(self, entry.op, None)
            if entry.op.startswith("_") or entry.op not in self.COMMANDS or method is None:
                raise RecordInvalid(f"journal[{index}]: unknown operation {entry.op!r}")
            if entry.at > clock.now():
                clock.set(entry.at)
            if entry.op == "set_clock":
                method(entry.at)
                self.journal.record("set_clock", entry.at, (entry.at,), {})
                continue
            self._pin.now = entry.at
            try:
                method(*entry.args, **entry.kwargs)
            except SandboxError:
                pass  # it failed the first time too
            except (TypeError, ValueError) as error:
                raise RecordInvalid(f"journal[{index}]: {error}") from None
            finally:
                self._pin.now = None
            self.journal.record(entry.op, entry.at, entry.args, entry.kwargs,
                                weight=type(self)._weight(entry.op, entry.args, entry.kwargs))


def journal_commands(cls: type[Journaled], *, prefixes: tuple[str, ...],
                     named: Sequence[str], clock: Sequence[str], weight: Weight,
                     changed: Changed = lambda op, result: True) -> None:
    """Make every public method of ``cls`` that changes state a journaled command: those
    whose name starts with one of ``prefixes``, those ``named``, and the ``clock`` moves
    (journaled as the instant they reach)."""
    cls._weight = staticmethod(weight)
    cls._command_changed = staticmethod(changed)
    cls.COMMANDS = frozenset(
        name for name in dir(cls)
        if not name.startswith("_") and callable(getattr(cls, name))
        and (name.startswith(prefixes) or name in named or name in clock)
    )
    for op in sorted(cls.COMMANDS):
        setattr(cls, op, _journaled(op, getattr(cls, op), clock=op in clock, weight=weight))


def _journaled(op: str, method: Any, *, clock: bool, weight: Weight) -> Any:
    if clock:
        @functools.wraps(method)
        def moved(self: Journaled, *args: Any, **kwargs: Any) -> Any:
            return self._clock_command(method, args, kwargs)

        return moved

    @functools.wraps(method)
    def journaled(self: Journaled, *args: Any, **kwargs: Any) -> Any:
        return self._command(op, method, args, kwargs, weight)

    return journaled


def _plain(value: Any) -> Any:
    """A world mapping as plain JSON data (TOML tables may be other Mapping types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
