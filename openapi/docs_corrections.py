"""Hand corrections of Invoca's documented examples, each with its one-line reason.

Invoca's pages are sometimes broken: JSON with missing commas or trailing commas, curly quotes,
a placeholder left unquoted, a URL with a duplicated or missing segment, a response body labelled
as the request. The extractor (:mod:`openapi.docs_examples`) applies two kinds of correction:

* :data:`FIXES` rewrite the raw text of a token (a code block, keyed by the line of its
  ``.. code-block::``; a URL, keyed by its line) before anything is parsed: ``old`` -> ``new``;
* :data:`OVERRIDES` change fields of an assembled example (``status``, ``method``, ``url``,
  ``response``...), exclude it (``excluded``: kept in the JSON with the reason), or turn a
  fragment into an example (``promote`` with a ``url`` and ``method``).

Keys are example ids: ``<branch>/<page under api_documentation/>:<line>``. A correction that
matches nothing fails the extraction: the table cannot rot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Fix:
    """Replace ``old`` by ``new`` in the raw text of the token at each of ``where``."""

    where: tuple[str, ...]
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class Override:
    """Set fields of the examples at ``where`` (``changes``), with the reason."""

    where: tuple[str, ...]
    reason: str
    changes: Mapping[str, Any] = field(default_factory=dict)
    #: the code block at ``where`` is a fragment that becomes an example (``changes`` gives the
    #: ``url`` and ``method`` the page implies)
    promote: bool = False


def _both(page: str, *lines: int) -> tuple[str, ...]:
    """The same place in both documentation branches (the page is unchanged between them)."""
    return tuple(f"{branch}/{page}:{line}" for branch in ("2016-10-01", "2022-08-01")
                 for line in lines)


_TOKEN = '"oauth_token": <YOUR OAUTH TOKEN>'
_CAMPAIGN_PUT = "/api/@@NETWORK_API_VERSION/advertisers/:advertiser_id/advertiser_campaigns/"
_CAMPAIGN_403 = ("<network_id>/advertiser/<advertiser_id_from_network>/advertiser_campaign/"
                 "<advertiser_campaign_id_from_network>/advertiser_campaigns/"
                 "<advertiser_campaign_id>.json")
_NO_NETWORK = "the path lacks the network id that every Network Integration path has"
_CALLS_IN_PROGRESS = "a comma is missing before custom_data"

FIXES: tuple[Fix, ...] = (
    # --- URLs
    Fix(("2016-10-01/signal_api/index.rst:209",), "/api/<API_VERSION>/",
        "/api/@@SIGNAL_API_VERSION/",
        "<API_VERSION> is the page's Signal API version (@@SIGNAL_API_VERSION elsewhere)"),
    Fix(("2016-10-01/network_integration/affiliate_campaigns/"
         "_post_affiliate_affiliate_campaigns.rst:38",
         "2022-08-01/network_integration/affiliate_campaigns/"
         "_post_affiliate_affiliate_campaigns.rst:41"),
        "/api/api/", "/api/", "the /api segment is written twice"),
    Fix((*_both("network_integration/advertiser_campaigns/_put_advertiser_campaign.rst",
                11, 35, 65),),
        _CAMPAIGN_PUT,
        "/api/@@NETWORK_API_VERSION/<network_id>/advertisers/<advertiser_id_from_network>/"
        "advertiser_campaigns/",
        f"{_NO_NETWORK}; ':advertiser_id' is the advertiser placeholder"),
    Fix(_both("network_integration/advertiser_campaigns/_post_advertiser_campaign_go_live.rst",
              14), "/advertisers/advertiser_id/", "/advertisers/<advertiser_id_from_network>/",
        "'advertiser_id' is the advertiser placeholder (the network and campaign are literal)"),
    Fix(("2016-10-01/network_integration/advertiser_campaigns/index.rst:572",
         "2022-08-01/network_integration/advertiser_campaigns/index.rst:789"), _CAMPAIGN_403,
        "<network_id>/advertisers/<advertiser_id_from_network>/advertiser_campaigns/"
        "<advertiser_campaign_id_from_network>.json",
        "singular 'advertiser'/'advertiser_campaign' segments and a campaign id written twice: "
        "the campaign item path is meant"),
    # --- bodies read as the page means them
    Fix(("2016-10-01/network_integration/advertiser_campaigns/index.rst:580",
         "2022-08-01/network_integration/advertiser_campaigns/index.rst:797"),
        '{\n  "node_type":"Menu",\n  "prompt":"Prompt text",',
        '{"ivr_tree": {"root": {\n  "node_type":"Menu",\n  "prompt":"Prompt text",',
        "the request shows only the IVR tree's root node; its error names ivr_tree, so the "
        "campaign body {\"ivr_tree\": {\"root\": node}} is meant (fidelity C33)"),
    Fix(("2016-10-01/network_integration/advertiser_campaigns/index.rst:580",
         "2022-08-01/network_integration/advertiser_campaigns/index.rst:797"),
        "\n  ]\n}", "\n  ]\n}}}", "the root node's campaign body closes (see above)"),
    Fix(("2016-10-01/basics/design_principles.rst:114",
         "2022-08-01/manage_api_credentials.rst:40"),
        "/api/@@NETWORK_API_VERSION/advertisers/", "/api/@@NETWORK_API_VERSION/<network_id>/"
        "advertisers/", _NO_NETWORK),
    Fix(("2016-10-01/basics/design_principles.rst:110",),
        "/api/@@NETWORK_API_VERSION/advertisers.json",
        "/api/@@NETWORK_API_VERSION/<network_id>/advertisers.json", _NO_NETWORK),
    Fix(("seeds/design-principles.txt:95", "seeds/design-principles.txt:99"),
        "/api/2016-05-01/advertisers", "/api/2016-05-01/<network_id>/advertisers", _NO_NETWORK),
    Fix(_both("network_integration/prompt_recordings/index.rst", 35),
        "/<network_id>.json", "/<network_id>/network.json",
        "the network (name, users, prompt_recordings) is read at <network_id>/network.json"),
    Fix(_both("network_integration/advertiser_users/_put_advertiser_user.rst", 11),
        "/users/<user_id>``", "/users/<user_id>.json``",
        "the item path lacks its .json (the users page's endpoint has it)"),
    Fix(("2016-10-01/conversion_reporting.rst:188", "2022-08-01/conversion_reporting.rst:206"),
        "</code></pre>", "", "HTML left over from an export ends the curl command"),
    Fix(("2016-10-01/conversion_reporting.rst:188", "2022-08-01/conversion_reporting.rst:206"),
        "`", "", "stray backquotes (from an export) around the line continuations"),
    # --- labels
    Fix(("2016-10-01/network_integration/affiliates/_get_affiliates.rst:13",),
        "Request Body:", "Response Body:",
        "the GET's response is labelled 'Request Body' (the 2022-08-01 page says Response Body)"),
    # --- JSON
    Fix(("2016-10-01/signal_api/index.rst:209", "2022-08-01/signal_api/index.rst:200",
         "2022-08-01/signal_api/index.rst:563"), _TOKEN, '"oauth_token": "<YOUR OAUTH TOKEN>"',
        "the token placeholder is not quoted"),
    Fix(("2022-08-01/network_integration/networks/_put_network_user.rst:17",),
        '"email_address": "chris@domain.com"', '"email_address": "chris@"',
        "the example updates a user 'with invalid email address' and is answered 'is invalid', "
        "but its address is valid; the 2016-10-01 page sends chris@"),
    Fix(_both("network_integration/affiliates/_post_affiliate.rst", 17), "805\u2010708\u20109876",
        "805-708-9876", "the phone number is written with unicode hyphens (U+2010)"),
    Fix((*_both("network_integration/ringpools/_get_ring_pool.rst", 17),
         *_both("network_integration/ringpools/_get_ring_pools.rst", 17),
         "seeds/network-integration-ringpools.txt:37",
         "seeds/network-integration-ringpools.txt:79"),
        '"id": "value"', '"id": 0',
        "'value' is a placeholder for the integer id (the property table: id integer)"),
    Fix(("2022-08-01/network_integration/affiliates/_get_affiliate.rst:15",),
        '"email_settings:" [', '"email_settings": [', "the colon is inside the key's quotes"),
    Fix(("2022-08-01/network_integration/networks/_get_network.rst:19",),
        '"role": "Observer"\n', '"role": "Observer",\n', "a comma is missing after role"),
    Fix(("2022-08-01/network_integration/tag_revisions/_get_revisions.rst:16",),
        '"recordsTotal": 2\n', '"recordsTotal": 2,\n', "a comma is missing after recordsTotal"),
    Fix(("2022-08-01/network_integration/whisper_prompts/index.rst:103",
         "2022-08-01/network_integration/whisper_prompts/index.rst:130"),
        'you."\n', 'you.",\n', "a comma is missing after whisper_prompt_text"),
    Fix(("2022-08-01/signal_api/_transaction_events.rst:70",
         "2022-08-01/signal_api/_transaction_events.rst:150"),
        '"occurred_at_time": "1440607313",\n  }', '"occurred_at_time": "1440607313"\n  }',
        "a trailing comma ends the second signal"),
    Fix(tuple(f"2022-08-01/calls_in_progress_api/{page}" for page in (
        "_get_calls_by_external_unique_id.rst:19", "_get_calls_by_phone_number.rst:20",
        "_get_calls_by_transaction_id.rst:20", "_get_calls_in_progress.rst:16")),
        '"zip_code": "10001"\n', '"zip_code": "10001",\n', _CALLS_IN_PROGRESS),
    Fix(_both("bulk_ringpool_api.rst", 84), '"class”:”OnlyBulk', '"class":"OnlyBulk',
        "curly quotes around the class key and value"),
    Fix(("2022-08-01/network_integration/advertiser_campaigns/index.rst:746",),
        '"ivr_tree": {\n  "root"', '{"ivr_tree": {\n  "root"',
        "a snippet of a campaign body: the outer braces are left out"),
    Fix(("2022-08-01/network_integration/advertiser_campaigns/index.rst:746",),
        '    ]\n  }\n}', '    ]\n  }\n}}',
        "a snippet of a campaign body: the outer braces are left out"),
    Fix(("2022-08-01/calls_in_progress_api/_get_calls_by_transaction_id_for_attribution.rst:20",),
        '"phone_type": "Mobile",\n', '"phone_type": "Mobile"\n',
        "a trailing comma ends the call"),
    Fix(tuple(f"2022-08-01/calls_in_progress_api/{page}" for page in (
        "_get_calls_by_external_unique_id.rst:19", "_get_calls_by_phone_number.rst:20",
        "_get_calls_by_transaction_id.rst:20", "_get_calls_in_progress.rst:16")),
        '"key presses":', '"keypresses":',
        "the page's General Fields table names the field keypresses (fidelity CL6)"),
)

OVERRIDES: tuple[Override, ...] = (
    Override(_both("ringpool.rst", 37), "the page's xml response of the example URL above",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.xml?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(_both("ringpool.rst", 48), "the page's json response: '.xml' changed to '.json'",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.json?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(_both("ringpool.rst", 54), "the page's csv response: '.xml' changed to '.csv'",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.csv?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(("seeds/ringpool-allocation-api.txt:45",),
             "the seed's xml response of the example URL above",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.xml?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(("seeds/ringpool-allocation-api.txt:54",),
             "the seed's json response: '.xml' changed to '.json'",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.json?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(("seeds/ringpool-allocation-api.txt:58",),
             "the seed's csv response: '.xml' changed to '.csv'",
             {"url": "https://<NETWORK>.invoca.net/api/@@RINGPOOL_API_VERSION/ring_pools/16/"
                     "allocate_number.csv?ring_pool_key=<KEY>&param1=<VALUE1>",
              "method": "GET"}, promote=True),
    Override(("seeds/network-integration-ringpools.txt:23",
              "seeds/ringpool-allocation-api.txt:180"),
             "the page's endpoint declaration, not an example (the seeds lost the page layout)",
             {"excluded": True}),
    Override(("seeds/network-integration-ringpools.txt:113",),
             "'Create a RingPool': POST (the seed lost the page's verb)", {"method": "POST"}),
    Override(("seeds/network-integration-ringpools.txt:153",),
             "'Update a RingPool': PUT (the seed lost the page's verb)", {"method": "PUT"}),
    Override(("seeds/network-integration-ringpools.txt:193",),
             "'Delete a RingPool': DELETE (the seed lost the page's verb)", {"method": "DELETE"}),
    Override(("2016-10-01/conversion_reporting.rst:31", "2022-08-01/conversion_reporting.rst:49"),
             "a URL shown to name its parts (version, conversion reporting id); the page's "
             "request is its curl example", {"excluded": True}),
    Override(("2016-10-01/basics/design_principles.rst:115", "seeds/design-principles.txt:100",
              "2022-08-01/manage_api_credentials.rst:41"),
             "the example shows where the token goes; its body has no advertiser (a name is "
             "required: advertisers page), so the create is refused with 403", {"status": 403}),
    Override(_both("basics/ppc_platform_authentication_access_tokens.rst", 17, 19, 21),
             "the page's URL formats (step 2 of the flow), not requests: the examples below "
             "POST each of them", {"excluded": True}),
    Override(("2022-08-01/network_integration/set_call_recorded_prompt/index.rst:53",),
             "the page says 'complete request not shown': a campaign create needs its name and "
             "terms", {"excluded": True}),
    Override(("2022-08-01/transactions_api/_marketing_data_params.rst:43",),
             "the response of the request the text gives: include_columns=transaction_id,"
             "start_time_local,custom_data (network user page)",
             {"url": "https://mynetwork.invoca.net/api/@@TRANSACTION_API_VERSION/networks/"
                     "transactions/33.json?include_columns=transaction_id,start_time_local,"
                     "custom_data", "method": "GET"}, promote=True),
    Override(("2022-08-01/network_integration/ringpools/_post_ring_pools.rst:11",),
             "the example creates a Local RingPool (local_center) and shows 201; the Local "
             "RingPool section of the same branch and the seed show 200: the seed decides "
             "(fidelity C28)", {"status": 200}),
    Override(_both("basics/error_handling.rst", 10),
             "the heading gives the status ('Not found \u2013 404')", {"status": 404}),
    Override(tuple(f"2022-08-01/calls_in_progress_api/{page}" for page in (
        "_update_custom_data.rst:14", "_update_custom_data_ext.rst:14",
        "_update_external_unique_id.rst:12")),
             "the page's Response Codes: '202 Accepted: Only applicable for update requests. "
             "The update was successful.' (the examples say 200; fidelity CL4)", {"status": 202}),
)


class Fixes:
    """Applies :data:`FIXES` and remembers where each was used (each place must be used)."""

    def __init__(self, fixes: Sequence[Fix]) -> None:
        self.fixes = fixes
        self.used: set[tuple[int, str]] = set()
        #: token id -> reasons of the fixes applied to it
        self.reasons: dict[str, list[str]] = {}

    def apply(self, where: str, text: str) -> str:
        for number, fix in enumerate(self.fixes):
            if where in fix.where and fix.old in text:
                text = text.replace(fix.old, fix.new)
                self.used.add((number, where))
                self.reasons.setdefault(where, []).append(fix.reason)
        return text

    def check_used(self) -> None:
        unused = [(where, fix.old) for number, fix in enumerate(self.fixes)
                  for where in fix.where if (number, where) not in self.used]
        if unused:
            raise ValueError(f"corrections that match no text: {unused}")


class Overrides:
    """Applies :data:`OVERRIDES` and remembers which were used."""

    def __init__(self, overrides: Sequence[Override]) -> None:
        self.overrides = overrides
        self.used: set[tuple[int, str]] = set()

    def _find(self, where: str) -> list[tuple[int, Override]]:
        return [(number, item) for number, item in enumerate(self.overrides)
                if where in item.where]

    def promote(self, where: str) -> Override | None:
        for number, item in self._find(where):
            if item.promote:
                self.used.add((number, where))
                return item
        return None

    def raw_changes(self, where: str) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for _, item in self._find(where):
            found.update(item.changes)
        return found

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        where = str(record["id"]).split("#")[0]
        for number, item in self._find(where):
            self.used.add((number, where))
            for key, value in item.changes.items():
                if key in ("url", "method"):
                    continue  # read before the record is built (see raw_changes)
                if key == "status":
                    record["status_documented"] = True
                record[key] = value
            record.setdefault("corrections", []).append(item.reason)
        return record

    def check_used(self) -> None:
        unused = [(where, item.reason) for number, item in enumerate(self.overrides)
                  for where in item.where if (number, where) not in self.used]
        if unused:
            raise ValueError(f"overrides that match no example: {unused}")
