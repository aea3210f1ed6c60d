"""The number inventory over HTTP: numbers of deleted pools come back after the quarantine,
each network has its own share, exhaustion is ``NumbersExhausted``, ``--numbers valid``."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.serve import config_from, parser
from simulator.errors import RecordInvalid

VERSION = "2022-08-01"
DAY = 86_400
TOKENS = {1: "NetworkOneToken0000000000000000A", 2: "NetworkTwoToken0000000000000000B"}
#: two networks, each with an advertiser campaign of its own
TWO_NETWORKS: dict[str, Any] = {
    "networks": [{"id": 1, "name": "One"}, {"id": 2, "name": "Two"}],
    "tokens": [{"token": token, "role": "network", "network_id": network}
               for network, token in TOKENS.items()],
    "objects": [
        obj for network in TOKENS for obj in (
            {"type": "advertiser", "network_id": network,
             "body": {"id_from_network": "adv", "name": f"Advertiser {network}"}},
            {"type": "advertiser_campaign", "network_id": network,
             "advertiser_id_from_network": "adv",
             "body": {"id_from_network": "camp", "name": f"Campaign {network}"}},
        )
    ],
}


def client(config: dict[str, Any] | None = None) -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual", **(config or {})}).test_client()


def pools(network: int = 1, advertiser: str = "adv-1", campaign: str = "camp-1") -> str:
    return f"/api/{VERSION}/{network}/advertisers/{advertiser}/advertiser_campaigns/{campaign}" \
           "/ring_pools"


class Sandbox:
    """A sandbox app with its network tokens, creating and deleting pools."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.http = client(config)
        if config and "WORLD" in config:
            self.tokens, self.path = TOKENS, {n: pools(n, "adv", "camp") for n in TOKENS}
        else:
            world = self.http.get("/_sandbox/world").get_json()
            self.tokens, self.path = {1: world["api_token"]}, {1: pools()}

    def create(self, key: str, network: int = 1, **body: Any) -> Any:
        return self.http.post(f"{self.path[network]}.json", json={"id_from_network": key, **body},
                              headers={"Authorization": self.tokens[network]})

    def overflow(self, key: str, network: int = 1) -> str:
        answer = self.create(key, network)
        assert answer.status_code == 201, answer.get_json()
        number: str = answer.get_json()["overflow_number"]
        return number

    def delete(self, key: str, network: int = 1) -> None:
        answer = self.http.delete(f"{self.path[network]}/{key}.json",
                                  headers={"Authorization": self.tokens[network]})
        assert answer.status_code == 200

    def advance(self, seconds: int) -> None:
        assert self.http.post("/_sandbox/clock",
                              json={"advance_seconds": seconds}).status_code == 200

    def exhaust(self, network: int = 1) -> set[str]:
        """Create pools until the network's share is used up; their overflow numbers."""
        numbers = set()
        for n in range(2_000):
            answer = self.create(f"fill-{n}", network)
            if answer.status_code != 201:
                assert_exhausted(answer)
                return numbers
            numbers.add(answer.get_json()["overflow_number"])
        raise AssertionError("the share never ran out")


def assert_exhausted(answer: Any) -> None:
    assert answer.status_code == 403
    assert answer.get_json()["errors"]["class"] == "NumbersExhausted"


def test_create_delete_cycles_never_exhaust_when_the_quarantine_passes_between_them() -> None:
    sandbox = Sandbox()
    seen = set()
    for n in range(800):  # 150 s apart: a released number is back 576 cycles later
        seen.add(sandbox.overflow(f"cycle-{n}"))
        sandbox.delete(f"cycle-{n}")
        sandbox.advance(150)
    assert len(seen) < 800  # numbers came back and were issued again


def test_released_number_is_not_issued_again_when_its_quarantine_has_not_passed() -> None:
    sandbox = Sandbox()
    released = sandbox.overflow("first")
    sandbox.delete("first")
    assert released not in sandbox.exhaust()
    sandbox.advance(DAY - 1)
    assert_exhausted(sandbox.create("one-second-early"))
    sandbox.advance(1)
    assert sandbox.overflow("back") == released


