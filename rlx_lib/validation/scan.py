"""Byte-level scan of canonical golden lines: ids and clocks without building Python objects.

Golden lines written by :func:`rlx_lib.golden.format_record` start with
``{"capture_ns": N, "stream": "S", "data": {`` and carry Binance's compact JSON. One compiled
pass over a block of lines finds, per line, the kind of stream, a hash of the stream name, the
capture time and the top-level numbers of ``data`` that validation reads (``E``, ``T``, ``U``,
``u``, ``t``, ``a``), skipping strings and nested arrays such as price levels. A line that does
not have the canonical shape is flagged; the caller reads such blocks with the typed decoder.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["FIELDS", "KIND_NAMES", "parse_levels", "scan_block"]

KIND_NAMES = ("other", "depth", "trade", "agg_trade", "book_ticker", "snapshot", "session")
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
)
_MISSING = np.iinfo(np.int64).min
_PREFIX = np.frombuffer(b'{"capture_ns": ', dtype=np.uint8)
_STREAM = np.frombuffer(b', "stream": "', dtype=np.uint8)
_DATA = np.frombuffer(b', "data": {', dtype=np.uint8)
_SUFFIXES = (
    (np.frombuffer(b"@depth@100ms", dtype=np.uint8), 1),
    (np.frombuffer(b"@depth", dtype=np.uint8), 1),
    (np.frombuffer(b"@trade", dtype=np.uint8), 2),
    (np.frombuffer(b"@aggTrade", dtype=np.uint8), 3),
    (np.frombuffer(b"@bookTicker", dtype=np.uint8), 4),
    (np.frombuffer(b"@depthSnapshot", dtype=np.uint8), 5),
)


@numba.njit(cache=True, nogil=True)
def _matches(buffer, position, pattern):
    if position + len(pattern) > len(buffer):
        return False
    for k in range(len(pattern)):  # noqa: SIM110 - a plain loop compiles in numba
        if buffer[position + k] != pattern[k]:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _ends_with(buffer, start, end, pattern):
    size = len(pattern)
    if end - start < size:
        return False
    return _matches(buffer, end - size, pattern)


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
def _scan(buffer, out, prefix, stream_key, data_key, s0, s1, s2, s3, s4, s5):
    suffixes = (s0, s1, s2, s3, s4, s5)
    kinds = (1, 1, 2, 3, 4, 5)
    # Columns each kind needs; the rest of a line is skipped once they are found (Binance
    # sends them first: E, U, u before the levels; E, t, T before m, M; u, b, B, a, A).
    needs = (
        0,
        (1 << 1) | (1 << 3) | (1 << 4),
        (1 << 1) | (1 << 2) | (1 << 5),
        (1 << 1) | (1 << 2) | (1 << 5),
        (1 << 4) | (1 << 11) | (1 << 12) | (1 << 13) | (1 << 14),
    )
    missing = np.iinfo(np.int64).min
    size = len(buffer)
    line = 0
    start = 0
    while start < size and line < out.shape[0]:
        end = start
        while end < size and buffer[end] != 10:
            end += 1
        for column in range(6):
            out[line, column] = missing
        for column in range(11, 15):
            out[line, column] = missing
        out[line, 6] = 0
        out[line, 7] = 0
        out[line, 8] = start
        out[line, 9] = end
        out[line, 10] = 0
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
            kind = 0
            for k in range(6):
                if _ends_with(buffer, name_start, name_end, suffixes[k]):
                    kind = kinds[k]
                    break
            if kind == 0 and name_end - name_start == 8 and buffer[name_start] == 95:
                kind = 6  # _session
            out[line, 7] = kind
            ok = _matches(buffer, position + 1, data_key)
            position += 1 + len(data_key)
        if ok and 1 <= out[line, 7] <= 4:
            need = needs[out[line, 7]]
            found = 0
            complete = False
            depth = 1
            while position < end and depth > 0:
                byte = buffer[position]
                if byte == 34:  # a string: a key at depth 1, or a value to skip
                    close = position + 1
                    while close < end and buffer[close] != 34:
                        if buffer[close] == 92:
                            close += 1
                        close += 1
                    if (
                        out[line, 7] == 4
                        and depth == 1
                        and close == position + 2
                        and close + 2 < end
                        and buffer[close + 1] == 58
                        and buffer[close + 2] == 34
                    ):
                        key = buffer[position + 1]
                        column = -1
                        if key == 98:  # b
                            column = 11
                        elif key == 66:  # B
                            column = 12
                        elif key == 97:  # a
                            column = 13
                        elif key == 65:  # A
                            column = 14
                        if column >= 0:
                            value, after = _decimal(buffer, close + 2, end)
                            if value >= 0:
                                out[line, column] = value
                                position = after
                                found |= 1 << column
                                if found & need == need:
                                    complete = True
                                    break
                                continue
                    if (
                        depth == 1
                        and close == position + 2
                        and close + 1 < end
                        and buffer[close + 1] == 58
                        and 48 <= buffer[close + 2] <= 57
                    ):
                        key = buffer[position + 1]
                        value, after = _number(buffer, close + 2, end)
                        column = -1
                        if key == 69:  # E
                            column = 1
                        elif key == 84:  # T
                            column = 2
                        elif key == 85:  # U
                            column = 3
                        elif key == 117:  # u
                            column = 4
                        elif key == 116 or key == 97:  # t, a (aggTrade id)
                            column = 5
                        position = after
                        if column >= 0:
                            out[line, column] = value
                            found |= 1 << column
                            if found & need == need:
                                complete = True
                                break
                        continue
                    position = close + 1
                    continue
                if byte == 123 or byte == 91:
                    depth += 1
                elif byte == 125 or byte == 93:
                    depth -= 1
                position += 1
            ok = complete or depth == 0
        out[line, 10] = 1 if ok else 0
        line += 1
        start = end + 1
    return line


def scan_block(block: bytes, lines: int) -> np.ndarray:
    """Scan ``lines`` newline-separated lines of ``block``; one row per line, columns
    :data:`FIELDS` (missing numbers are ``int64`` minimum; ``ok`` is 0 for a non-canonical
    line)."""
    out = np.empty((lines, len(FIELDS)), dtype=np.int64)
    buffer = np.frombuffer(block, dtype=np.uint8)
    found = _scan(buffer, out, _PREFIX, _STREAM, _DATA, *(s for s, _ in _SUFFIXES))
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
