"""Byte-level scan of canonical golden lines: ids and clocks without building Python objects.

Golden lines written by :func:`rlx_lib.golden.format_record` start with
``{"capture_ns": N, "stream": "S", "data": {`` and carry Binance's compact JSON. One compiled
pass over a block of lines finds, per line, the message kind, a hash of the stream name, the
capture time and the top-level numbers of ``data`` that validation reads, skipping strings and
nested arrays such as price levels. The kind comes from the market's own table
(:meth:`rlx_lib.venues.binance.Market.classify`: stream suffix, then ``e``), and each field is
read as that kind defines it: ``t`` is a trade's id, ``a`` an aggTrade's id (never an old
trade's seller order id), ``pu`` a futures diff's previous id. A line that does not have the
canonical shape, or whose ``e`` contradicts its stream, is flagged; the caller reads such
blocks with the typed decoder.
"""

from __future__ import annotations

import functools

import numba
import numpy as np

from rlx_lib.venues.binance import EVENTS, KINDS, SPOT, Market

__all__ = ["FIELDS", "KIND_NAMES", "parse_levels", "scan_block"]

KIND_NAMES = KINDS
FIELDS = (
    "capture",
    "E",
    "T",
    "U",
    "u",
    "id",
    "hash",
    "kind",
    "start",
    "end",
    "ok",
    "bid_price",
    "bid_size",
    "ask_price",
    "ask_size",  # bookTicker b, B, a, A in units
    "pu",  # a futures diff's previous final id
)
_MISSING = np.iinfo(np.int64).min
_PREFIX = np.frombuffer(b'{"capture_ns": ', dtype=np.uint8)
_STREAM = np.frombuffer(b', "stream": "', dtype=np.uint8)
_DATA = np.frombuffer(b', "data": {', dtype=np.uint8)
_DEPTH, _TRADE, _AGG_TRADE, _BOOK_TICKER, _SESSION, _MARK_PRICE, _CONTROL = (
    KINDS.index(name)
    for name in ("depth", "trade", "agg_trade", "book_ticker", "session", "mark_price", "control")
)


def _packed(texts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=starts[1:])
    return np.frombuffer(b"".join(texts) or b"\0", dtype=np.uint8).copy(), starts


@functools.cache
def _tables(market: Market) -> tuple:
    """The market's stream suffixes and kind codes, and the ``e`` each kind code expects,
    packed for the compiled scan."""
    suffixes = list(market.kinds)
    suffix_bytes, suffix_starts = _packed([s.encode() for s in suffixes])
    codes = np.array([KINDS.index(market.kinds[s]) for s in suffixes], dtype=np.int64)
    event_bytes, event_starts = _packed([EVENTS.get(k, "").encode() for k in KINDS])
    needs = np.zeros(len(KINDS), dtype=np.int64)
    needs[_DEPTH] = (1 << 1) | (1 << 3) | (1 << 4) | (1 << 16) | ((1 << 15) * market.chained)
    needs[_TRADE] = needs[_AGG_TRADE] = (1 << 1) | (1 << 2) | (1 << 5) | (1 << 16)
    needs[_MARK_PRICE] = 1 << 20  # never met: read the whole line
    # A futures bookTicker always opens with its e; a spot one has none, so it is read whole.
    tops = (1 << 4) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14) | (1 << 16)
    needs[_BOOK_TICKER] = tops if market.chained else 1 << 20
    return suffix_bytes, suffix_starts, codes, event_bytes, event_starts, needs


