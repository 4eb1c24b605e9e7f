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

Every level change consumes one update id; every fill is one trade. The kernel is numba
compiled and keeps the book as exact int64 lots on a dense tick window of 2**20 ticks
around the price, plus a short list of far-away levels.

Chaining: ``simulate(..., initial=previous.final)`` continues the same market where a
previous window ended (book, ids, intensities, random state), so a day can be produced hour
by hour with bounded memory::

    truth = simulate("BTC-USDT", "high", start_ns=day_ns, seconds=3600, seed=7)
    for hour in range(1, 24):
        truth = simulate("BTC-USDT", "high", start_ns=truth.end_ns, seconds=3600, seed=7,
                         initial=truth.final)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from rlx_lib.decimals import UNITS_PER_ONE
from rlx_lib.errors import ConfigError
from rlx_lib.synth.regimes import REGIMES, Regime, resolve_regime, symbol_preset, symbol_seed

__all__ = ["REGIMES", "MarketState", "Regime", "TruthStream", "simulate"]

WINDOW_BITS = 20
WINDOW = 1 << WINDOW_BITS
BLOCK_BITS = 4
BLOCK = 1 << BLOCK_BITS
FAR_CAPACITY = 4096
PENDING_CAPACITY = 1024
REGULATION_BIAS = 0.55  # a block chain with under one level per block overshoots its goal
MARGIN = 60_000  # free output rows kept before each event (the largest sweep fits)
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

# integer state
_BB, _BA, _NCH, _NTR, _TAKER, _SIDE, _NPEND, _NFB, _NFA, _GAP, _REFILL_B, _REFILL_A = range(12)
# float state
_T, _LS, _LB = range(3)
# parameters
(
    _MU_S, _A_S, _B_S, _MU_B, _A_B, _B_B, _A_SB, _TOUCH, _FLICK, _UPD, _FLIFE, _OCC, _NEAR_OCC,
    _SPAN, _LVL_MU, _LVL_SIG, _DUST_LVL, _TOUCH_MU, _TOUCH_SIG, _SPREAD, _REFILL, _REPRICE,
    _JUMP_MU, _JUMP_SIG, _MOMENTUM, _MIN_LOTS, _MIN_SHARE, _TAKE_SHARE, _TAKER_MU, _TAKER_SIG,
    _TAKER_ALPHA, _ROUND, _MAKER_POWER, _CONTINUE, _MAKER_DUST, _FOLLOW, _FLIP, _BUY, _END,
    _OCC_SCALE, _TAKER_CAP, _OCC_FAR, _REFORM, _TOUCH_REMOVE, _STORM, _CONTINUE_DELAY,
    _SMALL_REFILL, _MAKER_CAP, _REMNANT, _N_PARAMS,
) = range(50)  # fmt: skip


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


# --------------------------------------------------------------------------- kernel


@njit(cache=True)
def _draw_table(rng, xs, cdf):
    u = rng.random()
    k = np.searchsorted(cdf, u)
    if k <= 0:
        return xs[0]
    if k >= cdf.size:
        return xs[-1]
    f = (u - cdf[k - 1]) / (cdf[k] - cdf[k - 1])
    return math.exp(math.log(xs[k - 1]) + f * (math.log(xs[k]) - math.log(xs[k - 1])))


@njit(cache=True)
def _lognormal_lots(rng, mu, sigma):
    return max(1, round(math.exp(mu + sigma * rng.standard_normal())))


@njit(cache=True)
def _level_lots(rng, par):
    if rng.random() < par[_DUST_LVL]:
        return int(par[_MIN_LOTS] * math.exp(rng.random() * 3.0 - 2.0)) + 1
    return _lognormal_lots(rng, par[_LVL_MU], par[_LVL_SIG])


