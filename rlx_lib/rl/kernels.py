"""The decision steps compiled with numba: reference policies, the replay loop, the env's step.

hftbacktest's backtester is a numba ``jitclass``; every call into it from Python goes through a
boxing wrapper, so a Python loop acting every step spends most of its time there. These kernels
run the whole loop inside numba instead, with the same arithmetic in the same order as the
Python definitions in :mod:`rlx_lib.rl.policies` and :mod:`rlx_lib.rl.env` describe, so results
do not change. Random draws are made in Python from the seeded generator beforehand and passed
in as arrays (numba's own generator would give other numbers).

Policy codes: 0 passive quoter, 1 TWAP seller, 2 imbalance taker, 3 random quoter; ``params``
holds ``(slices, threshold, cooldown)`` (each policy reads its own). Numba cannot cache code
that calls hftbacktest (its bindings are ctypes pointers), so each process compiles these once.
"""

from __future__ import annotations

import numpy as np
from hftbacktest.order import GTC, IOC, LIMIT
from numba import njit

__all__ = ["env_step", "policy_act", "q_episode", "run_policy"]

NO_BID = np.iinfo(np.int64).min
NO_ASK = np.iinfo(np.int64).max
PASSIVE, TWAP, IMBALANCE, RANDOM = 0, 1, 2, 3


@njit
def _cancel_all(hbt):  # pragma: no cover - compiled
    values = hbt.orders(0).values()
    while values.has_next():
        order = values.get()
        if order.cancellable:
            hbt.cancel(0, order.order_id, False)


@njit
def _buy(hbt, next_id, tick, tick_size, qty, tif):  # pragma: no cover - compiled
    hbt.submit_buy_order(0, next_id + 1, tick * tick_size, qty, tif, LIMIT, False)
    return next_id + 1


@njit
def _sell(hbt, next_id, tick, tick_size, qty, tif):  # pragma: no cover - compiled
    hbt.submit_sell_order(0, next_id + 1, tick * tick_size, qty, tif, LIMIT, False)
    return next_id + 1


@njit
def _quote(hbt, next_id, bid, ask, tick_size, qty, limit):  # pragma: no cover - compiled
    """Cancel the open orders, then a bid at ``bid`` and an ask at ``ask`` within the limit."""
    _cancel_all(hbt)
    position = hbt.position(0)
    if position < limit:
        next_id = _buy(hbt, next_id, bid, tick_size, qty, GTC)
    if position > -limit:
        next_id = _sell(hbt, next_id, ask, tick_size, qty, GTC)
    return next_id


