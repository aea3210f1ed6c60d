"""The extractor of Invoca's documented examples (openapi.docs_examples), on small pages, and
the committed ``openapi/docs_examples.json`` it writes."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from openapi import docs_examples
from openapi.docs_corrections import FIXES, OVERRIDES, Fix, Override
from openapi.docs_examples import JSON_PATH, extract, family, match
from openapi.docs_expectations import expected_failures

REFERENCE = Path("/work/shared/reference")
VERSIONS = """VERSIONS = {
    '@@NETWORK_API_VERSION': '2016-10-01',
    '@@SIGNAL_API_VERSION': '2016-08-01',
}
"""
NO_CORRECTIONS: tuple[tuple[Fix, ...], tuple[Override, ...]] = ((), ())


def reference(tmp_path: Path, pages: dict[str, str], seeds: dict[str, str] | None = None,
              ) -> tuple[Path, Path]:
    """A reference directory with a 2016-10-01 branch holding ``pages`` (and the seeds)."""
    root = tmp_path / "reference" / "invoca-docs-2016-10-01"
    root.mkdir(parents=True)
    (root / "doc_versions.py").write_text(VERSIONS, encoding="utf-8")
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    seed_dir = tmp_path / "seeds"
    seed_dir.mkdir()
    for name, text in (seeds or {}).items():
        (seed_dir / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path / "reference", seed_dir


def extracted(tmp_path: Path, pages: dict[str, str], corrections: Any = NO_CORRECTIONS,
              seeds: dict[str, str] | None = None) -> dict[str, Any]:
    ref, seed_dir = reference(tmp_path, pages, seeds)
    return extract(ref, seed_dir, corrections)


ADVERTISER = "api_documentation/network_integration/advertisers"

GET_PAGE = """
.. container:: endpoint-long-description

  .. rubric:: Examples

  Read a single advertiser

  Endpoint:

  ``https://invoca.net/api/@@NETWORK_API_VERSION/<network_id>/advertisers/cFUyYnFHy.json``

  Format: application/json

  Response Code: 200

  Response Body:

  .. code-block:: json

     {
       "id": 43838,
       "id_from_network": "cFUyYnFHy"
     }
"""

POST_PAGE = """
.. container:: endpoint-long-description

  .. rubric:: Examples

  Create an advertiser

  Endpoint:

  ``https://invoca.net/api/@@NETWORK_API_VERSION/<network_id>/advertisers.json``

  Request Body:

  .. code-block:: json

     {"name": "NFL Tickets Exchange", "id_from_network": "cFUyYnFHy"}

  Response Body:

  Same as a GET response, includes all the advertiser properties.

  .. raw:: html

    <hr>

  Create another

  Endpoint:

  ``https://invoca.net/api/@@NETWORK_API_VERSION/<network_id>/advertisers.json``

  Request Body:

  .. code-block:: json

     {"name": "Other", "id_from_network": "other"}

  Response Code: 403
"""

INDEX_PAGE = """
Advertisers
===========

Endpoint:

``https://invoca.net/api/@@NETWORK_API_VERSION/<network_id>/advertisers/<advertiser_id_from_network>.json``

.. api_endpoint::
   :verb: PUT
   :path: /advertisers/&lt;advertiser_id_from_network&gt;
   :description: Update an Advertiser
   :page: update_advertiser
"""

UPDATE_PAGE = """
.. container:: endpoint-long-description

  Update

  Endpoint:

  ``https://invoca.net/api/@@NETWORK_API_VERSION/<network_id>/advertisers/cFUyYnFHy.json``

  Request Body:

  .. code-block:: json

     {"name": "Renamed"}
