"""A simulated call's life on the sandbox clock: ringing, in progress, ended; its transcript.

Rules of this module:

* A call has three instants: it starts (``started_at``, the caller dials the promo number),
  it is transferred to its destination after ``ring_seconds`` (``bridged_at``: the Calls In
  Progress API's ``bridge_start_time``) and it ends after ``talk_seconds`` more (``ends_at``).
  It is *in progress* on ``[bridged_at, ends_at)``: "Calls become available via the api as
  soon as they are transferred to the campaign's destination. Once the call is complete, it
  is no longer available via the API."
* :class:`CallBook` holds the calls not ended yet (:class:`LiveCall`) and the transcripts of
  every call (by call record id). :meth:`CallBook.ended` hands over the calls whose end the
  clock has passed, in end order (ties: the order they were made): the platform records each
  as its transaction then. No wall clock: instants are passed in.
* Values set while a call is in progress (custom data, the external unique id) are kept on the
  live call and written into its transaction when it ends. The Calls In Progress answers show
  the custom data the call was received with only ("You will not see the new custom data field
  value in the response or in subsequent queries using this API").
* Transcripts: the utterances given when the call was made, else a fake conversation drawn
  from a seed derived from the platform's seed and the call record id (deterministic, no
  shared stream is drawn from). :func:`transcript_body` renders the four documented formats.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from simulator.errors import RecordInvalid
from simulator.transactions import CustomValue

__all__ = [
    "SPEAKERS",
    "TRANSCRIPT_FORMATS",
    "CallBook",
    "LiveCall",
    "Utterance",
    "fake_transcript",
    "parse_custom_data",
    "parse_transcript",
    "transcript_body",
]

SPEAKERS = ("agent", "caller")
#: the Call API's ``transcript_format`` values
TRANSCRIPT_FORMATS = ("caller", "agent", "caller_agent_block", "caller_agent_conversation")
#: the source of a custom data value given when a simulated call is made (as the Invoca Tag
#: gives it), unless the request names another
DEFAULT_CALL_SOURCE = "DynamicAttribution"
#: the source of a value set through the Calls In Progress API
API_SOURCE = "Api"


@dataclass(frozen=True, slots=True)
class Utterance:
    """One thing said: who said it, what, and when (seconds from the bridge start)."""

    speaker: str
    text: str
    start_offset_seconds: float
    end_offset_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker, "text": self.text,
                "start_offset_seconds": self.start_offset_seconds,
                "end_offset_seconds": self.end_offset_seconds}


@dataclass(slots=True)
class LiveCall:
    """A call that has not ended: its transaction-to-be and what was set during it."""

    sequence: int
    network_id: int
    advertiser_id: int
    affiliate_id: int | None
    started_at: datetime
    bridged_at: datetime
    ends_at: datetime
    #: the transaction row's columns, as they were when the call was received
    fields: dict[str, Any]
    #: custom data the call was received with (promo number, sandbox call)
    custom: dict[str, CustomValue]
    called_phone_number: str
    #: (promo number, ring pool id, allocation id, attributed): its ``CallAttributed`` event
    attribution: tuple[str, int | None, int | None, bool] = ("", None, None, False)
    #: the utterances given when it was made (None: a fake one is read)
    transcript: tuple[Utterance, ...] | None = None
    #: the company and campaign a fake transcript names
    names: tuple[str, str] = ("", "")
    #: values set through the Calls In Progress API (shown in the transaction only)
    set_custom: dict[str, CustomValue] = field(default_factory=dict)
    external_unique_id: str | None = None

    @property
    def transaction_id(self) -> str:
        return str(self.fields["transaction_id"])

    @property
    def call_record_id(self) -> str:
        return str(self.fields["complete_call_id"])

    def in_progress(self, now: datetime) -> bool:
        return self.bridged_at <= now < self.ends_at

    def status(self, now: datetime) -> str:
        """``ringing`` before the transfer, ``bridged`` in progress, ``ended`` after."""
        if now < self.bridged_at:
            return "ringing"
        return "bridged" if now < self.ends_at else "ended"


class CallBook:
    """The calls not ended yet, and every call's transcript."""

    def __init__(self, seed: int, retention: int | None = None) -> None:
        self.seed = seed
        self.retention = retention
        self._live: dict[str, LiveCall] = {}  # transaction id -> call, in the order made
        self._sequence = 0
        #: call record id -> (given utterances or None, talk seconds, names for a fake one,
        #: who may read it: network id, advertiser and affiliate ids from network)
        self._transcripts: dict[str, _Kept] = {}

    def next_sequence(self) -> int:
        self._sequence += 1
        return self._sequence

    # ---- live calls -----------------------------------------------------------------------

    def add(self, call: LiveCall) -> None:
        self._live[call.transaction_id] = call

    def ended(self, now: datetime) -> list[LiveCall]:
        """The calls whose end ``now`` has reached, removed, in end order (then made order)."""
        done = [call for call in self._live.values() if call.ends_at <= now]
        done.sort(key=lambda call: (call.ends_at, call.sequence))
        for call in done:
            del self._live[call.transaction_id]
        return done

    def in_progress(self, now: datetime) -> list[LiveCall]:
        """The calls in progress at ``now``, most recently bridged first."""
        calls = [call for call in self._live.values() if call.in_progress(now)]
        calls.sort(key=lambda call: (call.bridged_at, call.sequence), reverse=True)
        return calls

    def all_live(self) -> list[LiveCall]:
        return list(self._live.values())

    # ---- transcripts ----------------------------------------------------------------------

    def keep_transcript(self, call_record_id: str, given: Sequence[Utterance] | None,
                        talk_seconds: int, names: tuple[str, str],
                        scope: tuple[int, str, str]) -> None:
        """Remember how to read the transcript of an ended call (the oldest go past
        ``retention``)."""
        self._transcripts[call_record_id] = _Kept(
            tuple(given) if given is not None else None, talk_seconds, names, scope)
        if self.retention is not None:
            while len(self._transcripts) > self.retention:
                del self._transcripts[next(iter(self._transcripts))]

    def transcript(self, call_record_id: str
                   ) -> tuple[tuple[Utterance, ...], tuple[int, str, str]] | None:
        """The utterances of an ended call and who may read them (None: no such call)."""
        kept = self._transcripts.get(call_record_id)
        if kept is None:
            return None
        said = kept.given if kept.given is not None else fake_transcript(
            _derived_seed(self.seed, call_record_id), kept.talk_seconds, kept.names)
        return said, kept.scope


