"""``invoca-sandbox world pull``: a network read from one sandbox, served by another, answers
the same reads; refusals, an unreachable source, pacing and the progress output."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client import world_pull
from client.sandbox import SandboxClient
from client.world_pull import POOL_FIELDS_VERSION, VERSION, Source, pull_world
from mock_server import cli
from mock_server.serve import read_world
from mock_server.threaded import ThreadedSandbox

NETWORK = 7
TOKEN = "SOURCETOKENSOURCETOKENSOURCETOK1"
PAYIN = {"policies": [{"condition": "duration > 2 min 30 sec", "type": "Base",
                       "currency": "USD", "amount": 7.0}]}
PAYOUT = {"policies": [
    {"condition": "", "amount": 4.5, "currency": "USD", "type": "Base"},
    {"condition": "duration > 60", "amount": 2.75, "currency": "USD", "type": "Bonus"},
]}
IVR = {"record_calls": True, "root": {"node_type": "Connect", "prompt_id_from_network": "rec1",
                                      "destination_phone_number": "8056173768",
                                      "destination_country_code": ""}}


def obj(kind: str, body: dict[str, Any], **owners: str) -> dict[str, Any]:
    return {"type": kind, "network_id": NETWORK, "version": VERSION, **owners, "body": body}


def held(adv: str, camp: str, aff: str, **body: Any) -> dict[str, Any]:
    return obj("affiliate_campaign", body, advertiser_id_from_network=adv,
               advertiser_campaign_id_from_network=camp, affiliate_id_from_network=aff)


#: the source network: several of everything, statuses reached through transitions
SOURCE_WORLD: dict[str, Any] = {
    "networks": [{"id": NETWORK, "name": "Acme Network"}],
    "tokens": [{"token": TOKEN, "role": "network", "network_id": NETWORK}],
    "objects": [
        {"type": "prompt_recording", "network_id": NETWORK,
         "body": {"id_from_network": "rec1", "prompt_text": "Thank you for calling.",
                  "prompt_url": "http://example.com/rec1.wav",
                  "prompt_received": "2015-08-02 08:49:28 -0700"}},
        obj("advertiser", {"id_from_network": "a1", "name": "Acme Plumbing",
                           "web_integration_phone_number": "8005550123",
                           "oauth_refresh_token": "REFRESHSECRET",
                           "sites": [{"id_from_network": "s1", "name": "www.example.com"}],
                           "users": [{"id_from_network": "u1", "first_name": "Chris",
                                      "last_name": "Dean", "role": "Manager",
                                      "email_address": "chris@example.com",
                                      "oauth_refresh_token": "USERSECRET"}],
                           "custom_data": {"region": "west"}}),
        obj("affiliate", {"id_from_network": "p1", "name": "Lead Co"}),
        obj("advertiser", {"id_from_network": "a2", "name": "Acme Roofing",
                           "approval_status": "Suspended"}),
        obj("affiliate", {"id_from_network": "p2", "name": "Click Co", "status": "Applied"}),
        obj("affiliate", {"id_from_network": "p3", "name": "Call Co"}),
        {"type": "prompt_recording", "network_id": NETWORK, "advertiser_id_from_network": "a2",
         "body": {"id_from_network": "rec2", "prompt_text": "Roofing, hello.",
                  "prompt_url": "http://example.com/rec2.wav",
                  "prompt_received": "2016-01-02 10:00:00 -0700"}},
        obj("advertiser_campaign", {"id_from_network": "c1", "name": "Spring",
                                    "url": "https://www.example.com", "advertiser_payin": PAYIN,
                                    "affiliate_payout": PAYOUT, "custom_data": {"k": "v"}},
            advertiser_id_from_network="a1"),
        obj("advertiser_campaign", {"id_from_network": "c3", "name": "Roofs",
                                    "auto_approve": "All", "ivr_tree": IVR},
            advertiser_id_from_network="a2"),
        obj("advertiser_campaign", {"id_from_network": "c2", "name": "Direct",
                                    "campaign_type": "DirectOnly", "timezone": "UTC"},
            advertiser_id_from_network="a1"),
        obj("advertiser_campaign", {"id_from_network": "c4", "name": "Calls In",
                                    "campaign_type": "ExternalOnly"},
            advertiser_id_from_network="a2"),
        obj("advertiser_affiliate", {"status": "Approved"}, advertiser_id_from_network="a1",
            affiliate_id_from_network="p1"),
        obj("advertiser_affiliate", {"status": "Pending"}, advertiser_id_from_network="a1",
            affiliate_id_from_network="p2"),
        held("a1", "c1", "p1", status="Applied", id_from_network="h1"),
        held("a1", "c1", "p2", status="Applied", custom_data={"tier": "2"}),
        held("a1", "c2", "p1", status="Applied"),
        held("a1", "c2", "p1", status="Suspended"),
        held("a1", "c1", "p3", status="Applied"),
        held("a1", "c1", "p3", status="Declined"),
        held("a2", "c3", "p3", status="Applied"),
        obj("advertiser_affiliate", {"status": "Suspended"}, advertiser_id_from_network="a2",
            affiliate_id_from_network="p3"),
        held("a2", "c3", "p3", status="Approved"),
        obj("ring_pool", {"id_from_network": "rp1", "name": "Website", "pool_type": "Custom",
                          "destination_type": "Advertiser",
                          "destination_url": "https://www.example.com/landing",
                          "max_pool_size": 10, "lifetime_seconds": 900,
                          "param1": "utm_source", "param2": "gclid"},
            advertiser_id_from_network="a1", advertiser_campaign_id_from_network="c1"),
        obj("promo_number", {"id_from_network": "pn1", "description": "Billboard",
                             "media_type": "Offline: Outdoor"},
            advertiser_id_from_network="a1", advertiser_campaign_id_from_network="c1"),
        obj("ring_pool", {"id_from_network": "rp2", "name": "Search", "pool_type": "Search",
                          "destination_type": "Advertiser", "max_pool_size": 4,
                          "lifetime_seconds": 600, "allow_overflow": False, "bulk": True},
            advertiser_id_from_network="a2", advertiser_campaign_id_from_network="c3"),
        obj("promo_number", {"id_from_network": "pn2", "description": "Radio",
                             "media_type": "Offline: Radio", "custom_data": {"station": "KXYZ"}},
            advertiser_id_from_network="a1", advertiser_campaign_id_from_network="c1",
            affiliate_id_from_network="p1"),
        obj("ring_pool", {"id_from_network": "rp3", "name": "Second", "max_pool_size": 3,
                          "destination_phone_number": "8056173768",
                          "pool_type": "Custom", "destination_type": "Advertiser"},
            advertiser_id_from_network="a1", advertiser_campaign_id_from_network="c1"),
        obj("promo_number", {"description": "Print", "media_type": "Offline: Newspaper"},
            advertiser_id_from_network="a2", advertiser_campaign_id_from_network="c3"),
    ],
}
#: what each sandbox issues itself (numbers from its inventory, pool keys from its seed):
#: present on both sides, compared by shape only (fidelity WP3)
ISSUED = ("api_key", "overflow_number", "promo_number", "promo_numbers", "sample_api_url",
          "test_click_url")


def campaign_path(adv: str, camp: str, action: str = "") -> str:
    return (f"/api/{VERSION}/{NETWORK}/advertisers/{adv}/advertiser_campaigns/{camp}"
            f"{'/' + action if action else ''}.json")


#: what the source's API is asked after its world loaded: campaigns made live (one with
#: staged changes), archived, unarchived, a campaign created live then archived, a second
#: Destination for a ring pool
SOURCE_CHANGES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", campaign_path("a1", "c1", "go_live"), None),
    ("PUT", campaign_path("a1", "c1"), {"description": "Staged", "url": "https://x.example"}),
    ("POST", campaign_path("a2", "c3", "go_live"), None),
    ("POST", campaign_path("a1", "c2", "archive"), None),
    ("POST", campaign_path("a2", "c4", "archive"), None),
    ("POST", campaign_path("a2", "c4", "unarchive"), None),
    ("POST", f"/api/{VERSION}/{NETWORK}/advertisers/a2/advertiser_campaigns.json",
     {"id_from_network": "c5", "name": "Old Roofs", "campaign_type": "AffiliateEnabled"}),
    ("POST", campaign_path("a2", "c5", "go_live"), None),
    ("POST", campaign_path("a2", "c5", "archive"), None),
    ("PUT", f"/api/{VERSION}/{NETWORK}/advertisers/a1/advertiser_campaigns/c1/ring_pools/rp3.json",
     {"destination_phone_number": "805-555-0199", "obfuscated_tag_id": "tag123"}),
]


@pytest.fixture(scope="module")
def source() -> Iterator[ThreadedSandbox]:
    with ThreadedSandbox({"WORLD": SOURCE_WORLD}) as server:
        client = SandboxClient(server.url)
        for method, path, body in SOURCE_CHANGES:
            answer = client.request(method, path, json_body=body if body is not None else {},
                                    headers={"Authorization": TOKEN})
            assert answer.status in (200, 201), (path, answer.text)
        yield server


def no_pause(seconds: float) -> None:
    raise AssertionError(f"a pull at a high pace slept {seconds} s")


def pull(source_url: str, out: Path, *extra: str, **pacing: Any) -> int:
    pacing.setdefault("sleep", no_pause)
    return cli_world(["pull", "--base-url", source_url, "--token", TOKEN,
                      "--network-id", str(NETWORK), "--out", str(out), "--pace", "1e9",
                      *extra], **pacing)


def cli_world(argv: list[str], **pacing: Any) -> int:
    """The command as ``invoca-sandbox world ...`` runs it (through the registry), with the
    pacing seams of :func:`client.world_pull.main` when given."""
    if not pacing:
        return cli.main(["world", *argv])
    return world_pull.main(argv, **pacing)


def reads(url: str, token: str) -> dict[str, Any]:
    """Every list the pull reads (and the network), as the sandbox at ``url`` answers them."""
    client = SandboxClient(url)
    auth = {"Authorization": token}

    def get(version: str, path: str) -> Any:
        answer = client.get(f"/api/{version}/{NETWORK}/{path}", headers=auth)
        assert answer.status == 200, (path, answer.text)
        return json.loads(answer.text.replace(url, "BASE"))  # links name their sandbox

    seen: dict[str, Any] = {"network.json": get(VERSION, "network.json"),
                            "advertisers.json": get(VERSION, "advertisers.json"),
                            "affiliates.json": get(VERSION, "affiliates.json")}
    for advertiser in seen["advertisers.json"]:
        at = f"advertisers/{advertiser['id_from_network']}"
        seen[f"{at}/affiliates.json"] = get(VERSION, f"{at}/affiliates.json")
        seen[f"{at}/advertiser_campaigns.json"] = campaigns = get(
            VERSION, f"{at}/advertiser_campaigns.json")
        for campaign in campaigns:
            here = f"{at}/advertiser_campaigns/{campaign['id_from_network']}"
            for version in (VERSION, POOL_FIELDS_VERSION):
                seen[f"{version}:{here}/ring_pools.json"] = get(version, f"{here}/ring_pools.json")
            seen[f"{here}/promo_numbers.json"] = get(VERSION, f"{here}/promo_numbers.json")
            seen[f"{here}/affiliate_campaigns.json"] = heldc = get(
                VERSION, f"{here}/affiliate_campaigns.json")
            for item in heldc:
                path = (f"{here}/affiliates/{item['affiliate_id_from_network']}/"
                        f"affiliate_campaigns/promo_numbers.json")
                seen[path] = get(VERSION, path)
    return seen


def masked(value: Any) -> Any:
    """``value`` with what a sandbox issues itself replaced by its shape."""
    if isinstance(value, dict):
        return {k: (type(v).__name__ if k in ISSUED else masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


@pytest.fixture(scope="module")
def pulled_file(source: ThreadedSandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pull") / "world.json"
    assert pull(source.url, out, "--include-secrets", "--quiet") == 0
    return out


def test_same_reads_answered_when_a_pulled_world_is_served(
    source: ThreadedSandbox, pulled_file: Path,
) -> None:
    with ThreadedSandbox({"WORLD": read_world(pulled_file)}) as copy:
        assert SandboxClient(copy.url).world["api_token"] == TOKEN
        before, after = reads(source.url, TOKEN), reads(copy.url, TOKEN)
    assert list(after) == list(before)
    for path, body in before.items():
        assert masked(after[path]) == masked(body), path
    assert len(before) > 20


def test_statuses_and_pool_settings_kept_when_pulled(pulled_file: Path) -> None:
    with ThreadedSandbox({"WORLD": read_world(pulled_file)}) as copy:
        seen = reads(copy.url, TOKEN)
    statuses = {item["affiliate_id_from_network"]: item["status"]
                for item in seen["advertisers/a1/advertiser_campaigns/c1/affiliate_campaigns.json"]}
    assert statuses == {"p1": "Approved", "p2": "Applied", "p3": "Declined"}
    [suspended] = seen["advertisers/a1/advertiser_campaigns/c2/affiliate_campaigns.json"]
    assert suspended["status"] == "Suspended"
    campaigns = [*seen["advertisers/a1/advertiser_campaigns.json"],
                 *seen["advertisers/a2/advertiser_campaigns.json"]]
    assert {c["id_from_network"]: c["status"] for c in campaigns} == {
        "c1": "Live", "c2": "Archived", "c3": "Live", "c4": "Paused", "c5": "Archived"}
    [spring] = [c for c in campaigns if c["id_from_network"] == "c1"]
    assert spring["current_terms"]["url"] == "https://www.example.com"
    assert spring["future_terms"]["url"] == "https://x.example"
    legacy = seen[f"{POOL_FIELDS_VERSION}:advertisers/a1/advertiser_campaigns/c1/ring_pools.json"]
    assert [(p["id_from_network"], p["pool_type"], p["param2"], p["lifetime_seconds"])
            for p in legacy] == [("rp1", "Custom", "gclid", 900), ("rp3", "Custom", "", 1800)]
    [_, second] = seen[f"{VERSION}:advertisers/a1/advertiser_campaigns/c1/ring_pools.json"]
    assert [d["destination_phone_number"] for d in second["customer_phone_numbers"]] == [
        "8056173768", "8055550199"]
    assert second["default_customer_phone_number"]["js_tag"] == {"obfuscated_tag_id": "tag123"}
    [search] = seen[f"{VERSION}:advertisers/a2/advertiser_campaigns/c3/ring_pools.json"]
    assert (search["bulk"], search["allow_overflow"], search["max_pool_size"]) == (True, False, 4)


def test_no_secret_written_when_pulled_without_include_secrets(
    source: ThreadedSandbox, tmp_path: Path,
) -> None:
    out = tmp_path / "world.json"
    assert pull(source.url, out, "--quiet") == 0
    text = out.read_text(encoding="utf-8")
    assert TOKEN not in text and "REFRESHSECRET" not in text and "USERSECRET" not in text
    assert "chris@example.com" in text
    world = json.loads(text)
    assert world["tokens"] == [{"token": "", "role": "network", "network_id": NETWORK}]
    with ThreadedSandbox({"WORLD": world}) as copy:
        drawn = SandboxClient(copy.url).world["api_token"]
        answer = SandboxClient(copy.url).get(f"/api/{VERSION}/{NETWORK}/advertisers.json",
                                             headers={"Authorization": drawn})
    assert answer.status == 200
    assert [a.get("oauth_refresh_token") for a in answer.json()] == [None, None]


def test_exit_2_with_one_line_when_the_token_is_refused(
    source: ThreadedSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "world.json"
    status = cli_world(["pull", "--base-url", source.url, "--token", "wrong",
                        "--network-id", str(NETWORK), "--out", str(out), "--pace", "1e9"])
    err = capsys.readouterr().err
    assert status == 2
    assert "refused the token (401" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_exit_2_when_the_network_is_not_the_tokens(
    source: ThreadedSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "world.json"
    status = cli_world(["pull", "--base-url", source.url, "--token", TOKEN,
                        "--network-id", "8", "--out", str(out), "--pace", "1e9", "--quiet"])
    assert status == 2
    assert "world pull:" in capsys.readouterr().err
    assert not out.exists()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_message_names_the_source_when_it_is_unreachable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "world.json"
    url = f"http://127.0.0.1:{free_port()}"
    status = cli_world(["pull", "--base-url", url, "--token", TOKEN, "--network-id", "7",
                        "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert err.startswith(f"invoca-sandbox world pull: cannot reach {url}")
    assert len(err.splitlines()) == 1
    assert not out.exists()


def test_existing_file_untouched_when_the_pull_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "world.json"
    out.write_text("{}", encoding="utf-8")
    url = f"http://127.0.0.1:{free_port()}"
    assert cli_world(["pull", "--base-url", url, "--token", TOKEN, "--network-id", "7",
                      "--out", str(out), "--quiet"]) == 2
    assert out.read_text(encoding="utf-8") == "{}"
    assert list(tmp_path.iterdir()) == [out]


class FakeTime:
    """A clock that moves only when slept on (and by each request's cost)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_requests_paced_when_a_pace_is_given(source: ThreadedSandbox) -> None:
    fake = FakeTime()
    starts: list[float] = []
    paced = Source(source.url, TOKEN, pace=4, sleep=fake.sleep, clock=fake.clock,
                   on_request=lambda: starts.append(fake.now))
    world, _ = pull_world(paced, NETWORK)
    assert world["networks"] == [{"id": NETWORK, "name": "Acme Network"}]
    assert paced.requests == len(starts) > 10
    assert [b - a for a, b in itertools.pairwise(starts)] == [0.25] * (len(starts) - 1)
    assert fake.slept == [0.25] * (len(starts) - 1)


def test_progress_shown_on_a_terminal_unless_quiet(
    source: ThreadedSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: stderr is a terminal
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    assert pull(source.url, tmp_path / "loud.json") == 0
    loud = capsys.readouterr()
    assert "Pulling network 7" in loud.err and "objects read" in loud.err
    assert "Pulled network 7 (Acme Network): 2 advertisers, 3 affiliates" in loud.err
    assert loud.out == ""
    assert pull(source.url, tmp_path / "quiet.json", "--quiet") == 0
    quiet = capsys.readouterr()
    assert quiet.err == "" and quiet.out == ""


def test_only_the_summary_line_shown_when_stderr_is_not_a_terminal(
    source: ThreadedSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert pull(source.url, tmp_path / "log.json") == 0
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("Pulled network 7 (Acme Network): 2 advertisers, 3 affiliates")
    assert line.endswith(f"requests -> {tmp_path / 'log.json'}")


def test_world_written_to_standard_output_when_out_is_a_dash(
    source: ThreadedSandbox, capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli_world(["pull", "--base-url", source.url, "--token", TOKEN, "--network-id", "7",
                      "--out", "-", "--pace", "1e9", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["networks"][0]["id"] == NETWORK


def test_refused_when_out_is_not_json(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      ) -> None:
    assert cli_world(["pull", "--base-url", "http://127.0.0.1:9", "--token", TOKEN,
                      "--network-id", "7", "--out", str(tmp_path / "w.toml")]) == 2
    assert "*.json" in capsys.readouterr().err


def test_token_read_from_the_environment_when_not_given(
    source: ThreadedSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INVOCA_API_TOKEN", TOKEN)
    out = tmp_path / "world.json"
    assert cli_world(["pull", "--base-url", source.url, "--network-id", "7", "--out",
                      str(out), "--pace", "1e9", "--quiet"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["objects"]


def test_same_file_written_when_pulled_twice(source: ThreadedSandbox, tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert pull(source.url, first, "--quiet") == 0
    assert pull(source.url, second, "--quiet") == 0
    assert first.read_bytes() == second.read_bytes()


def test_nothing_written_when_a_read_fails_midway(
    source: ThreadedSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    client = SandboxClient(source.url)
    client.add_fault(operation="listPromoNumber", status=500, count=1)
    out = tmp_path / "world.json"
    try:
        status = pull(source.url, out, "--quiet")
    finally:
        client.clear_faults()
    err = capsys.readouterr().err
    assert status == 2
    assert "promo_numbers.json answered 500" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def small_world(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"networks": [{"id": NETWORK, "name": "Small"}],
            "tokens": [{"token": TOKEN, "role": "network", "network_id": NETWORK}],
            "objects": [obj("advertiser", {"id_from_network": "a1", "name": "A"}),
                        obj("advertiser_campaign", {"id_from_network": "c1", "name": "C"},
                            advertiser_id_from_network="a1"),
                        *objects]}


def test_warning_shown_when_a_status_cannot_be_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    world = small_world(obj("affiliate", {"id_from_network": "p1", "name": "P"}),
                        held("a1", "c1", "p1", status="Applied"),
                        held("a1", "c1", "p1", status="Declined"))
    with ThreadedSandbox({"WORLD": world}) as small:
        answer = SandboxClient(small.url).request(
            "PUT", campaign_path("a1", "c1"), json_body={"auto_approve": "All"},
            headers={"Authorization": TOKEN})
        assert answer.status == 200
        assert pull(small.url, tmp_path / "world.json") == 0
    err = capsys.readouterr().err
    assert ("warning: affiliate campaign a1/c1/p1: status Declined cannot be reached from "
            "Approved; it loads as Approved") in err


def test_valid_numbers_asked_for_when_the_fictional_range_cannot_hold_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    numbers = [obj("promo_number", {"id_from_network": f"n{i}", "description": "TV",
                                    "media_type": "Offline: TV"},
                   advertiser_id_from_network="a1", advertiser_campaign_id_from_network="c1")
               for i in range(710)]
    with ThreadedSandbox({"WORLD": small_world(*numbers), "NUMBERS": "valid"}) as big:
        out = tmp_path / "world.json"
        assert pull(big.url, out) == 0
    assert "([settings] numbers = valid)" in capsys.readouterr().err
    world = read_world(out)
    assert world["settings"] == {"numbers": "valid"}
    with ThreadedSandbox({"WORLD": world}) as copy:
        client = SandboxClient(copy.url)
        listed = client.get(f"/api/{VERSION}/{NETWORK}/advertisers/a1/advertiser_campaigns/c1/"
                            f"promo_numbers.json",
                            headers={"Authorization": client.world["api_token"]})
    assert len(listed.json()) == 710
