"""The L2 book kernel: exact int64 prices and sizes, compiled with numba.

Each side keeps its levels by a *key* where smaller is better (``key = price`` for asks,
``key = -price`` for bids), in two parts:

- a dense window of ``WINDOW`` ticks starting at ``base`` (one int64 size per tick, plus one
  occupancy bit per tick in 64-bit words, so a scan finds the next level a word at a time),
  which holds the busy part of the book near the touch;
- an exact sorted fallback (keys descending, so the best sits at the end) for every level
  outside the window or off its tick grid: orders twice the price away, or a price that is not
  a multiple of the inferred tick. There is no level-count limit; the fallback grows.

The window re-centres on the touch when the best level drifts toward its edges, re-inferring
the tick as the gcd of the prices present. Top-N reads merge the window and the fallback.
All state lives in numpy arrays so the hot loop (:func:`replay_messages`) runs without the
interpreter; :class:`rlx_lib.reconstruction.book.L2Book` wraps them.
"""

from __future__ import annotations

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

__all__ = [
    "BLOCK_SHIFT",
    "EMPTY_KEY",
    "META_FIELDS",
    "WINDOW",
    "best_key",
    "clear_side",
    "dense_count",
    "new_state",
    "recenter",
    "replay_messages",
    "set_level",
    "side_levels",
    "top_levels",
]

WINDOW = 1 << 20
"""Dense ticks per side: 8 MB, about 10,000 USD of BTC-USDT at its 0.01 tick. A smaller window
sends the busy far levels of a real-shaped book to the sorted fallback, whose inserts shift
elements, and a real-shaped day rebuilds markedly slower (measure with ``rlx bench
reconstruct``)."""
BLOCK_SHIFT = 6
EMPTY_KEY = np.iinfo(np.int64).max
# meta columns per side
BASE, TICK, BEST, COUNT, FAR, OFF_GRID = 0, 1, 2, 3, 4, 5
META_FIELDS = 6
_OFF_GRID_LIMIT = 64


def new_state(window: int = WINDOW, capacity: int = 1024) -> tuple[np.ndarray, ...]:
    """Empty book arrays: ``(dense, bits, meta, far_key, far_size)`` for bids (0) and asks (1)."""
    dense = np.zeros((2, window), dtype=np.int64)
    bits = np.zeros((2, (window >> BLOCK_SHIFT) + 1), dtype=np.int64)
    meta = np.zeros((2, META_FIELDS), dtype=np.int64)
    meta[:, BEST] = -1
    far_key = np.zeros((2, capacity), dtype=np.int64)
    far_size = np.zeros((2, capacity), dtype=np.int64)
    return dense, bits, meta, far_key, far_size


@numba.njit(cache=True, nogil=True, inline="always")
def _next_occupied(dense, bits, side, index):
    """First occupied dense index >= ``index`` (or the window length)."""
    width = dense.shape[1]
    if index >= width:
        return width
    word_index = index >> BLOCK_SHIFT
    word = bits[side, word_index] & (np.int64(-1) << (index & 63))
    last = (width - 1) >> BLOCK_SHIFT
    while word == 0:
        word_index += 1
        if word_index > last:
            return width
        word = bits[side, word_index]
    return (word_index << BLOCK_SHIFT) + trailing_zeros(word)  # one instruction (tzcnt)


@numba.njit(cache=True, nogil=True, inline="always")
def _mark(bits, side, index, occupied):
    """Set or clear the occupancy bit of dense ``index``."""
    mask = np.int64(1) << (index & 63)
    if occupied:
        bits[side, index >> BLOCK_SHIFT] |= mask
    else:
        bits[side, index >> BLOCK_SHIFT] &= ~mask


@numba.njit(cache=True, nogil=True, inline="always")
def _far_position(far_key, side, count, key):
    """Index of the first far key <= ``key`` (far keys are sorted descending)."""
    low, high = 0, count
    while low < high:
        middle = (low + high) >> 1
        if far_key[side, middle] > key:
            low = middle + 1
        else:
            high = middle
    return low


