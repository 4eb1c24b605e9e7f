"""Run many symbol-days: in this process, in worker processes, or on a Dask cluster.

The unit of work is one symbol-day. The book carries across midnight, so a day is seeded from
the previous day's final state. In this process the days of a symbol simply run in order.
In parallel, a first pass saves each symbol's book at the end of every day but the last
(:func:`~rlx_lib.reconstruction.pipeline.carry_state`: the replay alone, without top-level
reads or writes; symbols in parallel), then every symbol-day runs in parallel, seeded exactly
as in a serial run. Days before the first one asked for, whose input is there but whose final
state is not, are carried over first (:func:`days_to_carry_in`), so a range that starts
mid-stream starts from the book as it stood. Every path calls the same functions, so the
output does not depend on where it ran. A failing day is recorded with its reason and the
others carry on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rlx_lib import catalog
from rlx_lib.errors import RlxError
from rlx_lib.parallel import open_pool, run_all
from rlx_lib.reconstruction.checkpoint import final_state_path, work_folder
from rlx_lib.reconstruction.pipeline import (
    ReconstructConfig,
    Source,
    carry_state,
    reconstruct_day,
)
from rlx_lib.reconstruction.replay import has_book_input
from rlx_lib.reconstruction.result import DayResult, ReconstructResult
from rlx_lib.results import Progress, ProgressCallback

__all__ = ["carry_states", "days_to_carry_in", "reconstruct", "reconstruct_unit"]

log = logging.getLogger(__name__)


def reconstruct(
    root: Path,
    *,
    source: Source,
    symbols: Sequence[str],
    start: dt.date | str,
    end: dt.date | str,
    depth: int = 20,
    book_every: str = "message",
    workers: int = 1,
    cluster: str | Any | None = None,
    resume: bool = False,
    force: bool = False,
    checkpoint_messages: int = 20_000,
    overlap: bool = True,
    progress: ProgressCallback | None = None,
) -> ReconstructResult:
    """Rebuild the L2 book and the event stream of ``symbols`` over ``[start, end)`` (UTC days,
    end exclusive) from ``source`` (``lake`` or ``golden``) under ``root``.

    Writes ``events/``, ``book/`` (``depth`` levels a side, a row per message or per
    ``book_every`` bucket), ``issues/``, for Lake ``drift/`` and, for a golden capture holding
    ``@trade``, its single fills in ``trades/``. A day already rebuilt from
    the same inputs and settings is skipped unless ``force``; ``resume`` continues an
    interrupted day from its last checkpoint (every ``checkpoint_messages`` messages).
    ``cluster`` is a Dask scheduler address or a ``distributed.Client``-like object; else
    ``workers`` processes (1: this one). ``overlap``: write a segment on other threads while
    the next is rebuilt. ``progress`` receives a :class:`~rlx_lib.results.Progress` as each
    symbol-day finishes (its ``text``: :meth:`DayResult.summary`). A failing day is a
    ``failed`` row with its reason; the others carry on.
    """
    config = ReconstructConfig(
        root=Path(root),
        source=source,
        depth=depth,
        book_every=book_every,
        checkpoint_messages=checkpoint_messages,
        resume=resume,
        force=force,
        overlap=overlap,
    )
    days = catalog.day_range(start, end)
    rows = _run(config, list(symbols), days, workers=workers, cluster=cluster, progress=progress)
    return ReconstructResult(rows=tuple(rows))


def _guarded(
    work: Callable[[], DayResult], config: ReconstructConfig, symbol: str, day: dt.date
) -> DayResult:
    """Run one symbol-day's work; a failure becomes a ``failed`` row, not an exception."""
    try:
        return work()
    except RlxError as error:
        reason = str(error)
    except Exception as error:  # one unit must not stop the others; keep the reason
        log.debug("reconstruct %s %s failed", symbol, day, exc_info=True)
        reason = "".join(traceback.format_exception_only(type(error), error)).strip()
    return DayResult(symbol=symbol, day=day, status="failed", source=config.source, error=reason)


def reconstruct_unit(config: ReconstructConfig, symbol: str, day: dt.date) -> DayResult:
    """Reconstruct one symbol-day; a failure is a ``failed`` row with its reason.

    A failed day leaves no half-written ``*.partial`` file (a resumed run re-derives it from
    its checkpoint, which stays).
    """
    row = _guarded(lambda: reconstruct_day(config, symbol, day), config, symbol, day)
    if row.status == "failed":
        work = work_folder(config.root, source=config.source, symbol=symbol, day=day)
        for partial in work.glob("*.partial") if work.is_dir() else ():
            partial.unlink(missing_ok=True)
    return row


def carry_states(
    config: ReconstructConfig, symbol: str, days: Sequence[dt.date]
) -> list[DayResult]:
    """Save the book at the end of each of ``days`` in order (the first pass of a parallel run).

    A day that fails here leaves no state, so the next day is seeded as it would be after
    that day failed in a serial run; the day itself fails again, with its reason, when run.
    """
    return [
        _guarded(lambda d=day: carry_state(config, symbol, d), config, symbol, day) for day in days
    ]


def days_to_carry_in(root: Path, *, source: Source, symbol: str, first: dt.date) -> list[dt.date]:
    """The days just before ``first`` whose book input exists but whose final state does not,
    oldest first: carried over so ``first`` starts from the book as it stood, not from a
    fallback seed (a day that starts mid-stream)."""
    ReconstructConfig(root=Path(root), source=source)  # a bad source fails here, in one line
    days = []
    day = first - dt.timedelta(days=1)
    while not final_state_path(root, source=source, symbol=symbol, day=day).exists() and (
        has_book_input(root, source=source, symbol=symbol, day=day)
    ):
        days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


def _run(
    config: ReconstructConfig,
    symbols: list[str],
    days: list[dt.date],
    *,
    workers: int,
    cluster: str | Any | None,
    progress: ProgressCallback | None,
) -> list[DayResult]:
    """Every symbol-day, after carrying in earlier days and, in parallel, each day's final
    book (the first pass); the rows sorted by symbol and day."""
    units = [(config, symbol, day) for symbol in symbols for day in days]
    if not units:
        return []
    earlier = {
        symbol: days_to_carry_in(config.root, source=config.source, symbol=symbol, first=days[0])
        for symbol in symbols
    }
    results: list[DayResult] = []
    with open_pool(workers=workers if len(units) > 1 else 1, cluster=cluster) as pool:
        in_range = days[:-1] if pool is not None else []
        carried = [(config, symbol, earlier[symbol] + in_range) for symbol in symbols]
        for rows in run_all(carry_states, [c for c in carried if c[2]], pool=pool):
            log.info("carried over: %s", rows)
        for finished in run_all(reconstruct_unit, units, pool=pool):
            carried_in = earlier[finished.symbol] if finished.day == days[0] else []
            row = dataclasses.replace(finished, carried_in=tuple(d.isoformat() for d in carried_in))
            results.append(row)
            if progress is not None:
                unit = f"{row.symbol} {row.day}"
                progress(Progress("reconstruct", unit, len(results), len(units), row.summary()))
    return sorted(results, key=lambda row: (row.symbol, row.day))
