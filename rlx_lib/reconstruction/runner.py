"""Run many symbol-days: in this process, in worker processes, or on a Dask cluster.

The unit of work is one symbol-day. The book carries across midnight, so a day is seeded from
the previous day's final state. In this process the days of a symbol simply run in order.
In parallel, a first pass saves each symbol's book at the end of every day but the last
(:func:`~rlx_lib.reconstruction.pipeline.carry_state`: the replay alone, under a third of
the cost; symbols in parallel), then every symbol-day runs in parallel, seeded exactly as in a
serial run. Days before the first one asked for, whose input is there but whose final state is
not, are carried over first (:func:`days_to_carry_in`), so a range that starts mid-stream starts
from the book as it stood. Every path calls the same functions, so the output does not depend
on where it ran. A failing day is recorded with its reason and the others carry on.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from rlx_lib.errors import RlxError
from rlx_lib.parallel import open_pool, run_all
from rlx_lib.reconstruction.checkpoint import final_state_path, work_folder
from rlx_lib.reconstruction.pipeline import ReconstructConfig, carry_state, reconstruct_day
from rlx_lib.reconstruction.replay import has_book_input

__all__ = ["carry_states", "days_to_carry_in", "reconstruct", "reconstruct_unit"]

log = logging.getLogger(__name__)


def _guarded(work: Callable[[], dict[str, Any]], symbol: str, day: dt.date) -> dict[str, Any]:
    """Run one symbol-day's work; a failure becomes a summary row, not an exception."""
    try:
        return work()
    except RlxError as error:
        reason = str(error)
    except Exception as error:  # one unit must not stop the others; keep the reason
        log.debug("reconstruct %s %s failed", symbol, day, exc_info=True)
        reason = "".join(traceback.format_exception_only(type(error), error)).strip()
    return {"symbol": symbol, "day": day.isoformat(), "status": "failed", "error": reason}


def reconstruct_unit(config: ReconstructConfig, symbol: str, day: dt.date) -> dict[str, Any]:
    """Reconstruct one symbol-day; a failure is a summary row with its reason.

    A failed day leaves no half-written ``*.partial`` file (a resumed run re-derives it from
    its checkpoint, which stays).
    """
    row = _guarded(lambda: reconstruct_day(config, symbol, day), symbol, day)
    if row["status"] == "failed":
        work = work_folder(config.root, source=config.source, symbol=symbol, day=day)
        for partial in work.glob("*.partial") if work.is_dir() else ():
            partial.unlink(missing_ok=True)
    return row


def carry_states(
    config: ReconstructConfig, symbol: str, days: Sequence[dt.date]
) -> list[dict[str, Any]]:
    """Save the book at the end of each of ``days`` in order (the first pass of a parallel run).

    A day that fails here leaves no state, so the next day is seeded as it would be after
    that day failed in a serial run; the day itself fails again, with its reason, when run.
    """
    return [_guarded(lambda d=day: carry_state(config, symbol, d), symbol, day) for day in days]


def days_to_carry_in(config: ReconstructConfig, symbol: str, first: dt.date) -> list[dt.date]:
    """The days just before ``first`` whose book input exists but whose final state does not,
    oldest first: carried over so ``first`` starts from the book as it stood, not from a
    fallback seed (a day that starts mid-stream)."""
    days = []
    day = first - dt.timedelta(days=1)
    while not final_state_path(
        config.root, source=config.source, symbol=symbol, day=day
    ).exists() and has_book_input(config.root, source=config.source, symbol=symbol, day=day):
        days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def reconstruct(
    config: ReconstructConfig,
    symbols: Sequence[str],
    days: Sequence[dt.date],
    *,
    workers: int = 1,
    cluster: str | Any | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Reconstruct every symbol-day; return one summary per symbol-day (sorted).

    ``cluster`` is a Dask scheduler address (``tcp://host:8786``) or a
    ``distributed.Client``-compatible object; otherwise ``workers`` processes (1: this one).
    ``on_result`` receives each summary as its symbol-day finishes (for progress).
    """
    days = sorted(days)
    units = [(config, symbol, day) for symbol in symbols for day in days]
    if not units:
        return []
    earlier = {symbol: days_to_carry_in(config, symbol, days[0]) for symbol in symbols}
    with open_pool(workers=workers if len(units) > 1 else 1, cluster=cluster) as pool:
        in_range = days[:-1] if pool is not None else []
        carried = [(config, symbol, earlier[symbol] + in_range) for symbol in symbols]
        for rows in run_all(carry_states, [c for c in carried if c[2]], pool=pool):
            log.info("carried over: %s", rows)
        results = []
        for row in run_all(reconstruct_unit, units, pool=pool):
            if row["day"] == days[0].isoformat() and earlier[row["symbol"]]:
                row["carried_in"] = [day.isoformat() for day in earlier[row["symbol"]]]
            results.append(row)
            if on_result is not None:
                on_result(row)
    return sorted(results, key=lambda row: (row["symbol"], row["day"]))