@njit(cache=True)
def _target(par, d):
    if d <= 10 and par[_NEAR_OCC] > 0.0:
        occ = par[_NEAR_OCC]
    elif d <= par[_SPAN]:
        occ = par[_OCC] + (par[_OCC_FAR] - par[_OCC]) * (d / par[_SPAN]) ** 2
    else:
        occ = par[_OCC_FAR] * (par[_SPAN] / d) ** 1.5
    return min(1.0, occ * par[_OCC_SCALE])


@njit(cache=True)
def _next_bid(book, blocks, i):
    j = i - 1
    while j >= 0:
        if blocks[0, j >> BLOCK_BITS] == 0:
            j = ((j >> BLOCK_BITS) << BLOCK_BITS) - 1
            continue
        if book[0, j] > 0:
            return j
        j -= 1
    return -1


@njit(cache=True)
def _next_ask(book, blocks, i):
    j = i + 1
    while j < WINDOW:
        if blocks[1, j >> BLOCK_BITS] == 0:
            j = ((j >> BLOCK_BITS) + 1) << BLOCK_BITS
            continue
        if book[1, j] > 0:
            return j
        j += 1
    return WINDOW


@njit(cache=True)
def _emit(t, is_bid, price, size, ist, ch_t, ch_bid, ch_px, ch_sz):
    n = ist[_NCH]
    ch_t[n] = t
    ch_bid[n] = is_bid
    ch_px[n] = price
    ch_sz[n] = size
    ist[_NCH] = n + 1
    return n


@njit(cache=True)
def _set(side, i, new, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz):
    old = book[side, i]
    if new == old:
        return -1
    if old == 0:
        blocks[side, i >> BLOCK_BITS] += 1
    elif new == 0:
        blocks[side, i >> BLOCK_BITS] -= 1
    book[side, i] = new
    n = _emit(t, side == 0, i + base, new, ist, ch_t, ch_bid, ch_px, ch_sz)
    if side == 0:
        if new > 0 and i > ist[_BB]:
            ist[_BB] = i
        elif new == 0 and i == ist[_BB]:
            ist[_BB] = _next_bid(book, blocks, i)
            ist[_GAP] = 0
    else:
        if new > 0 and i < ist[_BA]:
            ist[_BA] = i
        elif new == 0 and i == ist[_BA]:
            ist[_BA] = _next_ask(book, blocks, i)
            ist[_GAP] = 1
    return n


@njit(cache=True)
def _schedule(pend, ist, t, kind, side, price, size):
    n = ist[_NPEND]
    if n >= pend.shape[0]:
        return False
    pend[n, 0] = t
    pend[n, 1] = kind
    pend[n, 2] = side
    pend[n, 3] = price
    pend[n, 4] = size
    ist[_NPEND] = n + 1
    return True


@njit(cache=True)
def _far_event(rng, side, pt, size, far_px, far_sz, ist, t, ch_t, ch_bid, ch_px, ch_sz):
    slot = _NFB + side
    n = ist[slot]
    if n > 0 and (rng.random() < 0.5 or n >= far_px.shape[1]):
        k = rng.integers(0, n)
        _emit(t, side == 0, far_px[side, k], 0, ist, ch_t, ch_bid, ch_px, ch_sz)
        far_px[side, k] = far_px[side, n - 1]
        far_sz[side, k] = far_sz[side, n - 1]
        ist[slot] = n - 1
        return
    for k in range(n):
        if far_px[side, k] == pt:
            far_sz[side, k] += size
            _emit(t, side == 0, pt, far_sz[side, k], ist, ch_t, ch_bid, ch_px, ch_sz)
            return
    far_px[side, n] = pt
    far_sz[side, n] = size
    ist[slot] = n + 1
    _emit(t, side == 0, pt, size, ist, ch_t, ch_bid, ch_px, ch_sz)


