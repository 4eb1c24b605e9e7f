"""Planted manipulation patterns: labelled spoofing, layering and momentum ignition instances.

Planting edits the ground truth itself, before either view is derived, so the live and the
vendor view carry the same instances. Each instance leaves the book as the simulation holds it
once it is over (every planted order is cancelled, every swept level restored), so the
simulation carries on unaware of it. Sizes scale with the window's median level change, so one
setting fits any symbol:

- spoofing: one order of ``SPOOF_MULTIPLE`` times the median change, 0.2-0.8 bp behind the
  touch, cancelled 0.5-2 s later without trading;
- layering: ``LAYERS`` orders of ``LAYER_MULTIPLE`` times the median on one side, 0.2-1 bp
  behind the touch, added within 60 ms and cancelled together 1-2 s later;
- momentum ignition: ``IGNITION_ORDERS`` taker orders 80 ms apart sweeping every level up to
  ``IGNITION_BP`` from the touch, the other trades held off meanwhile, then the swept levels
  come back (the price reverts) 0.7 s after the last order.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from rlx_lib.errors import ConfigError

__all__ = ["PLANT_KINDS", "Planted", "plan_instances", "plant"]

PLANT_KINDS = ("spoofing", "layering", "momentum_ignition")
SPOOF_MULTIPLE = 2500
LAYER_MULTIPLE = 50
LAYERS = 5
IGNITION_ORDERS = 8
IGNITION_BP = 15.0
IGNITION_STEP_NS = 80_000_000
REVERSAL_NS = 700_000_000
_MARGIN_NS = 5_000_000_000  # instances stay this far inside a simulation window
_S = 1_000_000_000


@dataclass(frozen=True)
class Planted:
    """One planted instance, as listed in ``_planted.json``."""

    kind: str
    symbol: str
    side: str  # "bid" | "ask" for book patterns, "buy" | "sell" (taker) for momentum ignition
    start_ns: int
    end_ns: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return dataclasses.asdict(self)


def plan_instances(
    kinds: tuple[str, ...], *, start_ns: int, end_ns: int, every_s: float
) -> list[tuple[str, int]]:
    """``(kind, time_ns)`` of each instance: one of each kind every ``every_s`` seconds,
    the kinds staggered inside the period so they never overlap."""
    period = round(every_s * _S)
    planned = []
    for number, kind in enumerate(kinds):
        time = start_ns + _MARGIN_NS + period * (number + 1) // (len(kinds) + 1)
        while time < end_ns - _MARGIN_NS:
            planned.append((kind, time))
            time += period
    return sorted(planned, key=lambda item: item[1])


class _Edit:
    """Changes and trades to insert into one truth window, and the trades to hold off."""

    def __init__(self, truth: object, rng: np.random.Generator) -> None:
        self.truth, self.rng = truth, rng
        self.changes: list[tuple[int, bool, int, int]] = []  # time, is_bid, price, size
        self.trades: list[tuple[int, int, int, bool, int]] = []  # time, price, qty, maker, order
        self.hold_off: list[tuple[int, int]] = []
        changed = np.asarray(truth.change_size)
        self.median = max(int(np.median(changed[changed > 0])), int(truth.lot))

    def book(self, is_bid: bool, time_ns: int) -> tuple[np.ndarray, np.ndarray]:
        """Levels of one side just before ``time_ns``, best first (truth only, no edits)."""
        truth = self.truth
        mask = (truth.change_time_ns < time_ns) & (truth.change_is_bid == is_bid)
        price = np.r_[
            truth.initial_bid_price if is_bid else truth.initial_ask_price,
            truth.change_price[mask],
        ]
        size = np.r_[
            truth.initial_bid_size if is_bid else truth.initial_ask_size, truth.change_size[mask]
        ]
        unique, last = np.unique(price[::-1], return_index=True)
        held = size[::-1][last]
        keep = held > 0
        order = np.argsort(-unique[keep] if is_bid else unique[keep], kind="stable")
        return unique[keep][order], held[keep][order]

    def quiet_prices(self, is_bid: bool, start: int, end: int, count: int) -> list[int]:
        """``count`` prices 0.2-0.8 bp behind the touch that nothing touches from 1 s before
        ``start`` to 1 s after ``end`` (if too few, as on a coarse tick: 0.1-0.95 bp, nothing
        touching them in ``[start, end]``)."""
        prices, sizes = self.book(is_bid, start)
        touch, tick = int(prices[0]), int(self.truth.tick)
        direction = -1 if is_bid else 1
        for band, margin in (((0.2, 0.8), _S), ((0.1, 0.95), 0)):
            busy = self._busy(is_bid, start - margin, end + margin)
            low, high = (max(1, round(touch * bp / 1e4 / tick)) for bp in band)
            free = [
                touch + direction * distance * tick
                for distance in range(low, high + 1)
                if touch + direction * distance * tick not in busy
            ]
            if len(free) >= count:
                break
        else:
            msg = (
                f"cannot plant on {self.truth.symbol}: fewer than {count} quiet prices within "
                "1 bp of the touch; plant less often or on another symbol"
            )
            raise ConfigError(msg)
        picked = sorted(self.rng.choice(free, size=count, replace=False).tolist())
        self._held = dict(zip(prices.tolist(), sizes.tolist(), strict=True))
        return picked

    def _busy(self, is_bid: bool, start: int, end: int) -> set[int]:
        """Prices of one side's level changes and of any trade in ``[start, end]``."""
        truth = self.truth
        during = (truth.change_time_ns >= start) & (truth.change_time_ns <= end)
        busy = set(truth.change_price[during & (truth.change_is_bid == is_bid)].tolist())
        trading = (truth.trade_time_ns >= start) & (truth.trade_time_ns <= end)
        return busy | set(truth.trade_price[trading].tolist())

    def orders(
        self, is_bid: bool, times: list[tuple[int, int]], prices: list[int], size: int
    ) -> None:
        """Add ``size`` at each price at its start time and take it away at its end time."""
        for (start, end), price in zip(times, prices, strict=True):
            before = int(self._held.get(price, 0))
            self.changes += [(start, is_bid, price, before + size), (end, is_bid, price, before)]


