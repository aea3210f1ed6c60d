"""One status table, one error renderer in every family's shape, success renderers."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from mock_server.app import create_app
from mock_server.rendering import (
    csv_body,
    render_error,
    render_success,
    status_for,
    xml_body,
    xml_tree_body,
)
from simulator.errors import (
    InternalServiceError,
    InvalidKey,
    NotFound,
    OnlyBulkNumberAllocationAllowed,
    RecordInvalid,
    RecordNotFound,
    SandboxError,
    Unauthorized,
)
from tests.mock_server.conftest import HANDLERS, TOKEN, FakePlatform

KEY_ERROR = InvalidKey("API Key 'A329F4DC002168' is not valid for resource '1'")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Unauthorized("x"), 401), (RecordInvalid("x"), 403), (InvalidKey("x"), 403),
        (RecordNotFound("x"), 404), (NotFound("x"), 404), (InternalServiceError(1234567890), 500),
    ],
)
def test_status_comes_from_the_table_when_rendering(error: SandboxError, status: int) -> None:
    assert status_for(error) == status


def test_unknown_class_uses_its_hint_when_not_in_the_table() -> None:
    class Teapot(SandboxError):
        error_class = "Teapot"
        status_hint = 418

    assert status_for(Teapot("short and stout")) == 418


def test_legacy_xml_error_has_the_seed_shape_when_format_is_xml() -> None:
    status, body, content_type = render_error(KEY_ERROR, "ringpool", "xml")
    assert status == 403
    assert content_type.startswith("application/xml")
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    root = ET.fromstring(body)
    assert [child.tag for child in root] == ["Class", "Message"]
    assert root.findtext("Class") == "InvalidKey"
    assert root.findtext("Message") == "API Key 'A329F4DC002168' is not valid for resource '1'"


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_legacy_error_is_class_colon_message_text_when_format_is_not_xml(fmt: str) -> None:
    _, body, content_type = render_error(KEY_ERROR, "ringpool", fmt)
    assert content_type.startswith("text/plain")
    assert body == b"InvalidKey: API Key 'A329F4DC002168' is not valid for resource '1'"


def test_only_bulk_error_is_json_when_the_legacy_api_is_called_as_json() -> None:
    message = "Numbers are automatically allocated by the PNAPI server"
    error = OnlyBulkNumberAllocationAllowed(message)
    _, body, _ = render_error(error, "ringpool", "json")
    assert orjson.loads(body) == {"errors": {
        "class": "OnlyBulkNumberAllocationAllowed",
        "invalid_data": "Numbers are automatically allocated by the PNAPI server"}}


def test_conversion_error_is_xml_when_the_family_is_conversion_reporting() -> None:
    error = NotFound("Couldn't find call around time 1475280000 from caller +18055551234")
    status, body, _ = render_error(error, "conversion", "xml")
    assert status == 404
    assert ET.fromstring(body).findtext("Class") == "NotFound"


@pytest.mark.parametrize("family", ["network", "signal", "bulk"])
def test_json_family_error_is_errors_object_when_rendered(family: str) -> None:
    _, body, content_type = render_error(
        RecordInvalid(field_errors={"name": ["can't be blank"]}), family, "json"
    )
    assert content_type.startswith("application/json")
    assert orjson.loads(body) == {"errors": {"name": ["can't be blank"]}}


def test_xml_message_escapes_markup_when_the_message_has_angle_brackets() -> None:
    _, body, _ = render_error(RecordInvalid("<b>&</b>"), "ringpool", "xml")
    assert ET.fromstring(body).findtext("Message") == "<b>&</b>"


def test_internal_error_has_a_seeded_ten_digit_handle_when_a_handler_breaks(
    fixture_spec: dict[str, Any],
) -> None:
    def handles(seed: int) -> list[str]:
        app = create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS, "SEED": seed},
                         platform=FakePlatform())
        client = app.test_client()
        found = []
        for _ in range(3):
            response = client.get("/api/2016-10-01/1/advertisers.json",
                                  headers={"Authorization": TOKEN})
            assert response.status_code == 500
            errors = response.get_json()["errors"]
            assert errors["class"] == "InternalServiceError"
            match = re.fullmatch(r"refer to error handle (\d{10})", errors["invalid_data"])
            assert match is not None
            found.append(match.group(1))
        return found

    first = handles(7)
    assert first == handles(7)
    assert first != handles(8)
    assert len(set(first)) == 3


def test_success_xml_has_response_children_when_rendering_an_allocation() -> None:
    body = xml_body({"PromoNumberFormatted": "888-390-6665", "PromoNumber": "8883906665",
                     "TrackingUrl": "https://x/c?a=1&b=2"})
    root = ET.fromstring(body)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["PromoNumberFormatted", "PromoNumber", "TrackingUrl"]
    assert root.findtext("TrackingUrl") == "https://x/c?a=1&b=2"


def test_success_csv_has_header_and_row_when_rendering_an_allocation() -> None:
    body, content_type = render_success(
        {"PromoNumberFormatted": "888-390-6665", "PromoNumber": "8883906665",
         "TrackingUrl": "https://x/c"}, "csv")
    assert content_type.startswith("text/csv")
    assert body == (b"PromoNumberFormatted,PromoNumber,TrackingUrl\n"
                    b"888-390-6665,8883906665,https://x/c\n")


def test_csv_options_change_the_output_when_given() -> None:
    rows: list[dict[str, Any]] = [{"a": "1", "b": "x,y"}, {"a": "2", "b": None}]
    plain = csv_body(rows)
    assert plain == b'a,b\n1,"x,y"\n2,\n'
    custom = csv_body(rows, column_separator="|", row_separator="\r\n", include_header=False,
                      force_quotes=True)
    assert custom == b'"1"|"x,y"\r\n"2"|""\r\n'
    assert list(csv.reader(io.StringIO(plain.decode()))) == [["a", "b"], ["1", "x,y"], ["2", ""]]


def test_success_json_is_compact_when_rendering(client: FlaskClient) -> None:
    body, content_type = render_success({"promo_number": "8883906665"}, "json")
    assert body == b'{"promo_number":"8883906665"}'
    assert content_type == "application/json; charset=utf-8"


@given(
    texts=st.lists(st.one_of(st.text(), st.integers(), st.booleans(), st.none()),
                   min_size=1, max_size=4),
)
def test_flat_xml_template_writes_the_bytes_elementtree_writes_when_texts_vary(
    texts: list[Any],
) -> None:
    value = {f"Field{n}": text for n, text in enumerate(texts)}
    expected = xml_tree_body(value)
    assert xml_body(value) == expected
    assert xml_body(value) == expected  # the second time through the cached template


def test_flat_xml_template_escapes_markup_when_a_text_holds_it() -> None:
    body = xml_body({"TrackingUrl": "https://x.example/?a=1&b=<2>"}, root="Response")
    assert b"<TrackingUrl>https://x.example/?a=1&amp;b=&lt;2&gt;</TrackingUrl>" in body
    assert ET.fromstring(body).findtext("TrackingUrl") == "https://x.example/?a=1&b=<2>"


def _csv_module_body(rows: list[dict[str, Any]]) -> bytes:
    """What the ``csv`` module writes for ``rows`` (header from the first row's keys)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(rows[0]))
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row.values()])
    return out.getvalue().encode()


CSV_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 ,\"\r\n.-:/?=&%'#é\t")), max_size=8)


@given(cells=st.lists(st.lists(CSV_TEXT, min_size=3, max_size=3), min_size=1, max_size=3))
def test_plain_csv_writes_the_bytes_the_csv_module_writes_when_cells_vary(
    cells: list[list[str]],
) -> None:
    rows = [dict(zip(("PromoNumberFormatted", "PromoNumber", "TrackingUrl"), row, strict=True))
            for row in cells]
    assert csv_body(rows) == _csv_module_body(rows)
