"""Invoca's documentation pages read as a stream of tokens, then assembled into raw examples.

Two page formats: the Sphinx sources (reStructuredText) of the documentation branches, and the
plain-text seeds (``/work/shared/seeds``), which were cut from the HTML of the same pages. Both
become the same tokens:

* ``url``: a request URL (a double-backquoted literal in .rst, a bare line in the seeds),
  optionally with its verb (````POST https://...````); a URL right after a page-level
  ``Endpoint:`` (column 0, or an ``Endpoint`` heading) or right before ``.. api_endpoint::``
  declares the page's endpoint and is no example;
* ``code``: a code block with its language (curl commands in ``bash`` blocks become requests);
* ``verb``: a line (or heading) that is only ``GET``/``POST``/``PUT``/``DELETE`` (or ``PUT/POST``);
* ``label``: ``Request Body``, ``Response Body``, ``Response (201 Created):``, ``**Example
  Request**``, ``**HTTP POST parameters**``, ``Output:``...; ``status``: ``Response Code: 201``;
  ``format``: ``Format:``/``Content Type:``; ``note``: "Same as a GET response...";
* ``text``: the first line of a paragraph (the title of the example that follows);
* ``break``: a separator (``<hr>``, a transition, a container, a heading).

:func:`assemble` turns tokens into :class:`RawExample` (a request: URL or curl, or a request
label reusing the page's last URL) and :class:`Fragment` (a code block attached to no request:
an error body shown alone, a body snippet), in document order.

Hand corrections (:mod:`openapi.docs_corrections`) rewrite the raw text of a token, keyed by its
source file and line, before anything is parsed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

VERBS = ("GET", "POST", "PUT", "DELETE")

#: ``text`` -> ``text`` rewrite of a token's raw text, given its line (hand corrections)
Fixer = Callable[[int, str], str]

_URL = re.compile(r"``(?:(GET|POST|PUT|DELETE)\s+)?(https?://[^`\s]+)(?:\s+HTTP/1\.1)?``")
_BARE_URL = re.compile(r"^`?(?:(GET|POST|PUT|DELETE)\s+)?(https?://\S+?)`?(?:\s+HTTP/1\.1)?$")
_UNDERLINE = re.compile(r"^([=\-~\"'^*#+])\1{2,}\s*$")
_CODE = re.compile(r"^(\s*)\.\. code-block::\s*(\S*)\s*$")
_DIRECTIVE = re.compile(r"^(\s*)\.\. ([a-z_-]+)::\s*(.*)$")
_STATUS = re.compile(r"^Response Code:\s*(\d{3})\b")
_FORMAT = re.compile(r"^(?:Format|Content Type):\s*(\S+)")
_RESPONSE_STATUS = re.compile(r"\((\d{3})\b[^)]*\)")
_REQUEST_LABEL = re.compile(
    r"^(?:Request Body|Request|Example Request|Example Bad Request"
    r"|HTTP (POST|PUT) [Pp]arameters\b.*)$")
_RESPONSE_LABEL = re.compile(
    r"^(?:Response Body|Response|Example Response|Output|Response \(.*\))$")
_NOTE = re.compile(r"^(?:Same as a GET response|Each of the above requests will have a response"
                   r"|An array of .* returned)")


@dataclass(frozen=True)
class Token:
    kind: str
    line: int
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Body:
    """A code block as written: its language, its (corrected) text, the line it starts at."""

    lang: str
    text: str
    line: int


@dataclass
class RawExample:
    """One request of a page, before versions, URLs and bodies are interpreted."""

    line: int
    title: str
    url: str
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    basic_auth: bool = False
    request: Body | None = None
    #: ``-d key=value`` pairs of a curl command (a form body)
    form: list[tuple[str, str]] | None = None
    status: int | None = None
    response: Body | None = None
    note: str | None = None
    format: str | None = None
    #: where the request comes from: ``url``, ``curl`` or ``label`` (the page's last URL)
    origin: str = "url"
    #: the lines of the tokens this example was built from (the keys of their corrections)
    token_lines: list[int] = field(default_factory=list)
    #: (line, url) of the other URLs the page gives for the same request ("A or... B")
    alternates: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Fragment:
    """A code block that belongs to no request (an error body shown alone, a snippet)."""

    line: int
    title: str
    body: Body
    status: int | None = None
    part: str = "response"


# ----------------------------------------------------------------------------- tokenizing


def _clean_label(text: str) -> str:
    """``**Response (201 Created):**`` -> ``Response (201 Created)``."""
    stripped = text.strip().strip("*").strip()
    stripped = re.sub(r"\*\*", "", stripped)
    return stripped.rstrip(":").strip().rstrip("*").rstrip(":").strip()


def _line_token(line_no: int, raw: str, *, column0: bool) -> Token | None:
    """The token of one line of prose (not a code block, directive or URL)."""
    text = raw.strip()
    if not text:
        return None
    label = _clean_label(text)
    status = _STATUS.match(label)
    if status:
        return Token("status", line_no, data={"status": int(status.group(1))})
    fmt = _FORMAT.match(label)
    if fmt:
        return Token("format", line_no, fmt.group(1))
    if label in ("Endpoint", "Endpoints"):
        return Token("endpoint", line_no, data={"page_level": column0})
    if label.upper() in (*VERBS, "PUT/POST"):
        return Token("verb", line_no, label.upper())
    request = _REQUEST_LABEL.match(label)
    if request:
        return Token("label", line_no, label, {"part": "request", "method": request.group(1)})
    if _RESPONSE_LABEL.match(label):
        status_in = _RESPONSE_STATUS.search(label)
        return Token("label", line_no, label, {
            "part": "response", "status": int(status_in.group(1)) if status_in else None})
    if _NOTE.match(label):
        return Token("note", line_no, label)
    if label in ("or...", "or"):
        return None
    return Token("text", line_no, label)


#: path prefixes of Invoca's APIs (other URLs in the pages are UI links and landing pages)
API_PATHS = ("/api/", "/pixels/", "/tracked_actions/", "/call/")


def is_api_url(url: str) -> bool:
    """Whether ``url`` is a request to one of Invoca's APIs (not a UI link or a web page)."""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return host.endswith(("invoca.net", "ringrevenue.com")) and any(
        f"/{path}".startswith(prefix) for prefix in API_PATHS)


