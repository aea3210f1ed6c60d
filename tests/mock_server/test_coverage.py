"""docs/coverage.md is generated from the contract and the handlers, and kept current."""

from __future__ import annotations

from typing import Any

from mock_server.coverage import COVERAGE_PATH, current_coverage, main, render_coverage
from tests.mock_server.conftest import HANDLERS


def test_coverage_file_is_current_when_compared_with_the_contract() -> None:
    assert COVERAGE_PATH.read_text(encoding="utf-8") == current_coverage(), (
        "docs/coverage.md is stale: run python -m mock_server.coverage"
    )


def test_rendering_lists_each_operation_when_some_lack_handlers(
    fixture_spec: dict[str, Any],
) -> None:
    text = render_coverage(fixture_spec, HANDLERS)
    assert "9 operations: 7 implemented, 2 not implemented." in text
    assert ("| GET | `/api/{version}/{network_id}/affiliates.json` | listAffiliates | "
            "not implemented |") in text
    assert "| POST | `/api/{version}/{network_id}/advertisers/{advertiser_id_from_network}" \
           "/advertiser_campaigns/{advertiser_campaign_id_from_network}/ring_pools.json` | " \
           "createRingPool | implemented |" in text


def test_check_fails_when_the_file_is_stale(tmp_path: Any) -> None:
    stale = tmp_path / "coverage.md"
    stale.write_text("old\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0
