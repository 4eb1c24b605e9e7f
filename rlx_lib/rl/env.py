"""``MarketEnv``: a gymnasium environment over one reconstructed window, hftbacktest underneath.

- Observation: the six state features (:mod:`rlx_lib.rl.features`) of the latest book state the
  agent has received (exchange time plus the feed latency at or before the clock), float32;
  a missing feature reads 0; each is clipped into the space's finite bounds.
- Actions (``Discrete(5)``): 0 hold (keep open orders), 1 quote bid and ask at the touch,
  2 quote them one tick behind the touch, 3 take: buy at the best ask, 4 take: sell at the best
  bid. Quotes replace the open ones; every order is ``qty``; no buying past ``limit`` long nor
  selling past ``limit`` short.
- Reward: the change of equity (cash plus position at mid) minus ``penalty`` times the absolute
  position times the tick size, per step.
- An episode is the whole window, one step every ``step_ns``; it terminates at the data's end
  and is truncated after ``max_steps`` if given.

Each step runs compiled (:func:`rlx_lib.rl.kernels.env_step`); a compiled agent may drive
``backtester`` itself over a whole episode (then ``reset`` before stepping again).
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from rlx_lib.rl.features import FEATURES
from rlx_lib.rl.kernels import env_step
from rlx_lib.rl.models import Grid, Latency, backtester
from rlx_lib.rl.simulate import STEP_NS

__all__ = ["ACTIONS", "MarketEnv"]

ACTIONS = ("hold", "quote_touch", "quote_behind", "take_buy", "take_sell")
_LOW = np.array([0, -1, -1, 0, 0, 0], dtype=np.float32)
_HIGH = np.array([1e6, 1, 1, 10, 1e7, 1e12], dtype=np.float32)
"""Observation bounds, feature by feature (observations are clipped into them)."""


class MarketEnv(gym.Env):
    """A market-making and taking environment over one window's feed and book states."""

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's own attribute

    def __init__(
        self,
        feed: np.ndarray,
        features: np.ndarray,
        feature_local_ns: np.ndarray,
        grid: Grid,
        *,
        qty: float,
        limit: float,
        penalty: float = 0.1,
        step_ns: int = STEP_NS,
        max_steps: int | None = None,
        queue: str = "risk_averse",
        latency: Latency | None = None,
    ) -> None:
        self.feed, self.grid = feed, grid
        self.features = np.clip(np.nan_to_num(features), _LOW, _HIGH).astype(np.float32)
        self.feature_local_ns = np.asarray(feature_local_ns, dtype=np.int64)
        self.qty, self.limit, self.penalty = qty, limit, penalty
        self.step_ns, self.max_steps = step_ns, max_steps
        self.queue, self.latency = queue, latency
        self.observation_space = gym.spaces.Box(_LOW, _HIGH, dtype=np.float32)
        self.action_space = gym.spaces.Discrete(len(ACTIONS))
        self._hbt = None
        self._step, self._last_id, self._equity = 0, 1, 0.0

    @property
    def backtester(self):
        """The running hftbacktest backtester (after ``reset``), for compiled agents."""
        return self._hbt

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start the window from its beginning (a new backtester)."""
        super().reset(seed=seed)
        self.close()
        self._hbt = backtester([self.feed], self.grid, queue=self.queue, latency=self.latency)
        self._hbt.elapse(self.step_ns)
        self._step, self._last_id, self._equity = 0, 1, 0.0
        return self._observation(), {"step": 0}

    def step(self, action):
        """Act, let ``step_ns`` pass, and report reward and the new observation."""
        if self._hbt is None:
            msg = "call reset() before step()"
            raise RuntimeError(msg)
        ended, reward, equity, position, self._last_id = env_step(
            self._hbt, int(action), self._last_id, self._equity, self.step_ns,
            self.grid.tick_size, self.qty, self.limit, self.penalty,
        )  # fmt: skip
        self._step += 1
        self._equity = equity
        truncated = self.max_steps is not None and self._step >= self.max_steps and not ended
        info = {"step": self._step, "equity": equity, "position": position}
        return self._observation(), float(reward), bool(ended), truncated, info

    def close(self) -> None:
        """Release the backtester."""
        if self._hbt is not None:
            self._hbt.close()
            self._hbt = None

    def _observation(self) -> np.ndarray:
        now = self._hbt.current_timestamp
        index = np.searchsorted(self.feature_local_ns, now, side="right") - 1
        if index < 0:
            return np.zeros(len(FEATURES), dtype=np.float32)
        return self.features[index].copy()
