"""Failure reproductions: curl commands that run in bash (contracts.reproduction), and a contract
run against a broken sandbox whose summary prints each failure once, whole, with the requests
that led up to it; replayed after a reset, they fail the same way."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.reproduction import (
    MAX_SHOWN,
    Recorder,
    Sent,
    curl,
    secrets_of,
)
from contracts.target import Target
from tests.contracts.sandbox_thread import serving

ROOT = Path(__file__).resolve().parents[2]

#: a bash function standing in for curl: prints each argument on a line, then what it read
FAKE_CURL = 'curl() { for a in "$@"; do printf "<%s>\\n" "$a"; done; [ -t 0 ] || cat; }\n'


def sent(method: str = "POST", url: str = "http://h/x", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> Sent:
    return Sent(method=method, url=url, headers=tuple((headers or {}).items()), body=body,
                status=200)


def run_bash(script: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                            timeout=60, check=True, env=env, stdin=subprocess.DEVNULL)
    return result.stdout


def test_body_with_quotes_is_one_argument_when_rendered() -> None:
    body = b'{"name": "O\'Brien \\"the\\" $HOME `id`", "n": 1}'
    command = curl(sent(body=body, headers={"Content-Type": "application/json"}))
    words = shlex.split(command)
    assert words[words.index("--data-raw") + 1] == body.decode()
    assert words[words.index("-H") + 1] == "Content-Type: application/json"
    assert run_bash(FAKE_CURL + command).splitlines()[-2] == f"<{body.decode()}>"


def test_query_string_stays_whole_when_rendered() -> None:
    url = "http://h/api/x.json?a=1&b=it%27s&c=$PATH;rm"
    command = curl(sent("GET", url))
    assert shlex.split(command)[-1] == url
    assert shlex.split(command)[:5] == ["curl", "-sS", "-i", "-X", "GET"]


def test_default_headers_are_left_to_curl_when_rendered() -> None:
    command = curl(sent("GET", headers={"User-Agent": "python-requests/2", "Accept": "*/*",
                                        "Connection": "keep-alive", "X-Custom": "a b 'c'"}))
    assert shlex.split(command) == ["curl", "-sS", "-i", "-X", "GET", "-H", "X-Custom: a b 'c'",
                                    "http://h/x"]


def test_binary_body_goes_through_printf_when_not_text() -> None:
    body = bytes(range(256)) + b"%s\\n"
    command = curl(sent(body=body))
    assert command.startswith("printf ")
    assert "--data-binary @-" in command
    out = subprocess.run(["bash", "-c", FAKE_CURL + command], capture_output=True,
                         timeout=60, check=True, stdin=subprocess.DEVNULL).stdout
    assert out.endswith(body)


def test_head_uses_curl_s_head_flag_when_rendered() -> None:
    assert shlex.split(curl(sent("HEAD")))[:4] == ["curl", "-sS", "-i", "-I"]


def test_request_too_long_to_print_says_so_when_rendered() -> None:
    command = curl(sent(body=b"9" * (MAX_SHOWN + 1)))
    assert command.startswith("# POST http://h/x")
    assert "too long to print" in command


def test_secrets_become_shell_variables_when_the_target_is_no_sandbox() -> None:
    secrets = secrets_of([("token", "s3cr3t-token"), ("ring_pool_key", "KEY1234")])
    command = curl(sent("GET", "http://h/x?ring_pool_key=KEY1234&a=1",
                        headers={"Authorization": "Bearer s3cr3t-token"}), secrets)
    assert "s3cr3t-token" not in command and "KEY1234" not in command
    env = {"PATH": "/usr/bin:/bin", "INVOCA_API_TOKEN": "tok'en", "INVOCA_RING_POOL_KEY": "k"}
    lines = run_bash(FAKE_CURL + command, env).splitlines()
    assert "<Authorization: Bearer tok'en>" in lines
    assert lines[-1] == "<http://h/x?ring_pool_key=k&a=1>"


def test_basic_credentials_are_encoded_in_bash_when_hidden() -> None:
    secrets = secrets_of([("basic", "dXNlcjpwYXNz")])  # user:pass
    command = curl(sent("GET", headers={"Authorization": "Basic dXNlcjpwYXNz"}), secrets)
    assert "dXNlcjpwYXNz" not in command
    env = {"PATH": "/usr/bin:/bin", "INVOCA_BASIC": "user:pass"}
    assert "<Authorization: Basic dXNlcjpwYXNz>" in run_bash(FAKE_CURL + command, env)


def test_scenario_starts_at_a_reset_and_leaves_out_control_reads_when_recorded() -> None:
    with serving() as base:
        session = requests.Session()
        recorder = Recorder()
        recorder.install(session)
        session.get(f"{base}/_sandbox/health")
        session.post(f"{base}/_sandbox/reset")
        first = session.post(f"{base}/_sandbox/clock", json={"advance_seconds": 5})
        session.get(f"{base}/_sandbox/clock")
        session.post(f"{base}/_sandbox/clock", json={"advance_seconds": 7})
        leading = recorder.leading_to(first)
        assert [s.label for s in leading] == ["POST /_sandbox/reset", "POST /_sandbox/clock"]
        everything = recorder.reproduction()
        assert len(everything.commands) == 3
        assert everything.since == "POST /_sandbox/reset"
        assert '{"advance_seconds": 7}' in everything.failing


# ---------------------------------------------------------------------------- a broken sandbox


def post(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


@pytest.fixture
def broken() -> Iterator[str]:
    with serving() as base:
        yield base


def contract(base: str, suite: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "contract", "--base-url", base,
         "--profile", "dev", "--suite", suite],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 1, result.stdout[-3000:]
    return result.stdout.split("invoca contract summary", 1)[1]


def failure_block(summary: str, title: str) -> list[str]:
    """The summary's lines of the failure titled ``title`` (its message and reproduction)."""
    lines = summary.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(f": {title}"))
    block = []
    for line in lines[start + 1:]:
        if not line.startswith("      "):
            break
        block.append(line[6:])
    return block


