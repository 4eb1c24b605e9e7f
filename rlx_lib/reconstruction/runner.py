"""Run many symbol-days: in this process, in worker processes, or on a Dask cluster.

The unit of work is one symbol with its days in order (the book carries across midnight from
one day to the next); symbols run in parallel. Every path calls the same
:func:`reconstruct_symbol`, so the output does not depend on where it ran. A failing day is
recorded with its reason and the others carry on.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import multiprocessing
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from rlx_lib.errors import RlxError
from rlx_lib.reconstruction.pipeline import ReconstructConfig, reconstruct_day

__all__ = ["reconstruct", "reconstruct_symbol"]

log = logging.getLogger(__name__)


def reconstruct_symbol(
    config: ReconstructConfig, symbol: str, days: Sequence[dt.date]
) -> list[dict[str, Any]]:
    """Reconstruct the days of one symbol in order; a failure is a summary row, not an exception."""
    results = []
    for day in days:
        try:
            results.append(reconstruct_day(config, symbol, day))
        except RlxError as error:
            results.append(_failure(symbol, day, str(error)))
        except Exception as error:  # one unit must not stop the others; keep the reason
            log.debug("reconstruct %s %s failed", symbol, day, exc_info=True)
            detail = "".join(traceback.format_exception_only(type(error), error)).strip()
            results.append(_failure(symbol, day, detail))
    return results


def _failure(symbol: str, day: dt.date, reason: str) -> dict[str, Any]:
    return {"symbol": symbol, "day": day.isoformat(), "status": "failed", "error": reason}


def reconstruct(
    config: ReconstructConfig,
    symbols: Sequence[str],
    days: Sequence[dt.date],
    *,
    workers: int = 1,
    cluster: str | None = None,
    progress: Callable[[list[dict[str, Any]]], None] | None = None,
) -> list[dict[str, Any]]:
    """Reconstruct every symbol-day; return one summary per symbol-day (sorted).

    ``cluster`` is a Dask scheduler address (``tcp://host:8786``) or a
    ``distributed.Client``-compatible object; otherwise ``workers`` processes (1: this one).
    """
    results: list[dict[str, Any]] = []

    def collect(rows: list[dict[str, Any]]) -> None:
        results.extend(rows)
        if progress is not None:
            progress(rows)

    if cluster is not None:
        from distributed import Client

        client = cluster if not isinstance(cluster, str) else Client(cluster)
        try:
            futures = client.map(
                reconstruct_symbol,
                [config] * len(symbols),
                list(symbols),
                [list(days)] * len(symbols),
            )
            for future in futures:
                collect(future.result())
        finally:
            if isinstance(cluster, str):
                client.close()
    elif workers <= 1 or len(symbols) <= 1:
        for symbol in symbols:
            collect(reconstruct_symbol(config, symbol, days))
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(reconstruct_symbol, config, s, list(days)) for s in symbols]
            for future in concurrent.futures.as_completed(futures):
                collect(future.result())
    return sorted(results, key=lambda row: (row["symbol"], row["day"]))
