"""The API docs page in headless Chromium: Swagger UI 5 renders every operation of the
contract, the demo credentials are prefilled, and "Try it out" calls this sandbox."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from mock_server.threaded import ThreadedSandbox
from openapi.contract import load_spec
from tests.browser.conftest import Watched

pytestmark = pytest.mark.server

#: Swagger UI's element id of an operation (deepLinking: tag and operationId)
GET_NETWORK = "#operations-Network_Integration-getNetwork"


def operation_count() -> int:
    return sum(1 for item in load_spec()["paths"].values() for op in item.values()
               if isinstance(op, dict) and "operationId" in op)


def control(sandbox: ThreadedSandbox, path: str) -> Any:
    with urllib.request.urlopen(sandbox.url + path, timeout=10) as response:
        return json.load(response)


def open_docs(watched: Watched, sandbox: ThreadedSandbox) -> Any:
    page = watched.page
    page.goto(f"{sandbox.url}/_sandbox/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    return page


def test_every_operation_renders_with_the_credentials_prefilled_when_the_docs_load(
    watched: Watched, sandbox: ThreadedSandbox, artifacts: Path
) -> None:
    page = open_docs(watched, sandbox)
    page.wait_for_selector("#credentials[data-state=prefilled]", timeout=10_000)
    assert page.locator(".opblock").count() == operation_count()
    assert "invoca" in page.locator(".info .title").inner_text().lower()
    assert page.locator(".version-stamp").first.inner_text().strip().startswith("OAS 3.1")
    assert "API token, HTTP Basic, ring pool" in page.locator("#credentials").inner_text()
    assert page.locator(".servers select option").first.inner_text().startswith(sandbox.url)
    page.screenshot(path=str(artifacts / "docs-page.png"))
    page.locator(".opblock-tag-section").first.evaluate("node => node.scrollIntoView()")
    page.screenshot(path=str(artifacts / "docs-operations.png"))
    assert watched.errors == []
    assert watched.outside == []


def test_try_it_out_calls_the_sandbox_with_the_demo_credentials_when_executed(
    watched: Watched, sandbox: ThreadedSandbox, artifacts: Path
) -> None:
    page = open_docs(watched, sandbox)
    page.wait_for_selector("#credentials[data-state=prefilled]", timeout=10_000)
    operation = page.locator(GET_NETWORK)
    operation.locator(".opblock-summary").first.click()
    operation.locator(".try-out__btn").click()
    operation.locator("tr[data-param-name='version'] select").select_option("2022-08-01")
    network_id = control(sandbox, "/_sandbox/world")["network_id"]
    operation.locator("tr[data-param-name='network_id'] input").fill(str(network_id))
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=15_000)
    assert status.inner_text().strip().startswith("200")
    assert operation.locator(".request-url pre").inner_text().startswith(sandbox.url + "/api/")
    answered = control(sandbox, "/_sandbox/requests?operationId=getNetwork")
    assert [(entry["status"], entry["path_params"]["network_id"]) for entry in answered] == [
        (200, str(network_id))]
    operation.screenshot(path=str(artifacts / "docs-try-it-out.png"))
    assert watched.errors == []


def test_docs_render_without_credentials_when_the_control_api_needs_a_token(
    watched: Watched,
) -> None:
    with ThreadedSandbox({"ADMIN_TOKEN": "admin-token-for-the-docs-test"}) as guarded:
        page = open_docs(watched, guarded)
        page.wait_for_selector("#credentials[data-state=refused]", timeout=10_000)
        assert page.locator(".opblock").count() == operation_count()
    assert [error for error in watched.errors if "401" not in error] == []
