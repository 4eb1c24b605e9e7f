"""The compiled core of the synthetic market: one event loop over an exact int64 book.

See :mod:`rlx_lib.synth.market` for the model. The book is a dense window of ``WINDOW`` ticks
per side (row 0 bids, row 1 asks, sizes in lots), a count of levels per ``BLOCK`` ticks, and a
short list of far-away levels. Scalars travel in small arrays indexed by the constants below
(``ints``, ``floats``, ``par``), so that a run can stop and resume anywhere.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

WINDOW_BITS = 20
WINDOW = 1 << WINDOW_BITS
BLOCK_BITS = 4
BLOCK = 1 << BLOCK_BITS
FAR_CAPACITY = 4096
PENDING_CAPACITY = 1024
REGULATION_BIAS = 0.55  # a block chain with under one level per block overshoots its goal
MARGIN = 60_000  # free output rows kept before each event (the largest sweep fits)

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
