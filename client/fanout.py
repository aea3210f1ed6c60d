"""The fan-out seam: run a network's sizing tasks serially or on Dask (``dask.distributed``).

Rules (docs/fidelity.md NS11):

* One seam: :func:`fanout` yields a ``map_tasks(function, tasks)`` (the
  :data:`simulator.network_sizing.Mapper`) returning results in the tasks' order, whoever ran
  them. simulator/ never imports Dask; this module imports it only when asked for a cluster
  (the ``network`` extra), so the serial path needs nothing more.
* Dask: a :class:`~dask.distributed.LocalCluster` of worker *processes* (the runner holds the
  GIL), one thread each, ``workers`` of them (default: this machine's cores), no dashboard;
  or, with ``scheduler`` (``tcp://host:8786``), the cluster behind that scheduler (its
  workers need this package installed). Tasks are submitted with ``pure=False`` (no hashing
  of the scenarios) and results gathered in order, so the answer is the serial one: each
  task is seeded by its pool, not by where or when it runs.
* ``progress(done, total)`` is told each finished task of each map, as it finishes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from simulator.network_sizing import Mapper

__all__ = ["fanout"]

Progress = Callable[[int, int], None]


def _serial(progress: Progress | None) -> Mapper:
    def map_tasks(function: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        results = []
        for done, task in enumerate(tasks, 1):
            results.append(function(task))
            if progress is not None:
                progress(done, len(tasks))
        return results

    return map_tasks


@contextmanager
def fanout(
    *,
    serial: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> Iterator[Mapper]:
    """A ``map_tasks`` for the duration of the block: serial, a local cluster, or the one at
    ``scheduler``. The cluster (and the client) close when the block ends."""
    if serial:
        yield _serial(progress)
        return
    if workers is not None and workers < 1:
        raise ValueError("workers must be at least 1")
    try:
        from dask.distributed import Client, LocalCluster, as_completed  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover (the test extra installs it)
        raise RuntimeError(
            "the network fan-out needs Dask: pip install 'invoca-sandbox[network]' "
            "(or use --serial)"
        ) from exc
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",  # loopback only
            dashboard_address="127.0.0.1:0",  # (None still takes :8787, busy or not)
            worker_dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)

    def map_tasks(function: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
        if not tasks:
            return []
        futures = client.map(function, list(tasks), pure=False)
        for done, _ in enumerate(as_completed(futures), 1):
            if progress is not None:
                progress(done, len(futures))
        return list(client.gather(futures))

    try:
        yield map_tasks
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