@njit(cache=True)
def _book_event(rng, par, t, base, book, blocks, far_px, far_sz, pend, ist, tables, ch):
    ch_t, ch_bid, ch_px, ch_sz = ch
    place_x, place_c, flick_x, flick_c = tables
    side = 0 if rng.random() < 0.5 else 1
    best = ist[_BB] if side == 0 else ist[_BA]
    if best < 0 or best >= WINDOW:
        return
    kind = rng.random()
    if kind < par[_TOUCH]:
        size = book[side, best]
        pivot = math.exp(par[_TOUCH_MU])
        chunk = _lognormal_lots(rng, par[_TOUCH_MU] - 2.0, 1.0)
        if rng.random() < par[_TOUCH_REMOVE]:
            new = 0
        elif rng.random() * (pivot + size) < pivot:
            new = size + chunk
        elif rng.random() < par[_REMNANT]:  # the large orders leave, small ones stay
            new = min(size, int(par[_MIN_LOTS] * (1.0 + 10.0 * rng.random())))
        else:
            new = max(1, int(size * rng.random()))
        _set(side, best, new, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
        return
    if kind < par[_TOUCH] + par[_STORM]:
        _storm(rng, par, side, best, t, base, book, blocks, ist, tables, ch)
        return
    if kind < par[_TOUCH] + par[_STORM] + par[_FLICK]:
        d = max(1, int(_draw_table(rng, flick_x, flick_c)))
        i = best - d if side == 0 else best + d
        if 0 <= i < WINDOW and book[side, i] == 0:
            size = _level_lots(rng, par)
            life = rng.exponential(par[_FLIFE])
            if _schedule(pend, ist, t + life, 0, side, i, size):
                _set(side, i, size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
            return
    d = max(1, int(_draw_table(rng, place_x, place_c)))
    i = best - d if side == 0 else best + d
    if i < 0 or i >= WINDOW:
        pt = base + i
        if pt < 1:
            pt = 1 + rng.integers(0, max(1, base - 1))
        _far_event(
            rng, side, pt, _level_lots(rng, par), far_px, far_sz, ist, t, ch_t, ch_bid, ch_px, ch_sz
        )
        return
    block = i >> BLOCK_BITS
    count = blocks[side, block]
    goal = _target(par, d) * BLOCK * REGULATION_BIAS
    update = rng.random() < par[_UPD]
    if not update and rng.random() < goal / (count + goal):
        _set(
            side,
            i,
            book[side, i] + _level_lots(rng, par),
            t,
            base,
            book,
            blocks,
            ist,
            ch_t,
            ch_bid,
            ch_px,
            ch_sz,
        )
        return
    for hop in range(2):
        start = (block + (hop if side == 1 else -hop)) << BLOCK_BITS
        if start < 0 or start + BLOCK > WINDOW:
            return
        offset = rng.integers(0, BLOCK)
        for step in range(BLOCK):
            j = start + (offset + step) % BLOCK
            if book[side, j] > 0 and j != best:
                size = book[side, j]
                if not update:
                    new = 0
                elif rng.random() < 0.5:
                    new = size + _level_lots(rng, par)
                else:
                    new = max(1, int(size * (0.1 + 0.8 * rng.random())))
                _set(side, j, new, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
                return


@njit(cache=True)
def _storm(rng, par, side, best, t, base, book, blocks, ist, tables, ch):
    """A market maker re-quotes a run of levels: each is cancelled and placed a few ticks
    further out, the farthest first (so no level moves twice)."""
    ch_t, ch_bid, ch_px, ch_sz = ch
    place_x, place_c = tables[0], tables[1]
    run = np.empty(min(_lognormal_lots(rng, math.log(90.0), 1.0), 1024), np.int64)
    shift = 1 + rng.integers(0, 8)
    step = -1 if side == 0 else 1
    i = best + step * max(1, int(_draw_table(rng, place_x, place_c)))
    count = 0
    while count < run.size and 0 <= i + step * shift < WINDOW and 0 <= i < WINDOW:
        if book[side, i] > 0 and i != best:
            run[count] = i
            count += 1
        i += step
    for k in range(count - 1, -1, -1):
        i = run[k]
        size = book[side, i]
        j = i + step * shift
        _set(side, i, 0, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
        _set(side, j, book[side, j] + size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)


@njit(cache=True)
def _taker_lots(rng, par, best_size):
    """A taker order: the minimum notional, or a lognormal body with a Pareto tail, rounded
    now and then; some takers also take a small best level whole."""
    r = rng.random()
    if r < par[_MIN_SHARE]:
        return int(par[_MIN_LOTS])
    z = rng.standard_normal()
    if z < 1.645:
        lots = math.exp(par[_TAKER_MU] + par[_TAKER_SIG] * z)
    else:
        tail = rng.random() ** (-1.0 / par[_TAKER_ALPHA])
        lots = math.exp(par[_TAKER_MU] + par[_TAKER_SIG] * 1.645) * tail
    lots = min(lots, par[_TAKER_CAP])
    if rng.random() < par[_ROUND] and lots >= 1.0:
        scale = 10.0 ** math.floor(math.log10(lots))
        lots = max(1.0, round(lots / scale)) * scale
    lots = max(1, round(lots))
    if r < par[_MIN_SHARE] + par[_TAKE_SHARE] and best_size < 0.12 * math.exp(par[_TOUCH_MU]):
        lots += best_size
    return lots


@njit(cache=True)
def _reprice(rng, par, sign, t, base, book, blocks, pend, ist, ch):
    """Move the quotes by a heavy-tailed jump in the direction ``sign``.

    A new level appears at the target price, the levels in the way are cancelled from the far
    end (so the best changes once), the other side steps up to the new best and re-forms on
    some of the cancelled prices. Some jumps continue a little later (momentum).
    """
    ch_t, ch_bid, ch_px, ch_sz = ch
    jump = max(1, int(math.exp(par[_JUMP_MU] + par[_JUMP_SIG] * rng.standard_normal())))
    side = 1 if sign > 0 else 0
    other = 1 - side
    step = 1 if side == 1 else -1
    best = ist[_BA] if side == 1 else ist[_BB]
    if best < 0 or best >= WINDOW:
        return
    target = min(max(best + step * jump, 1), WINDOW - 2)
    cleared = np.empty(256, np.int64)
    count = 0
    i = best
    while i != target:
        if book[side, i] > 0:
            if count == cleared.size:
                target = i
                break
            cleared[count] = i
            count += 1
        i += step
    if book[side, target] == 0:
        size = _lognormal_lots(rng, par[_TOUCH_MU], par[_TOUCH_SIG])
        _set(side, target, size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
    for k in range(count - 1, -1, -1):
        _set(side, cleared[k], 0, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
    width = 1 + rng.integers(0, int(par[_SPREAD]))
    j = target - step * width
    if 0 <= j < WINDOW and (j - ist[_BB] if other == 0 else ist[_BA] - j) > 0:
        size = book[other, j] + _lognormal_lots(rng, par[_TOUCH_MU], par[_TOUCH_SIG])
        _set(other, j, size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
    for k in range(count):
        price = cleared[k]
        if price != j and rng.random() < par[_REFORM]:
            size = book[other, price] + _level_lots(rng, par)
            _set(other, price, size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
    if rng.random() < par[_CONTINUE]:
        _schedule(pend, ist, t + rng.exponential(par[_CONTINUE_DELAY]), 2, side, 0, 0)


@njit(cache=True)
def _sweep(rng, par, t, base, book, blocks, pend, ist, ch, tr):
    ch_t, ch_bid, ch_px, ch_sz = ch
    tr_t, tr_px, tr_qty, tr_bm, tr_taker, tr_change = tr
    if rng.random() < par[_FLIP]:
        ist[_SIDE] = -ist[_SIDE]
    sign = ist[_SIDE] if rng.random() < par[_FOLLOW] else 1 if rng.random() < par[_BUY] else -1
    side = 1 if sign > 0 else 0
    best = ist[_BA] if side == 1 else ist[_BB]
    if best < 0 or best >= WINDOW:
        return False
    remaining = _taker_lots(rng, par, book[side, best])
    taker = ist[_TAKER]
    ist[_TAKER] = taker + 1
    while remaining > 0:
        best = ist[_BA] if side == 1 else ist[_BB]
        if best < 0 or best >= WINDOW:
            break
        level = book[side, best]
        start = level
        while remaining > 0 and level > 0:
            if rng.random() < par[_MAKER_DUST]:
                maker = int(par[_MIN_LOTS])
            else:
                cap = math.exp(par[_MAKER_CAP] + 1.2 * rng.standard_normal())
                maker = max(1, int(min(start * rng.random() ** par[_MAKER_POWER], cap)))
            fill = min(remaining, level, maker)
            level -= fill
            remaining -= fill
            n = _set(side, best, level, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)
            k = ist[_NTR]
            tr_t[k] = t
            tr_px[k] = best + base
            tr_qty[k] = fill
            tr_bm[k] = sign < 0
            tr_taker[k] = taker
            tr_change[k] = n
            ist[_NTR] = k + 1
    if rng.random() < par[_REPRICE]:
        direction = sign if rng.random() < par[_MOMENTUM] else -sign
        _reprice(rng, par, direction, t, base, book, blocks, pend, ist, ch)
        return True
    return False


@njit(cache=True)
def _pending(k, rng, par, t, base, book, blocks, pend, ist, ch):
    ch_t, ch_bid, ch_px, ch_sz = ch
    kind, side, i, size = int(pend[k, 1]), int(pend[k, 2]), int(pend[k, 3]), int(pend[k, 4])
    last = ist[_NPEND] - 1
    pend[k, :] = pend[last, :]
    ist[_NPEND] = last
    if kind == 0:
        held = book[side, i]
        if held > 0:
            _set(
                side, i, max(0, held - size), t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz
            )
        return
    if kind == 2:  # a jump continues in the same direction
        _reprice(rng, par, 1 if side == 1 else -1, t, base, book, blocks, pend, ist, ch)
        return
    ist[_REFILL_B + side] = 0
    spread = ist[_BA] - ist[_BB]
    if ist[_BB] < 0 or ist[_BA] >= WINDOW or spread <= par[_SPREAD]:
        return
    width = 1 + rng.integers(0, int(par[_SPREAD]))
    i = ist[_BA] - width if side == 0 else ist[_BB] + width
    if rng.random() < par[_SMALL_REFILL]:
        size = _level_lots(rng, par)
    else:
        size = _lognormal_lots(rng, par[_TOUCH_MU], par[_TOUCH_SIG])
    _set(side, i, book[side, i] + size, t, base, book, blocks, ist, ch_t, ch_bid, ch_px, ch_sz)


@njit(cache=True)
def _run(rng, par, base, book, blocks, far_px, far_sz, pend, ist, fst, tables, ch, tr):
    """Advance the market to ``par[_END]`` seconds; 1 if the output arrays are nearly full."""
    capacity_changes = ch[0].size - MARGIN
    capacity_trades = tr[0].size - MARGIN
    mu_s, a_s, b_s = par[_MU_S], par[_A_S], par[_B_S]
    mu_b, a_b, b_b = par[_MU_B], par[_A_B], par[_B_B]
    end = par[_END]
    while True:
        if ist[_NCH] > capacity_changes or ist[_NTR] > capacity_trades:
            return 1
        t, ls, lb = fst[_T], fst[_LS], fst[_LB]
        bound = ls + lb
        step = rng.exponential(1.0 / bound)
        due = -1
        for k in range(ist[_NPEND]):
            if pend[k, 0] <= t + step and (due < 0 or pend[k, 0] < pend[due, 0]):
                due = k
        now = t + step if due < 0 else max(t, pend[due, 0])
        if now >= end:
            now = end
        gap = now - t
        ls = mu_s + (ls - mu_s) * math.exp(-b_s * gap)
        lb = mu_b + (lb - mu_b) * math.exp(-b_b * gap)
        fst[_T], fst[_LS], fst[_LB] = now, ls, lb
        if now >= end:
            return 0
        if due >= 0:
            _pending(due, rng, par, now, base, book, blocks, pend, ist, ch)
        else:
            u = rng.random() * bound
            if u < ls:
                moved = _sweep(rng, par, now, base, book, blocks, pend, ist, ch, tr)
                fst[_LS] = ls + a_s * (1.5 if moved else 1.0)
                fst[_LB] = lb + par[_A_SB]
            elif u < ls + lb:
                _book_event(
                    rng, par, now, base, book, blocks, far_px, far_sz, pend, ist, tables, ch
                )
                fst[_LB] = lb + a_b
        gap_side = ist[_GAP]
        if (
            gap_side >= 0
            and ist[_BA] - ist[_BB] > par[_SPREAD]
            and ist[_REFILL_B + gap_side] == 0
            and _schedule(pend, ist, now + rng.exponential(par[_REFILL]), 1, gap_side, 0, 0)
        ):
            ist[_REFILL_B + gap_side] = 1


# --------------------------------------------------------------------------- setup


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
    """Move the dense window so the touch sits in its middle again (levels falling out go far)."""
    shift = int(state.ints[_BB]) - WINDOW // 2
    shift = max(shift, 1 - state.base)
    if shift == 0:
        return
    old = state.book
    book = np.zeros_like(old)
    if shift > 0:
        book[:, : WINDOW - shift] = old[:, shift:]
        dropped = old[:, :shift]
        dropped_index = np.arange(shift)
    else:
        book[:, -shift:] = old[:, : WINDOW + shift]
        dropped = old[:, WINDOW + shift :]
        dropped_index = np.arange(WINDOW + shift, WINDOW)
    for side in (0, 1):
        held = dropped[side] > 0
        count = int(state.ints[_NFB + side])
        moved = min(int(held.sum()), FAR_CAPACITY - count)
        state.far_price[side, count : count + moved] = (dropped_index[held] + state.base)[:moved]
        state.far_size[side, count : count + moved] = dropped[side][held][:moved]
        state.ints[_NFB + side] = count + moved
    state.book = book
    state.blocks = (book > 0).reshape(2, -1, BLOCK).sum(axis=2).astype(np.int64)
    state.base += shift
    state.ints[_BB] -= shift
    state.ints[_BA] -= shift
    keep = state.pending[:, 1] == 0
    state.pending[keep, 3] -= shift


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
        if initial.end_ns != start_ns:
            msg = (
                "a continuation must start where the previous window ended "
                f"({initial.end_ns}), not at {start_ns}"
            )
            raise ConfigError(msg)
        rng = np.random.default_rng([seed ^ symbol_seed(symbol), initial.next_update_id])
        state = MarketState(**{name: _copy(value) for name, value in vars(initial).items()})
        middle = (state.ints[_BB] + state.ints[_BA]) // 2
        if not WINDOW // 8 < middle < WINDOW - WINDOW // 8:
            _recentre(state)
        expected = _targets(par, np.arange(state.ints[_BB] + 1, dtype=np.float64)).sum()
        if expected < rules.min_levels * 1.15:
            par[_OCC_SCALE] = rules.min_levels * 1.15 / max(expected, 1e-9)
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


def _copy(value: object) -> object:
    return value.copy() if isinstance(value, np.ndarray) else value


def _execute(
    rng: np.random.Generator, par: np.ndarray, state: MarketState, rules: Regime, seconds: float
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Run the kernel to the end of the window, growing the output arrays as needed."""
    expected = seconds * (rules.book_rate * (1 + rules.flicker_share) + rules.sweep_rate * 6) * 1.3
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
