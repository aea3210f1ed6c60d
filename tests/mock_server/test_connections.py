"""A served sandbox against slow, broken and competing connections: a body cut short is never
applied, slow clients do not freeze it, a port is served by one sandbox, and stopping or
killing ``serve`` stops its server."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import pytest

from tests.mock_server.test_serve import ROOT, free_port, get, running_server, server_params

pytestmark = pytest.mark.server

NI_POOL = "/api/2016-10-01/{network}/advertisers/{advertiser}/advertiser_campaigns/{campaign}/" \
          "ring_pools/{pool}.json"


def raw_request(base: str, head: str, body: bytes, *, announced: int) -> bytes:
    """Send ``head`` with ``Content-Length: announced`` and ``body`` (half-closing the
    connection when the body is short: the client is gone) and return what the server
    answers (if anything) before it closes."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"{head}\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Connection: close\r\nContent-Length: {announced}\r\n\r\n".encode()
                     + body)
        if len(body) < announced:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return answer


def export(base: str) -> Any:
    return json.loads(get(f"{base}/_sandbox/state")[1])


@pytest.mark.parametrize("server", server_params())
def test_truncated_body_changes_nothing_when_the_client_disconnects_mid_body(
        server: str) -> None:
    with running_server("--server", server, "--clock", "manual") as (base, _):
        world = json.loads(get(f"{base}/_sandbox/world")[1])
        pool = NI_POOL.format(network=world["network_id"],
                              advertiser=world["advertiser_id_from_network"],
                              campaign=world["advertiser_campaign_id_from_network"],
                              pool=world["ring_pool"]["id_from_network"])
        before = export(base)
        put = f"PUT {pool} HTTP/1.1\r\nAuthorization: {world['api_token']}"
        resize = b'{"pool_type": "Custom", "destination_type": "Advertiser", "max_pool_size": 3}'
        for head, body in (
            (put, resize),
            ("POST /_sandbox/clock HTTP/1.1", b'{"advance_seconds": 3600}'),
        ):
            answer = raw_request(base, head, body, announced=len(body) + 40)
            assert not answer or answer.startswith(b"HTTP/1.1 400"), answer
            if answer:
                assert b'"class":"IncompleteBody"' in answer
        assert export(base) == before
        # the same requests complete are applied (the refusal was the missing bytes)
        answer = raw_request(base, put, resize, announced=len(resize))
        assert answer.startswith(b"HTTP/1.1 200"), answer
        assert export(base) != before