def _spoof(edit: _Edit, symbol: str, time_ns: int) -> Planted:
    is_bid = bool(edit.rng.random() < 0.5)
    end = time_ns + round(edit.rng.uniform(0.5, 2.0) * _S)
    price = edit.quiet_prices(is_bid, time_ns, end, 1)
    edit.orders(is_bid, [(time_ns, end)], price, SPOOF_MULTIPLE * edit.median)
    return Planted("spoofing", symbol, "bid" if is_bid else "ask", time_ns, end)


def _layer(edit: _Edit, symbol: str, time_ns: int) -> Planted:
    is_bid = bool(edit.rng.random() < 0.5)
    cancel = time_ns + round(edit.rng.uniform(1.0, 2.0) * _S)
    end = cancel + (LAYERS - 1) * 10_000_000
    prices = edit.quiet_prices(is_bid, time_ns, end, LAYERS)
    times = [(time_ns + i * 20_000_000, cancel + i * 10_000_000) for i in range(LAYERS)]
    edit.orders(is_bid, times, prices, LAYER_MULTIPLE * edit.median)
    return Planted("layering", symbol, "bid" if is_bid else "ask", time_ns, end)


def _ignite(edit: _Edit, symbol: str, time_ns: int) -> Planted:
    """Taker orders sweep one side up to ``IGNITION_BP`` away; the levels return afterwards."""
    buy = bool(edit.rng.random() < 0.5)
    prices, _ = edit.book(not buy, time_ns)
    limit = prices[0] * (1 + (IGNITION_BP if buy else -IGNITION_BP) / 1e4)
    swept = prices[(prices <= limit) if buy else (prices >= limit)]
    groups = np.array_split(swept, IGNITION_ORDERS)
    order_id = -1 - len(edit.trades)
    last = time_ns
    for number, group in enumerate(groups):
        last = time_ns + number * IGNITION_STEP_NS
        book_price, book_size = edit.book(not buy, last)
        held = dict(zip(book_price.tolist(), book_size.tolist(), strict=True))
        for price in group.tolist():
            if held.get(price, 0) > 0:
                edit.trades.append((last, price, held[price], not buy, order_id - number))
            edit.changes.append((last, not buy, price, 0))
    back = last + REVERSAL_NS
    book_price, book_size = edit.book(not buy, back)
    held = dict(zip(book_price.tolist(), book_size.tolist(), strict=True))
    edit.changes += [(back, not buy, p, held[p]) for p in swept.tolist() if held.get(p, 0) > 0]
    edit.hold_off.append((time_ns, back))
    return Planted("momentum_ignition", symbol, "buy" if buy else "sell", time_ns, back)


