"""Bodies: success renderers (JSON, XML, CSV) and the one error renderer.

Rules:
1. One table (:data:`STATUS_BY_ERROR_CLASS`) maps an error class to its HTTP status; a class
   not in the table falls back to the error's ``status_hint``.
2. One renderer (:func:`render_error`) renders any :class:`~simulator.errors.SandboxError` in
   the shape of the operation's API family and format:

   * ``network`` / ``signal`` / ``bulk`` (JSON APIs): ``{"errors": {...}}`` (class shape or
     field shape, from ``SandboxError.to_dict()``).
   * ``ringpool`` (legacy allocation API): ``.xml`` ->
     ``<?xml ...?><Error><Class>..</Class><Message>..</Message></Error>``; ``.json`` and
     ``.csv`` -> the text ``Class: message`` (as the seed shows). The one exception is
     ``OnlyBulkNumberAllocationAllowed``, which the docs show as a JSON ``{"errors": ...}``
     body; it is rendered that way for ``.json``.
   * ``conversion`` (Conversion Reporting API, 2014-04-15): always the XML ``<Error>`` body.
   * ``transactions``: ``.json`` -> JSON; ``.xml`` -> XML ``<Error>``; ``.csv`` -> text
     ``Class: message`` (sandbox choice: the docs do not show Transactions API error bodies).
3. XML is built with ``xml.etree.ElementTree`` and CSV with the ``csv`` module: no string
   concatenation of markup or fields. A flat XML document (the legacy allocation answer) is
   filled into a template ElementTree serialised once per root and keys, its texts escaped
   exactly as ElementTree escapes them (the tests compare both ways byte for byte).
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from simulator.errors import SandboxError

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
CSV_TYPE = "text/csv; charset=utf-8"
TEXT_TYPE = "text/plain; charset=utf-8"

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: error class -> HTTP status. The documents assign 401/403/404/500; classes whose status is
#: undocumented (legacy RingPool errors) are sandbox choices listed in docs/fidelity.md.
STATUS_BY_ERROR_CLASS: dict[str, int] = {
    "BadRequest": 400,
    "Unauthorized": 401,
    "RecordInvalid": 403,
    "InvalidInput": 403,
    "UnauthorizedOperation": 403,
    "UnauthorizedAdvertiser": 403,
    "InvalidKey": 403,
    "OnlyBulkNumberAllocationAllowed": 403,
    "NumbersExhausted": 403,
    "RecordNotFound": 404,
    "NotFound": 404,
    "RequestEntityTooLarge": 413,
    "NotImplemented": 501,
    "InternalServiceError": 500,
}

#: Legacy RingPool error classes the docs show as a JSON ``{"errors": ...}`` body.
LEGACY_JSON_ERROR_CLASSES = frozenset({"OnlyBulkNumberAllocationAllowed"})

#: the API families, each with its own error shape (see :func:`render_error`)
FAMILIES = frozenset({"network", "signal", "bulk", "ringpool", "conversion", "transactions",
                      "sms"})

#: the SMS Messaging API's words before an error's message, by status (its documents:
#: "Not Found - ...", "Conflict - ...", "Unprocessable Entity - ...")
SMS_STATUS_WORDS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                    409: "Conflict", 413: "Payload Too Large", 422: "Unprocessable Entity",
                    500: "Internal Server Error", 501: "Not Implemented"}
#: the documents' 400 body for a body that is not JSON
SMS_NOT_JSON = "Problems parsing JSON"


def status_for(error: SandboxError) -> int:
    """The HTTP status of ``error``: an explicit ``status`` on the instance (injected faults),
    then the table by error class, then the error's hint."""
    explicit = getattr(error, "status", None)
    if isinstance(explicit, int):
        return explicit
    return STATUS_BY_ERROR_CLASS.get(error.error_class, error.status_hint)


# ---------------------------------------------------------------------------- success bodies


def json_body(value: Any) -> bytes:
    """A JSON body (orjson: compact, UTF-8, datetimes as ISO-8601)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


#: characters XML 1.0 cannot carry, even escaped (C0 controls but TAB, LF, CR; lone
#: surrogates; U+FFFE, U+FFFF). Sandbox choice: XML bodies drop them from echoed text (a
#: request may carry them; the JSON and CSV bodies keep them), so every XML body is well formed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry."""
    return NOT_XML.sub("", value) if NOT_XML.search(value) else value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any, item_tag: str) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, str(key)), child, item_tag)
    elif isinstance(value, list | tuple):
        for child in value:
            _fill(ET.SubElement(element, item_tag), child, item_tag)
    else:
        element.text = xml_text(_text(value))


