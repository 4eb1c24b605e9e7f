"""Reference trading policies, each a small hftbacktest strategy, and their registry.

A policy is a frozen object with a ``name`` and ``act(hbt, ctx)``, called once per decision
step with the backtester and a :class:`Context` (grid, order size, inventory limit, step
counter, a seeded random generator, order helpers). Every policy is deterministic given its
inputs. Your own policy plugs in through the entry-point group ``rlx_lib.rl_policies``
(a class or an instance), the same way fidelity metrics do. The reference policies' steps
are compiled (:mod:`rlx_lib.rl.kernels`), so ``simulate`` runs them without Python in the loop.

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
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from hftbacktest.order import GTC, LIMIT

from rlx_lib.errors import ConfigError
from rlx_lib.rl.kernels import policy_act
from rlx_lib.rl.models import Grid

__all__ = [
    "POLICY_ENTRY_POINT_GROUP",
    "REFERENCE_POLICIES",
    "Context",
    "Policy",
    "ReferencePolicy",
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
    last_id: int = 1  # the last order id used

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
        self.last_id += 1
        return self.last_id


@runtime_checkable
class Policy(Protocol):
    """A trading policy: ``name`` and ``act(hbt, ctx)`` once per step."""

    name: str

    def act(self, hbt: Any, ctx: Context) -> None: ...


class ReferencePolicy:
    """A reference policy: its step is the compiled kernel :func:`rlx_lib.rl.kernels.policy_act`.

    ``simulate`` runs the whole loop compiled; ``act`` takes one step from Python (for callers
    that drive the backtester themselves), with the same result.
    """

    name: str
    code: ClassVar[int]

    @property
    def params(self) -> np.ndarray:
        """``(slices, threshold, cooldown)``: what the kernel reads (0 where unused)."""
        return np.zeros(3)

    def draws(self, rng: np.random.Generator, steps: int) -> np.ndarray:
        """The random numbers of ``steps`` steps, drawn from ``rng`` in step order."""
        return np.zeros((steps, 3))

    def act(self, hbt: Any, ctx: Context) -> None:
        last = ctx.last_id
        ctx.last_id = policy_act(
            hbt,
            self.code,
            self.params,
            ctx.step,
            ctx.total_steps,
            self.draws(ctx.rng, 1)[0],
            last,
            ctx.grid.tick_size,
            ctx.qty,
            ctx.limit,
        )
        ctx.submitted += ctx.last_id - last


@dataclass(frozen=True)
class PassiveQuoter(ReferencePolicy):
    """Quote both sides at the touch, within the inventory limit."""

    name: str = "passive_quoter"
    code: ClassVar[int] = 0


@dataclass(frozen=True)
class TwapSeller(ReferencePolicy):
    """Sell ``slices`` equal clips evenly over the window, marketable at the best bid."""

    name: str = "twap_seller"
    slices: int = 20
    code: ClassVar[int] = 1

    @property
    def params(self) -> np.ndarray:
        return np.array([self.slices, 0.0, 0.0])


@dataclass(frozen=True)
class ImbalanceTaker(ReferencePolicy):
    """Take liquidity on the side the L1 size imbalance points to."""

    name: str = "imbalance_taker"
    threshold: float = 0.6
    cooldown: int = 10
    code: ClassVar[int] = 2

    @property
    def params(self) -> np.ndarray:
        return np.array([0.0, self.threshold, self.cooldown])


@dataclass(frozen=True)
class RandomQuoter(ReferencePolicy):
    """Re-post quotes 0-2 ticks behind the touch at random (seeded)."""

    name: str = "random_quoter"
    code: ClassVar[int] = 3

    def draws(self, rng: np.random.Generator, steps: int) -> np.ndarray:
        """Per step: a uniform draw (quote when at least one half), then the two tick offsets."""
        return np.array(
            [(rng.random(), rng.integers(3), rng.integers(3)) for _ in range(steps)]
        ).reshape(steps, 3)


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