@njit
def policy_act(hbt, code, params, step, total_steps, draw, next_id, tick_size, qty, limit):
    """One step of reference policy ``code``; returns the last order id used."""
    depth = hbt.depth(0)
    bid, ask = depth.best_bid_tick, depth.best_ask_tick
    touch = bid != NO_BID and ask != NO_ASK
    if code == PASSIVE:
        if not touch:
            _cancel_all(hbt)
            return next_id
        return _quote(hbt, next_id, bid, ask, tick_size, qty, limit)
    if code == TWAP:
        slices = int(params[0])
        every = max(total_steps // slices, 1)
        if not touch or step % every != 0 or step // every >= slices:
            return next_id
        return _sell(hbt, next_id, bid, tick_size, qty, IOC)
    if code == IMBALANCE:
        if not touch or step % int(params[2]) != 0:
            return next_id
        bid_qty, ask_qty = depth.best_bid_qty, depth.best_ask_qty
        imbalance = (bid_qty - ask_qty) / max(bid_qty + ask_qty, 1e-12)
        position = hbt.position(0)
        if imbalance > params[1] and position < limit:
            return _buy(hbt, next_id, ask, tick_size, qty, IOC)
        if imbalance < -params[1] and position > -limit:
            return _sell(hbt, next_id, bid, tick_size, qty, IOC)
        return next_id
    if not touch or draw[0] < 0.5:  # RANDOM
        return next_id
    return _quote(hbt, next_id, bid - int(draw[1]), ask + int(draw[2]), tick_size, qty, limit)


@njit
def run_policy(hbt, code, params, draws, step_ns, total_steps, tick_size, qty, limit, record):
    """Act every ``step_ns`` until the data ends; rows of ``record``: time, position,
    balance, mid, fills, volume. Returns (steps, last order id)."""
    mid, step, next_id = np.nan, 0, 1
    while step < record.shape[0] and hbt.elapse(step_ns) == 0:
        depth = hbt.depth(0)
        if depth.best_bid_tick != NO_BID and depth.best_ask_tick != NO_ASK:
            mid = (depth.best_bid_tick + depth.best_ask_tick) * tick_size / 2
        next_id = policy_act(
            hbt, code, params, step, total_steps, draws[step], next_id, tick_size, qty, limit
        )
        hbt.clear_inactive_orders(0)
        values = hbt.state_values(0)
        record[step, 0] = hbt.current_timestamp
        record[step, 1] = values.position
        record[step, 2] = values.balance
        record[step, 3] = mid
        record[step, 4] = values.num_trades
        record[step, 5] = values.trading_volume
        step += 1
    return step, next_id


@njit
def _env_act(hbt, action, next_id, tick_size, qty, limit):  # pragma: no cover - compiled
    depth = hbt.depth(0)
    bid, ask = depth.best_bid_tick, depth.best_ask_tick
    if action == 0 or bid == NO_BID or ask == NO_ASK:
        return next_id
    position = hbt.position(0)
    if action == 1 or action == 2:
        back = action - 1
        return _quote(hbt, next_id, bid - back, ask + back, tick_size, qty, limit)
    if action == 3 and position < limit:
        return _buy(hbt, next_id, ask, tick_size, qty, IOC)
    if action == 4 and position > -limit:
        return _sell(hbt, next_id, bid, tick_size, qty, IOC)
    return next_id


@njit
def env_step(hbt, action, next_id, equity, step_ns, tick_size, qty, limit, penalty):
    """Act, let ``step_ns`` pass; returns (ended, reward, equity, position, last order id)."""
    next_id = _env_act(hbt, action, next_id, tick_size, qty, limit)
    ended = hbt.elapse(step_ns) != 0
    hbt.clear_inactive_orders(0)
    depth, values = hbt.depth(0), hbt.state_values(0)
    position = values.position
    now = equity
    if depth.best_bid_tick != NO_BID and depth.best_ask_tick != NO_ASK:
        mid = (depth.best_bid_tick + depth.best_ask_tick) * tick_size / 2
        now = values.balance + position * mid
    reward = now - equity - penalty * abs(position) * tick_size
    return ended, reward, now, position, next_id


@njit
def q_episode(hbt, table, states, zero_state, clock, draws, learn, rates, grid_qty):
    """One pass of tabular Q-learning (``learn``) or greedy evaluation over a just reset ``hbt``
    (a :class:`rlx_lib.rl.env.MarketEnv`'s, its first step already elapsed).

    ``states``: the state id of each feature row, received at ``clock``; ``draws``: per step,
    the explore draw and the random action (-1: not drawn); ``rates``: (alpha, gamma, epsilon,
    penalty); ``grid_qty``: (step_ns, tick_size, qty, limit). Returns (total reward, steps).
    """
    alpha, gamma, epsilon, penalty = rates
    step_ns, tick_size, qty, limit = int(grid_qty[0]), grid_qty[1], grid_qty[2], grid_qty[3]
    index = np.searchsorted(clock, hbt.current_timestamp, side="right") - 1
    state = zero_state if index < 0 else states[index]
    total, equity, next_id, step, done = 0.0, 0.0, 1, 0, False
    while not done:
        action = np.argmax(table[state])
        if learn:
            if step >= draws.shape[0]:
                return total, -1
            if draws[step, 0] < epsilon:
                action = int(draws[step, 1])
        ended, reward, equity, _, next_id = env_step(
            hbt, action, next_id, equity, step_ns, tick_size, qty, limit, penalty
        )
        index = np.searchsorted(clock, hbt.current_timestamp, side="right") - 1
        following = zero_state if index < 0 else states[index]
        if learn:
            target = reward + (0.0 if ended else gamma * table[following].max())
            table[state, action] += alpha * (target - table[state, action])
        total += reward
        state, done, step = following, ended, step + 1
    return total, step