#: marker texts the flat templates are serialised with (private-use characters)
_MARK = "\ue000"
#: (root, keys) -> the template's bytes between the texts (see :func:`_flat_template`)
_FLAT_TEMPLATES: dict[tuple[str, tuple[str, ...]], tuple[bytes, ...]] = {}
FLAT_TEMPLATE_LIMIT = 256


def _flat_template(root: str, keys: tuple[str, ...]) -> tuple[bytes, ...]:
    """The document ``<root><k1>T1</k1>...</root>`` serialised ONCE by ElementTree (marker
    texts, indented, with the declaration) and cut around the texts: ``len(keys) + 1`` pieces
    to interleave with the escaped texts. Cached per (root, keys)."""
    found = _FLAT_TEMPLATES.get((root, keys))
    if found is None:
        element = ET.Element(root)
        for n, key in enumerate(keys):
            ET.SubElement(element, key).text = f"{_MARK}{n}{_MARK}"
        ET.indent(element, space="  ")
        document = XML_DECLARATION + ET.tostring(element, encoding="utf-8",
                                                 xml_declaration=False) + b"\n"
        pieces: list[bytes] = []
        rest = document
        for n in range(len(keys)):
            before, _, rest = rest.partition(f"{_MARK}{n}{_MARK}".encode())
            pieces.append(before)
        pieces.append(rest)
        found = tuple(pieces)
        if len(_FLAT_TEMPLATES) >= FLAT_TEMPLATE_LIMIT:
            _FLAT_TEMPLATES.clear()
        _FLAT_TEMPLATES[root, keys] = found
    return found


