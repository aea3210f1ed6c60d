"""``invoca-sandbox serve`` in a subprocess on a free loopback port: it answers, then stops."""

from __future__ import annotations

import gc
import json
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mock_server.app import create_app
from mock_server.serve import banner, main, parser, read_world
from mock_server.state import sandbox_state
from mock_server.tuning import pace_collector

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.server


def server_params() -> list[Any]:
    """granian always; waitress when it is installed (an optional server)."""
    try:
        import waitress  # noqa: F401, PLC0415
    except ImportError:
        return ["granian", pytest.param("waitress", marks=pytest.mark.skip("no waitress"))]
    return ["granian", "waitress"]

WORLD_TOML = """
[[networks]]
id = 7
name = "Acme Network"
affiliate_id_param = "pid"

[[tokens]]
token = "TOKENTOKENTOKENTOKENTOKENTOKEN12"
role = "network"
network_id = 7

[[basic_auth]]
username = "acme"
password = "secret"
role = "network"
network_id = 7

[[objects]]
type = "advertiser"
body = { id_from_network = "a1", name = "Acme" }
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@contextmanager
def running_server(*extra: str) -> Iterator[tuple[str, list[str]]]:
    """A server on a free port; yields its base URL and its (growing) stdout lines."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")),
                              daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "".join(lines)
            try:
                if get(f"{base}/_sandbox/health")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "server did not answer:\n" + "".join(lines)
            time.sleep(0.1)
        yield base, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        reader.join(timeout=5)
        stdout.close()
    assert status == 0, "".join(lines)


