"""Reference trading policies, each a small hftbacktest strategy, and their registry.

A policy is a frozen object with a ``name`` and ``act(hbt, ctx)``, called once per decision
step with the backtester and a :class:`Context` (grid, order size, inventory limit, step
counter, a seeded random generator, order helpers). Every policy is deterministic given its
inputs. Your own policy plugs in through the entry-point group ``rlx_lib.rl_policies``
(a class or an instance), the same way fidelity metrics do.

- ``passive_quoter``: one bid at the best bid and one ask at the best ask, re-posted each step;
  no bid once long ``limit``, no ask once short ``limit``.
- ``twap_seller``: sells ``slices`` equal clips, one every ``total_steps / slices`` steps, with
  a marketable limit at the best bid.
- ``imbalance_taker``: L1 imbalance ``(bid - ask) / (bid + ask)`` sizes above ``threshold``
  buy at the best ask, below ``-threshold`` sell at the best bid; ``cooldown`` steps between.
- ``random_quoter``: each step, with probability one half, re-posts a bid and an ask 0-2 ticks
  behind the touch, drawn from a generator seeded with ``seed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

import numpy as np
from hftbacktest.order import GTC, IOC, LIMIT

from rlx_lib.errors import ConfigError
from rlx_lib.rl.models import NO_ASK, NO_BID, Grid

__all__ = [
    "POLICY_ENTRY_POINT_GROUP",
    "REFERENCE_POLICIES",
    "Context",
    "Policy",
    "available_policies",
    "get_policy",
]

log = logging.getLogger(__name__)

POLICY_ENTRY_POINT_GROUP = "rlx_lib.rl_policies"


@dataclass
class Context:
    """What a policy sees besides the backtester, and its order helpers."""

    grid: Grid
    qty: float
    limit: float
    total_steps: int
    seed: int = 0
    step: int = 0
    submitted: int = 0
    rng: np.random.Generator = field(init=False)
    _next_id: int = 1

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def buy(self, hbt, tick: int, qty: float, tif: int = GTC) -> None:
        """Submit a limit buy at ``tick``."""
        hbt.submit_buy_order(0, self._take_id(), tick * self.grid.tick_size, qty, tif, LIMIT, False)
        self.submitted += 1

    def sell(self, hbt, tick: int, qty: float, tif: int = GTC) -> None:
        """Submit a limit sell at ``tick``."""
        hbt.submit_sell_order(
            0, self._take_id(), tick * self.grid.tick_size, qty, tif, LIMIT, False
        )
        self.submitted += 1

    def cancel_all(self, hbt) -> None:
        """Cancel every open order."""
        values = hbt.orders(0).values()
        while values.has_next():
            order = values.get()
            if order.cancellable:
                hbt.cancel(0, order.order_id, False)

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id


@runtime_checkable
class Policy(Protocol):
    """A trading policy: ``name`` and ``act(hbt, ctx)`` once per step."""

    name: str

    def act(self, hbt: Any, ctx: Context) -> None: ...


def _touch(hbt) -> tuple[int, int] | None:
    depth = hbt.depth(0)
    bid, ask = depth.best_bid_tick, depth.best_ask_tick
    return None if bid == NO_BID or ask == NO_ASK else (bid, ask)


@dataclass(frozen=True)
class PassiveQuoter:
    """Quote both sides at the touch, within the inventory limit."""

    name: str = "passive_quoter"

    def act(self, hbt: Any, ctx: Context) -> None:
        touch = _touch(hbt)
        ctx.cancel_all(hbt)
        if touch is None:
            return
        position = hbt.position(0)
        if position < ctx.limit:
            ctx.buy(hbt, touch[0], ctx.qty)
        if position > -ctx.limit:
            ctx.sell(hbt, touch[1], ctx.qty)


@dataclass(frozen=True)
class TwapSeller:
    """Sell ``slices`` equal clips evenly over the window, marketable at the best bid."""

    name: str = "twap_seller"
    slices: int = 20

    def act(self, hbt: Any, ctx: Context) -> None:
        every = max(ctx.total_steps // self.slices, 1)
        touch = _touch(hbt)
        if touch is None or ctx.step % every or ctx.step // every >= self.slices:
            return
        ctx.sell(hbt, touch[0], ctx.qty, IOC)


@dataclass(frozen=True)
class ImbalanceTaker:
    """Take liquidity on the side the L1 size imbalance points to."""

    name: str = "imbalance_taker"
    threshold: float = 0.6
    cooldown: int = 10

    def act(self, hbt: Any, ctx: Context) -> None:
        touch = _touch(hbt)
        if touch is None or ctx.step % self.cooldown:
            return
        depth = hbt.depth(0)
        bid_qty, ask_qty = depth.best_bid_qty, depth.best_ask_qty
        imbalance = (bid_qty - ask_qty) / max(bid_qty + ask_qty, 1e-12)
        position = hbt.position(0)
        if imbalance > self.threshold and position < ctx.limit:
            ctx.buy(hbt, touch[1], ctx.qty, IOC)
        elif imbalance < -self.threshold and position > -ctx.limit:
            ctx.sell(hbt, touch[0], ctx.qty, IOC)


@dataclass(frozen=True)
class RandomQuoter:
    """Re-post quotes 0-2 ticks behind the touch at random (seeded)."""

    name: str = "random_quoter"

    def act(self, hbt: Any, ctx: Context) -> None:
        touch = _touch(hbt)
        draw, bid_back, ask_back = ctx.rng.random(), ctx.rng.integers(3), ctx.rng.integers(3)
        if touch is None or draw < 0.5:
            return
        ctx.cancel_all(hbt)
        position = hbt.position(0)
        if position < ctx.limit:
            ctx.buy(hbt, touch[0] - int(bid_back), ctx.qty)
        if position > -ctx.limit:
            ctx.sell(hbt, touch[1] + int(ask_back), ctx.qty)


REFERENCE_POLICIES: dict[str, Policy] = {
    p.name: p for p in (PassiveQuoter(), TwapSeller(), ImbalanceTaker(), RandomQuoter())
}


def available_policies() -> list[str]:
    """Reference policies and installed plugins, by name."""
    return sorted({**REFERENCE_POLICIES, **_plugins()})


def get_policy(name: str) -> Policy:
    """The policy registered under ``name`` (a one-line error for an unknown one)."""
    found = REFERENCE_POLICIES.get(name) or _plugins().get(name)
    if found is None:
        msg = f"unknown policy {name!r}; available: {', '.join(available_policies())}"
        raise ConfigError(msg)
    return found


def _plugins() -> dict[str, Policy]:
    found: dict[str, Policy] = {}
    for point in entry_points(group=POLICY_ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
            policy = loaded() if isinstance(loaded, type) else loaded
        except Exception as error:  # a broken plugin is reported, never fatal
            log.warning("policy plugin %s (%s) failed to load: %s", point.name, point.value, error)
            continue
        if isinstance(policy, Policy):
            found[policy.name] = policy
    return found