def commands_of(block: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(block) if line.startswith("reproduce (bash"))
    return [line.strip() for line in block[start + 1:] if not line.lstrip().startswith("#")]


def replay(commands: list[str]) -> list[str]:
    """Each command's output (curl -i: status line, headers, body), run in one bash."""
    marker = "=====contract-replay====="
    script = f"\necho {marker}\n".join(commands)
    return run_bash(script).split(f"{marker}\n")


def status_and_body(output: str) -> tuple[int, str]:
    head, _, body = output.replace("\r\n", "\n").partition("\n\n")
    return int(head.split()[1]), body


def test_stateful_failure_replays_from_its_reset_when_allocation_reuses_a_held_number(
        broken: str) -> None:
    post(f"{broken}/_sandbox/faults", {"switch": "reuse_held_number"})
    summary = contract(broken, "allocation")
    titles = [line for line in summary.splitlines() if "handed to contract-" in line]
    assert len(titles) == 1, summary  # once: shrinking found it again at other instants
    title = titles[0].split("RingPool allocation: ", 1)[1]
    assert summary.count(title) == 1
    commands = commands_of(failure_block(summary, title))
    assert commands[0] == f"curl -sS -i -X POST {broken}/_sandbox/reset"
    assert len(commands) >= 3
    assert all("allocate_number" in c or "_sandbox/" in c for c in commands[1:])

    outputs = replay(commands)  # from the reset it starts with; the switch stays on
    numbers = [re.findall(r"\d{10}", status_and_body(output)[1])[:1]
               for command, output in zip(commands, outputs, strict=True)
               if "allocate_number" in command]
    assert all(numbers), outputs
    # the failing allocation answers a number an earlier allocation still holds
    assert numbers[-1] in numbers[:-1], numbers


def test_failure_message_is_printed_once_and_whole_with_its_leading_requests_when_replayed(
        broken: str) -> None:
    post(f"{broken}/_sandbox/faults", {"switch": "wrong_upsert_status"})
    summary = contract(broken, "idempotency")
    title = "PUT of a missing advertiser answered 201; documented [200] (upsert)"
    assert summary.count(title) == 1, summary
    block = failure_block(summary, title)
    message = block[0]
    assert message.startswith("answered 201 application/json")
    printed_body = message.split(": ", 1)[1]
    commands = commands_of(block)
    assert [shlex.split(c)[4] for c in commands] == ["POST", "POST", "GET", "PUT"]
    assert "contract-advertiser-1-put" in commands[-1]

    post(f"{broken}/_sandbox/reset")  # the fault switch stays on
    outputs = replay(commands)
    assert [status_and_body(output)[0] for output in outputs] == [200, 200, 200, 201]
    _, body = status_and_body(outputs[-1])
    assert json.loads(body) == json.loads(printed_body)  # whole: nothing cut


def test_credentials_are_hidden_only_when_the_target_is_no_sandbox() -> None:
    far = Target(base_url="https://network.example", token="far-token-1",
                 basic=("user", "pass"))
    near = Target(base_url="http://127.0.0.1:1", token="near-token-1",
                  capabilities=frozenset({"sandbox"}))
    assert {secret.variable for secret in far.secrets()} == {"INVOCA_API_TOKEN",
                                                              "INVOCA_BASIC"}
    assert near.secrets() == []


def test_failure_a_suite_did_not_record_is_printed_once_with_its_requests_when_the_test_fails(
        broken: str) -> None:
    post(f"{broken}/_sandbox/faults", {"switch": "wrong_upsert_status"})
    summary = contract(broken, "sms")
    assert "\nfailed_test: 1" in summary, summary
    title = "creating a promo number answered 200: "
    assert summary.count(title) == 1, summary
    line = next(line for line in summary.splitlines() if title in line)
    commands = commands_of(failure_block(summary, line.split(": ", 1)[1]))
    assert len(commands) == 1 and "promo_numbers.json" in commands[0]