_PLANTERS = {"spoofing": _spoof, "layering": _layer, "momentum_ignition": _ignite}


def plant(
    truth: object, planned: list[tuple[str, int]], *, seed: int
) -> tuple[object, list[Planted]]:
    """Insert the instances of ``planned`` that fall inside this truth window.

    Returns the edited truth (update and trade ids renumbered, the final state's next ids
    moved on by what was inserted) and the instances planted.
    """
    inside = [
        (k, t) for k, t in planned if truth.start_ns + _MARGIN_NS <= t < truth.end_ns - _MARGIN_NS
    ]
    if not inside:
        return truth, []
    edit = _Edit(truth, np.random.default_rng([seed, truth.start_ns % (2**32)]))
    planted = [_PLANTERS[kind](edit, truth.symbol, time) for kind, time in inside]
    return _apply(truth, edit), planted


def _apply(truth: object, edit: _Edit) -> object:
    change = list(zip(*edit.changes, strict=True)) if edit.changes else [[]] * 4
    change_time = np.r_[truth.change_time_ns, np.asarray(change[0], np.int64)]
    order = np.argsort(change_time, kind="stable")
    fields = {
        "change_time_ns": change_time[order],
        "change_is_bid": np.r_[truth.change_is_bid, np.asarray(change[1], bool)][order],
        "change_price": np.r_[truth.change_price, np.asarray(change[2], np.int64)][order],
        "change_size": np.r_[truth.change_size, np.asarray(change[3], np.int64)][order],
    }
    keep = np.ones(truth.trade_time_ns.size, dtype=bool)
    for start, end in edit.hold_off:
        keep &= ~((truth.trade_time_ns >= start) & (truth.trade_time_ns <= end))
    trade = list(zip(*edit.trades, strict=True)) if edit.trades else [[]] * 5
    trade_time = np.r_[truth.trade_time_ns[keep], np.asarray(trade[0], np.int64)]
    order = np.argsort(trade_time, kind="stable")
    fields |= {
        "trade_time_ns": trade_time[order],
        "trade_price": np.r_[truth.trade_price[keep], np.asarray(trade[1], np.int64)][order],
        "trade_quantity": np.r_[truth.trade_quantity[keep], np.asarray(trade[2], np.int64)][order],
        "trade_buyer_is_maker": np.r_[truth.trade_buyer_is_maker[keep], np.asarray(trade[3], bool)][
            order
        ],
        "trade_taker_order": np.r_[truth.trade_taker_order[keep], np.asarray(trade[4], np.int64)][
            order
        ],
    }
    first_trade = int(truth.trade_id[0]) if truth.trade_id.size else truth.final.next_trade_id
    fields["trade_id"] = first_trade + np.arange(trade_time.size, dtype=np.int64)
    position = np.searchsorted(fields["change_time_ns"], fields["trade_time_ns"], side="right")
    fields["trade_update_id"] = truth.first_update_id + np.maximum(position - 1, 0)
    final = truth.final
    if final is not None:
        final = dataclasses.replace(
            final,
            next_update_id=truth.first_update_id + change_time.size,
            next_trade_id=first_trade + trade_time.size,
        )
    return dataclasses.replace(truth, final=final, **fields)