@dataclass(frozen=True, slots=True)
class _Kept:
    given: tuple[Utterance, ...] | None
    talk_seconds: int
    names: tuple[str, str]
    scope: tuple[int, str, str]


def _derived_seed(seed: int, call_record_id: str) -> int:
    digest = hashlib.sha256(f"invoca-sandbox:{seed}:transcript:{call_record_id}".encode())
    return int.from_bytes(digest.digest()[:8], "big")


# ---------------------------------------------------------------------------- transcripts

_OPENINGS = (
    "Thank you for calling {company}, this is {agent}, how can I help you today?",
    "Hi, you've reached {company}. My name is {agent}. What can I do for you?",
    "Good {part_of_day}, {company}, {agent} speaking.",
)
_REQUESTS = (
    "Hi {agent}, I saw your ad online and I'd like to book an appointment",
    "Hello, I'm calling about the {product} I saw on your website",
    "Hi, I wanted to ask about pricing for the {product}",
    "Hey, I need some help with an order I placed last week",
)
_QUESTIONS = (
    "Sure, can I get your name please?",
    "Of course. Which color would you like?",
    "I can help with that. What's the best number to reach you at?",
    "Absolutely. Which day works best for you?",
)
_ANSWERS = (
    "It's {caller}",
    "{color}, please",
    "You can reach me at this number",
    "{day} would be great",
)
_CLOSINGS = (
    "Okay, I've got that set up for you. Is there anything else?",
    "Great, I will look into that and get back to you",
    "Perfect, you're all set",
)
_THANKS = ("No, that's all. Thank you", "Awesome, thank you", "That's everything, thanks")
_GOODBYES = ("Thanks for calling {company}, have a great day!", "Goodbye!", "Take care!")
_FAREWELLS = ("Have a good one", "You too, bye", "Bye")