def _urls(line_no: int, raw: str, fix: Fixer) -> list[Token]:
    found = []
    for match in _URL.finditer(raw):
        url = fix(line_no, match.group(2))
        if is_api_url(url):
            found.append(Token("url", line_no, url, {"method": match.group(1)}))
    return found


def rst_tokens(lines: list[str], fix: Fixer) -> Iterator[Token]:
    """The tokens of a reStructuredText page (``lines`` without line ends; lines count from 1)."""
    index = 0
    paragraph_open = False
    while index < len(lines):
        raw = lines[index]
        line_no = index + 1
        stripped = raw.strip()
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        code = _CODE.match(raw)
        directive = _DIRECTIVE.match(raw)
        if code:
            indent = len(code.group(1))
            body, index = _indented_block(lines, index + 1, indent)
            yield Token("code", line_no, fix(line_no, body), {"lang": code.group(2) or "text"})
            paragraph_open = False
            continue
        if directive and directive.group(2) == "container":
            yield Token("break", line_no)  # its content follows, indented: read on
            index += 1
            paragraph_open = False
            continue
        if directive:
            name = directive.group(2)
            indent = len(directive.group(1))
            block, after = _indented_block(lines, index + 1, indent)
            if name == "raw" and "<hr" in block:
                yield Token("break", line_no)
            elif name == "api_endpoint":
                yield Token("api_endpoint", line_no)
            elif name not in ("raw", "image", "include", "rubric"):
                # list-table, note...: their prose may hold URLs (the Transactions format table)
                for offset, inner in enumerate(block.splitlines()):
                    yield from _urls(line_no + 1 + offset, inner, fix)
            index = after
            paragraph_open = False
            continue
        if stripped and _UNDERLINE.match(nxt) and not _UNDERLINE.match(raw):
            heading = _line_token(line_no, raw, column0=True)
            if heading is not None and heading.kind in ("label", "verb", "endpoint"):
                if heading.kind == "endpoint":
                    yield Token("endpoint", line_no, data={"page_level": True})
                else:
                    yield heading
            else:
                yield Token("break", line_no)
                yield Token("text", line_no, _clean_label(stripped), {"heading": True})
            index += 2
            paragraph_open = False
            continue
        if _UNDERLINE.match(raw) and not stripped.startswith(("==", "##")) and not paragraph_open:
            yield Token("break", line_no)  # a transition (----) between blank lines
            index += 1
            continue
        if not stripped:
            paragraph_open = False
            index += 1
            continue
        raw = fix(line_no, raw)
        stripped = raw.strip()
        urls = _urls(line_no, raw, fix)
        if urls and _URL.sub("", stripped).strip(" :.-*") == "":
            yield from urls
        else:
            token = _line_token(line_no, raw, column0=not raw.startswith(" "))
            if token is not None and not (token.kind == "text" and paragraph_open):
                yield token
            yield from urls
        paragraph_open = True
        index += 1


def _indented_block(lines: list[str], start: int, indent: int) -> tuple[str, int]:
    """The block indented deeper than ``indent`` from ``start`` (dedented), and where it ends."""
    index = start
    body: list[str] = []
    while index < len(lines):
        raw = lines[index]
        if raw.strip() and len(raw) - len(raw.lstrip()) <= indent:
            break
        body.append(raw)
        index += 1
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    depth = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
    return "\n".join(line[depth:] for line in body), index


