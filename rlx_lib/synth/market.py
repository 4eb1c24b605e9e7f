"""Ground truth of the synthetic market: an event-level order book simulation per symbol.

Taker orders ("sweeps") and book events (limit orders, cancels) arrive as two self-exciting
Hawkes processes; a sweep also excites book events. Book events are size changes at the
best levels, orders created and cancelled within milliseconds ("flickers", the levels a
100 ms diff reports as deletes of prices the book never showed), and orders far from the
touch whose distance follows the real placement profile, with the number of levels per
16-tick block pulled toward a target occupancy (a sparse book: about 4% of ticks). A sweep
walks the book meeting resting orders of heavy-tailed sizes (one fill each); some sweeps
take a whole level and some move the quotes by hundreds of ticks, after which the quotes
step back to a one-tick spread within milliseconds.

Every level change consumes one update id; every fill is one trade. The event loop
(:mod:`rlx_lib.synth.kernel`, numba compiled) keeps the book as exact int64 lots on a dense
window of 2**20 ticks around the price, plus a short list of far-away levels.

Chaining: ``simulate(..., initial=previous.final)`` continues the same market where a
previous window ended (book, ids, intensities, pending events; the random stream is seeded
from ``seed``, the symbol and the next update id), so a day can be produced hour by hour
with bounded memory (one hour of ``high`` is about 2.6M changes, 80 MB)::

    truth = simulate("BTC-USDT", "high", start_ns=day_ns, seconds=3600, seed=7)
    for hour in range(1, 24):
        truth = simulate("BTC-USDT", "high", start_ns=truth.end_ns, seconds=3600, seed=7,
                         initial=truth.final)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rlx_lib.decimals import UNITS_PER_ONE
from rlx_lib.errors import ConfigError
from rlx_lib.synth.kernel import (
    _A_B,
    _A_S,
    _A_SB,
    _B_B,
    _B_S,
    _BA,
    _BB,
    _BUY,
    _CONTINUE,
    _CONTINUE_DELAY,
    _DUST_LVL,
    _END,
    _FLICK,
    _FLIFE,
    _FLIP,
    _FOLLOW,
    _JUMP_MU,
    _JUMP_SIG,
    _LVL_MU,
    _LVL_SIG,
    _MAKER_CAP,
    _MAKER_DUST,
    _MAKER_POWER,
    _MIN_LOTS,
    _MIN_SHARE,
    _MOMENTUM,
    _MU_B,
    _MU_S,
    _N_PARAMS,
    _NCH,
    _NEAR_OCC,
    _NFB,
    _NPEND,
    _NTR,
    _OCC,
    _OCC_FAR,
    _OCC_SCALE,
    _REFILL,
    _REFORM,
    _REMNANT,
    _REPRICE,
    _ROUND,
    _SIDE,
    _SMALL_REFILL,
    _SPAN,
    _SPREAD,
    _STORM,
    _T,
    _TAKE_SHARE,
    _TAKER_ALPHA,
    _TAKER_CAP,
    _TAKER_MU,
    _TAKER_SIG,
    _TOUCH,
    _TOUCH_MU,
    _TOUCH_REMOVE,
    _TOUCH_SIG,
    _UPD,
    BLOCK,
    FAR_CAPACITY,
    MARGIN,
    PENDING_CAPACITY,
    WINDOW,
    _run,
)
from rlx_lib.synth.regimes import REGIMES, Regime, resolve_regime, symbol_preset, symbol_seed

__all__ = ["REGIMES", "MarketState", "Regime", "TruthStream", "simulate"]

FIRST_UPDATE_ID = 50_000_000_000
FIRST_TRADE_ID = 3_700_000_000

# Where far-from-touch book events land: (basis points from the touch, cumulative share).
PLACEMENT_BP = np.array(
    [0.0016, 0.032, 0.16, 1.0, 1.62, 4.26, 10.0, 22.8, 33.0, 100.0, 1000.0, 2000.0, 20000.0]
)
PLACEMENT_CDF = np.array(
    [0.0, 0.01, 0.04, 0.20, 0.27, 0.49, 0.69, 0.90, 0.932, 0.955, 0.99, 0.999, 1.0]
)
# Where flickers (orders living a few ms) land.
FLICKER_BP = np.array([0.0016, 0.016, 0.16, 1.62, 16.2, 100.0])
FLICKER_CDF = np.array([0.0, 0.026, 0.123, 0.559, 0.97, 1.0])


@dataclass
class MarketState:
    """Where a simulation stopped: book, ids, intensities and random state (for chaining)."""

    base: int  # tick number of dense index 0
    book: np.ndarray  # int64 [2, WINDOW] lots; row 0 bids, row 1 asks
    blocks: np.ndarray  # int64 [2, WINDOW >> BLOCK_BITS] levels per block
    far_price: np.ndarray  # int64 [2, FAR_CAPACITY] ticks
    far_size: np.ndarray  # int64 [2, FAR_CAPACITY] lots
    ints: np.ndarray  # int64 integer state
    floats: np.ndarray  # float64 time and intensities
    pending: np.ndarray  # float64 [PENDING_CAPACITY, 5]: time from end_ns, kind, side, price, size
    next_update_id: int
    next_trade_id: int
    end_ns: int


@dataclass(frozen=True)
class TruthStream:
    """One symbol's ground truth: every book level change (one update id each) and every fill.

    Prices and sizes are int64 units of 1e-8. Change ``i`` has update id
    ``first_update_id + i``; the initial book holds ``first_update_id - 1``.
    """

    symbol: str
    tick: int
    lot: int
    start_ns: int
    end_ns: int
    first_update_id: int
    initial_bid_price: np.ndarray
    initial_bid_size: np.ndarray
    initial_ask_price: np.ndarray
    initial_ask_size: np.ndarray
    change_time_ns: np.ndarray
    change_is_bid: np.ndarray
    change_price: np.ndarray
    change_size: np.ndarray
    trade_time_ns: np.ndarray
    trade_id: np.ndarray
    trade_price: np.ndarray
    trade_quantity: np.ndarray
    trade_buyer_is_maker: np.ndarray
    trade_taker_order: np.ndarray
    trade_update_id: np.ndarray
    final: MarketState | None = field(default=None, repr=False)


def _lots(notional: float, price: int, lot: int) -> float:
    """Lots worth ``notional`` units of quote currency."""
    return notional * UNITS_PER_ONE * UNITS_PER_ONE / (price * lot)


def _parameters(regime: Regime, *, price: int, tick: int, lot: int, seconds: float) -> np.ndarray:
    par = np.zeros(_N_PARAMS)
    ticks_per_bp = price / tick / 1e4
    # a sweep that moves the quotes excites half as much again (see _run)
    branching = regime.sweep_branching * (1.0 + 0.5 * regime.reprice_share)
    par[_MU_S] = regime.sweep_rate * (1.0 - branching)
    par[_A_S] = regime.sweep_branching * regime.sweep_decay
    par[_B_S] = regime.sweep_decay
    base_rate = (
        regime.book_rate * (1.0 - regime.book_branching)
        - regime.sweep_rate * regime.sweep_book_children
    )
    par[_MU_B] = max(base_rate, 0.01 * regime.book_rate)
    par[_A_B] = regime.book_branching * regime.book_decay
    par[_B_B] = regime.book_decay
    par[_A_SB] = regime.sweep_book_children * regime.book_decay
    par[_TOUCH], par[_FLICK], par[_UPD] = (
        regime.touch_share,
        regime.flicker_share,
        regime.update_share,
    )
    par[_FLIFE] = regime.flicker_life_ms / 1e3
    par[_OCC], par[_NEAR_OCC] = regime.occupancy, regime.near_occupancy
    par[_OCC_FAR] = regime.occupancy_far
    par[_REFORM] = regime.reform_share
    par[_TOUCH_REMOVE] = regime.touch_remove_share
    par[_STORM] = regime.storm_share
    par[_SPAN] = regime.span_bp * ticks_per_bp
    par[_LVL_MU] = math.log(_lots(regime.level_notional, price, lot))
    par[_LVL_SIG], par[_DUST_LVL] = regime.level_sigma, regime.dust_level_share
    par[_TOUCH_MU] = math.log(_lots(regime.touch_notional, price, lot))
    par[_TOUCH_SIG] = regime.touch_sigma
    par[_SPREAD] = regime.spread_ticks
    par[_REFILL] = regime.refill_ms / 1e3
    par[_REPRICE] = regime.reprice_share
    par[_JUMP_MU] = math.log(max(1.0, regime.jump_median_bp * ticks_per_bp))
    par[_JUMP_SIG], par[_MOMENTUM] = regime.jump_sigma, regime.momentum
    par[_MIN_LOTS] = max(1, math.ceil(_lots(regime.min_notional, price, lot)))
    par[_MIN_SHARE], par[_TAKE_SHARE] = regime.min_notional_share, regime.take_level_share
    par[_TAKER_MU] = math.log(_lots(regime.taker_notional, price, lot))
    par[_TAKER_SIG], par[_TAKER_ALPHA] = regime.taker_sigma, regime.taker_alpha
    par[_ROUND] = regime.round_share
    par[_MAKER_POWER], par[_MAKER_DUST] = regime.maker_power, regime.maker_dust_share
    par[_CONTINUE] = regime.continue_share
    par[_SMALL_REFILL] = regime.small_refill_share
    par[_REMNANT] = regime.remnant_share
    par[_MAKER_CAP] = math.log(_lots(regime.maker_cap_notional, price, lot))
    par[_CONTINUE_DELAY] = regime.continue_ms / 1e3
    par[_FOLLOW], par[_FLIP], par[_BUY] = regime.sign_follow, regime.sign_flip, regime.buy_share
    par[_END] = seconds
    par[_OCC_SCALE] = 1.0
    par[_TAKER_CAP] = _lots(regime.taker_notional * 5_000, price, lot)
    return par


def _targets(par: np.ndarray, distance: np.ndarray) -> np.ndarray:
    ratio = distance / par[_SPAN]
    inner = par[_OCC] + (par[_OCC_FAR] - par[_OCC]) * ratio**2
    outer = par[_OCC_FAR] / np.maximum(ratio, 1.0) ** 1.5
    occupancy = np.where(ratio <= 1.0, inner, outer)
    if par[_NEAR_OCC] > 0:
        occupancy = np.where(distance <= 10, par[_NEAR_OCC], occupancy)
    return np.minimum(1.0, occupancy * par[_OCC_SCALE])


def _level_sizes(rng: np.random.Generator, par: np.ndarray, count: int) -> np.ndarray:
    dust = (par[_MIN_LOTS] * np.exp(rng.random(count) * 3.0 - 2.0)).astype(np.int64) + 1
    body = np.maximum(
        1, np.round(np.exp(par[_LVL_MU] + par[_LVL_SIG] * rng.standard_normal(count)))
    )
    return np.where(rng.random(count) < par[_DUST_LVL], dust, body.astype(np.int64))


def _fresh_state(
    rng: np.random.Generator, regime: Regime, par: np.ndarray, *, price: int, tick: int
) -> MarketState:
    """A book drawn from the occupancy profile around ``price``, at least ``min_levels`` a side."""
    middle = price // tick
    base = max(1, middle - WINDOW // 2)
    best_bid = middle - base
    best_ask = best_bid + regime.spread_ticks
    bid_distance = np.arange(best_bid + 1, dtype=np.float64)
    expected = _targets(par, bid_distance).sum()
    if expected < regime.min_levels * 1.15:
        par[_OCC_SCALE] = regime.min_levels * 1.15 / max(expected, 1e-9)
    book = np.zeros((2, WINDOW), dtype=np.int64)
    for side, best, distance in (
        (0, best_bid, bid_distance),
        (1, best_ask, np.arange(WINDOW - best_ask, dtype=np.float64)),
    ):
        held = rng.random(distance.size) < _targets(par, distance)
        held[0] = True
        sizes = _level_sizes(rng, par, distance.size)
        sizes[0] = max(1, round(math.exp(par[_TOUCH_MU] + par[_TOUCH_SIG] * rng.standard_normal())))
        index = best - np.arange(distance.size) if side == 0 else best + np.arange(distance.size)
        book[side, index[held]] = sizes[held]
    blocks = (book > 0).reshape(2, -1, BLOCK).sum(axis=2).astype(np.int64)
    far_price = np.zeros((2, FAR_CAPACITY), dtype=np.int64)
    far_size = np.zeros((2, FAR_CAPACITY), dtype=np.int64)
    ints = np.zeros(12, dtype=np.int64)
    far_count = 20
    if base > 1:  # bids below the window
        far_price[0, :far_count] = np.unique(rng.integers(1, base, far_count))[::-1].repeat(1)[
            :far_count
        ]
    if base + WINDOW < 3 * middle:  # asks above it, up to twice the price away
        far_price[1, :far_count] = rng.integers(base + WINDOW, 3 * middle, far_count)
    for side in (0, 1):
        count = np.unique(far_price[side][far_price[side] > 0]).size
        far_price[side, :count] = np.unique(far_price[side][far_price[side] > 0])
        far_price[side, count:] = 0
        far_size[side, :count] = _level_sizes(rng, par, count)
        ints[_NFB + side] = count
    ints[_BB], ints[_BA] = best_bid, best_ask
    ints[_SIDE] = 1 if rng.random() < 0.5 else -1
    floats = np.array([0.0, regime.sweep_rate, regime.book_rate])
    pending = np.zeros((PENDING_CAPACITY, 5))
    return MarketState(
        base=base,
        book=book,
        blocks=blocks,
        far_price=far_price,
        far_size=far_size,
        ints=ints,
        floats=floats,
        pending=pending,
        next_update_id=FIRST_UPDATE_ID,
        next_trade_id=FIRST_TRADE_ID,
        end_ns=0,
    )


def _recentre(state: MarketState) -> None:
    """Move the dense window so the touch sits in its middle again; levels leaving the window
    join the far lists and far levels entering it join the dense book."""
    shift = max(int(state.ints[_BB]) - WINDOW // 2, 1 - state.base)
    if shift == 0:
        return
    base = state.base + shift
    book = np.zeros_like(state.book)
    far = []
    for side in (0, 1):
        index = np.flatnonzero(state.book[side])
        count = int(state.ints[_NFB + side])
        price = np.concatenate([index + state.base, state.far_price[side, :count]])
        size = np.concatenate([state.book[side, index], state.far_size[side, :count]])
        inside = (price >= base) & (price < base + WINDOW)
        book[side, price[inside] - base] = size[inside]
        far.append((price[~inside], size[~inside]))
    capacity = max(FAR_CAPACITY, *(2 * prices.size for prices, _ in far))
    state.far_price = np.zeros((2, capacity), dtype=np.int64)
    state.far_size = np.zeros((2, capacity), dtype=np.int64)
    for side, (price, size) in enumerate(far):
        state.far_price[side, : price.size] = price
        state.far_size[side, : size.size] = size
        state.ints[_NFB + side] = price.size
    state.book = book
    state.blocks = (book > 0).reshape(2, -1, BLOCK).sum(axis=2).astype(np.int64)
    state.base = base
    state.ints[_BB] -= shift
    state.ints[_BA] -= shift
    flickers = state.pending[: int(state.ints[_NPEND]), 1] == 0
    state.pending[: int(state.ints[_NPEND])][flickers, 3] -= shift


def _levels(state: MarketState, side: int, *, tick: int, lot: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.flatnonzero(state.book[side])
    count = int(state.ints[_NFB + side])
    price = np.concatenate([index + state.base, state.far_price[side, :count]])
    size = np.concatenate([state.book[side, index], state.far_size[side, :count]])
    order = np.argsort(-price if side == 0 else price, kind="stable")
    return price[order] * tick, size[order] * lot


def simulate(
    symbol: str,
    regime: str | Regime,
    *,
    start_ns: int,
    seconds: float,
    seed: int,
    initial: MarketState | None = None,
) -> TruthStream:
    """Simulate ``seconds`` of one symbol's market from ``start_ns`` (exchange time).

    Parameters
    ----------
    symbol
        Lake style, e.g. ``"BTC-USDT"``; unknown symbols get a preset derived from the name.
    regime
        A preset name from :data:`REGIMES` or a :class:`Regime`.
    start_ns, seconds
        The exchange-time window.
    seed
        Same seed, symbol, regime and window give identical arrays.
    initial
        ``previous.final`` to continue a previous window (``start_ns`` must equal its end).
    """
    if seconds <= 0:
        msg = f"seconds must be positive, received {seconds}"
        raise ConfigError(msg)
    preset = symbol_preset(symbol)
    rules = resolve_regime(regime)
    par = _parameters(rules, price=preset.price, tick=preset.tick, lot=preset.lot, seconds=seconds)
    if initial is None:
        rng = np.random.default_rng(seed ^ symbol_seed(symbol))
        state = _fresh_state(rng, rules, par, price=preset.price, tick=preset.tick)
    else:
        rng = np.random.default_rng([seed ^ symbol_seed(symbol), initial.next_update_id])
        state = _continued(initial, rules, par, start_ns=start_ns)
    bid_price, bid_size = _levels(state, 0, tick=preset.tick, lot=preset.lot)
    ask_price, ask_size = _levels(state, 1, tick=preset.tick, lot=preset.lot)
    changes, trades = _execute(rng, par, state, rules, seconds)
    state.ints[_NCH] = 0
    state.ints[_NTR] = 0
    return _assemble(
        symbol,
        preset,
        state,
        start_ns,
        seconds,
        changes,
        trades,
        (bid_price, bid_size, ask_price, ask_size),
    )


def _continued(
    initial: MarketState, rules: Regime, par: np.ndarray, *, start_ns: int
) -> MarketState:
    """A copy of ``initial`` to continue from, recentred if the book drifted toward an edge;
    ``par`` is scaled when the book would be thinner than the regime's minimum."""
    if initial.end_ns != start_ns:
        msg = (
            "a continuation must start where the previous window ended "
            f"({initial.end_ns}), not at {start_ns}"
        )
        raise ConfigError(msg)
    state = MarketState(**{name: _copy(value) for name, value in vars(initial).items()})
    middle = (state.ints[_BB] + state.ints[_BA]) // 2
    if not WINDOW // 8 < middle < WINDOW - WINDOW // 8:
        _recentre(state)
    expected = _targets(par, np.arange(state.ints[_BB] + 1, dtype=np.float64)).sum()
    if expected < rules.min_levels * 1.15:
        par[_OCC_SCALE] = rules.min_levels * 1.15 / max(expected, 1e-9)
    return state


