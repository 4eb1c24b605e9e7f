"""The state featurizer: what an agent observes about the book, and its quantile bins.

One row per book state, six features:

- ``spread_ticks``: best ask minus best bid, in ticks;
- ``imbalance_1``: ``(bid - ask) / (bid + ask)`` of the sizes at the touch;
- ``imbalance_5``: the same over the first five levels of each side;
- ``volatility_1s``: square root of the summed squared log mid returns over the past second;
- ``trade_rate``: trades (aggregate) over the past second;
- ``touch_size``: bid plus ask size at the touch.

Bins are quantiles (quartiles by default) fixed from the live side, so both sides are binned
alike; a state is the tuple of its six bin numbers.
"""

from __future__ import annotations

import numpy as np

from rlx_lib.rl.convert import UNIT

__all__ = ["FEATURES", "Bins", "featurize"]

FEATURES = (
    "spread_ticks",
    "imbalance_1",
    "imbalance_5",
    "volatility_1s",
    "trade_rate",
    "touch_size",
)
_SECOND = 1_000_000_000


def featurize(
    levels: np.ndarray, exch_ns: np.ndarray, trade_ns: np.ndarray, tick: int
) -> np.ndarray:
    """Feature rows ``(states, 6)`` for book states ``(states, 2, depth, 2)`` (-1 empty)."""
    price = levels[:, :, :, 0].astype(np.float64)
    size = np.where(levels[:, :, :, 1] > 0, levels[:, :, :, 1], 0).astype(np.float64) / UNIT
    bid, ask = price[:, 0, 0], price[:, 1, 0]
    valid = (bid > 0) & (ask > 0)
    spread = np.where(valid, (ask - bid) / tick, np.nan)
    bid_1, ask_1 = size[:, 0, 0], size[:, 1, 0]
    bid_5, ask_5 = size[:, 0, :5].sum(axis=1), size[:, 1, :5].sum(axis=1)
    mid = np.where(valid, (bid + ask) / 2, np.nan)
    returns = np.diff(np.log(mid), prepend=np.nan)
    squared = np.concatenate([[0.0], np.cumsum(np.nan_to_num(returns[1:] ** 2))])
    since = np.searchsorted(exch_ns, exch_ns - _SECOND, side="right")
    volatility = np.sqrt(squared[np.arange(exch_ns.size)] - squared[since])
    trades = np.sort(trade_ns)
    rate = np.searchsorted(trades, exch_ns, side="right") - np.searchsorted(
        trades, exch_ns - _SECOND, side="right"
    )
    return np.column_stack(
        [
            spread,
            _ratio(bid_1 - ask_1, bid_1 + ask_1),
            _ratio(bid_5 - ask_5, bid_5 + ask_5),
            volatility,
            rate.astype(np.float64),
            bid_1 + ask_1,
        ]
    )


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    return np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)


class Bins:
    """Quantile bin edges per feature, fixed from one (live) feature matrix."""

    def __init__(self, reference: np.ndarray, quantiles: int = 4) -> None:
        rows = reference[~np.isnan(reference).any(axis=1)]
        levels = np.linspace(0, 1, quantiles + 1)[1:-1]
        self.edges = [
            np.unique(np.quantile(rows[:, j], levels)) if rows.size else np.zeros(0)
            for j in range(reference.shape[1])
        ]
        self.sizes = [edge.size + 1 for edge in self.edges]

    def digitize(self, features: np.ndarray) -> np.ndarray:
        """Bin numbers ``(states, features)``; rows with a missing feature are dropped."""
        rows = features[~np.isnan(features).any(axis=1)]
        return np.column_stack(
            [np.searchsorted(edge, rows[:, j], side="right") for j, edge in enumerate(self.edges)]
        ).astype(np.int64)

    def state_ids(self, features: np.ndarray) -> np.ndarray:
        """One integer per state (mixed radix over the bins)."""
        digits = self.digitize(features)
        ids = np.zeros(digits.shape[0], dtype=np.int64)
        for j, size in enumerate(self.sizes):
            ids = ids * size + digits[:, j]
        return ids

    def describe(self, state: int) -> dict[str, int]:
        """The bin number of each feature in a state id."""
        digits = {}
        for name, size in zip(reversed(FEATURES), reversed(self.sizes), strict=True):
            digits[name] = int(state % size)
            state //= size
        return dict(reversed(list(digits.items())))