@numba.njit(cache=True, nogil=True)
def _matches(buffer, position, pattern):
    if position + len(pattern) > len(buffer):
        return False
    for k in range(len(pattern)):  # noqa: SIM110 - a plain loop compiles in numba
        if buffer[position + k] != pattern[k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _same(buffer, start, end, table, low, high):
    # buffer[start:end] == table[low:high]
    if end - start != high - low:
        return False
    for k in range(high - low):  # noqa: SIM110 - a plain loop compiles in numba
        if buffer[start + k] != table[low + k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _stream_kind(buffer, start, end, suffixes, starts, codes):
    # The kind code of stream name buffer[start:end]: its text after the first "@".
    if end - start == 8 and buffer[start] == 95:
        return 6  # _session
    if end > start and buffer[start] == 33:
        return 8  # !control
    at = start
    while at < end and buffer[at] != 64:
        at += 1
    if at >= end:
        return 0
    for k in range(len(codes)):
        if _same(buffer, at + 1, end, suffixes, starts[k], starts[k + 1]):
            return codes[k]
    return 0


@numba.njit(cache=True, nogil=True)
def _number(buffer, position, end):
    # A non-negative JSON integer at position; returns (value, next position) or (MISSING, pos).
    value = 0
    digits = 0
    while position < end and 48 <= buffer[position] <= 57:
        value = value * 10 + (buffer[position] - 48)
        position += 1
        digits += 1
    if digits == 0 or digits > 19 or value < 0:  # 19 digits may wrap past int64
        return np.iinfo(np.int64).min, position
    return value, position


@numba.njit(cache=True, nogil=True)
def _decimal(buffer, position, end):
    # "123.45" (quotes included) -> (units of 1e-8, next position); units -1 when malformed.
    if position >= end or buffer[position] != 34:
        return -1, position
    position += 1
    whole = 0
    digits = 0
    while position < end and 48 <= buffer[position] <= 57:
        whole = whole * 10 + (buffer[position] - 48)
        position += 1
        digits += 1
    if digits == 0 or digits > 10:
        return -1, position
    fraction = 0
    places = 0
    if position < end and buffer[position] == 46:
        position += 1
        while position < end and 48 <= buffer[position] <= 57:
            if places < 8:
                fraction = fraction * 10 + (buffer[position] - 48)
            elif buffer[position] != 48:
                return -1, position
            places += 1
            position += 1
    if position >= end or buffer[position] != 34:
        return -1, position
    while places < 8:
        fraction *= 10
        places += 1
    return whole * 100_000_000 + fraction, position + 1


@numba.njit(cache=True, nogil=True)
def _string(buffer, position, end):
    # The closing quote of the JSON string opening at position.
    close = position + 1
    while close < end and buffer[close] != 34:
        if buffer[close] == 92:
            close += 1
        close += 1
    return close


@numba.njit(cache=True, nogil=True)
def _top_column(key):
    # bookTicker b, B, a, A -> their columns
    if key == 98:
        return 11
    if key == 66:
        return 12
    if key == 97:
        return 13
    if key == 65:
        return 14
    return -1


@numba.njit(cache=True, nogil=True)
def _number_column(key, kind):
    # The column of a one-letter numeric key, as the kind defines it (-1: not read).
    if key == 69:  # E
        return 1
    if key == 84:  # T
        return 2
    if key == 85:  # U
        return 3
    if key == 117:  # u
        return 4
    if (key == 116 and kind == 2) or (key == 97 and kind == 3):  # trade t, aggTrade a
        return 5
    return -1


@numba.njit(cache=True, nogil=True)
def _fields(buffer, position, end, out, line, kind, need, events, event_starts):
    # Read the top-level fields of one payload (position just inside its "{"); False when the
    # line is not canonical or its "e" is not the one its stream's kind carries.
    found = 0
    depth = 1
    while position < end and depth > 0:
        byte = buffer[position]
        if byte != 34:
            if byte == 123 or byte == 91:
                depth += 1
            elif byte == 125 or byte == 93:
                depth -= 1
            position += 1
            continue
        close = _string(buffer, position, end)
        if depth != 1 or close + 2 >= end or buffer[close + 1] != 58:
            position = close + 1
            continue
        key = buffer[position + 1]
        value = buffer[close + 2]
        if close == position + 2 and key == 101 and value == 34:  # "e": the event type
            shut = _string(buffer, close + 2, end)
            low, high = event_starts[kind], event_starts[kind + 1]
            if not _same(buffer, close + 3, shut, events, low, high):
                return False
            found |= 1 << 16
            position = shut + 1
        elif close == position + 2 and kind == 4 and value == 34 and _top_column(key) >= 0:
            column = _top_column(key)
            units, after = _decimal(buffer, close + 2, end)
            if units < 0:
                return False
            out[line, column] = units
            found |= 1 << column
            position = after
        elif 48 <= value <= 57 and (close == position + 2 or close == position + 3):
            number, after = _number(buffer, close + 2, end)
            column = -1
            if close == position + 2:
                column = _number_column(key, kind)
            elif key == 112 and buffer[position + 2] == 117:  # pu
                column = 15
            if column >= 0:
                out[line, column] = number
                found |= 1 << column
            position = after
        else:
            position = close + 1
            continue
        if found & need == need:
            return True
    return depth == 0


@numba.njit(cache=True, nogil=True)
def _scan(
    buffer, out, prefix, stream_key, data_key, suffixes, starts, codes, events, event_starts, needs
):
    missing = np.iinfo(np.int64).min
    size = len(buffer)
    line = 0
    start = 0
    while start < size and line < out.shape[0]:
        end = start
        while end < size and buffer[end] != 10:
            end += 1
        for column in range(out.shape[1]):
            out[line, column] = missing
        out[line, 6] = 0
        out[line, 7] = 0
        out[line, 8] = start
        out[line, 9] = end
        position = start
        ok = _matches(buffer, position, prefix)
        if ok:
            capture, position = _number(buffer, position + len(prefix), end)
            ok = capture != missing and _matches(buffer, position, stream_key)
        if ok:
            out[line, 0] = capture
            position += len(stream_key)
            name_start = position
            while position < end and buffer[position] != 34:
                position += 1
            name_end = position
            digest = np.uint64(14695981039346656037)
            for k in range(name_start, name_end):
                digest = (digest ^ np.uint64(buffer[k])) * np.uint64(1099511628211)
            out[line, 6] = np.int64(digest >> np.uint64(1))
            out[line, 7] = _stream_kind(buffer, name_start, name_end, suffixes, starts, codes)
            ok = _matches(buffer, position + 1, data_key)
            position += 1 + len(data_key)
        kind = out[line, 7]
        if ok and needs[kind] != 0:
            ok = _fields(buffer, position, end, out, line, kind, needs[kind], events, event_starts)
        out[line, 10] = 1 if ok else 0
        line += 1
        start = end + 1
    return line


def scan_block(block: bytes, lines: int, market: Market = SPOT) -> np.ndarray:
    """Scan ``lines`` newline-separated lines of ``block`` as messages of ``market``; one row
    per line, columns :data:`FIELDS` (missing numbers are ``int64`` minimum; ``ok`` is 0 for a
    line the typed decoder must read)."""
    out = np.empty((lines, len(FIELDS)), dtype=np.int64)
    buffer = np.frombuffer(block, dtype=np.uint8)
    found = _scan(buffer, out, _PREFIX, _STREAM, _DATA, *_tables(market))
    return out[:found]


@numba.njit(cache=True, nogil=True)
def _levels(buffer, starts, ends, line_of, is_bid, price, size, ok):
    count = 0
    for index in range(len(starts)):
        position = starts[index]
        end = ends[index]
        depth = 0
        good = True
        while position < end and good:
            byte = buffer[position]
            if byte == 34:
                close = position + 1
                while close < end and buffer[close] != 34:
                    if buffer[close] == 92:
                        close += 1
                    close += 1
                key = buffer[position + 1]
                if (
                    depth == 2
                    and close == position + 2
                    and (key == 98 or key == 97)
                    and close + 2 < end
                    and buffer[close + 1] == 58
                    and buffer[close + 2] == 91
                ):
                    position = close + 3  # inside the level array
                    while good and position < end and buffer[position] != 93:
                        if buffer[position] == 44:
                            position += 1
                        if buffer[position] != 91:
                            good = False
                            break
                        level_price, position = _decimal(buffer, position + 1, end)
                        if level_price < 0 or buffer[position] != 44:
                            good = False
                            break
                        level_size, position = _decimal(buffer, position + 1, end)
                        if level_size < 0 or buffer[position] != 93 or count >= len(price):
                            good = False
                            break
                        position += 1
                        line_of[count] = index
                        is_bid[count] = key == 98
                        price[count] = level_price
                        size[count] = level_size
                        count += 1
                    position += 1
                    continue
                position = close + 1
                continue
            if byte == 123 or byte == 91:
                depth += 1
            elif byte == 125 or byte == 93:
                depth -= 1
            position += 1
        ok[index] = good
    return count


def parse_levels(
    block: bytes, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Price levels (``b`` and ``a``) of depth-diff lines ``block[starts[i]:ends[i]]``.

    Returns flat ``(line, is_bid, price, size, ok)``: one row per level in message order
    (``line`` indexes ``starts``), units of 1e-8; ``ok[i]`` is False for a line whose levels
    could not be read this way (read it with the typed decoder instead).
    """
    buffer = np.frombuffer(block, dtype=np.uint8)
    capacity = int((ends - starts).sum()) // 8 + 1
    line_of = np.empty(capacity, dtype=np.int64)
    is_bid = np.empty(capacity, dtype=np.bool_)
    price = np.empty(capacity, dtype=np.int64)
    size = np.empty(capacity, dtype=np.int64)
    ok = np.zeros(len(starts), dtype=np.bool_)
    count = _levels(buffer, starts, ends, line_of, is_bid, price, size, ok)
    return line_of[:count], is_bid[:count], price[:count], size[:count], ok
