"""Binance spot wire formats: what a message is, parse raw messages, the U/u sync rules.

What a message *is* is decided here once, from its stream name and event type
(:meth:`Market.classify`); field meanings follow the kind (``a`` is the ask side of a diff,
the best ask of a bookTicker, the id of an aggTrade and the seller's order id of a pre-2024
trade). USD-M futures live in the sibling :mod:`rlx_lib.venues.binance_futures`.

Prices and quantities arrive as decimal strings and are parsed to int64 units of 1e-8
(:func:`rlx_lib.decimals.parse_units`), never through floats. Parsers tolerate extra fields
(old trades still carry ``b``/``a``) and name the field when a required one is missing or bad.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

from rlx_lib.decimals import parse_units
from rlx_lib.errors import ParseError

__all__ = [
    "EVENTS",
    "EXCHANGE",
    "KINDS",
    "PARSERS",
    "REST_URL",
    "SESSION_STREAM",
    "SNAPSHOT_SUFFIX",
    "SPOT",
    "STREAM_KINDS",
    "WS_URL",
    "AggTrade",
    "BookTicker",
    "DepthSnapshot",
    "DepthSync",
    "DepthUpdate",
    "Level",
    "Market",
    "SyncVerdict",
    "Trade",
    "decode",
    "parse_agg_trade",
    "parse_book_ticker",
    "parse_depth_snapshot",
    "parse_depth_update",
    "parse_fields",
    "parse_message",
    "parse_trade",
    "read_flag",
    "read_int",
    "read_levels",
    "read_optional_int",
    "read_text",
    "read_units",
    "split_stream",
    "stream_name",
]

EXCHANGE = "BINANCE"
WS_URL = "wss://stream.binance.com:9443"
REST_URL = "https://api.binance.com"
STREAM_KINDS = ("depth@100ms", "trade", "aggTrade", "bookTicker")
SNAPSHOT_SUFFIX = "depthSnapshot"
SESSION_STREAM = "_session"
MAX_STREAMS_PER_CONNECTION = 1024

KINDS = (
    "other",
    "depth",
    "trade",
    "agg_trade",
    "book_ticker",
    "snapshot",
    "session",
    "mark_price",
    "control",
)
"""Message kinds; a kind's index is its code in the compiled validation scan."""
EVENTS = {
    "depth": "depthUpdate",
    "trade": "trade",
    "agg_trade": "aggTrade",
    "book_ticker": "bookTicker",
    "mark_price": "markPriceUpdate",
}
"""The ``e`` a payload of each kind carries (spot bookTicker and snapshots carry none)."""
_IDS = {"trade": "t", "agg_trade": "a"}
"""Per kind, the key of the trade id (an old spot trade also carries ``a``, an order id)."""


