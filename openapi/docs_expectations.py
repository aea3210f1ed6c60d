"""The documented examples the sandbox does not answer as documented yet: ONE table.

Each entry: the work package that owns the fix, the cause in one line, and the examples (ids of
``openapi/docs_examples.json``). The walk (``contracts/suites/test_docs_examples.py``) marks
them ``xfail(strict=True)`` against a sandbox: an example listed here that starts passing fails
the run, so the table shrinks as fixes land. ``python -m mock_server.coverage`` counts them in
docs/coverage.md.

Owners (issue 13): A versions, strictness and validation; B Transactions; C Signal and
Conversion Reporting; D Network Integration.
"""

from __future__ import annotations

from dataclasses import dataclass

OWNERS = {
    "A": "versions, strictness, validation",
    "B": "Transactions",
    "C": "Signal and Conversion Reporting",
    "D": "Network Integration",
}


@dataclass(frozen=True)
class Expected:
    """Examples that fail today for one cause, and who fixes it."""

    owner: str
    cause: str
    examples: tuple[str, ...]


def _both(*pages: str) -> tuple[str, ...]:
    """The same example in both documentation branches (``page:line`` under api_documentation)."""
    return tuple(f"{branch}/{page}" for page in pages for branch in ("2016-10-01", "2022-08-01"))


_NI = "network_integration"
_CAMPAIGNS = f"{_NI}/advertiser_campaigns"