def test_numbers_exhausted_is_the_answer_when_the_share_is_used_up() -> None:
    sandbox = Sandbox()
    sandbox.exhaust()
    answer = sandbox.create("one-more")
    assert_exhausted(answer)
    assert "no toll-free number left" in answer.get_json()["errors"]["invalid_data"]


def test_other_network_still_gets_numbers_when_a_huge_local_pool_took_one_share() -> None:
    sandbox = Sandbox({"WORLD": TWO_NETWORKS})
    huge = sandbox.create("huge", 1, max_pool_size=10_000_000,
                          local_center={"zipcode": "93101"})
    assert huge.status_code == 200  # a Local pool answers 200 (the docs)
    sandbox.advance(600)  # the Local fill: everything network 1's share holds
    assert_exhausted(sandbox.create("after", 1))
    taken = set(sandbox.http.get(f"{sandbox.path[1]}/huge.json",
                                 headers={"Authorization": TOKENS[1]}).get_json()["promo_numbers"])
    assert len(taken) < 10_000
    theirs = {sandbox.overflow(f"other-{n}", 2) for n in range(300)}
    assert not theirs & taken


def test_allocation_answers_numbers_exhausted_for_that_network_only_when_a_pool_is_huge() -> None:
    sandbox = Sandbox({"WORLD": TWO_NETWORKS})
    pools_of = {n: sandbox.create("big", n, max_pool_size=10_000_000).get_json() for n in TOKENS}
    answers = []
    for _ in range(400):  # network 1's share holds 350 toll-free numbers, one is the overflow
        pool = pools_of[1]
        answers.append(sandbox.http.get(
            f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json",
            query_string={"ring_pool_key": pool["api_key"]}))
        if answers[-1].status_code != 200:
            break
    assert answers[-1].status_code == 403
    assert answers[-1].get_data(as_text=True).startswith("NumbersExhausted: ")
    other = pools_of[2]
    allocated = sandbox.http.get(f"/api/2015-12-09/ring_pools/{other['id']}/allocate_number.json",
                                 query_string={"ring_pool_key": other["api_key"]})
    assert allocated.status_code == 200


def test_wider_range_is_issued_when_serve_is_given_numbers_valid() -> None:
    args = parser().parse_args(["--numbers", "valid", "--number-quarantine-seconds", "60"])
    config = config_from(args)
    assert (config["NUMBERS"], config["NUMBER_QUARANTINE_SECONDS"]) == ("valid", 60)
    sandbox = Sandbox({**config, "CLOCK": "manual"})
    numbers = {sandbox.overflow(f"p{n}") for n in range(800)}  # more than 700 toll-free
    assert len(numbers) == 800
    assert any(number[3:6] != "555" for number in numbers)


def test_fictional_range_when_serve_is_given_no_numbers_flag() -> None:
    assert "NUMBERS" not in config_from(parser().parse_args([]))


@pytest.mark.parametrize("argv", [["--numbers", "real"], ["--number-quarantine-seconds", "-1"],
                                  ["--number-quarantine-seconds", "1e20"]])
def test_usage_error_when_number_flags_are_out_of_range(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)


def test_world_settings_choose_the_range_and_quarantine_when_given() -> None:
    world = {**TWO_NETWORKS, "settings": {"numbers": "valid", "number_quarantine_seconds": 0}}
    sandbox = Sandbox({"WORLD": world})
    assert sandbox.overflow("p", 2)[3:6] != "555"
    sandbox.delete("p", 2)
    state = sandbox.http.get("/_sandbox/state").get_json()["numbers"]
    assert (state["range"], state["quarantine_seconds"]) == ("valid", 0)
    assert state["networks"][1] == {"network_id": 2, "share": [1, 2], "issued": 0,
                                    "quarantined": []}  # no quarantine: back at once


@pytest.mark.parametrize("settings", [{"numbers": "real"}, {"number_quarantine_seconds": -1},
                                      {"number_quarantine_seconds": "60"},
                                      {"numbers_per_network": 0}])
def test_world_is_refused_when_its_number_settings_are_out_of_range(
    settings: dict[str, Any],
) -> None:
    with pytest.raises(RecordInvalid):
        client({"WORLD": {**TWO_NETWORKS, "settings": settings}})