def _escape_text(text: str) -> bytes:
    """Element text as ElementTree writes it: ``&``, ``<``, ``>`` escaped, UTF-8 (a lone
    surrogate raises ``UnicodeEncodeError``)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text.encode("utf-8")


def _flat_xml(value: Mapping[str, Any], root: str) -> bytes | None:
    """The document of a flat mapping of non-empty scalars through its cached template, or
    None when ``value`` is not flat (nested values, an empty text, which ElementTree writes
    as ``<Tag />``, a marker character or a lone surrogate inside a text)."""
    texts: list[str] = []
    for child in value.values():
        if type(child) is not str and isinstance(child, Mapping | list | tuple):
            return None
        text = xml_text(child if type(child) is str else _text(child))
        if not text or _MARK in text:
            return None
        texts.append(text)
    pieces = _flat_template(root, tuple(map(str, value)))
    out = [pieces[0]]
    try:
        for text, piece in zip(texts, pieces[1:], strict=True):
            out.append(_escape_text(text))
            out.append(piece)
    except UnicodeEncodeError:  # a lone surrogate: ElementTree's own handling
        return None
    return b"".join(out)


def xml_body(value: Any, *, root: str = "Response", item: str = "Item") -> bytes:
    """An XML document: ``<root>`` with one child element per key (lists repeat ``<item>``).

    A flat mapping of scalars (the legacy allocation answer) is filled into a template that
    ElementTree serialised once for its root and keys (:func:`_flat_template`): the same bytes
    as serialising it again, without building the tree per request."""
    if isinstance(value, Mapping) and value:
        flat = _flat_xml(value, root)
        if flat is not None:
            return flat
    return xml_tree_body(value, root=root, item=item)


def xml_tree_body(value: Any, *, root: str = "Response", item: str = "Item") -> bytes:
    """:func:`xml_body` built as a tree every time (any shape)."""
    element = ET.Element(root)
    _fill(element, value, item)
    ET.indent(element, space="  ")
    return XML_DECLARATION + ET.tostring(element, encoding="utf-8", xml_declaration=False) + b"\n"


#: cells the ``csv`` module writes as they are with ``,`` and ``\n`` (no quoting needed)
PLAIN_CSV_CELL = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+;=%\- ]+")


def _plain_csv(rows: Sequence[Mapping[str, Any]], names: Sequence[str],
               include_header: bool) -> bytes | None:
    """The CSV body joined directly when every cell is made of :data:`PLAIN_CSV_CELL`
    characters and not empty (exactly what the ``csv`` module writes for such cells with
    minimal quoting); None otherwise. The tests compare both ways."""
    match = PLAIN_CSV_CELL.fullmatch
    lines: list[str] = []
    if include_header:
        if not all(match(name) for name in names):
            return None
        lines.append(",".join(names))
    for row in rows:
        cells = [_csv_cell(row.get(name)) for name in names]
        if not all(match(cell) for cell in cells):
            return None
        lines.append(",".join(cells))
    lines.append("")
    return "\n".join(lines).encode()


def _csv_cell(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, Mapping | list | tuple):
        return orjson.dumps(value).decode()
    return _text(value)


def csv_body(
    rows: Iterable[Mapping[str, Any]],
    *,
    columns: Sequence[str] | None = None,
    column_separator: str = ",",
    row_separator: str = "\n",
    include_header: bool = True,
    force_quotes: bool = False,
) -> bytes:
    """CSV via the ``csv`` module, with the Transactions API's formatting options.

    ``columns`` defaults to the keys of the first row (in order). The options mirror the
    Transactions API's ``column_separator``, ``row_separator``, ``include_header`` and
    ``force_quotes`` query parameters.
    """
    materialised = list(rows)
    names = list(columns) if columns is not None else (
        list(materialised[0].keys()) if materialised else []
    )
    if (not force_quotes and column_separator == "," and row_separator == "\n"
            and materialised and names):
        plain = _plain_csv(materialised, names, include_header)
        if plain is not None:
            return plain
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=column_separator,
        lineterminator=row_separator,
        quoting=csv.QUOTE_ALL if force_quotes else csv.QUOTE_MINIMAL,
    )
    if include_header:
        writer.writerow(names)
    for row in materialised:
        writer.writerow([_csv_cell(row.get(name)) for name in names])
    return out.getvalue().encode()


def render_success(
    value: Any, fmt: str, *, xml_root: str = "Response", xml_item: str = "Item",
    csv_options: Mapping[str, Any] | None = None,
) -> tuple[bytes, str]:
    """Body and content type of a success value in format ``fmt`` (json, xml, csv, text)."""
    if fmt == "xml":
        return xml_body(value, root=xml_root, item=xml_item), XML_TYPE
    if fmt == "csv":
        rows = value if isinstance(value, list) else [value]
        return csv_body(rows, **dict(csv_options or {})), CSV_TYPE
    if fmt == "text":
        return _text(value).encode(), TEXT_TYPE
    return json_body(value), JSON_TYPE


# ---------------------------------------------------------------------------- error bodies


def xml_error_body(error_class: str, message: str) -> bytes:
    """``<Error><Class>..</Class><Message>..</Message></Error>`` with the XML declaration."""
    root = ET.Element("Error")
    ET.SubElement(root, "Class").text = error_class
    ET.SubElement(root, "Message").text = xml_text(message)
    ET.indent(root, space="  ")
    return XML_DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def text_error_body(error_class: str, message: str) -> bytes:
    """The legacy ``Class: message`` text body."""
    return f"{error_class}: {message}".encode()


def _message(error: SandboxError) -> str:
    if error.field_errors:
        return "; ".join(
            f"{field} {msg}" for field, msgs in error.field_errors.items() for msg in msgs
        )
    return error.message or error.error_class


def render_error(error: SandboxError, family: str, fmt: str) -> tuple[int, bytes, str]:
    """Status, body and content type of ``error`` for an operation of ``family``/``fmt``."""
    status = status_for(error)
    if family == "sms":
        return _sms_error(error, status)
    if family == "conversion" or (family in {"ringpool", "transactions"} and fmt == "xml"):
        return status, xml_error_body(error.error_class, _message(error)), XML_TYPE
    if family == "ringpool":
        if fmt == "json" and error.error_class in LEGACY_JSON_ERROR_CLASSES:
            return status, json_body(error.to_dict()), JSON_TYPE
        return status, text_error_body(error.error_class, _message(error)), TEXT_TYPE
    if family == "transactions" and fmt == "csv":
        return status, text_error_body(error.error_class, _message(error)), TEXT_TYPE
    return status, json_body(error.to_dict()), JSON_TYPE


def _sms_error(error: SandboxError, status: int) -> tuple[int, bytes, str]:
    """The SMS Messaging API's ``{"message": ...}`` body. The model's own SMS errors carry the
    documents' messages as they are; a request the contract refuses (403 elsewhere) is 400
    here, a body that is not JSON the documents' ``Problems parsing JSON``; other errors get
    the status's words before their message (``Not Found - ...``)."""
    if error.error_class.startswith("Sms"):
        return status, json_body({"message": error.message}), JSON_TYPE
    if status == 403 and error.error_class in {"InvalidInput", "RecordInvalid"}:
        status = 400
    message = _message(error)
    if message == "The request body is not valid JSON":
        text = SMS_NOT_JSON
    elif error.error_class == "InternalServiceError":
        text = f"Internal Server Error - {message}"
    else:
        text = f"{SMS_STATUS_WORDS.get(status, 'Error')} - {message}"
    return status, json_body({"message": text}), JSON_TYPE
