"""Presets of the synthetic market: regimes (how busy, how bursty) and symbols (price grid).

A :class:`Regime` holds every parameter of the event-level simulation in
:mod:`rlx_lib.synth.market`. ``high`` is calibrated against a real BTCUSDT capture
(:data:`rlx_lib.synth.calibration.OBSERVED`); the others scale it.
Distances are in basis points of price so that one preset fits any tick size; sizes are
notionals in quote currency so that one preset fits any price.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from rlx_lib.catalog import validate_symbol
from rlx_lib.decimals import UNITS_PER_ONE
from rlx_lib.errors import ConfigError

__all__ = [
    "REGIMES",
    "SYMBOLS",
    "Regime",
    "SymbolPreset",
    "resolve_regime",
    "symbol_preset",
    "symbol_seed",
]


@dataclass(frozen=True, slots=True)
class Regime:
    """Parameters of one market regime.

    Arrivals are two self-exciting (Hawkes, exponential kernel) processes: taker orders
    ("sweeps") and book events (limit orders and cancels). A sweep also excites book events.
    """

    name: str
    # taker orders
    sweep_rate: float = 11.0  # mean taker orders per second
    sweep_branching: float = 0.7  # mean children per sweep (self-excitation)
    sweep_decay: float = 5.0  # 1/s, kernel decay
    # book events (limit orders, cancels), excluding fills
    book_rate: float = 330.0  # mean book events per second
    book_branching: float = 0.88
    book_decay: float = 60.0
    sweep_book_children: float = 1.0  # book events excited by one sweep
    touch_share: float = 0.42  # size changes at the best levels
    touch_remove_share: float = 0.005  # of those, cancels of the whole best level
    remnant_share: float = 0.3  # cancels that leave only a small remnant
    storm_share: float = 0.003  # runs of levels re-quoted at once
    flicker_share: float = 0.11  # orders created and cancelled within milliseconds
    update_share: float = 0.16  # far events that resize a held level
    flicker_life_ms: float = 12.0
    # book shape
    occupancy: float = 0.019  # share of ticks holding a level next to the touch ...
    occupancy_far: float = 0.08  # ... rising to this at ``span_bp``
    near_occupancy: float = 0.2  # share within 10 ticks of the touch
    span_bp: float = 33.0  # beyond this the book thins out
    level_notional: float = 6_000.0  # median level size, quote currency
    level_sigma: float = 1.1
    dust_level_share: float = 0.3  # levels of a few lots
    touch_notional: float = 150_000.0  # median size of a fresh best level
    touch_sigma: float = 1.8
    spread_ticks: int = 1  # the spread quotes return to
    refill_ms: float = 5.0  # mean delay before quotes step into a wide spread
    small_refill_share: float = 0.5  # refills by a small order
    # price moves
    reprice_share: float = 0.06  # sweeps that move the quotes
    jump_median_bp: float = 0.3
    jump_sigma: float = 0.8
    momentum: float = 0.85  # reprices in the sweep's direction
    reform_share: float = 0.5  # cleared prices re-quoted on the other side
    continue_share: float = 0.6  # jumps that continue after ``continue_ms``
    continue_ms: float = 120.0
    # taker order sizes
    min_notional: float = 5.0
    min_notional_share: float = 0.28
    take_level_share: float = 0.8  # takers that take the whole best level and more
    taker_notional: float = 150.0  # median taker order, quote currency
    taker_sigma: float = 2.3
    taker_alpha: float = 0.85  # Pareto tail beyond the body's 95th percentile
    round_share: float = 0.04  # sizes rounded to one significant digit
    maker_power: float = 3.2  # a resting order met holds level * U**power ...
    maker_cap_notional: float = 30_000.0  # ... up to a lognormal cap of this median
    maker_dust_share: float = 0.08
    # trade signs
    sign_follow: float = 0.65  # sweeps that follow the persistent side
    sign_flip: float = 0.04  # chance per sweep that the persistent side flips
    buy_share: float = 0.47
    # initial book
    min_levels: int = 1000


REGIMES: dict[str, Regime] = {
    "high": Regime(name="high"),
    "low": Regime(name="low", sweep_rate=4.5, book_rate=140.0, sweep_book_children=1.0),
    "weekend": Regime(
        name="weekend", sweep_rate=4.0, book_rate=120.0, sweep_book_children=1.0, jump_median_bp=0.3
    ),
    "stress": Regime(
        name="stress",
        sweep_rate=30.0,
        sweep_branching=0.85,
        book_rate=1500.0,
        book_branching=0.9,
        sweep_book_children=2.0,
        reprice_share=0.3,
        jump_median_bp=0.9,
        jump_sigma=1.1,
        take_level_share=0.25,
        taker_notional=600.0,
        occupancy=0.025,
    ),
    "illiquid": Regime(
        name="illiquid",
        sweep_rate=0.02,
        sweep_branching=0.2,
        sweep_decay=0.5,
        book_rate=1.5,
        book_branching=0.4,
        book_decay=1.0,
        sweep_book_children=1.0,
        touch_share=0.3,
        flicker_share=0.0,
        storm_share=0.0,
        occupancy=0.01,
        near_occupancy=0.0,
        span_bp=200.0,
        spread_ticks=12,
        refill_ms=400.0,
        reprice_share=0.0,
        take_level_share=0.0,
        min_levels=200,
    ),
}
"""Regime presets by name: ``high``, ``low``, ``weekend``, ``stress``, ``illiquid``."""


@dataclass(frozen=True, slots=True)
class SymbolPreset:
    """Price grid of a symbol: a starting price, the tick and the lot, in 1e-8 units."""

    symbol: str
    price: int
    tick: int
    lot: int


SYMBOLS: dict[str, SymbolPreset] = {
    "BTC-USDT": SymbolPreset("BTC-USDT", price=60_000 * UNITS_PER_ONE, tick=1_000_000, lot=1_000),
    "ETH-USDT": SymbolPreset("ETH-USDT", price=2_600 * UNITS_PER_ONE, tick=1_000_000, lot=10_000),
}


def symbol_seed(symbol: str) -> int:
    """A stable integer from a symbol name (CRC-32; never Python's salted ``hash``)."""
    return zlib.crc32(symbol.encode())


def symbol_preset(symbol: str) -> SymbolPreset:
    """The preset of a Lake-style symbol; any other valid symbol gets one derived from its name.

    The derived price lies between 0.1 and 90,000 with 10,000 to 100,000 ticks per price and a
    lot of about one unit of quote currency divided by the price.
    """
    validate_symbol(symbol)
    if symbol in SYMBOLS:
        return SYMBOLS[symbol]
    code = symbol_seed(symbol)
    price_units = (1 + code % 9) * 10 ** (7 + (code // 9) % 5)  # 0.1 .. 90,000
    price = price_units / UNITS_PER_ONE
    tick = max(1, 10 ** (math.floor(math.log10(price_units)) - 4))
    lot = max(1, min(UNITS_PER_ONE, 10 ** (math.ceil(math.log10(UNITS_PER_ONE / price)) - 1)))
    return SymbolPreset(symbol, price=price_units - price_units % tick, tick=tick, lot=lot)


def resolve_regime(regime: str | Regime) -> Regime:
    """A preset by name, or the given :class:`Regime` unchanged."""
    if isinstance(regime, Regime):
        return regime
    try:
        return REGIMES[regime]
    except KeyError:
        msg = f"unknown regime {regime!r}; expected one of {', '.join(REGIMES)}"
        raise ConfigError(msg) from None