def test_inventory_and_quarantine_survive_when_the_state_is_exported_and_imported() -> None:
    original = Sandbox()
    released = original.overflow("gone")
    original.delete("gone")
    original.advance(DAY // 2)
    state = original.http.get("/_sandbox/state").get_json()
    assert [q["number"] for q in state["numbers"]["networks"][0]["quarantined"]] == [released]
    imported = Sandbox()
    assert imported.http.put("/_sandbox/state", json=state).status_code == 200
    assert imported.http.get("/_sandbox/state").get_json()["numbers"] == state["numbers"]
    for sandbox in (original, imported):  # past the quarantine, the same numbers in order
        sandbox.advance(DAY // 2)
    assert [original.overflow(f"n{n}") for n in range(50)] == [
        imported.overflow(f"n{n}") for n in range(50)]
    assert (original.http.get("/_sandbox/state").get_json()["numbers"]
            == imported.http.get("/_sandbox/state").get_json()["numbers"])


def quarantined(sandbox: Sandbox) -> list[str]:
    state = sandbox.http.get("/_sandbox/state").get_json()["numbers"]
    return [q["number"] for q in state["networks"][0]["quarantined"]]


def test_deleted_promo_number_is_quarantined_when_deleted() -> None:
    sandbox = Sandbox()
    auth = {"Authorization": sandbox.tokens[1]}
    promos = pools().replace("ring_pools", "promo_numbers")
    body = {"id_from_network": "p1", "description": "Print ad", "media_type": "Online: Display"}
    number = sandbox.http.post(f"{promos}.json", json=body,
                               headers=auth).get_json()["promo_number"]
    assert quarantined(sandbox) == []
    assert sandbox.http.delete(f"{promos}/{number}.json", headers=auth).status_code == 200
    assert quarantined(sandbox) == [number]


def test_numbers_a_shrunk_pool_drops_are_quarantined_when_their_holds_end() -> None:
    sandbox = Sandbox()
    pool = sandbox.create("shrinks", max_pool_size=3, lifetime_seconds=60).get_json()
    allocate = f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
    held = [sandbox.http.get(allocate, query_string={"ring_pool_key": pool["api_key"]})
            .get_json()["promo_number"] for _ in range(3)]
    assert sandbox.http.put(f"{pools()}/shrinks.json", json={"max_pool_size": 1},
                            headers={"Authorization": sandbox.tokens[1]}).status_code == 200
    assert quarantined(sandbox) == []  # live holds are never cut short
    sandbox.advance(60)
    assert sorted(quarantined(sandbox)) == sorted(held[:2])


def test_imported_state_keeps_its_number_range_when_the_server_has_another() -> None:
    valid = Sandbox({"NUMBERS": "valid", "NUMBER_QUARANTINE_SECONDS": 60})
    numbers = [valid.overflow(f"v{n}") for n in range(3)]
    state = valid.http.get("/_sandbox/state").get_json()
    fictional = Sandbox()
    assert fictional.http.put("/_sandbox/state", json=state).status_code == 200
    imported = fictional.http.get("/_sandbox/state").get_json()
    assert (imported["numbers"]["range"], imported["numbers"]["quarantine_seconds"]) == (
        "valid", 60)
    read = fictional.http.get(f"{pools()}/v2.json",
                              headers={"Authorization": fictional.tokens[1]}).get_json()
    assert read["overflow_number"] == numbers[2]
    assert fictional.overflow("next") == valid.overflow("next")


@pytest.mark.parametrize("settings", [{"numbers": "real"}, {"colour": "blue"}, ["numbers"]])
def test_import_is_refused_and_changes_nothing_when_its_number_settings_are_bad(
    settings: Any,
) -> None:
    sandbox = Sandbox()
    state = sandbox.http.get("/_sandbox/state").get_json()
    state["replay"]["settings"] = settings
    sandbox.overflow("before")
    before = sandbox.http.get("/_sandbox/state").get_json()
    assert sandbox.http.put("/_sandbox/state", json=state).status_code == 403
    assert sandbox.http.get("/_sandbox/state").get_json() == before
