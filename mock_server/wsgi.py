"""The WSGI request as the frame reads it, and the status lines it answers with.

:class:`Incoming` reads a request straight from the environ (the fast dispatcher's request;
Flask's ``Request`` offers the same attributes), :func:`read_body` is how the frame reads and
parses a body (never more than the app's ``MAX_BODY_BYTES``: :class:`BodyTooLarge`, 413 in the
family's error shape), :func:`complete_body` how every body is read (all of it, or refused),
and :data:`STATUS_LINES` are werkzeug's status lines, built once.
"""

from __future__ import annotations

import functools
import io
from typing import Any
from urllib.parse import unquote_plus

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.wrappers import Request

from mock_server.validation import CONTRACT_REFUSAL, RequestValidator
from simulator.errors import SandboxError

#: the default limit of a request body (config ``MAX_BODY_BYTES``; ``serve --max-body-bytes``)
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(SandboxError):
    """A request body longer than the app's limit (413, in the family's error shape)."""

    error_class = "RequestEntityTooLarge"
    status_hint = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes")


class IncompleteBody(SandboxError):
    """The body ended before its ``Content-Length`` (the client went away mid-body): 400,
    and nothing of it is applied."""

    error_class = "IncompleteBody"
    status_hint = 400


setattr(IncompleteBody, CONTRACT_REFUSAL, True)  # the request does not match its own headers


class QueryArgs(dict[str, list[str]]):
    """Query parameters: name -> every value in order (``get`` gives the first, as
    werkzeug's ``MultiDict`` does)."""

    def get(self, key: str, default: Any = None) -> Any:
        values = dict.get(self, key)
        return values[0] if values else default

    def getlist(self, key: str) -> list[str]:
        return dict.get(self, key) or []


def parse_query(query: str) -> QueryArgs:
    """``a=1&b=x+y&a=2`` -> ``{"a": ["1", "2"], "b": ["x y"]}`` (form decoding, blank values
    kept, as werkzeug does); percent-decoding only where a ``%`` or ``+`` is present."""
    found = QueryArgs()
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        if "%" in part or "+" in part:
            name = unquote_plus(name, errors="werkzeug.url_quote")
            value = unquote_plus(value, errors="werkzeug.url_quote")
        values = dict.get(found, name)
        if values is None:
            found[name] = [value]
        else:
            values.append(value)
    return found


class Incoming:
    """The parts of a WSGI request the frame reads, straight from the environ.

    Bodies, forms and headers beyond the few read here come from a werkzeug ``Request``
    built only when asked for (requests with a body), so a GET costs a few dict lookups.
    """

    __slots__ = ("_args", "_data", "_headers", "_request", "environ", "max_content_length")

    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        #: the most body bytes read (werkzeug's name; None: no limit)
        self.max_content_length: int | None = None
        self._args: QueryArgs | None = None
        self._headers: EnvironHeaders | None = None
        self._request: Request | None = None
        self._data: bytes | None = None

    @property
    def method(self) -> str:
        return str(self.environ.get("REQUEST_METHOD", "GET"))

    @property
    def path(self) -> str:
        return self.request.path if not self.environ.get("PATH_INFO", "").isascii() else (
            "/" + str(self.environ.get("PATH_INFO", "")).lstrip("/"))

    @property
    def query_string(self) -> bytes:
        return str(self.environ.get("QUERY_STRING", "")).encode("latin-1")

    @property
    def args(self) -> QueryArgs:
        if self._args is None:
            query = str(self.environ.get("QUERY_STRING", ""))
            if query.isascii():
                self._args = parse_query(query)
            else:  # raw UTF-8 in the query string: werkzeug's decoding, exactly
                args = QueryArgs()
                for name, values in self.request.args.lists():
                    args[name] = list(values)
                self._args = args
        return self._args

    @property
    def headers(self) -> EnvironHeaders:
        if self._headers is None:
            self._headers = EnvironHeaders(self.environ)
        return self._headers

    @property
    def request(self) -> Request:
        if self._request is None:
            self._request = Request(self.environ)
        return self._request

    @property
    def content_length(self) -> int | None:
        text = str(self.environ.get("CONTENT_LENGTH") or "").strip()
        return max(0, int(text)) if text.isdigit() else None

    @property
    def mimetype(self) -> str:
        """werkzeug's ``Request.mimetype``, without building a ``Request``."""
        return _mimetype(str(self.environ.get("CONTENT_TYPE") or ""))

    @property
    def form(self) -> Any:
        if self._data is None:
            return self.request.form
        # the body was read already: parse the form from the bytes kept
        return Request({**self.environ, "wsgi.input": io.BytesIO(self._data),
                        "CONTENT_LENGTH": str(len(self._data))}).form

    def get_data(self, cache: bool = True) -> bytes:
        """The body: one ``read(CONTENT_LENGTH)`` of ``wsgi.input`` (werkzeug's chunked
        reading costs a server round trip per chunk on granian); without a length,
        werkzeug's ``get_data``."""
        if self._data is None:
            length = self.content_length
            if length is None:
                request = self.request
                request.max_content_length = self.max_content_length
                self._data = request.get_data(cache=True)
            else:
                self._data = self.environ["wsgi.input"].read(length) if length else b""
        return self._data


