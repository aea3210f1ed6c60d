"""Reproductions of contract failures: the requests that led up to a failure, as curl commands
that run in bash.

Rules:
1. Every request a suite sends through the target's session is recorded (:class:`Recorder`, a
   ``requests`` response hook installed by :class:`~contracts.target.Target`): method, URL,
   headers, body and the status answered.
2. A scenario starts where its test (or case) starts (:meth:`Recorder.start`) or at the last
   ``POST /_sandbox/reset``, which then opens the reproduction; its reproduction is every
   request from there to the failing one (the last one when none is named), minus the control
   API's reads (``GET``/``HEAD``/``OPTIONS`` of ``/_sandbox/...``: they change nothing).
3. Every word is quoted with :func:`shlex.quote`; a body goes whole with ``--data-raw``
   (through ``printf`` when it is not text), unless it is longer than :data:`MAX_SHOWN`.
4. Secrets: on a target that is no sandbox, credentials are written as shell variables
   (:data:`SECRET_VARIABLES`), never in clear; the sandbox's admin token always is.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests

#: a request longer than this (URL and body) is shown cut, with a note: it would not fit in a
#: shell argument (Linux caps one at 128 KiB) and nobody reads it in a report
MAX_SHOWN = 16 * 1024
#: an answer's body is shown up to this many characters in a failure's message
MAX_ANSWER = 2000
#: headers ``requests`` adds by itself (curl adds its own)
DEFAULT_HEADERS = {"user-agent", "accept-encoding", "connection", "content-length"}
#: what each kind of secret is called in a reproduction (and the environment variable that
#: holds it; the plugin reads the same names)
SECRET_VARIABLES = {
    "token": "INVOCA_API_TOKEN",
    "basic": "INVOCA_BASIC",
    "admin": "INVOCA_SANDBOX_ADMIN_TOKEN",
    "ring_pool_key": "INVOCA_RING_POOL_KEY",
    "bulk_ring_pool_key": "INVOCA_BULK_RING_POOL_KEY",
}
#: a secret shorter than this is not looked for (it would match ordinary text)
MIN_SECRET = 4
#: the sandbox's reset: a scenario restarts there
RESET_PATH = "/_sandbox/reset"
#: the attribute a recorded request carries: its number in the session
SENT_ATTRIBUTE = "contract_sent"
#: the methods of control API reads
READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Secret:
    """A credential's value and the shell expression written in its place."""

    value: str
    expression: str
    #: the variable the user sets before running the reproduction
    variable: str


@dataclass(frozen=True)
class Sent:
    """One request as it went out, and the status it got."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    status: int

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def observes(self) -> bool:
        """A read of the control API (it changes nothing: left out of reproductions)."""
        return self.method in READS and "/_sandbox/" in self.path

    @property
    def resets(self) -> bool:
        return self.method == "POST" and self.path.endswith(RESET_PATH)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def sent_of(response: requests.Response) -> Sent:
    """The :class:`Sent` of ``response``'s request."""
    request = response.request
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    elif body is not None and not isinstance(body, bytes):
        body = None  # a stream: the suites send none
    headers = tuple((str(name), str(value)) for name, value in request.headers.items())
    return Sent(method=str(request.method or "GET").upper(), url=str(request.url or ""),
                headers=headers, body=body, status=response.status_code)


# ---------------------------------------------------------------------------- rendering


def shell_word(text: str, secrets: Sequence[Secret] = ()) -> str:
    """``text`` as one bash word, each secret in it replaced by its expression."""
    found = [secret for secret in secrets if len(secret.value) >= MIN_SECRET
             and secret.value in text]
    if not found:
        return shlex.quote(text)
    secret = max(found, key=lambda item: len(item.value))
    head, _, tail = text.partition(secret.value)
    parts = [shell_word(head, secrets) if head else "", f'"{secret.expression}"',
             shell_word(tail, secrets) if tail else ""]
    return "".join(parts)