@dataclass(frozen=True)
class Market:
    """One Binance market: its endpoints, its stream names and the kind each stream carries.

    ``chained`` markets link depth diffs by ``pu`` (previous final id) instead of ``U == u+1``.
    """

    name: str  # "spot" | "usdm"
    exchange: str  # Lake's exchange name: the ``exchange=`` partition
    ws_url: str
    rest_url: str
    snapshot_path: str
    streams: tuple[str, ...]  # default capture streams
    kinds: Mapping[str, str] = field(repr=False, compare=False)  # stream suffix -> kind
    chained: bool = False
    sync_type: type[DepthSync] = field(default=None, repr=False, compare=False)  # type: ignore[assignment]
    parsers: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def classify(self, stream: str, event: object = None) -> str:
        """The kind of a message on ``stream`` (its payload's ``e`` as ``event``).

        ``_session`` records are ``session``, ``!...`` streams ``control``. Otherwise the
        stream suffix decides, and an ``e`` that contradicts it makes the message ``other``.
        """
        if stream == SESSION_STREAM:
            return "session"
        if stream.startswith("!"):
            return "control"
        kind = self.kinds.get(stream.partition("@")[2], "other")
        if event is not None and kind in EVENTS and event != EVENTS[kind]:
            return "other"
        if event is not None and kind == "snapshot":
            return "other"
        return kind

    def parse(self, stream: str, raw: str | bytes | dict[str, Any]) -> tuple[str, Any]:
        """``(kind, typed message)`` of a payload on ``stream``; the message is None for a
        kind without a parser (session, control, other)."""
        payload = decode(raw)
        kind = self.classify(stream, payload.get("e"))
        parser = self.parsers.get(kind)
        return kind, None if parser is None else parser(payload)

    def raw_stream(self, data: dict[str, Any]) -> str | None:
        """The stream of a payload received without one (a raw ``/ws`` frame), from ``e`` and
        ``s``; None when it has no event type (it cannot be told apart)."""
        symbol, event = data.get("s"), data.get("e")
        if not isinstance(symbol, str) or not isinstance(event, str):
            return None
        for suffix, kind in self.kinds.items():
            if EVENTS.get(kind) == event and suffix in self.streams:
                return stream_name(symbol, suffix)
        return None

    def trade_id(self, kind: str, data: Any) -> int | None:
        """The id of a trade (``t``) or aggTrade (``a``) payload (dict or struct), else None."""
        key = _IDS.get(kind)
        if key is None:
            return None
        value = data.get(key) if isinstance(data, dict) else getattr(data, key, None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def depth_sync(self, *, max_buffer: int = 1_000_000) -> DepthSync:
        """A fresh sync state machine under this market's rules."""
        return self.sync_type(max_buffer=max_buffer)

    def snapshot_url(self, symbol: str, limit: int) -> str:
        """The REST depth snapshot URL of a Binance symbol."""
        return f"{self.rest_url}{self.snapshot_path}?symbol={symbol.upper()}&limit={limit}"


Level = tuple[int, int]
"""``(price_units, size_units)``; size 0 removes the level."""


@dataclass(frozen=True, slots=True)
class DepthUpdate:
    """A ``depthUpdate`` diff.

    ``{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,
    "b":[["0.0024","10"]],"a":[["0.0026","100"]]}``
    """

    event_time: int  # E, ms
    symbol: str  # s, upper case
    first_update_id: int  # U
    final_update_id: int  # u
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    previous_final_update_id: int | None = None  # pu (USD-M futures only)


@dataclass(frozen=True, slots=True)
class Trade:
    """A raw ``trade``: ``{"e":"trade","E":..,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",
    "T":..,"m":true,"M":true}``. ``m`` true means the buyer is the maker (the taker sold)."""

    event_time: int  # E
    trade_time: int  # T
    symbol: str
    trade_id: int  # t
    price: int
    quantity: int
    buyer_is_maker: bool  # m


@dataclass(frozen=True, slots=True)
class AggTrade:
    """An ``aggTrade``: ``{"e":"aggTrade","E":..,"s":"BNBBTC","a":12345,"p":"0.001","q":"100",
    "f":100,"l":105,"T":..,"m":true,"M":true}``."""

    event_time: int
    trade_time: int
    symbol: str
    agg_id: int  # a
    price: int
    quantity: int
    first_trade_id: int  # f
    last_trade_id: int  # l
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class BookTicker:
    """A ``bookTicker`` (no event time): ``{"u":400900217,"s":"BNBUSDT","b":"25.35190000",
    "B":"31.21000000","a":"25.36520000","A":"40.66000000"}``."""

    update_id: int  # u, in the depth stream's id space
    symbol: str
    bid_price: int
    bid_size: int
    ask_price: int
    ask_size: int
    event_time: int | None = None  # E (USD-M futures only)


@dataclass(frozen=True, slots=True)
class DepthSnapshot:
    """A REST ``/api/v3/depth`` body: ``{"lastUpdateId":1027024,"bids":[[p,q],..],"asks":[..]}``.

    It carries no symbol and no time; the capture record supplies both.
    """

    last_update_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


Message = DepthUpdate | Trade | AggTrade | BookTicker | DepthSnapshot


def decode(raw: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """Decode raw JSON text to a dict (dicts pass through); bad JSON is a :class:`ParseError`."""
    if isinstance(raw, dict):
        return raw
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        msg = f"message is not valid JSON: {error}"
        raise ParseError(msg) from None
    if not isinstance(value, dict):
        msg = f"message must be a JSON object, received {type(value).__name__}"
        raise ParseError(msg)
    return value


def _field(payload: dict[str, Any], key: str, kind: type, what: str) -> Any:
    try:
        value = payload[key]
    except KeyError:
        msg = f"{what}: missing field {key!r}"
        raise ParseError(msg) from None
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        msg = f"{what}: field {key!r} must be an integer, received {value!r}"
        raise ParseError(msg)
    if kind is not int and not isinstance(value, kind):
        msg = f"{what}: field {key!r} must be {kind.__name__}, received {value!r}"
        raise ParseError(msg)
    return value


def read_units(payload: dict[str, Any], key: str, what: str) -> int:
    value = _field(payload, key, str, what)
    return parse_units(value, field=f"{what}.{key}")


def read_levels(payload: dict[str, Any], key: str, what: str) -> tuple[Level, ...]:
    entries = _field(payload, key, list, what)
    levels = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, list) or len(entry) < 2:
            msg = f"{what}: {key}[{index}] must be [price, quantity], received {entry!r}"
            raise ParseError(msg)
        price, size = entry[0], entry[1]
        if not isinstance(price, str) or not isinstance(size, str):
            msg = f"{what}: {key}[{index}] must hold decimal strings, received {entry!r}"
            raise ParseError(msg)
        levels.append(
            (
                parse_units(price, field=f"{what}.{key}[{index}].price"),
                parse_units(size, field=f"{what}.{key}[{index}].quantity"),
            )
        )
    return tuple(levels)


def parse_depth_update(raw: str | bytes | dict[str, Any]) -> DepthUpdate:
    """Parse a ``depthUpdate`` diff."""
    p = decode(raw)
    what = "depthUpdate"
    first, final = _field(p, "U", int, what), _field(p, "u", int, what)
    if final < first:
        msg = f"{what}: final update id u={final} is below first update id U={first}"
        raise ParseError(msg)
    return DepthUpdate(
        event_time=_field(p, "E", int, what),
        symbol=_field(p, "s", str, what),
        first_update_id=first,
        final_update_id=final,
        bids=read_levels(p, "b", what),
        asks=read_levels(p, "a", what),
        previous_final_update_id=read_optional_int(p, "pu", what),
    )


def read_optional_int(payload: dict[str, Any], key: str, what: str) -> int | None:
    return _field(payload, key, int, what) if key in payload else None


def read_int(payload: dict[str, Any], key: str, what: str) -> int:
    return _field(payload, key, int, what)


def read_text(payload: dict[str, Any], key: str, what: str) -> str:
    return _field(payload, key, str, what)


def read_flag(payload: dict[str, Any], key: str, what: str) -> bool:
    return _field(payload, key, bool, what)


Reader = Callable[[dict[str, Any], str, str], Any]
"""Reads one field: ``(payload, key, message kind) -> value`` or a :class:`ParseError`."""

_Message = TypeVar("_Message")


def parse_fields(
    kind: Callable[..., _Message],
    raw: str | bytes | dict[str, Any],
    what: str,
    fields: tuple[tuple[str, str, Reader], ...],
) -> _Message:
    """Parse ``raw`` into ``kind``, one ``(attribute, JSON key, reader)`` per field, in order."""
    payload = decode(raw)
    return kind(**{name: read(payload, key, what) for name, key, read in fields})


_TRADE = (
    ("event_time", "E", read_int),
    ("trade_time", "T", read_int),
    ("symbol", "s", read_text),
    ("trade_id", "t", read_int),
    ("price", "p", read_units),
    ("quantity", "q", read_units),
    ("buyer_is_maker", "m", read_flag),
)
_AGG_TRADE = (
    ("event_time", "E", read_int),
    ("trade_time", "T", read_int),
    ("symbol", "s", read_text),
    ("agg_id", "a", read_int),
    ("price", "p", read_units),
    ("quantity", "q", read_units),
    ("first_trade_id", "f", read_int),
    ("last_trade_id", "l", read_int),
    ("buyer_is_maker", "m", read_flag),
)
_BOOK_TICKER = (
    ("update_id", "u", read_int),
    ("symbol", "s", read_text),
    ("bid_price", "b", read_units),
    ("bid_size", "B", read_units),
    ("ask_price", "a", read_units),
    ("ask_size", "A", read_units),
    ("event_time", "E", read_optional_int),
)
_DEPTH_SNAPSHOT = (
    ("last_update_id", "lastUpdateId", read_int),
    ("bids", "bids", read_levels),
    ("asks", "asks", read_levels),
)


def parse_trade(raw: str | bytes | dict[str, Any]) -> Trade:
    """Parse a raw ``trade`` (extra fields such as the pre-2024 ``b``/``a`` are ignored)."""
    return parse_fields(Trade, raw, "trade", _TRADE)


def parse_agg_trade(raw: str | bytes | dict[str, Any]) -> AggTrade:
    """Parse an ``aggTrade``."""
    return parse_fields(AggTrade, raw, "aggTrade", _AGG_TRADE)


def parse_book_ticker(raw: str | bytes | dict[str, Any]) -> BookTicker:
    """Parse a ``bookTicker``."""
    return parse_fields(BookTicker, raw, "bookTicker", _BOOK_TICKER)


def parse_depth_snapshot(raw: str | bytes | dict[str, Any]) -> DepthSnapshot:
    """Parse a REST depth snapshot body."""
    return parse_fields(DepthSnapshot, raw, "depthSnapshot", _DEPTH_SNAPSHOT)


PARSERS = {
    "depth": parse_depth_update,
    "trade": parse_trade,
    "agg_trade": parse_agg_trade,
    "book_ticker": parse_book_ticker,
    "snapshot": parse_depth_snapshot,
}
"""The typed parser of each market-data kind."""


def parse_message(raw: str | bytes | dict[str, Any], kind: str | None = None) -> Message:
    """Parse a market message of a known ``kind`` (see :meth:`Market.classify`); without a
    kind, its ``e`` decides (a payload without ``e`` needs its kind)."""
    p = decode(raw)
    if kind is None:
        event = p.get("e")
        kind = next((k for k, e in EVENTS.items() if e == event), None) if event else None
        if kind is None:
            msg = f"message: cannot tell its kind without a stream (e={event!r})"
            raise ParseError(msg)
    parser = PARSERS.get(kind)
    if parser is None:
        msg = f"message: no parser for kind {kind!r}"
        raise ParseError(msg)
    return parser(p)


def stream_name(symbol: str, kind: str) -> str:
    """Combined-stream name: ``stream_name('BTCUSDT', 'trade') -> 'btcusdt@trade'``."""
    return f"{symbol.lower()}@{kind}"


def split_stream(stream: str) -> tuple[str, str]:
    """Split ``btcusdt@depth@100ms`` into ``('btcusdt', 'depth@100ms')``."""
    symbol, sep, kind = stream.partition("@")
    if not sep or not symbol or not kind:
        msg = f"stream name must look like 'btcusdt@trade', received {stream!r}"
        raise ParseError(msg)
    return symbol, kind


class SyncVerdict(enum.Enum):
    """What the sync rules say about one diff."""

    APPLY = "apply"  # apply it to the book
    STALE = "stale"  # u <= the book's id: already in the snapshot, drop it
    GAP = "gap"  # U > id + 1: updates were missed; the book is invalid until a new snapshot
    BUFFERED = "buffered"  # no valid snapshot yet: held until one arrives


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SyncStep(Generic[T]):
    """One decision: the verdict, the diff's ids, the item, and for a gap the expected U."""

    verdict: SyncVerdict
    first_update_id: int
    final_update_id: int
    item: T
    expected_first: int | None = None


class DepthSync(Generic[T]):
    """Binance spot local-book sync rules as a small state machine (the book is the caller's).

    Diffs before a snapshot are buffered. A snapshot replays the buffer: diffs with
    ``u <= lastUpdateId`` are stale, the first applied one must satisfy
    ``U <= lastUpdateId + 1 <= u``, and every later one ``U == previous u + 1``. A diff with
    ``U > id + 1`` is a gap: the state becomes unsynced and the diff waits for a new snapshot.
    """

    first_pending = False  # chained rules judge the first diff after a snapshot apart

    def __init__(self, *, max_buffer: int = 1_000_000) -> None:
        self.update_id: int | None = None
        self._buffer: deque[tuple[int, int, T, int | None]] = deque(maxlen=max_buffer)

    @property
    def synced(self) -> bool:
        """True while the book follows the stream without a gap."""
        return self.update_id is not None

    def reset(self) -> None:
        """Forget the book (after a disconnect): diffs are buffered until the next snapshot."""
        self.update_id = None
        self._buffer.clear()

    def resume(self, update_id: int) -> None:
        """Carry on a book known to be synced at ``update_id`` (carried over from earlier
        input): the next diff must follow on from it."""
        self.update_id = update_id
        self._buffer.clear()

    def snapshot(self, last_update_id: int) -> list[SyncStep[T]]:
        """Take a snapshot as the book's state and replay the buffered diffs through the rules."""
        self.update_id = last_update_id
        pending, self._buffer = list(self._buffer), deque(maxlen=self._buffer.maxlen)
        steps: list[SyncStep[T]] = []
        for first, final, item, previous in pending:
            steps.extend(self.diff(first, final, item, previous))
        return steps

    def diff(
        self, first: int, final: int, item: T, previous: int | None = None
    ) -> list[SyncStep[T]]:
        """Judge one diff with ids ``U=first``, ``u=final`` (``previous``, a futures ``pu``,
        is kept for the chained rules and not used by spot's)."""
        if self.update_id is None:
            self._buffer.append((first, final, item, previous))
            return [SyncStep(SyncVerdict.BUFFERED, first, final, item)]
        if final <= self.update_id:
            return [SyncStep(SyncVerdict.STALE, first, final, item)]
        expected = self.update_id + 1
        if first > expected:
            self.update_id = None
            self._buffer.append((first, final, item, previous))
            return [SyncStep(SyncVerdict.GAP, first, final, item, expected_first=expected)]
        self.update_id = final
        return [SyncStep(SyncVerdict.APPLY, first, final, item)]


def iter_levels(update: DepthUpdate | DepthSnapshot) -> Iterable[tuple[bool, int, int]]:
    """``(is_bid, price, size)`` for every level of a diff or snapshot, bids first."""
    for price, size in update.bids:
        yield True, price, size
    for price, size in update.asks:
        yield False, price, size


SPOT = Market(
    name="spot",
    exchange=EXCHANGE,
    ws_url=WS_URL,
    rest_url=REST_URL,
    snapshot_path="/api/v3/depth",
    streams=STREAM_KINDS,
    kinds={
        "depth": "depth",
        "depth@100ms": "depth",
        "depth@1000ms": "depth",
        "trade": "trade",
        "aggTrade": "agg_trade",
        "bookTicker": "book_ticker",
        SNAPSHOT_SUFFIX: "snapshot",
    },
    sync_type=DepthSync,
    parsers=PARSERS,
)
"""Binance spot (``stream.binance.com``), Lake's ``BINANCE``."""
