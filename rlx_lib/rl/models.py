"""hftbacktest set up for rlx: the price grid, named queue and latency models, a backtester.

Queue models (how far back in the level's queue a resting order sits):
``risk_averse`` (default: the order advances only on trades at its price), ``power_prob``
(cancellations ahead of the order advance it with a power-law probability, exponent 2) and
``log_prob``. Latency is constant: ``entry_ns`` from the strategy to the exchange and
``response_ns`` back; the feed latency is in the data itself (local minus exchange time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest

from rlx_lib.errors import ConfigError
from rlx_lib.rl.convert import UNIT

__all__ = [
    "NO_ASK",
    "NO_BID",
    "QUEUE_MODELS",
    "Grid",
    "Latency",
    "backtester",
    "carried_snapshot",
    "check_grid",
    "infer_grid",
]

QUEUE_MODELS = ("risk_averse", "power_prob", "log_prob")
NO_BID = int(np.iinfo(np.int64).min)
"""hftbacktest's best bid tick when the bid side is empty."""
NO_ASK = int(np.iinfo(np.int64).max)
"""hftbacktest's best ask tick when the ask side is empty."""


@dataclass(frozen=True)
class Grid:
    """Tick and lot size in 1e-8 units."""

    tick: int
    lot: int

    @property
    def tick_size(self) -> float:
        """The tick as a price."""
        return self.tick / UNIT

    @property
    def lot_size(self) -> float:
        """The lot as a quantity."""
        return self.lot / UNIT


@dataclass(frozen=True)
class Latency:
    """Constant order latency (entry and response), nanoseconds."""

    entry_ns: int = 1_000_000
    response_ns: int = 1_000_000


def infer_grid(prices: np.ndarray, sizes: np.ndarray) -> Grid:
    """The coarsest grid every price and size sits on (greatest common divisors)."""
    prices = np.abs(prices[prices != 0]).astype(np.int64)
    sizes = np.abs(sizes[sizes != 0]).astype(np.int64)
    tick = int(np.gcd.reduce(prices)) if prices.size else 1
    lot = int(np.gcd.reduce(sizes)) if sizes.size else 1
    return Grid(tick=tick, lot=lot)


def check_grid(tick: int, prices: np.ndarray) -> None:
    """Raise a one-line :class:`ConfigError` when ``tick`` does not divide every price."""
    if tick <= 0:
        msg = f"tick size must be positive, received {tick / UNIT:.8f}"
        raise ConfigError(msg)
    off = prices[prices % tick != 0]
    if off.size:
        msg = (
            f"tick size {tick / UNIT:.8f} does not divide the prices: {off.size} price(s) off "
            f"the grid, first {int(off[0]) / UNIT:.8f}"
        )
        raise ConfigError(msg)


def backtester(
    feeds: list[np.ndarray],
    grid: Grid,
    *,
    queue: str = "risk_averse",
    latency: Latency | None = None,
):
    """A ``HashMapMarketDepthBacktest`` over ``feeds`` (one array per day), no fees."""
    latency = latency or Latency()
    asset = (
        BacktestAsset()
        .data(feeds)
        .linear_asset(1.0)
        .constant_order_latency(latency.entry_ns, latency.response_ns)
        .no_partial_fill_exchange()
        .trading_value_fee_model(0.0, 0.0)
        .tick_size(grid.tick_size)
        .lot_size(grid.lot_size)
        .last_trades_capacity(10_000)
    )
    if queue == "risk_averse":
        asset = asset.risk_adverse_queue_model()
    elif queue == "power_prob":
        asset = asset.power_prob_queue_model(2.0)
    elif queue == "log_prob":
        asset = asset.log_prob_queue_model()
    else:
        msg = f"unknown queue model {queue!r}; choose one of {', '.join(QUEUE_MODELS)}"
        raise ConfigError(msg)
    return HashMapMarketDepthBacktest([asset])


def carried_snapshot(feeds: list[np.ndarray], grid: Grid) -> np.ndarray:
    """The full book at the end of ``feeds`` as hftbacktest snapshot rows (a copy)."""
    hbt = backtester(feeds, grid)
    while hbt.elapse(3_600_000_000_000) == 0:
        pass
    depth = hbt.depth(0)
    view = depth.snapshot()
    rows = np.array(view, copy=True)
    depth.snapshot_free(view)
    hbt.close()
    return rows