@functools.lru_cache(maxsize=256)
def _mimetype(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, as werkzeug's ``Request.mimetype``
    (remembered: a client sends the same few values)."""
    return parse_options_header(content_type)[0].lower()


def complete_body(request: Any) -> bytes:
    """The body of ``request`` (an :class:`Incoming` or Flask's request), refused
    (:class:`IncompleteBody`) unless it holds the ``Content-Length`` bytes it announced: the
    servers hand over what arrived before a disconnect as if it were the whole body."""
    raw: bytes = request.get_data(cache=True)
    length = request.content_length
    if length is not None and len(raw) != length:
        raise IncompleteBody(f"The request body ended after {len(raw)} of its "
                             f"{length} bytes (Content-Length)")
    return raw


def read_body(request: Any, validator: RequestValidator,
              limit: int | None = None) -> tuple[bytes, Any]:
    """The raw body of ``request`` (an :class:`Incoming` or Flask's request) and its parsed
    data (None without a body), as ``validator`` reads it; refusals raise ``SandboxError``.

    A body longer than ``limit`` bytes (by its ``Content-Length``, before reading; or while
    reading a chunked one) is :class:`BodyTooLarge`; so is a form werkzeug will not parse."""
    length = request.content_length
    if limit is not None:
        if length is not None and length > limit:
            _drain(request.environ.get("wsgi.input"), length)
            raise BodyTooLarge(limit)
        request.max_content_length = limit
    try:
        raw = complete_body(request) if length or (
            request.environ.get("HTTP_TRANSFER_ENCODING")) else b""
        form = request.form if validator.takes_form and raw else None
    except RequestEntityTooLarge:
        raise BodyTooLarge(limit or 0) from None
    data = validator.parse_body(raw, form, request.mimetype) if (
        raw or validator.body_required) else None
    return raw, data


#: an over-limit body up to this size is read and dropped before the 413, so the client, still
#: sending, reads the answer instead of a connection reset
DRAIN_LIMIT = 16 * 1024 * 1024


def _drain(stream: Any, length: int) -> None:
    if stream is None or length > DRAIN_LIMIT:
        return
    while length > 0:
        chunk = stream.read(min(length, 65536))
        if not chunk:
            return
        length -= len(chunk)


def status_line(status: int) -> str:
    """``201`` -> ``201 CREATED``: werkzeug's phrase, upper-cased as werkzeug sends it."""
    return f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"


#: "200 OK" etc., built once
STATUS_LINES: dict[int, str] = {code: status_line(code) for code in HTTP_STATUS_CODES}