def _printf_format(body: bytes) -> str:
    """A ``printf`` format that writes ``body`` byte for byte."""
    out = []
    for byte in body:
        char = chr(byte)
        if char == "%":
            out.append("%%")
        elif char == "\\":
            out.append("\\\\")
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def _text(body: bytes) -> str | None:
    """``body`` as text when a shell argument can carry it (UTF-8, no NUL)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if "\0" in text else text


def curl(sent: Sent, secrets: Sequence[Secret] = ()) -> str:
    """A bash command that sends ``sent`` again (``-i``: the status line and headers too)."""
    size = len(sent.url) + len(sent.body or b"")
    if size > MAX_SHOWN:
        return (f"# {sent.method} {sent.url[:200]}... ({size} bytes of URL and body: too long "
                f"to print; it answered {sent.status})")
    words = ["curl", "-sS", "-i"]
    words += ["-I"] if sent.method == "HEAD" else ["-X", sent.method]
    for name, value in sent.headers:
        if name.lower() in DEFAULT_HEADERS or (name.lower() == "accept" and value == "*/*"):
            continue
        words += ["-H", shell_word(f"{name}: {value}", secrets)]
    prefix = ""
    if sent.body:
        text = _text(sent.body)
        if text is not None:
            words += ["--data-raw", shell_word(text, secrets)]
        else:
            prefix = f"printf {shlex.quote(_printf_format(sent.body))} | "
            words += ["--data-binary", "@-"]
    words.append(shell_word(sent.url, secrets))
    return prefix + " ".join(words)


def answer_text(response: requests.Response) -> str:
    """What ``response`` answered, for a failure's message: status, media type and the body
    (cut at :data:`MAX_ANSWER` characters, and saying so)."""
    body = response.text
    if len(body) > MAX_ANSWER:
        body = (body[:MAX_ANSWER] + f"... ({len(body) - MAX_ANSWER} more characters: run the "
                                     "reproduction to see them)")
    media = response.headers.get("Content-Type", "")
    return f"answered {response.status_code}" + (f" {media}" if media else "") + (
        f": {body}" if body else " (no body)")


# ---------------------------------------------------------------------------- reproductions


@dataclass(frozen=True)
class Reproduction:
    """The curl commands of a failure, the failing one last."""

    commands: tuple[str, ...]
    #: where the sequence starts ("POST /_sandbox/reset", "the start of the test")
    since: str = ""
    #: shell variables the commands read (secrets not printed)
    variables: tuple[str, ...] = ()

    @property
    def failing(self) -> str:
        return self.commands[-1] if self.commands else ""

    def lines(self) -> list[str]:
        """The reproduction as the report prints it (without indentation)."""
        if not self.commands:
            return []
        count = len(self.commands)
        if count == 1:
            head = "reproduce (bash):"
        else:
            head = (f"reproduce (bash; {count} requests from {self.since}, "
                    "the failing one last):")
        lines = [head]
        if self.variables:
            lines.append("  # set first (not printed): " + ", ".join(self.variables))
        return lines + [f"  {command}" for command in self.commands]

    def script(self) -> str:
        """The commands as one bash script (one command a line)."""
        return "\n".join(self.commands) + "\n"


class Recorder:
    """The requests of one session, from the start of the running scenario (rule 2)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        #: the number of requests recorded before ``sent[0]``
        self.offset = 0
        self.since = "the start of the test"

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """The session's response hook: record ``response``'s request."""
        sent = sent_of(response)
        if sent.resets:
            self.start(since=sent.label)
        # marked on the request, which wrappers of the response (schemathesis') keep
        setattr(response.request, SENT_ATTRIBUTE, self.offset + len(self.sent))
        self.sent.append(sent)

    def install(self, session: requests.Session) -> None:
        hooks = session.hooks.setdefault("response", [])
        if self.hook not in hooks:
            hooks.append(self.hook)

    def start(self, since: str = "the start of the test") -> None:
        """A new scenario starts (what was recorded before is dropped)."""
        self.offset += len(self.sent)
        self.sent = []
        self.since = since

    def leading_to(self, response: requests.Response | None = None) -> list[Sent]:
        """The scenario's requests up to ``response`` (else the last one), control API reads
        left out but for a failing one."""
        request = getattr(response, "request", None)
        index = getattr(request, SENT_ATTRIBUTE, None)
        if isinstance(index, int) and self.offset <= index < self.offset + len(self.sent):
            upto = index - self.offset
        else:
            upto = max((i for i, sent in enumerate(self.sent) if not sent.observes),
                       default=len(self.sent) - 1)
        if upto < 0:
            return []
        return [sent for sent in self.sent[:upto] if not sent.observes] + [self.sent[upto]]

    def reproduction(self, response: requests.Response | None = None,
                     secrets: Sequence[Secret] = ()) -> Reproduction:
        leading = self.leading_to(response)
        commands = tuple(curl(sent, secrets) for sent in leading)
        used = sorted({secret.variable for secret in secrets
                       if any(secret.expression in command for command in commands)})
        return Reproduction(commands=commands, since=self.since, variables=tuple(used))


def secrets_of(values: Iterable[tuple[str, str | None]]) -> list[Secret]:
    """(kind, value) pairs as :class:`Secret`: each value also in its URL-encoded forms."""
    found: list[Secret] = []
    for kind, value in values:
        if not value:
            continue
        variable = SECRET_VARIABLES[kind]
        expression = f"${variable}"
        if kind == "basic":
            # the header holds base64 of USER:PASS; the user sets INVOCA_BASIC=USER:PASS
            expression = f"$(printf %s \"${variable}\" | base64 | tr -d '\\n')"
        for form in dict.fromkeys((value, quote(value, safe=""), quote_plus(value))):
            found.append(Secret(form, expression, variable))
    return found