def _copy(value: object) -> object:
    return value.copy() if isinstance(value, np.ndarray) else value


def _execute(
    rng: np.random.Generator, par: np.ndarray, state: MarketState, rules: Regime, seconds: float
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Run the kernel to the end of the window, growing the output arrays as needed."""
    # a storm moves about 150 levels (two changes each); a sweep makes about 8 changes
    per_event = 1 + rules.flicker_share + 300 * rules.storm_share
    expected = seconds * (rules.book_rate * per_event + rules.sweep_rate * 8) * 1.3
    size = int(expected) + 2 * MARGIN
    changes = (
        np.zeros(size),
        np.zeros(size, np.bool_),
        np.zeros(size, np.int64),
        np.zeros(size, np.int64),
    )
    size = int(seconds * rules.sweep_rate * 4 * 1.3) + 2 * MARGIN
    trades = (
        np.zeros(size),
        np.zeros(size, np.int64),
        np.zeros(size, np.int64),
        np.zeros(size, np.bool_),
        np.zeros(size, np.int64),
        np.zeros(size, np.int64),
    )
    tables = (
        PLACEMENT_BP * par[_SPAN] / 33.0,
        PLACEMENT_CDF,
        FLICKER_BP * par[_SPAN] / 33.0,
        FLICKER_CDF,
    )
    state.ints[_NCH] = 0
    state.ints[_NTR] = 0
    while True:
        full = _run(
            rng, par, state.base, state.book, state.blocks, state.far_price, state.far_size,
            state.pending, state.ints, state.floats, tables, changes, trades,
        )  # fmt: skip
        if not full:
            break
        changes = tuple(np.concatenate([column, np.zeros_like(column)]) for column in changes)
        trades = tuple(np.concatenate([column, np.zeros_like(column)]) for column in trades)
    count = int(state.ints[_NCH])
    changes = tuple(column[:count] for column in changes)
    count = int(state.ints[_NTR])
    trades = tuple(column[:count] for column in trades)
    state.floats[_T] = 0.0
    pending = int(state.ints[_NPEND])
    state.pending[:pending, 0] -= seconds
    return changes, trades


def _assemble(
    symbol, preset, state, start_ns, seconds, changes, trades, initial_book
) -> TruthStream:
    change_t, change_bid, change_px, change_sz = changes
    trade_t, trade_px, trade_qty, trade_bm, trade_taker, trade_change = trades
    first_update_id = state.next_update_id
    first_trade_id = state.next_trade_id
    end_ns = start_ns + round(seconds * 1e9)
    state.next_update_id += change_t.size
    state.next_trade_id += trade_t.size
    state.end_ns = end_ns
    bid_price, bid_size, ask_price, ask_size = initial_book
    return TruthStream(
        symbol=symbol,
        tick=preset.tick,
        lot=preset.lot,
        start_ns=start_ns,
        end_ns=end_ns,
        first_update_id=first_update_id,
        initial_bid_price=bid_price,
        initial_bid_size=bid_size,
        initial_ask_price=ask_price,
        initial_ask_size=ask_size,
        change_time_ns=start_ns + np.round(change_t * 1e9).astype(np.int64),
        change_is_bid=change_bid,
        change_price=change_px * preset.tick,
        change_size=change_sz * preset.lot,
        trade_time_ns=start_ns + np.round(trade_t * 1e9).astype(np.int64),
        trade_id=first_trade_id + np.arange(trade_t.size, dtype=np.int64),
        trade_price=trade_px * preset.tick,
        trade_quantity=trade_qty * preset.lot,
        trade_buyer_is_maker=trade_bm,
        trade_taker_order=trade_taker,
        trade_update_id=first_update_id + trade_change,
        final=state,
    )