def fake_transcript(seed: int, talk_seconds: int,
                    names: tuple[str, str] = ("", "")) -> tuple[Utterance, ...]:
    """A plausible call-centre conversation, deterministic per ``seed``, spread over the talk
    time (agent first, turns alternating). ``names``: the company and the campaign."""
    from faker import Faker  # noqa: PLC0415 - only when a fake transcript is read

    rng = random.Random(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    company = names[0] or fake.company()
    words = {
        "company": company, "agent": fake.first_name(), "caller": fake.name(),
        "product": names[1] or fake.word(), "color": fake.color_name(),
        "day": fake.day_of_week(), "part_of_day": rng.choice(("morning", "afternoon")),
    }
    lines = [
        ("agent", rng.choice(_OPENINGS)), ("caller", rng.choice(_REQUESTS)),
        ("agent", rng.choice(_QUESTIONS)), ("caller", rng.choice(_ANSWERS)),
        ("agent", rng.choice(_CLOSINGS)), ("caller", rng.choice(_THANKS)),
        ("agent", rng.choice(_GOODBYES)), ("caller", rng.choice(_FAREWELLS)),
    ]
    return _spread([(speaker, text.format(**words)) for speaker, text in lines], talk_seconds)


def _spread(lines: Sequence[tuple[str, str]], talk_seconds: float) -> tuple[Utterance, ...]:
    """Utterances laid out evenly over ``talk_seconds`` (whole-millisecond offsets)."""
    if not lines:
        return ()
    slot = max(float(talk_seconds), 0.0) / len(lines)
    return tuple(
        Utterance(speaker, text, round(n * slot, 3), round((n + 1) * slot, 3))
        for n, (speaker, text) in enumerate(lines)
    )


def parse_transcript(value: Any, talk_seconds: int) -> tuple[Utterance, ...] | None:
    """A transcript given when a call is made: a list of ``{"speaker": "agent"|"caller",
    "text": "...", "start_offset_seconds": s, "end_offset_seconds": s}`` (offsets from the
    bridge start, optional: spread over the talk time when none is given). RecordInvalid."""
    if value is None:
        return None
    if not isinstance(value, list):
        raise RecordInvalid(field_errors={"transcript": ["must be a list of utterances"]})
    lines: list[tuple[str, str, Any, Any]] = []
    for n, item in enumerate(value):
        where = f"transcript[{n}]"
        if not isinstance(item, Mapping):
            raise RecordInvalid(field_errors={where: ["must be an object"]})
        speaker, text = item.get("speaker"), item.get("text")
        if speaker not in SPEAKERS:
            raise RecordInvalid(field_errors={f"{where}.speaker": [
                f"must be one of {', '.join(SPEAKERS)}"]})
        if not isinstance(text, str) or not text.strip():
            raise RecordInvalid(field_errors={f"{where}.text": ["can't be blank"]})
        lines.append((speaker, text, item.get("start_offset_seconds"),
                      item.get("end_offset_seconds")))
    offsets = [(start, end) for _, _, start, end in lines]
    if all(start is None and end is None for start, end in offsets):
        return _spread([(speaker, text) for speaker, text, _, _ in lines], talk_seconds)
    utterances = []
    for n, (speaker, text, start, end) in enumerate(lines):
        where = f"transcript[{n}]"
        for name, offset in (("start_offset_seconds", start), ("end_offset_seconds", end)):
            if isinstance(offset, bool) or not isinstance(offset, int | float) or not (
                    0 <= offset <= talk_seconds):
                raise RecordInvalid(field_errors={f"{where}.{name}": [
                    f"must be a number of seconds from 0 to talk_seconds ({talk_seconds})"]})
        if end < start:
            raise RecordInvalid(field_errors={f"{where}.end_offset_seconds": [
                "must not be before start_offset_seconds"]})
        utterances.append(Utterance(speaker, text, float(start), float(end)))
    utterances.sort(key=lambda u: u.start_offset_seconds)  # stable: ties keep their order
    return tuple(utterances)


def transcript_body(utterances: Iterable[Utterance], transcript_format: str
                    ) -> list[dict[str, str]]:
    """The Call API's answer in one of the four documented formats.

    ``caller`` / ``agent``: one object with that speaker's utterances joined by ", ";
    ``caller_agent_block``: the agent's block, then the caller's (the documents' order);
    ``caller_agent_conversation``: every utterance in the order spoken.
    """
    said = list(utterances)

    def block(speaker: str) -> dict[str, str]:
        return {speaker: ", ".join(u.text for u in said if u.speaker == speaker)}

    if transcript_format in ("caller", "agent"):
        return [block(transcript_format)]
    if transcript_format == "caller_agent_block":
        return [block("agent"), block("caller")]
    if transcript_format == "caller_agent_conversation":
        return [{u.speaker: u.text} for u in said]
    raise RecordInvalid(field_errors={"transcript_format": [
        f"must be one of {', '.join(TRANSCRIPT_FORMATS)}"]})


# ---------------------------------------------------------------------------- custom data


def parse_custom_data(value: Any, default_source: str, *, where: str = "custom_data"
                      ) -> dict[str, CustomValue]:
    """Custom data as ``{"name": value}``, ``{"name": {"value": v, "source": s}}`` or
    ``[{"name": n, "value": v, "source": s}]`` (``source`` optional). RecordInvalid."""
    if value is None:
        return {}
    items: list[tuple[Any, Any]]
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for n, item in enumerate(value):
            if not isinstance(item, Mapping) or "name" not in item:
                raise RecordInvalid(field_errors={f"{where}[{n}]": [
                    'must be an object {"name": ..., "value": ...}']})
            items.append((item.get("name"), {k: v for k, v in item.items() if k != "name"}))
    else:
        raise RecordInvalid(field_errors={where: ["must be an object or a list"]})
    found: dict[str, CustomValue] = {}
    for name, item in items:
        if not isinstance(name, str) or not name.strip():
            raise RecordInvalid(field_errors={where: ["names must be non-empty strings"]})
        source, given = default_source, item
        if isinstance(item, Mapping):
            source = item.get("source") or default_source
            if not isinstance(source, str):
                raise RecordInvalid(field_errors={f"{where}.{name}.source": ["is invalid"]})
            given = item.get("value")
        if given is not None and not isinstance(given, str | int | float | bool):
            raise RecordInvalid(field_errors={f"{where}.{name}": ["must be a text value"]})
        found[name] = CustomValue(None if given is None else _text(given), "Short Text", source)
    return found


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def timeline(started_at: datetime, ring_seconds: int, talk_seconds: int
             ) -> tuple[datetime, datetime]:
    """The bridge start and the end of a call starting at ``started_at``."""
    bridged_at = started_at + timedelta(seconds=ring_seconds)
    return bridged_at, bridged_at + timedelta(seconds=talk_seconds)
