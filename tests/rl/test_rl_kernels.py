"""The compiled kernels do what the documented Python definitions do, number for number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hftbacktest.order import IOC

from rlx_lib.fidelity import align
from rlx_lib.rl.env import ACTIONS
from rlx_lib.rl.features import Bins, featurize
from rlx_lib.rl.feed import feed_latency, side_feed, sides
from rlx_lib.rl.models import NO_ASK, NO_BID
from rlx_lib.rl.policies import REFERENCE_POLICIES, Context
from rlx_lib.rl.simulate import simulate
from rlx_lib.rl.sizing import order_size, window_grid
from rlx_lib.rl.transfer import QAgent, side_env
from tests.rl.conftest import DAY


def _touch(hbt):
    depth = hbt.depth(0)
    bid, ask = depth.best_bid_tick, depth.best_ask_tick
    return None if bid == NO_BID or ask == NO_ASK else (bid, ask)


def _quote(hbt, ctx, bid, ask):
    ctx.cancel_all(hbt)
    position = hbt.position(0)
    if position < ctx.limit:
        ctx.buy(hbt, bid, ctx.qty)
    if position > -ctx.limit:
        ctx.sell(hbt, ask, ctx.qty)


@dataclass(frozen=True)
class PythonPolicy:
    """The reference policies as the policies module documents them, in plain Python."""

    name: str

    def act(self, hbt, ctx: Context) -> None:
        touch = _touch(hbt)
        if self.name == "random_quoter":
            draw, bid_back, ask_back = ctx.rng.random(), ctx.rng.integers(3), ctx.rng.integers(3)
            if touch is not None and draw >= 0.5:
                _quote(hbt, ctx, touch[0] - int(bid_back), touch[1] + int(ask_back))
        elif self.name == "passive_quoter":
            if touch is None:
                ctx.cancel_all(hbt)
            else:
                _quote(hbt, ctx, *touch)
        elif self.name == "twap_seller":
            every = max(ctx.total_steps // 20, 1)
            if touch is not None and not ctx.step % every and ctx.step // every < 20:
                ctx.sell(hbt, touch[0], ctx.qty, IOC)
        elif touch is not None and not ctx.step % 10:  # imbalance_taker
            depth = hbt.depth(0)
            bid, ask = depth.best_bid_qty, depth.best_ask_qty
            imbalance = (bid - ask) / max(bid + ask, 1e-12)
            if imbalance > 0.6 and hbt.position(0) < ctx.limit:
                ctx.buy(hbt, touch[1], ctx.qty, IOC)
            elif imbalance < -0.6 and hbt.position(0) > -ctx.limit:
                ctx.sell(hbt, touch[0], ctx.qty, IOC)


def _live(root):
    aligned = align(root, "BTC-USDT", DAY, "2024-08-09")
    live = sides(aligned)[0]
    grid = window_grid(live)
    return live, grid, order_size(live, grid), feed_latency(aligned)


def test_compiled_policies_match_their_python_definitions(synthetic_root):
    live, grid, qty, latency = _live(synthetic_root)
    feed = side_feed(live, latency_ns=latency)
    for name, policy in REFERENCE_POLICIES.items():
        compiled = simulate(feed, policy, grid, qty=qty, limit=5 * qty, seed=4)
        python = simulate(feed, PythonPolicy(name), grid, qty=qty, limit=5 * qty, seed=4)
        assert compiled == python, name
        assert compiled.orders > 0, name


def _python_q_learning(agent: QAgent, env, episodes: int) -> float:
    """Q-learning stepping ``env`` from Python (a dict table), then one greedy pass."""
    table: dict[int, np.ndarray] = {}

    def state(observation):
        return int(agent.bins.state_ids(observation[None, :].astype(np.float64))[0])

    def run(seed, learn):
        observation, _ = env.reset(seed=seed)
        current, done, total = state(observation), False, 0.0
        while not done:
            action = int(np.argmax(table.setdefault(current, np.zeros(len(ACTIONS)))))
            if learn and agent.rng.random() < agent.epsilon:
                action = int(agent.rng.integers(len(ACTIONS)))
            observation, reward, done, _, _ = env.step(action)
            following = state(observation)
            if learn:
                best = table.setdefault(following, np.zeros(len(ACTIONS))).max()
                target = reward + (0.0 if done else agent.gamma * best)
                table[current][action] += agent.alpha * (target - table[current][action])
            current, total = following, total + reward
        return total

    for episode in range(episodes):
        run(agent.seed + episode, learn=True)
    return run(agent.seed, learn=False)


def test_compiled_q_learning_matches_stepping_the_env(synthetic_root):
    live, grid, qty, latency = _live(synthetic_root)
    features = featurize(
        live.levels, live.exch_ns, live.trades["origin_ms"].to_numpy() * 1_000_000, grid.tick
    )
    env = side_env(live, grid, qty=qty, limit=5 * qty, latency_ns=latency)
    bins = Bins(features, 3)
    compiled = QAgent(bins, seed=2)
    compiled.train(env, episodes=2)
    expected = _python_q_learning(QAgent(bins, seed=2), env, episodes=2)
    assert compiled.evaluate(env) == expected
    assert np.count_nonzero(compiled.table) > 0
