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

from rlx_lib.errors import StageError
from rlx_lib.fidelity import MetricResult
from rlx_lib.rl.env import ACTIONS, MarketEnv
from rlx_lib.rl.features import FEATURES, Bins, featurize
from rlx_lib.rl.feed import Side, feed_latency, side_feed, sides
from rlx_lib.rl.kernels import q_episode
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
    """Tabular Q-learning over state ids, epsilon-greedy with a seeded generator.

    Each pass over the window runs compiled (:func:`rlx_lib.rl.kernels.q_episode`); the
    exploration draws come from the seeded generator beforehand, in step order, and the
    generator is then advanced by exactly the draws the pass used.
    """

    bins: Bins
    seed: int = 0
    alpha: float = 0.1
    gamma: float = 0.99
    epsilon: float = 0.1

    def __post_init__(self) -> None:
        self.table = np.zeros((int(np.prod(self.bins.sizes)), len(ACTIONS)))
        self.rng = np.random.default_rng(self.seed)

    def train(self, env: MarketEnv, episodes: int = 2) -> None:
        """Learn from ``episodes`` passes over ``env``."""
        bound = int(env.feed["local_ts"].max() - env.feed["local_ts"].min()) // env.step_ns + 16
        for episode in range(episodes):
            env.reset(seed=self.seed + episode)
            before = self.rng.bit_generator.state
            _, steps = self._pass(env, self._draws(bound), learn=True)
            if steps < 0:
                msg = f"Q-learning pass ran past its {bound} drawn steps"
                raise StageError(msg)
            self.rng.bit_generator.state = before
            self._draws(steps)

    def evaluate(self, env: MarketEnv) -> float:
        """Total reward of the greedy policy over one pass of ``env``."""
        env.reset(seed=self.seed)
        total, _ = self._pass(env, np.zeros((0, 2)), learn=False)
        env.close()
        return float(total)

    def _pass(self, env: MarketEnv, draws: np.ndarray, *, learn: bool) -> tuple[float, int]:
        states = self.bins.state_ids(env.features.astype(np.float64))
        zero = int(self.bins.state_ids(np.zeros((1, len(FEATURES))))[0])
        rates = np.array([self.alpha, self.gamma, self.epsilon, env.penalty])
        grid_qty = np.array([env.step_ns, env.grid.tick_size, env.qty, env.limit])
        return q_episode(
            env.backtester, self.table, states, zero, env.feature_local_ns, draws, learn, rates,
            grid_qty,
        )  # fmt: skip

    def _draws(self, steps: int) -> np.ndarray:
        """Per step: the explore draw, and the random action when it explores (else -1)."""
        rows = np.full((steps, 2), -1.0)
        for row in rows:
            row[0] = self.rng.random()
            if row[0] < self.epsilon:
                row[1] = self.rng.integers(len(ACTIONS))
        return rows


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
        live_env = side_env(live, grid, qty=qty, limit=limit, latency_ns=latency)
        vendor_env = side_env(vendor, grid, qty=qty, limit=limit, latency_ns=latency)
        scores = {}
        for name, env in (("live_trained", live_env), ("vendor_trained", vendor_env)):
            agent = QAgent(bins, seed=self.seed)
            agent.train(env, self.episodes)
            scores[name] = agent.evaluate(live_env)
        floor = 10 * limit * grid.tick_size
        best = scores["live_trained"]
        value = (best - scores["vendor_trained"]) / max(abs(best), floor)
        detail = {**scores, "episodes": self.episodes, "seed": self.seed, "floor": floor}
        return MetricResult(value=float(value), n=int(live.exch_ns.size), detail=detail)