EXPECTED_FAILURES: tuple[Expected, ...] = (
    # ---------------------------------------------------------------- A
    Expected("A", "field errors are flat ('users.0.email_address'); the page nests them by "
                  "item ({\"users\": [{\"email_address\": [\"is invalid\"]}]})",
             _both(f"{_NI}/networks/_put_network_user.rst:11")),
    Expected("A", "the IVR error example nests errors by node ({\"error\": {\"ivr_tree\": "
                  "{\"children\": [{\"0\": {\"prompt\": [...]}}]}}}); the sandbox answers "
                  "flat field errors (and first refuses the bare node: name can't be blank)",
             ("2016-10-01/network_integration/advertiser_campaigns/index.rst:572#PUT",
              "2022-08-01/network_integration/advertiser_campaigns/index.rst:789#PUT")),
    # ---------------------------------------------------------------- C
    Expected("C", "Signal 2016-08-01 answers leave out custom_parameter_1..3; the page answers "
                  "them ('' when not sent)",
             ("2016-10-01/signal_api/_update_signal.rst:11",
              "2016-10-01/signal_api/_update_signal2.rst:11",
              "2016-10-01/signal_api/index.rst:339", "2016-10-01/signal_api/index.rst:380")),
    Expected("C", "revenue '1,000.00' (with a thousands separator, as the page sends it and "
                  "answers '1,000.0') is refused 403 InvalidInput",
             ("2022-08-01/signal_api/_transaction_events.rst:66",)),
    # ---------------------------------------------------------------- D
    Expected("D", "GET forms of go_live/archive/unarchive (documented GET and POST on the "
                  "2016-10-01 pages) answer 405",
             ("2016-10-01/network_integration/advertiser_campaigns/"
              "_get_advertiser_campaign_archive.rst:9",
              "2016-10-01/network_integration/advertiser_campaigns/"
              "_get_advertiser_campaign_go_live.rst:12",
              "2016-10-01/network_integration/advertiser_campaigns/"
              "_get_advertiser_campaign_unarchive.rst:11")),
    Expected("D", "POST on the campaign item path (the IVR tree, prompt and campaign feature "
                  "pages) answers 405",
             (*_both(f"{_NI}/custom_challenge_prompts/index.rst:16",
                     f"{_NI}/custom_challenge_prompts/index.rst:41",
                     f"{_NI}/prompt_recordings/index.rst:99",
                     f"{_NI}/prompt_recordings/index.rst:152",
                     f"{_NI}/whisper_prompts/index.rst:16",
                     f"{_NI}/whisper_prompts/index.rst:41"),
              "2022-08-01/network_integration/whisper_prompts/index.rst:99",
              "2022-08-01/network_integration/whisper_prompts/index.rst:126",
              "2022-08-01/network_integration/automated_speech_recognition/index.rst:18",
              "2022-08-01/network_integration/call_activity_tracking/index.rst:18",
              *(f"2022-08-01/network_integration/call_recording_condition/index.rst:{line}"
                for line in (16, 41, 68)),
              *(f"2022-08-01/network_integration/custom_ivr_error_prompts/index.rst:{line}"
                for line in (19, 41, 63, 89, 111, 133)),
              "2022-08-01/network_integration/prompt_voice/index.rst:18",
              "2016-10-01/network_integration/advertiser_campaigns/index.rst:572#POST",
              "2022-08-01/network_integration/advertiser_campaigns/index.rst:789#POST")),
    Expected("D", "a partial campaign PUT (only ivr_tree) is refused 403: name can't be blank",
             (*_both(f"{_CAMPAIGNS}/_put_advertiser_campaign.rst:12",
                     f"{_CAMPAIGNS}/_put_advertiser_campaign.rst:36",
                     f"{_CAMPAIGNS}/_put_advertiser_campaign.rst:66"),
              "2022-08-01/network_integration/set_call_recorded_prompt/index.rst:73")),
    Expected("D", "a partial advertiser user PUT (no email_address, no id_from_network) is "
                  "refused 403",
             ("2016-10-01/network_integration/advertiser_users/_put_advertiser_user.rst:11",)),
    Expected("D", "POST advertisers/<id>.json: the body's id_from_network does not take "
                  "precedence over the URL's (the page: 'the body's id will take precedence')",
             ("2016-10-01/network_integration/advertisers/_post_advertiser.rst:15",)),
    Expected("D", "integer ids (users[].id_from_network 123, sites[].id_from_network 33567) "
                  "are refused 403",
             _both(f"{_NI}/affiliates/_post_affiliate.rst:11")),
    Expected("D", "the 2022-08-01 page's second user still has email_address, refused in "
                  "2022-08-01",
             ("2022-08-01/network_integration/networks/_post_network_users.rst:11",)),
    Expected("D", "the 2022-08-01 local_center example (tn_prefix '', zipcode and latitude/"
                  "longitude together) is refused: 'requires exactly one'",
             ("2022-08-01/network_integration/ringpools/_post_ring_pools.rst:11",)),
    Expected("D", "missing response fields: oauth_refresh_token (advertiser and its users), "
                  "users[].phone_number",
             _both(f"{_NI}/advertisers/_get_advertiser.rst:11",
                   f"{_NI}/advertisers/_get_advertisers.rst:11",
                   f"{_NI}/advertisers/_post_advertiser.rst:11",
                   f"{_NI}/advertisers/_put_advertiser.rst:11")),
    Expected("D", "missing response fields: advertiser user contact_country_code and "
                  "oauth_refresh_token",
             _both(f"{_NI}/advertiser_users/_get_advertiser_user.rst:11",
                   f"{_NI}/advertiser_users/_get_advertiser_users.rst:11")),
    Expected("D", "missing response fields: prompt_recordings of the network and the "
                  "advertiser (and the advertiser's oauth_refresh_token)",
             _both(f"{_NI}/prompt_recordings/index.rst:35",
                   f"{_NI}/prompt_recordings/index.rst:64")),
    Expected("D", "campaign terms: current_terms.id is a number (documented a string); "
                  "pricing_type, expiration_date and payin/payout min, max, currency, pricing, "
                  "range missing",
             _both(f"{_CAMPAIGNS}/_get_advertiser_campaign.rst:11",
                   f"{_CAMPAIGNS}/_get_advertiser_campaigns.rst:11",
                   f"{_CAMPAIGNS}/_post_advertiser_campaign.rst:11")),
    Expected("D", "missing response fields: affiliate campaign current_terms.pricing_type",
             _both(f"{_NI}/affiliate_campaigns/_get_affiliate_affiliate_campaign.rst:11",
                   f"{_NI}/affiliate_campaigns/_post_affiliate_affiliate_campaigns.rst:13",
                   f"{_NI}/affiliate_campaigns/_put_affiliate_affiliate_campaign.rst:11")),
    Expected("D", "missing 2022-08-01 ring pool fields: local_center (with every key), "
                  "local_number_preferences, customer_phone_numbers, "
                  "default_customer_phone_number",
             ("2022-08-01/network_integration/ringpools/_get_ring_pool.rst:11",
              "2022-08-01/network_integration/ringpools/_get_ring_pools.rst:11",
              "2022-08-01/network_integration/ringpools/_put_ring_pool.rst:11",
              "2022-08-01/network_integration/ringpools/index.rst:140")),
)


def expected_failures() -> dict[str, Expected]:
    """Example id -> its entry (an id listed twice is a mistake in the table)."""
    found: dict[str, Expected] = {}
    for entry in EXPECTED_FAILURES:
        if entry.owner not in OWNERS:
            raise ValueError(f"unknown owner {entry.owner!r} for {entry.cause!r}")
        for example in entry.examples:
            if example in found:
                raise ValueError(f"{example} is listed twice")
            found[example] = entry
    return found