"""


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {example["id"]: example for example in data["examples"]}


def test_example_has_url_version_status_and_body_when_read_from_a_container(
        tmp_path: Path) -> None:
    data = extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": GET_PAGE})
    (example,) = data["examples"]
    assert example["id"] == "2016-10-01/network_integration/advertisers/_get_advertiser.rst:10"
    assert example["method"] == "GET"
    assert example["url"] == "/api/2016-10-01/<network_id>/advertisers/cFUyYnFHy.json"
    assert example["version"] == "2016-10-01"
    assert (example["status"], example["status_documented"]) == (200, True)
    assert example["response"] == {"format": "json",
                                   "body": {"id": 43838, "id_from_network": "cFUyYnFHy"}}
    assert example["title"] == "Read a single advertiser"


def test_each_example_is_kept_with_its_own_status_when_hr_separates_them(tmp_path: Path) -> None:
    data = extracted(tmp_path, {f"{ADVERTISER}/_post_advertiser.rst": POST_PAGE})
    first, second = data["examples"]
    assert (first["method"], first["status"], first["status_documented"]) == ("POST", 201, False)
    assert first["request"]["body"]["name"] == "NFL Tickets Exchange"
    assert first["response"]["same_as"] == "GET"
    assert (second["status"], second["status_documented"]) == (403, True)
    assert second["request"]["body"]["id_from_network"] == "other"
    assert second["title"] == "Create another"


def test_page_endpoint_is_no_example_when_api_endpoint_directives_follow_it(
        tmp_path: Path) -> None:
    data = extracted(tmp_path, {f"{ADVERTISER}/index.rst": INDEX_PAGE})
    assert data["examples"] == []


def test_verb_comes_from_the_api_endpoint_directive_when_the_page_states_none(
        tmp_path: Path) -> None:
    data = extracted(tmp_path, {f"{ADVERTISER}/index.rst": INDEX_PAGE,
                                f"{ADVERTISER}/_update_advertiser.rst": UPDATE_PAGE})
    (example,) = data["examples"]
    assert (example["method"], example["status"]) == ("PUT", 200)


def test_curl_command_becomes_a_request_when_a_bash_block_holds_it(tmp_path: Path) -> None:
    page = """
    Example POST Request Using cURL
    -------------------------------

    .. code-block:: bash

      curl -k -H "Content-Type: application/json" -X PUT -u 'login:pass' \\
        -d '{"search": {"transaction_id": "1"}}' \\
        https://invoca.net/api/@@SIGNAL_API_VERSION/transactions/signals.json
    """
    data = extracted(tmp_path, {"api_documentation/signal_api/index.rst": page})
    (example,) = data["examples"]
    assert (example["method"], example["origin"], example["auth"]) == ("PUT", "curl", "basic")
    assert example["url"] == "/api/2016-08-01/transactions/signals.json"
    assert example["headers"] == {"Content-Type": "application/json"}
    assert example["request"] == {"format": "json", "body": {"search": {"transaction_id": "1"}}}


def test_request_label_reuses_the_page_url_when_a_sequence_follows_a_curl(tmp_path: Path) -> None:
    page = """
    .. code-block:: bash

      curl -X POST -d '{"a": 1}' https://invoca.net/api/@@SIGNAL_API_VERSION/transactions/signals.json

    **HTTP POST parameters** - second request:

    .. code-block:: json

      {"a": 2}

    **Response (200 OK):**

    .. code-block:: json

      {"signal": {}}
    """
    data = extracted(tmp_path, {"api_documentation/signal_api/index.rst": page})
    first, second = data["examples"]
    assert second["origin"] == "label"
    assert (second["url"], second["method"]) == (first["url"], "POST")
    assert (second["status"], second["request"]["body"]) == (200, {"a": 2})


def test_code_block_is_a_fragment_when_no_request_precedes_it(tmp_path: Path) -> None:
    page = """
    Errors
    ------

    **Response (403 Forbidden):**

    .. code-block:: json

      {"errors": {"class": "RecordInvalid"}}
    """
    data = extracted(tmp_path, {"api_documentation/signal_api/index.rst": page})
    assert data["examples"] == []
    (fragment,) = data["fragments"]
    assert (fragment["status"], fragment["body"]) == (403, {"errors": {"class": "RecordInvalid"}})


def test_broken_json_is_reported_when_no_correction_names_it(tmp_path: Path) -> None:
    broken = GET_PAGE.replace('"id": 43838,', '"id": 43838')
    data = extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": broken})
    assert "error" in data["examples"][0]["response"]


def test_correction_repairs_the_text_and_is_recorded_when_it_names_the_code_block(
        tmp_path: Path) -> None:
    broken = GET_PAGE.replace('"id": 43838,', '"id": 43838')
    where = "2016-10-01/network_integration/advertisers/_get_advertiser.rst:18"
    fix = Fix((where,), '"id": 43838\n', '"id": 43838,\n', "a comma is missing after id")
    data = extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": broken}, ((fix,), ()))
    (example,) = data["examples"]
    assert example["response"]["body"]["id"] == 43838
    assert example["corrections"] == ["a comma is missing after id"]


def test_extraction_fails_when_a_correction_matches_nothing(tmp_path: Path) -> None:
    fix = Fix(("2016-10-01/network_integration/advertisers/_get_advertiser.rst:18",),
              "not in the page", "", "stale")
    with pytest.raises(ValueError, match="match no text"):
        extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": GET_PAGE}, ((fix,), ()))


def test_override_excludes_an_example_with_its_reason_when_it_names_it(tmp_path: Path) -> None:
    where = "2016-10-01/network_integration/advertisers/_get_advertiser.rst:10"
    override = Override((where,), "not an example", {"excluded": True})
    data = extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": GET_PAGE}, ((), (override,)))
    assert data["examples"] == []
    assert data["excluded"][0]["corrections"] == ["not an example"]


def test_seed_url_line_and_bracketed_body_become_an_example_when_read_as_text(
        tmp_path: Path) -> None:
    seed = """
    Create a RingPool

    Endpoint:

    https://invoca.net/api/2016-10-01/<network_id>/advertisers/<advertiser_id_from_network>/advertiser_campaigns/<advertiser_campaign_id_from_network>/ring_pools.json

    Request Body:

    {
      "id_from_network": "12"
    }

    Response Code: 201
    """
    data = extracted(tmp_path, {}, seeds={"ring-pools.txt": seed})
    (example,) = data["examples"]
    assert (example["branch"], example["status"]) == ("seeds", 201)
    assert example["request"]["body"] == {"id_from_network": "12"}


def test_same_as_get_is_the_documented_get_when_the_response_is_described(
        tmp_path: Path) -> None:
    data = extracted(tmp_path, {f"{ADVERTISER}/_get_advertiser.rst": GET_PAGE,
                                f"{ADVERTISER}/_post_advertiser.rst": POST_PAGE})
    create = next(example for example in data["examples"] if example["method"] == "POST")
    documented = docs_examples.documented_response(create, pool=data["examples"])
    assert documented["body"] == {"id": 43838, "id_from_network": "cFUyYnFHy"}


def test_example_matches_its_operation_when_its_path_fits_a_template() -> None:
    example = {"method": "GET", "url": "/api/2016-10-01/<network_id>/advertisers/cFUyYnFHy.json",
               "source": "api_documentation/network_integration/advertisers/_get.rst"}
    found = match(example)
    assert found.operation is not None and found.operation.operation_id == "getAdvertiser"
    assert found.parameters["advertiser_id_from_network"] == "cFUyYnFHy"
    assert family(example) == "Network Integration"


def test_family_names_the_folder_when_no_operation_has_the_path() -> None:
    example = {"method": "GET", "url": "/api/2022-08-01/networks/<network_id>/widgets.json",
               "source": "api_documentation/network_integration/widgets/_get_widgets.rst"}
    assert match(example).path is None
    assert family(example) == "not implemented: widgets"


def test_method_missing_from_the_contract_is_kept_when_the_path_exists() -> None:
    example = {"method": "DELETE", "url": "/api/2016-10-01/1/advertisers/a/advertiser_campaigns/"
                                         "c/go_live.json", "source": "x"}
    found = match(example)
    assert found.operation is None and found.family == "Network Integration"


# ----------------------------------------------------------------------------- the committed file


def test_committed_examples_all_parse_when_loaded() -> None:
    data = docs_examples.load()
    broken = [record["id"] for record in data["examples"] + data["fragments"]
              for part in (record.get("request"), record.get("response"), record)
              if isinstance(part, dict) and "error" in part]
    assert broken == []
    assert len(data["examples"]) > 300


def test_expected_failures_name_walked_examples_when_listed() -> None:
    walked = {example["id"] for example in docs_examples.examples()
              if not family(example).startswith("not implemented")}
    assert set(expected_failures()) - walked == set()


def test_every_correction_is_used_when_the_reference_is_extracted() -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} is not here: the committed JSON is what CI reads")
    assert FIXES and OVERRIDES
    extract(REFERENCE, REFERENCE.parent / "seeds")  # raises on an unused correction


def test_committed_json_is_current_when_the_reference_is_present(tmp_path: Path) -> None:
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} is not here: the committed JSON is what CI reads")
    assert docs_examples.main(["check", "--reference", str(REFERENCE)]) == 0, (
        f"{JSON_PATH} is stale: run python -m openapi.docs_examples extract")
