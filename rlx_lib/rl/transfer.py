"""``transfer_gap``: does an agent trained on the vendor's data do as well live?

A tabular Q-learning agent (no deep learning) over the binned state (quantile bins of the
featurizer fixed from the live side) learns on the vendor window and, separately, on the live
window, with the same seed; both are then evaluated greedily on the live window. The value is
the vendor-trained agent's relative shortfall,
``(live_trained - vendor_trained) / max(|live_trained|, floor)`` of the evaluation reward
(floor: the limit inventory moved ten ticks). A fault-free vendor view gives exactly 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rlx_lib.fidelity import MetricResult
from rlx_lib.rl.env import ACTIONS, MarketEnv
from rlx_lib.rl.features import Bins, featurize
from rlx_lib.rl.feed import Side, feed_latency, side_feed, sides
from rlx_lib.rl.models import Grid
from rlx_lib.rl.sizing import order_size, window_grid

__all__ = ["QAgent", "TransferGap", "side_env"]

_MS = 1_000_000


def side_env(side: Side, grid: Grid, *, qty: float, limit: float, latency_ns: int) -> MarketEnv:
    """A :class:`MarketEnv` over one side's window, on the constant feed-latency clock."""
    features = featurize(
        side.levels, side.exch_ns, side.trades["origin_ms"].to_numpy() * _MS, grid.tick
    )
    feed = side_feed(side, clock="constant", latency_ns=latency_ns)
    return MarketEnv(feed, features, side.exch_ns + latency_ns, grid, qty=qty, limit=limit)


@dataclass
class QAgent:
    """Tabular Q-learning over state ids, epsilon-greedy with a seeded generator."""

    bins: Bins
    seed: int = 0
    alpha: float = 0.1
    gamma: float = 0.99
    epsilon: float = 0.1

    def __post_init__(self) -> None:
        self.table: dict[int, np.ndarray] = {}
        self.rng = np.random.default_rng(self.seed)

    def state(self, observation: np.ndarray) -> int:
        """The state id of an observation."""
        return int(self.bins.state_ids(observation[None, :].astype(np.float64))[0])

    def values(self, state: int) -> np.ndarray:
        """Action values of a state (zeros when unseen)."""
        return self.table.setdefault(state, np.zeros(len(ACTIONS)))

    def train(self, env: MarketEnv, episodes: int = 2) -> None:
        """Learn from ``episodes`` passes over ``env``."""
        for episode in range(episodes):
            observation, _ = env.reset(seed=self.seed + episode)
            state, done = self.state(observation), False
            while not done:
                explore = self.rng.random() < self.epsilon
                action = int(self.rng.integers(len(ACTIONS))) if explore else self._greedy(state)
                observation, reward, ended, truncated, _ = env.step(action)
                following = self.state(observation)
                target = reward + (0.0 if ended else self.gamma * self.values(following).max())
                values = self.values(state)
                values[action] += self.alpha * (target - values[action])
                state, done = following, ended or truncated

    def evaluate(self, env: MarketEnv) -> float:
        """Total reward of the greedy policy over one pass of ``env``."""
        observation, _ = env.reset(seed=self.seed)
        total, done = 0.0, False
        while not done:
            observation, reward, ended, truncated, _ = env.step(
                self._greedy(self.state(observation))
            )
            total += reward
            done = ended or truncated
        env.close()
        return total

    def _greedy(self, state: int) -> int:
        return int(np.argmax(self.values(state)))


@dataclass(frozen=True)
class TransferGap:
    """Relative shortfall, on live data, of the agent trained on vendor data."""

    name: str = "transfer_gap"
    unit: str = "relative shortfall"
    seed: int = 0
    episodes: int = 2
    quantiles: int = 3

    def compute(self, aligned) -> MetricResult:
        live, vendor = sides(aligned)
        grid = window_grid(live)
        qty = order_size(live, grid)
        limit, latency = 5 * qty, feed_latency(aligned)
        live_features = featurize(
            live.levels, live.exch_ns, live.trades["origin_ms"].to_numpy() * _MS, grid.tick
        )
        bins = Bins(live_features, self.quantiles)
        scores = {}
        for name, side in (("live_trained", live), ("vendor_trained", vendor)):
            agent = QAgent(bins, seed=self.seed)
            agent.train(
                side_env(side, grid, qty=qty, limit=limit, latency_ns=latency), self.episodes
            )
            live_env = side_env(live, grid, qty=qty, limit=limit, latency_ns=latency)
            scores[name] = agent.evaluate(live_env)
        floor = 10 * limit * grid.tick_size
        best = scores["live_trained"]
        value = (best - scores["vendor_trained"]) / max(abs(best), floor)
        detail = {**scores, "episodes": self.episodes, "seed": self.seed, "floor": floor}
        return MetricResult(value=float(value), n=int(live.exch_ns.size), detail=detail)
