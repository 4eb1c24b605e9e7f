"""Run one policy over one feed in hftbacktest and measure what it did.

The policy acts every ``step_ns`` of local time (the decision step, 100 ms by default: a
reference policy's loop runs compiled, a plugin's ``act`` is called from Python). After each
step the account is read:
position, cash balance, mid, fills, volume. The outcome summarises the run (PnL marked to the
last mid, fills, fill rate, mean slippage against mid, final inventory, time to first fill)
and keeps the per-block PnL and fills over ``blocks`` equal time blocks for the bootstrap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from rlx_lib.rl.kernels import run_policy
from rlx_lib.rl.models import NO_ASK, NO_BID, Grid, Latency, backtester
from rlx_lib.rl.policies import Context, Policy, ReferencePolicy

__all__ = ["STEP_NS", "Outcome", "simulate"]

STEP_NS = 100_000_000
"""Decision step: 100 ms of local time."""


@dataclass(frozen=True)
class Outcome:
    """What a policy did over a window."""

    policy: str
    pnl: float
    fills: int
    orders: int
    fill_rate: float
    slippage: float  # mean signed fill price minus mid, per unit traded, quote currency
    final_inventory: float
    first_fill_s: float  # nan when it never filled
    steps: int
    block_pnl: tuple[float, ...]
    block_fills: tuple[int, ...]

    def summary(self) -> dict:
        """The scalar fields, JSON-ready (nan as None)."""
        out = asdict(self)
        out.pop("block_pnl")
        out.pop("block_fills")
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def simulate(
    feed: np.ndarray,
    policy: Policy,
    grid: Grid,
    *,
    qty: float,
    limit: float,
    queue: str = "risk_averse",
    latency: Latency | None = None,
    step_ns: int = STEP_NS,
    seed: int = 0,
    blocks: int = 10,
) -> Outcome:
    """Replay ``feed`` with ``policy`` acting every ``step_ns``."""
    span = int(feed["local_ts"].max() - feed["local_ts"].min()) if feed.size else 0
    total = max(span // step_ns, 1)
    ctx = Context(grid=grid, qty=qty, limit=limit, total_steps=total, seed=seed)
    hbt = backtester([feed], grid, queue=queue, latency=latency)
    record = np.zeros((total + 2, 6))
    if isinstance(policy, ReferencePolicy):
        draws = policy.draws(ctx.rng, record.shape[0])
        ctx.step, ctx.last_id = run_policy(
            hbt, policy.code, policy.params, draws, step_ns, total, grid.tick_size, qty, limit,
            record,
        )  # fmt: skip
        ctx.submitted = ctx.last_id - 1
    else:
        _python_loop(hbt, policy, ctx, record, step_ns)
    hbt.close()
    return _outcome(policy.name, record[: ctx.step], ctx.submitted, blocks)


def _python_loop(hbt, policy: Policy, ctx: Context, record: np.ndarray, step_ns: int) -> None:
    """The loop of :func:`rlx_lib.rl.kernels.run_policy`, calling a plugin's ``act``."""
    mid = math.nan
    while ctx.step < record.shape[0] and hbt.elapse(step_ns) == 0:
        depth = hbt.depth(0)
        if depth.best_bid_tick != NO_BID and depth.best_ask_tick != NO_ASK:
            mid = (depth.best_bid_tick + depth.best_ask_tick) * ctx.grid.tick_size / 2
        policy.act(hbt, ctx)
        hbt.clear_inactive_orders(0)
        values = hbt.state_values(0)
        record[ctx.step] = (
            hbt.current_timestamp,
            values.position,
            values.balance,
            mid,
            values.num_trades,
            values.trading_volume,
        )
        ctx.step += 1


def _outcome(name: str, record: np.ndarray, orders: int, blocks: int) -> Outcome:
    time, position, balance, mid, fills, volume = record.T
    mid = _filled(mid)
    equity = balance + position * mid
    traded = np.diff(np.concatenate([[0.0], position]))
    cash = np.diff(np.concatenate([[0.0], balance]))
    slipped = -cash - traded * mid  # what the fills paid beyond mid
    total_fills = int(fills[-1]) if fills.size else 0
    first = np.flatnonzero(fills > 0)
    bounds = np.linspace(0, equity.size, blocks + 1).astype(int)
    at_end = np.concatenate([[0.0], equity])[bounds]
    fills_at = np.concatenate([[0], fills])[bounds]
    return Outcome(
        policy=name,
        pnl=float(equity[-1]) if equity.size else 0.0,
        fills=total_fills,
        orders=orders,
        fill_rate=total_fills / orders if orders else math.nan,
        slippage=float(slipped.sum() / volume[-1]) if volume.size and volume[-1] else math.nan,
        final_inventory=float(position[-1]) if position.size else 0.0,
        first_fill_s=float((time[first[0]] - time[0]) / 1e9) if first.size else math.nan,
        steps=int(time.size),
        block_pnl=tuple(float(x) for x in np.diff(at_end)),
        block_fills=tuple(int(x) for x in np.diff(fills_at)),
    )


def _filled(values: np.ndarray) -> np.ndarray:
    """NaN entries take the last number before them (the first numbers fill the start)."""
    if not values.size or np.isnan(values).all():
        return np.zeros_like(values)
    index = np.where(~np.isnan(values), np.arange(values.size), 0)
    index = np.maximum.accumulate(index)
    out = values[index]
    out[np.isnan(out)] = values[~np.isnan(values)][0]
    return out