@numba.njit(cache=True, nogil=True, inline="always")
def set_level(dense, bits, meta, far_key, far_size, side, key, size):
    """Set the size at ``key`` on ``side`` (0 removes it). The caller ensures far capacity."""
    width = dense.shape[1]
    base = meta[side, BASE]
    tick = meta[side, TICK]
    offset = key - base
    index = offset // tick if tick > 0 and offset >= 0 else width
    if index < width and index * tick == offset:
        old = dense[side, index]
        if size == 0:
            if old != 0:
                dense[side, index] = 0
                _mark(bits, side, index, False)
                meta[side, COUNT] -= 1
                if index == meta[side, BEST]:
                    if meta[side, COUNT] == 0:
                        meta[side, BEST] = -1
                    else:
                        meta[side, BEST] = _next_occupied(dense, bits, side, index + 1)
        else:
            if old == 0:
                _mark(bits, side, index, True)
                meta[side, COUNT] += 1
                if meta[side, BEST] < 0 or index < meta[side, BEST]:
                    meta[side, BEST] = index
            dense[side, index] = size
        return
    count = meta[side, FAR]
    position = _far_position(far_key, side, count, key)
    found = position < count and far_key[side, position] == key
    if size == 0:
        if found:
            far_key[side, position : count - 1] = far_key[side, position + 1 : count]
            far_size[side, position : count - 1] = far_size[side, position + 1 : count]
            meta[side, FAR] = count - 1
        return
    if found:
        far_size[side, position] = size
        return
    for moved in range(count, position, -1):
        far_key[side, moved] = far_key[side, moved - 1]
        far_size[side, moved] = far_size[side, moved - 1]
    far_key[side, position] = key
    far_size[side, position] = size
    meta[side, FAR] = count + 1
    if tick == 0 or (offset >= 0 and offset // max(tick, 1) < width):
        meta[side, OFF_GRID] += 1


@numba.njit(cache=True, nogil=True, inline="always")
def best_key(meta, far_key, side):
    """The best (smallest) key on ``side``, or ``EMPTY_KEY``."""
    best = EMPTY_KEY
    if meta[side, BEST] >= 0:
        best = meta[side, BASE] + meta[side, BEST] * meta[side, TICK]
    count = meta[side, FAR]
    if count > 0 and far_key[side, count - 1] < best:
        best = far_key[side, count - 1]
    return best


@numba.njit(cache=True, nogil=True)
def dense_count(meta, side):
    """Levels of ``side`` held in the dense window."""
    return meta[side, COUNT]


@numba.njit(cache=True, nogil=True)
def top_levels(
    dense,
    bits,
    meta,
    far_key,
    far_size,
    side,
    depth,
    out_key,
    out_size,
    row,
    sign=1,
    empty=EMPTY_KEY,
):
    """Write the best ``depth`` levels of ``side`` into ``out_key[row]``/``out_size[row]``.

    Keys are written times ``sign``; empty slots get key ``empty`` and size 0. Returns the
    number of levels written.
    """
    width = dense.shape[1]
    base = meta[side, BASE]
    tick = meta[side, TICK]
    index = meta[side, BEST] if meta[side, BEST] >= 0 else width
    remaining = meta[side, COUNT]
    far = meta[side, FAR] - 1
    written = 0
    far_best = far_key[side, far] if far >= 0 else EMPTY_KEY
    while written < depth and remaining > 0:  # the common case: window levels before any far one
        index = _next_occupied(dense, bits, side, index)
        dense_key = base + index * tick
        if index >= width or dense_key >= far_best:
            break
        out_key[row, written] = sign * dense_key
        out_size[row, written] = dense[side, index]
        index += 1
        remaining -= 1
        written += 1
    while written < depth:  # merge the window with the fallback
        dense_key = EMPTY_KEY
        if remaining > 0 and index < width:
            index = _next_occupied(dense, bits, side, index)
            if index < width:
                dense_key = base + index * tick
        far_key_value = far_key[side, far] if far >= 0 else EMPTY_KEY
        if dense_key == EMPTY_KEY and far_key_value == EMPTY_KEY:
            break
        if dense_key < far_key_value:
            out_key[row, written] = sign * dense_key
            out_size[row, written] = dense[side, index]
            index += 1
            remaining -= 1
        else:
            out_key[row, written] = sign * far_key_value
            out_size[row, written] = far_size[side, far]
            far -= 1
        written += 1
    for slot in range(written, depth):
        out_key[row, slot] = empty
        out_size[row, slot] = 0
    return written


@numba.njit(cache=True, nogil=True)
def side_levels(dense, bits, meta, far_key, far_size, side):
    """Every level of ``side`` as ``(keys, sizes)``, best first."""
    total = meta[side, COUNT] + meta[side, FAR]
    keys = np.empty((1, total), dtype=np.int64)
    sizes = np.empty((1, total), dtype=np.int64)
    top_levels(dense, bits, meta, far_key, far_size, side, total, keys, sizes, 0)
    return keys[0], sizes[0]


@numba.njit(cache=True, nogil=True)
def clear_side(dense, bits, meta, side):
    """Remove every level of ``side`` (the window and tick are kept)."""
    width = dense.shape[1]
    for word in range(bits.shape[1]):
        if bits[side, word] != 0:
            start = word << BLOCK_SHIFT
            stop = min(start + 64, width)
            dense[side, start:stop] = 0
            bits[side, word] = 0
    meta[side, COUNT] = 0
    meta[side, BEST] = -1
    meta[side, FAR] = 0
    meta[side, OFF_GRID] = 0


@numba.njit(cache=True, nogil=True)
def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


@numba.njit(cache=True, nogil=True)
def recenter(dense, bits, meta, far_key, far_size, side):
    """Re-infer the tick and place the window so the touch sits a quarter into it."""
    keys, sizes = side_levels(dense, bits, meta, far_key, far_size, side)
    total = keys.shape[0]
    clear_side(dense, bits, meta, side)
    if total == 0:
        return
    width = dense.shape[1]
    tick = 0
    for position in range(min(total, 4096)):
        tick = _gcd(tick, abs(keys[position]))
    tick = max(tick, 1)
    base = keys[0] - (width // 4) * tick
    meta[side, TICK] = tick
    meta[side, BASE] = base
    far = 0
    for position in range(total - 1, -1, -1):  # worst first, so the fallback stays descending
        offset = keys[position] - base
        if offset >= 0 and offset % tick == 0 and offset // tick < width:
            index = offset // tick
            dense[side, index] = sizes[position]
            _mark(bits, side, index, True)
            meta[side, COUNT] += 1
            meta[side, BEST] = index
        else:
            far_key[side, far] = keys[position]
            far_size[side, far] = sizes[position]
            far += 1
    meta[side, FAR] = far


@numba.njit(cache=True, nogil=True, inline="always")
def _needs_recenter(meta, far_key, side, width):
    tick = meta[side, TICK]
    if meta[side, COUNT] + meta[side, FAR] == 0:
        return False
    if tick == 0 or meta[side, OFF_GRID] > _OFF_GRID_LIMIT:
        return True
    best = best_key(meta, far_key, side)
    offset = best - meta[side, BASE]
    return offset < (width // 16) * tick or offset > (width // 2) * tick


@numba.njit(cache=True, nogil=True)
def replay_messages(
    dense,
    bits,
    meta,
    far_key,
    far_size,
    row_is_bid,
    row_price,
    row_size,
    message_start,
    message_reset,
    first,
    out_bid_key,
    out_bid_size,
    out_ask_key,
    out_ask_size,
    out_crossed,
):
    """Apply messages ``first..`` and write the top levels after each one.

    Message ``m`` is rows ``message_start[m]:message_start[m+1]``; ``message_reset[m]`` clears
    the book first (a snapshot). Output row ``m - first`` receives the top ``depth`` levels
    (depth = ``out_bid_key.shape[1]``, keys as prices: bids positive) and ``out_crossed`` is
    set when the best bid >= the best ask. Returns the next message to apply: the end, or
    earlier when the fallback arrays must grow first (the caller grows them and calls again).
    """
    width = dense.shape[1]
    capacity = far_key.shape[1]
    depth = out_bid_key.shape[1]
    messages = message_start.shape[0] - 1
    # per side, the key of the previous message's last top level (EMPTY_KEY when the top was
    # not full): a message that changes no key at or better than it leaves that top unchanged
    threshold = np.full(2, EMPTY_KEY, dtype=np.int64)
    changed = np.zeros(2, dtype=np.bool_)
    for message in range(first, messages):
        start = message_start[message]
        stop = message_start[message + 1]
        rows = stop - start
        for side in range(2):
            if meta[side, COUNT] + meta[side, FAR] + rows >= capacity:
                return message
        out = message - first
        fresh = out == 0 or message_reset[message]
        changed[0] = fresh
        changed[1] = fresh
        if message_reset[message]:
            clear_side(dense, bits, meta, 0)
            clear_side(dense, bits, meta, 1)
        for row in range(start, stop):  # branch-free side: bids 0 (key -price), asks 1
            side = np.int64(1) - row_is_bid[row]
            key = (2 * side - 1) * row_price[row]
            changed[side] |= key <= threshold[side]
            set_level(dense, bits, meta, far_key, far_size, side, key, row_size[row])
        for side in range(2):
            if _needs_recenter(meta, far_key, side, width):
                recenter(dense, bits, meta, far_key, far_size, side)
        # the two sides stay written out: one inline helper for both measured 10% slower
        if changed[0]:
            written = top_levels(
                dense,
                bits,
                meta,
                far_key,
                far_size,
                0,
                depth,
                out_bid_key,
                out_bid_size,
                out,
                -1,
                0,
            )
            threshold[0] = -out_bid_key[out, depth - 1] if 0 < depth == written else EMPTY_KEY
        else:
            out_bid_key[out] = out_bid_key[out - 1]
            out_bid_size[out] = out_bid_size[out - 1]
        if changed[1]:
            written = top_levels(
                dense,
                bits,
                meta,
                far_key,
                far_size,
                1,
                depth,
                out_ask_key,
                out_ask_size,
                out,
                1,
                0,
            )
            threshold[1] = out_ask_key[out, depth - 1] if 0 < depth == written else EMPTY_KEY
        else:
            out_ask_key[out] = out_ask_key[out - 1]
            out_ask_size[out] = out_ask_size[out - 1]
        bid = best_key(meta, far_key, 0)
        ask = best_key(meta, far_key, 1)
        out_crossed[out] = bid != EMPTY_KEY and ask != EMPTY_KEY and -bid >= ask
    return messages