def text_tokens(lines: list[str], fix: Fixer) -> Iterator[Token]:
    """The tokens of a plain-text seed: bare URL lines, indented or bracketed code blocks."""
    index = 0
    paragraph_open = False
    while index < len(lines):
        raw = lines[index]
        line_no = index + 1
        stripped = raw.strip()
        if not stripped:
            paragraph_open = False
            index += 1
            continue
        nxt = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if _UNDERLINE.match(nxt) and not _UNDERLINE.match(stripped):
            yield Token("break", line_no)
            yield Token("text", line_no, _clean_label(stripped), {"heading": True})
            index += 2
            paragraph_open = False
            continue
        url = _BARE_URL.match(stripped)
        if url and is_api_url(url.group(2)):
            yield Token("url", line_no, fix(line_no, url.group(2)), {"method": url.group(1)})
            index += 1
            continue
        if stripped.startswith("curl "):
            yield Token("code", line_no, fix(line_no, stripped), {"lang": "bash"})
            index += 1
            continue
        if raw.startswith("    ") and not paragraph_open:
            body, index = _indented_block(lines, index, 3)
            yield Token("code", line_no, fix(line_no, body), {"lang": _guess_lang(body)})
            continue
        if stripped[0] in "{[" and not paragraph_open:
            body, index = _bracketed_block(lines, index)
            yield Token("code", line_no, fix(line_no, body), {"lang": "json"})
            continue
        token = _line_token(line_no, raw, column0=False)
        if token is not None and token.kind == "text" and token.text in ("Examples",):
            yield Token("break", line_no)
        elif token is not None and not (token.kind == "text" and paragraph_open):
            yield token
        paragraph_open = token is not None and token.kind == "text"
        index += 1


def _guess_lang(body: str) -> str:
    head = body.lstrip()
    if head.startswith("<"):
        return "xml"
    if head.startswith(("{", "[")):
        return "json"
    return "text"


def _bracketed_block(lines: list[str], start: int) -> tuple[str, int]:
    """Lines from ``start`` until the brackets balance (or a blank line before prose)."""
    depth = 0
    body: list[str] = []
    index = start
    while index < len(lines):
        raw = lines[index]
        if not raw.strip() and body and index + 1 < len(lines) and lines[index + 1][:1].isalpha():
            break
        body.append(raw)
        depth += sum(raw.count(c) for c in "{[") - sum(raw.count(c) for c in "}]")
        index += 1
        if depth <= 0 and body:
            break
    return "\n".join(body).strip(), index


# ----------------------------------------------------------------------------- curl


@dataclass
class Curl:
    url: str
    method: str | None
    headers: dict[str, str]
    data: list[str]
    basic_auth: bool


def curl_commands(text: str) -> list[tuple[int, Curl]]:
    """Every curl command of a shell block, with the offset (in lines) of its first line."""
    commands: list[tuple[int, list[str]]] = []
    for offset, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        if stripped.startswith("curl"):
            commands.append((offset, [stripped]))
        elif commands and stripped and not stripped.startswith("#"):
            commands[-1][1].append(stripped)
    return [(offset, parse_curl(" ".join(parts))) for offset, parts in commands]


def parse_curl(command: str) -> Curl:
    """The request of one curl command line (continuation backslashes already joined)."""
    words = shlex.split(command.replace("\\\n", " ").replace(" \\ ", " "), posix=True)
    url = ""
    method = None
    headers: dict[str, str] = {}
    data: list[str] = []
    basic = False
    iterator = iter(words[1:])
    for word in iterator:
        if word in ("-X", "--request"):
            method = next(iterator, "").upper()
        elif word.startswith("-X") and len(word) > 2:
            method = word[2:].upper()
        elif word in ("-H", "--header"):
            name, _, value = next(iterator, "").partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary", "--data-urlencode"):
            data.append(next(iterator, ""))
        elif word in ("-u", "--user"):
            next(iterator, "")
            basic = True
        elif word.startswith(("http://", "https://")):
            url = word
    return Curl(url=url, method=method, headers=headers, data=data, basic_auth=basic)


# ----------------------------------------------------------------------------- assembling


