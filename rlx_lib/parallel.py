"""Run independent units of work: in this process, in worker processes, or on a Dask cluster.

Stages cut their work into units (a symbol-day, a symbol's files) whose results do not depend on
where they ran, then merge the results in a fixed order, so a parallel run writes what a serial
run writes. :func:`open_pool` gives the place to run; :func:`run_all` yields each unit's result
as it completes (any number of units, zero included). On Dask every unit is submitted as its own
impure task, so a unit lost with its worker is run again elsewhere; units must therefore be safe
to run twice (atomic writes, checkpoints). The scheduler's address is checked before connecting,
so a bad or unreachable address is one clear error, not a traceback.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rlx_lib.errors import ConfigError

__all__ = ["check_address", "open_pool", "run_all"]


def _connect_timeout() -> float:
    """Dask's own connect timeout (``distributed.comm.timeouts.connect``), in seconds."""
    import dask
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect")))


def check_address(address: str) -> str:
    """``address`` if it names a Dask scheduler that accepts connections, else a ConfigError.

    ``host:port`` means ``tcp://host:port``, as in Dask. TCP and TLS addresses are tried with
    one plain connection first, so a refused or unknown host fails at once.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    from distributed.comm.registry import backends

    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            msg = f"unknown scheme {scheme!r} (known: {', '.join(sorted(backends))})"
            raise ValueError(msg)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as error:
        msg = f"--cluster {address!r} is not a Dask scheduler address (tcp://host:8786): {error}"
        raise ConfigError(msg) from None
    if scheme in ("tcp", "tls"):
        try:
            with socket.create_connection((host, int(port)), timeout=_connect_timeout()):
                pass
        except OSError as error:
            reason = error.strerror or str(error) or type(error).__name__
            msg = f"cannot reach the Dask scheduler at {address}: {reason}"
            raise ConfigError(msg) from None
    return address


def _client(address: str) -> Any:
    """A ``distributed.Client`` connected to ``address`` (checked first)."""
    from distributed import Client

    check_address(address)
    try:
        return Client(address)
    except (OSError, ValueError) as error:
        msg = f"cannot connect to the Dask scheduler at {address}: {error}"
        raise ConfigError(msg) from None


@contextlib.contextmanager
def open_pool(*, workers: int = 1, cluster: str | Any | None = None) -> Iterator[Any]:
    """Where units run: a Dask client, a pool of ``workers`` processes, or None (this process).

    ``cluster`` is a scheduler address (``tcp://host:8786``), closed on exit, or an open pool
    (a ``distributed.Client``-like object or an executor), left open. Without it,
    ``workers`` > 1 starts that many spawned processes.
    """
    if isinstance(cluster, str):
        client = _client(cluster)
        try:
            yield client
        finally:
            client.close()
    elif cluster is not None:
        yield cluster
    elif workers > 1:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            yield pool
    else:
        yield None


def run_all(function: Callable[..., Any], calls: Iterable[tuple], *, pool: Any) -> Iterator[Any]:
    """Results of ``function(*call)`` for every call, as they complete (in order without a pool).

    ``pool`` comes from :func:`open_pool`. ``calls`` may be any iterable, empty included.
    """
    calls = list(calls)
    if pool is None:
        for call in calls:
            yield function(*call)
        return
    if not calls:
        return
    if isinstance(pool, concurrent.futures.Executor):
        futures = [pool.submit(function, *call) for call in calls]
        for future in concurrent.futures.as_completed(futures):
            yield future.result()
        return
    from distributed import as_completed

    tasks = [pool.submit(function, *call, pure=False) for call in calls]
    for task in as_completed(tasks):
        yield task.result()
