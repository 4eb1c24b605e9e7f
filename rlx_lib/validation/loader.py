"""Streaming loader over golden files: ids and clocks only, at constant memory.

Validation needs the update ids (``U``, ``u``), trade ids (``t``, ``a``), the clocks
(``capture_ns``, ``E``, ``T``) and, only where a book is rebuilt, the price levels. A typed
``msgspec`` decoder reads exactly those fields and keeps the level arrays as raw JSON text
(:class:`msgspec.Raw`), which is parsed later only for depth messages and book tickers
(a typed decoder is much faster than ``json.loads``: see ``rlx bench validate``).

Files are read through :func:`rlx_lib.golden.iter_lines`, so a truncated compressed stream or
a broken last line ends the file, everything before it is kept, and the damage is noted in the
file's :class:`~rlx_lib.golden.ReadReport`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import msgspec

from rlx_lib.decimals import parse_units
from rlx_lib.golden import ReadReport, iter_lines

__all__ = [
    "MESSAGE",
    "GoldenMessage",
    "Payload",
    "iter_messages",
    "levels",
    "raw_units",
    "trade_samples",
    "units",
]

_RAW_NONE = msgspec.Raw()


class Payload(msgspec.Struct):
    """The fields of any Binance message that validation reads; the rest are skipped."""

    e: str | None = None  # event type: depthUpdate, trade, aggTrade (bookTicker has none)
    E: int | None = None  # event time, ms
    T: int | None = None  # trade time, ms
    U: int | None = None  # first update id of a diff
    u: int | None = None  # final update id of a diff, or a bookTicker's update id
    pu: int | None = None  # a futures diff's previous final update id
    t: int | None = None  # trade id
    b: msgspec.Raw = _RAW_NONE  # diff bid levels, or bookTicker best bid price
    a: msgspec.Raw = _RAW_NONE  # diff asks, bookTicker best ask, aggTrade id, old trade's seller
    B: msgspec.Raw = _RAW_NONE  # bookTicker best bid size
    A: msgspec.Raw = _RAW_NONE  # bookTicker best ask size
    lastUpdateId: int | None = None  # REST snapshot id, as Binance names it
    bids: msgspec.Raw = _RAW_NONE
    asks: msgspec.Raw = _RAW_NONE
    event: str | None = None  # _session records: connected, disconnected, resync


class GoldenMessage(msgspec.Struct):
    """One golden line as validation sees it."""

    capture_ns: int
    stream: str
    data: Payload


MESSAGE = msgspec.json.Decoder(GoldenMessage)
"""Decodes one golden line into a :class:`GoldenMessage`."""
_LEVELS = msgspec.json.Decoder(list[tuple[str, str]])


def iter_messages(
    path: Path, report: ReadReport | None = None
) -> Iterator[tuple[int, GoldenMessage | None]]:
    """Yield ``(line_number, message)`` for each line of a golden file (1-based).

    A line that is not a golden record yields ``None`` as its message and is noted in
    ``report.bad_lines``; blank lines are skipped.
    """
    report = report if report is not None else ReadReport(str(path))
    decode = MESSAGE.decode
    number = 0
    for line in iter_lines(Path(path), report):
        number += 1
        try:
            yield number, decode(line)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            if not line.strip():
                continue
            report.bad_lines.append((number, f"not a golden record: {error}"))
            yield number, None


def units(text: str) -> int:
    """Decimal string to int64 units of 1e-8; the common 8-decimal form takes a fast path."""
    if len(text) > 9 and text[-9] == ".":
        digits = text[:-9] + text[-8:]
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(digits)
    return parse_units(text)


def raw_units(raw: msgspec.Raw) -> int:
    """A raw JSON string value (``"61837.63000000"``, quotes included) to units."""
    return units(bytes(raw)[1:-1].decode())


def levels(raw: msgspec.Raw) -> list[tuple[int, int]]:
    """Parse a raw ``[[price, size], ...]`` array to ``[(price_units, size_units), ...]``."""
    if not raw:
        return []
    return [(units(price), units(size)) for price, size in _LEVELS.decode(raw)]


class _Trade(msgspec.Struct):
    T: int
    p: str
    q: str


class _TradeLine(msgspec.Struct):
    stream: str
    data: msgspec.Raw


_TRADE_LINE = msgspec.json.Decoder(_TradeLine)
_TRADE = msgspec.json.Decoder(_Trade)


def trade_samples(paths: list[Path]) -> dict[str, list[float]]:
    """Trade sizes, prices and inter-arrival times (ms) from the ``@trade`` lines of golden
    files, as floats for statistics (never for book state)."""
    times: list[int] = []
    prices: list[float] = []
    sizes: list[float] = []
    for path in paths:
        for line in iter_lines(Path(path)):
            try:
                record = _TRADE_LINE.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
            if not record.stream.endswith("@trade"):
                continue
            trade = _TRADE.decode(record.data)
            times.append(trade.T)
            prices.append(float(trade.p))
            sizes.append(float(trade.q))
    gaps = [float(b - a) for a, b in itertools.pairwise(times)]
    return {"size": sizes, "price": prices, "inter_arrival_ms": gaps}