@pytest.mark.parametrize("server", server_params())
def test_server_answers_then_stops_cleanly_when_sent_sigterm(server: str) -> None:
    with running_server("--server", server, "--clock", "manual",
                        "--start", "2016-10-01T00:00:00Z") as (base, _):
        status, body = get(f"{base}/_sandbox/health")
        assert status == 200
        assert json.loads(body)["now"] == "2016-10-01T00:00:00Z"
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        status, body = get(f"{base}/api/2016-10-01/{world['network_id']}/advertisers.json",
                           {"Authorization": world["api_token"]})
        assert status == 200
        assert json.loads(body)[0]["id_from_network"] == world["advertiser_id_from_network"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_banner_curl_commands_work_when_run_as_printed() -> None:
    with running_server("--clock", "manual") as (_, lines):
        deadline = time.monotonic() + 10
        while not any(line.startswith("Serving on") for line in lines):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        commands = [line.strip() for line in lines if line.strip().startswith("curl ")]
        assert len(commands) == 3
        for command in commands:
            result = subprocess.run([*shlex.split(command), "-f"], capture_output=True,
                                    text=True, timeout=10, check=False)
            assert result.returncode == 0, (command, result.stderr)
            assert result.stdout


def test_world_file_is_served_when_given_as_toml(tmp_path: Path) -> None:
    world_file = tmp_path / "world.toml"
    world_file.write_text(WORLD_TOML, encoding="utf-8")
    with running_server("--world", str(world_file)) as (base, _):
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        assert world["network_id"] == 7
        assert world["api_token"] == "TOKENTOKENTOKENTOKENTOKENTOKEN12"
        status, body = get(f"{base}/api/2016-10-01/7/advertisers/a1.json",
                           {"Authorization": world["api_token"]})
        assert status == 200 and json.loads(body)["name"] == "Acme"


def test_bad_world_file_fails_with_status_2_when_serving(tmp_path: Path) -> None:
    world_file = tmp_path / "world.json"
    world_file.write_text('{"networks": []}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(free_port()),
         "--world", str(world_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "world" in result.stderr


def test_world_reader_accepts_json_and_toml_when_given_files(tmp_path: Path) -> None:
    as_json = tmp_path / "w.json"
    as_json.write_text('{"networks": [{"id": 1}]}', encoding="utf-8")
    as_toml = tmp_path / "w.toml"
    as_toml.write_text("[[networks]]\nid = 1\n", encoding="utf-8")
    expected: dict[str, Any] = {"networks": [{"id": 1}]}
    assert read_world(as_json) == expected
    assert read_world(as_toml) == expected


def test_defaults_bind_loopback_when_no_options_are_given() -> None:
    args = parser().parse_args([])
    assert (args.host, args.port, args.seed, args.clock, args.server) == (
        "127.0.0.1", 8080, 0, "system", "granian")


def test_bad_start_instant_is_a_usage_error_when_parsed() -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["--start", "yesterday"])


@pytest.mark.parametrize("server", server_params())
def test_concurrent_allocations_never_share_a_held_number_when_32_threads_allocate(
    server: str,
) -> None:
    with running_server("--server", server, "--clock", "manual", "--threads", "8") as (base, _):
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        pool = world["ring_pool"]
        url = (f"{base}/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
               f"?ring_pool_key={pool['api_key']}&param1=t")
        statuses: list[int] = []
        barrier = threading.Barrier(32)

        def allocate() -> None:
            barrier.wait()
            for _ in range(3):
                statuses.append(get(url)[0])

        threads = [threading.Thread(target=allocate) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert statuses == [200] * 96
        log = json.loads(get(f"{base}/_sandbox/allocations?ring_pool_id={pool['id']}")[1])
        assert len(log) == 96
        held = [entry["promo_number"] for entry in log if not entry["overflow"]]
        assert len(held) == 15  # max_pool_size of the demo pool; the clock never moved
        assert len(set(held)) == len(held)
        assert {entry["id"] for entry in log} == set(range(1, 97))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls_serves_https_with_a_self_signed_certificate_when_asked() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), "--tls",
         "--clock", "manual"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None
            try:
                url = f"https://127.0.0.1:{port}/_sandbox/health"
                with urllib.request.urlopen(url, timeout=5, context=context) as response:
                    assert json.loads(response.read())["status"] == "ok"
                    break
            except (OSError, ssl.SSLError):
                assert time.monotonic() < deadline
                time.sleep(0.1)
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/_sandbox/world", timeout=5,
                                    context=context) as response:
            world = json.loads(response.read())
        assert world["ring_pool"]["api_key"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output
    assert "curl -sk https://127.0.0.1:" in output


def test_tls_is_refused_when_the_server_is_waitress() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "serve", "--tls", "--server", "waitress"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "--tls needs --server granian" in result.stderr


def test_young_passes_every_pace_requests_and_same_answers_when_collector_is_paced() -> None:
    # the collector's passes come from the request count, not from allocations outnumbering
    # deallocations (a pool at its retention frees as much as it keeps: none would start)
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    plain = create_app({"SEED": 0, "CLOCK": "manual"})
    pace_collector(app, every=3)
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    pool = sandbox_state(app).platform.world_summary()["ring_pool"]
    url = (f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
           f"?ring_pool_key={pool['api_key']}&param1=x")
    gc.disable()  # (only the paced passes are counted)
    gc.callbacks.append(count)
    try:
        answers = [app.test_client().get(url).data for _ in range(60)]
    finally:
        gc.callbacks.remove(count)
        gc.enable()
    assert answers == [plain.test_client().get(url).data for _ in range(60)]
    # before requests 3, 6, ... 60: young passes, the tenth of them (30, 60) the middle one
    assert passes == [0] * 9 + [1] + [0] * 9 + [1]


def test_serve_refuses_naming_the_key_when_world_file_has_a_typo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    world_file = tmp_path / "world.toml"
    world_file.write_text(WORLD_TOML + """
[[objects]]
type = "advertiser_campaign"
advertiser_id_from_network = "a1"
body = { id_from_network = "c1", name = "Spring" }

[[objects]]
type = "ring_pool"
advertiser_id_from_network = "a1"
advertiser_campaign_id_from_network = "c1"
body = { id_from_network = "rp1", pool_type = "Custom", max_poolsize = 40 }
""", encoding="utf-8")
    assert main(["--world", str(world_file), "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'max_poolsize'" in err and "did you mean 'max_pool_size'" in err


def test_banner_prints_only_credentials_that_exist_when_world_has_no_basic_auth() -> None:
    world = read_world_text(WORLD_TOML.replace("[[basic_auth]]", "[[unused]]"))
    world.pop("unused")
    text = banner(create_app({"SEED": 0, "CLOCK": "manual", "WORLD": world}), "127.0.0.1", 1)
    assert "API token        TOKENTOKENTOKENTOKENTOKENTOKEN12" in text
    assert "HTTP Basic" not in text
    assert "ring pool" not in text and "campaign " not in text
    assert "None" not in text


def read_world_text(text: str) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads(text)
    return data
