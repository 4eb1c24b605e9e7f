"""Two synthetic regimes over one time window: trades, stylized facts and two-sample tests.

The marimo notebook ``60_regimes.py`` picks a symbol, two regimes and a window; these helpers
query each session's data root through DuckDB (``trades_window.sql``, ``window_facts.sql``).
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import polars as pl

from rlx_lib.synth import DEFAULT_START, synthesize
from workbench import db
from workbench.pages.regimes import compare_windows

__all__ = [
    "labelled_sessions",
    "session",
    "window_bounds",
    "window_facts",
    "window_tests",
    "window_trades",
]


@functools.cache
def session(symbol: str, regime: str, *, minutes: float, seed: int) -> Path:
    """A synthetic vendor view of one symbol and regime in a fresh temporary data root.

    Synthesized once per process for the same arguments (the notebook reruns cells often).
    """
    root = Path(tempfile.mkdtemp(prefix=f"rlx_{regime}_"))
    return synthesize(
        root, symbols=[symbol], regime=regime, minutes=minutes, seed=seed, views=("lake",)
    ).root


def labelled_sessions(
    symbol: str, regimes: Sequence[str], *, minutes: float, seed: int
) -> dict[str, Path]:
    """:func:`session` of each regime, labelled "A: high", "B: low", ... in order."""
    labels = (chr(ord("A") + index) for index in range(len(regimes)))
    return {
        f"{label}: {regime}": session(symbol, regime, minutes=minutes, seed=seed)
        for label, regime in zip(labels, regimes, strict=True)
    }


def window_bounds(
    seconds: Sequence[float], *, start: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of a window given in seconds after the session start."""
    origin = start or DEFAULT_START
    first, last = seconds
    return origin + dt.timedelta(seconds=first), origin + dt.timedelta(seconds=last)


def window_trades(
    roots: Mapping[str, Path], *, symbol: str, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Trades of every named data root in the window, with ``window``, ``gap_ms`` and
    ``log10_size`` columns (the name of the root, time since the previous trade, log size)."""
    frames = []
    for name, root in roots.items():
        database = db.connect(root)
        try:
            trades = database.query("trades_window", symbol=symbol, start=start, end=end)
        finally:
            database.close()
        frames.append(
            trades.with_columns(
                window=pl.lit(name),
                gap_ms=pl.col("gap_ns") / 1e6,
                log10_size=pl.col("quantity").log10(),
            )
        )
    return pl.concat(frames)


def window_facts(
    roots: Mapping[str, Path], *, symbol: str, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Stylized facts of every named data root in the window, one row each."""
    frames = []
    for name, root in roots.items():
        database = db.connect(root)
        try:
            facts = database.query("window_facts", symbol=symbol, start=start, end=end)
        finally:
            database.close()
        frames.append(facts.with_columns(window=pl.lit(name)))
    return pl.concat(frames)


def window_tests(trades: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Kolmogorov-Smirnov tests between two named windows of :func:`window_trades` rows."""
    first, second = names
    return compare_windows(trades.filter(window=first), trades.filter(window=second))
