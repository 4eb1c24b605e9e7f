"""MarketEnv passes gymnasium's checker and replays deterministically."""

from __future__ import annotations

import numpy as np
from gymnasium.utils.env_checker import check_env

from rlx_lib.fidelity import align
from rlx_lib.rl.env import ACTIONS
from rlx_lib.rl.feed import feed_latency, sides
from rlx_lib.rl.sizing import order_size, window_grid
from rlx_lib.rl.transfer import side_env
from tests.rl.conftest import DAY

END = "2024-08-09"


def _env(root, which):
    aligned = align(root, "BTC-USDT", DAY, END)
    live, vendor = sides(aligned)
    grid = window_grid(live)
    qty = order_size(live, grid)
    side = live if which == "live" else vendor
    return side_env(side, grid, qty=qty, limit=5 * qty, latency_ns=feed_latency(aligned))


def _rollout(env, seed):
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    rewards, done = [], False
    while not done:
        _, reward, ended, truncated, info = env.step(int(rng.integers(len(ACTIONS))))
        rewards.append(reward)
        done = ended or truncated
    return rewards, info


def test_market_env_passes_the_gymnasium_checker(synthetic_root):
    env = _env(synthetic_root, "vendor")
    check_env(env, skip_render_check=True)
    env.close()


def test_same_actions_same_rewards_and_trades_happen(synthetic_root):
    env = _env(synthetic_root, "live")
    first, info = _rollout(env, seed=7)
    second, _ = _rollout(env, seed=7)
    env.close()
    assert first == second
    assert len(first) > 100
    assert any(r != 0.0 for r in first)
    assert info["step"] == len(first)
