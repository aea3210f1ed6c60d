"""client.fanout: the local Dask cluster is a good neighbour on a shared machine."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from client.fanout import fanout


@pytest.fixture
def port_8787_taken() -> Iterator[None]:
    """Dask's default dashboard port held by someone else (another cluster, another CI job)."""
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:  # already taken on this machine: the condition holds anyway
        pass
    try:
        yield
    finally:
        holder.close()


def test_local_cluster_maps_in_order_when_dasks_default_port_is_taken(
        port_8787_taken: None) -> None:
    # (warnings are errors in this suite: Dask's "Port 8787 is already in use" would fail it)
    with fanout(workers=1) as map_tasks:
        assert map_tasks(abs, [-3, 1, -2]) == [3, 1, 2]