@dataclass
class _State:
    examples: list[RawExample] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    current: RawExample | None = None
    #: the URL of the last request of the page (a request label without a URL reuses it)
    page_url: str | None = None
    page_method: str | None = None
    verb: str | None = None
    expect: dict[str, Any] | None = None
    title: str | None = None
    heading: str | None = None
    pending_status: int | None = None
    declaration: bool = False
    last_kind: str = ""
    default_method: str = "GET"

    def close(self) -> None:
        current = self.current
        if current is not None:
            self.examples.append(current)
            for line, url in current.alternates:
                self.examples.append(replace(current, line=line, url=url, alternates=[],
                                             token_lines=[line, *current.token_lines[1:]]))
        self.current = None
        self.expect = None
        self.title = None

    def start(self, example: RawExample) -> None:
        self.close()
        if self.pending_status is not None and example.status is None:
            example.status = self.pending_status
        self.pending_status = None
        if not example.token_lines:
            example.token_lines.append(example.line)
        self.current = example
        self.page_url = example.url
        self.page_method = example.method


def assemble(tokens: list[Token], default_method: str = "GET",
             ) -> tuple[list[RawExample], list[Fragment]]:
    """Examples and fragments of one page, in document order.

    ``default_method`` is the page's verb where a request does not give one (it decides whether
    an unlabelled code block after a URL is the request or the response).
    """
    state = _State(default_method=default_method)
    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        _consume(state, token, following)
        state.last_kind = token.kind
    state.close()
    return state.examples, state.fragments


def _title(state: _State) -> str:
    return state.title or state.heading or ""


def _consume(state: _State, token: Token, following: Token | None) -> None:
    kind = token.kind
    if kind == "break":
        state.close()
        state.verb = None
        state.pending_status = None
        state.declaration = False
    elif kind == "text":
        if token.data.get("heading"):
            state.heading = token.text
        elif state.current is None and state.title is None:
            state.title = token.text
    elif kind == "endpoint":
        state.declaration = bool(token.data.get("page_level"))
    elif kind == "verb":
        state.close()
        state.verb = token.text
    elif kind == "url":
        declared = state.declaration or (following is not None
                                         and following.kind == "api_endpoint")
        state.declaration = False
        if declared:
            state.close()
            return
        method = token.data.get("method") or (state.verb if state.last_kind == "verb" else None)
        current = state.current
        if (current is not None and current.request is None and current.response is None
                and current.status is None and state.last_kind == "url"):
            # "Endpoints: A or... B": the same request sent to another URL
            current.alternates.append((token.line, token.text))
            return
        state.start(RawExample(line=token.line, title=_title(state), url=token.text,
                               method=method))
    elif kind == "code":
        _code(state, token)
    elif kind == "label":
        state.expect = token.data
        if token.data["part"] == "response" and token.data.get("status"):
            if state.current is not None:
                state.current.status = token.data["status"]
            else:
                state.pending_status = token.data["status"]
    elif kind == "status":
        if state.current is not None:
            state.current.status = token.data["status"]
        else:
            state.pending_status = token.data["status"]
    elif kind == "format":
        if state.current is not None:
            state.current.format = token.text
    elif kind == "note" and state.current is not None:
        state.current.note = token.text


def _code(state: _State, token: Token) -> None:
    lang = str(token.data["lang"])
    body = Body(lang=lang, text=token.text, line=token.line)
    if lang in ("bash", "shell", "sh") and "curl" in token.text:
        for offset, curl in curl_commands(token.text):
            method = curl.method or ("POST" if curl.data else None)
            example = RawExample(line=token.line + 1 + offset, title=_title(state),
                                 url=curl.url, method=method, headers=curl.headers,
                                 basic_auth=curl.basic_auth, origin="curl",
                                 token_lines=[token.line])
            if len(curl.data) == 1 and curl.data[0].lstrip().startswith(("{", "[")):
                example.request = Body("json", curl.data[0].strip(), token.line)
            elif curl.data:
                example.form = [(key, value) for key, _, value in
                                (item.partition("=") for item in curl.data)]
            state.start(example)
        state.title = None
        return
    if lang == "http" and state.current is not None:
        status = re.match(r"HTTP/\S+\s+(\d{3})", token.text)
        if status:
            state.current.status = int(status.group(1))
        state.expect = None
        return
    expect = state.expect or {}
    part = expect.get("part")
    current = state.current
    if part is None and current is not None:
        method = (current.method or state.default_method).upper()
        part = "response" if method in ("GET", "DELETE") or current.request else "request"
    if part == "request":
        if current is None or current.request is not None or current.response is not None:
            if state.page_url is None:
                state.fragments.append(Fragment(token.line, _title(state), body,
                                                part="request"))
                state.expect = None
                return
            method = expect.get("method") or state.verb or state.page_method
            state.start(RawExample(line=token.line, title=_title(state), url=state.page_url,
                                   method=method, origin="label"))
            current = state.current
        assert current is not None
        current.request = body
        current.token_lines.append(token.line)
    elif current is None or current.response is not None:
        state.fragments.append(Fragment(token.line, _title(state), body,
                                        status=state.pending_status))
        state.pending_status = None
    else:
        current.response = body
        current.token_lines.append(token.line)
    state.expect = None
