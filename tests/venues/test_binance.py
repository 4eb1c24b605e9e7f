"""Binance wire formats: exact parsing, clear errors naming the field, and the U/u sync rules."""

from __future__ import annotations

import contextlib

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib.decimals import MAX_UNITS, format_units
from rlx_lib.errors import ParseError
from rlx_lib.venues import binance
from rlx_lib.venues.binance import DepthSync, SyncVerdict

units = st.integers(min_value=0, max_value=MAX_UNITS)
levels = st.lists(st.tuples(units, units), max_size=30)


@given(st.integers(0, 2**62), st.integers(1, 2**40), st.integers(0, 5000), levels, levels)
def test_depth_update_round_trips_decimal_strings_exactly(
    event_time: int, first: int, span: int, bids: list, asks: list
) -> None:
    raw = orjson.dumps(
        {
            "e": "depthUpdate",
            "E": event_time,
            "s": "BTCUSDT",
            "U": first,
            "u": first + span,
            "b": [[format_units(p), format_units(q)] for p, q in bids],
            "a": [[format_units(p), format_units(q)] for p, q in asks],
        }
    )
    update = binance.parse_message(raw)
    assert isinstance(update, binance.DepthUpdate)
    assert update.bids == tuple(bids)
    assert update.asks == tuple(asks)
    assert (update.first_update_id, update.final_update_id) == (first, first + span)


@given(units, units, st.booleans(), st.integers(0, 2**40))
def test_trade_and_agg_trade_parse_exactly(
    price: int, quantity: int, maker: bool, ident: int
) -> None:
    trade = binance.parse_message(
        orjson.dumps(
            {
                "e": "trade",
                "E": 2,
                "s": "BTCUSDT",
                "t": ident,
                "p": format_units(price),
                "q": format_units(quantity),
                "T": 1,
                "m": maker,
                "M": True,
            }
        )
    )
    assert (trade.price, trade.quantity, trade.buyer_is_maker, trade.trade_id) == (
        price,
        quantity,
        maker,
        ident,
    )
    agg = binance.parse_message(
        orjson.dumps(
            {
                "e": "aggTrade",
                "E": 2,
                "s": "BTCUSDT",
                "a": ident,
                "p": format_units(price),
                "q": format_units(quantity),
                "f": 5,
                "l": 9,
                "T": 1,
                "m": maker,
                "M": True,
            }
        )
    )
    assert (agg.agg_id, agg.price, agg.quantity, agg.last_trade_id) == (ident, price, quantity, 9)


def test_old_trade_shape_with_buyer_and_seller_ids_is_tolerated() -> None:
    raw = (
        '{"e":"trade","E":1672515782136,"s":"BNBBTC","t":12345,"p":"0.001","q":"100",'
        '"b":88,"a":50,"T":1672515782136,"m":true,"M":true}'
    )
    trade = binance.parse_trade(raw)
    assert trade.price == 100_000
    assert trade.quantity == 100 * 10**8
    assert trade.buyer_is_maker


def test_book_ticker_and_snapshot_by_kind() -> None:
    ticker = binance.parse_message(
        '{"u":400900217,"s":"BNBUSDT","b":"25.35190000",'
        '"B":"31.21000000","a":"25.36520000","A":"40.66000000"}',
        "book_ticker",
    )
    assert ticker == binance.BookTicker(
        400900217, "BNBUSDT", 2535190000, 3121000000, 2536520000, 4066000000
    )
    snapshot = binance.parse_message(
        '{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],'
        '"asks":[["4.00000200","12.00000000"]]}',
        "snapshot",
    )
    assert snapshot.last_update_id == 1027024
    assert snapshot.asks == ((400000200, 1200000000),)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"e":"depthUpdate","E":1,"s":"X","u":2,"b":[],"a":[]}', "'U'"),
        ('{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[["1.0","x"]],"a":[]}', "b[0].quantity"),
        ('{"e":"depthUpdate","E":1,"s":"X","U":1,"u":2,"b":[[1.0,"1"]],"a":[]}', "b[0]"),
        ('{"e":"depthUpdate","E":"1","s":"X","U":1,"u":2,"b":[],"a":[]}', "'E'"),
        ('{"e":"depthUpdate","E":1,"s":"X","U":5,"u":2,"b":[],"a":[]}', "u=2"),
        ('{"e":"trade","E":1,"s":"X","t":1,"p":"1e3","q":"1","T":1,"m":true}', "trade.p"),
        ('{"e":"aggTrade","E":1,"s":"X","a":1,"p":"1","q":"1","f":1,"T":1,"m":true}', "'l'"),
        ('{"e":"bookTicker","u":1,"s":"X","b":"1","B":"1","a":"1"}', "'A'"),
        ('{"e":"kline"}', "kline"),
        ("[1,2]", "JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_malformed_messages_raise_parse_error_naming_the_field(raw: str, field: str) -> None:
    with pytest.raises(ParseError, match=field.replace("[", r"\[").replace("]", r"\]")):
        binance.parse_message(raw)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_other_errors(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        binance.parse_message(raw)


def test_streams_split_and_join() -> None:
    assert binance.stream_name("BTCUSDT", "depth@100ms") == "btcusdt@depth@100ms"
    assert binance.split_stream("btcusdt@depth@100ms") == ("btcusdt", "depth@100ms")
    with pytest.raises(ParseError):
        binance.split_stream("_session")


def test_sync_follows_the_official_procedure_on_the_real_boundary_case() -> None:
    # Real BTCUSDT: snapshot 50093239218 arrived after two diffs; the first is stale,
    # the second straddles lastUpdateId + 1.
    sync: DepthSync[str] = DepthSync()
    assert sync.diff(50093239189, 50093239202, "a")[0].verdict is SyncVerdict.BUFFERED
    assert sync.diff(50093239203, 50093239217, "b")[0].verdict is SyncVerdict.BUFFERED
    assert sync.diff(50093239208 + 10, 50093239224, "c")[0].verdict is SyncVerdict.BUFFERED
    steps = sync.snapshot(50093239218)
    assert [s.verdict for s in steps] == [SyncVerdict.STALE, SyncVerdict.STALE, SyncVerdict.APPLY]
    assert sync.update_id == 50093239224
    assert sync.diff(50093239225, 50093239230, "d")[0].verdict is SyncVerdict.APPLY


def test_sync_reports_a_gap_and_waits_for_a_new_snapshot() -> None:
    sync: DepthSync[int] = DepthSync()
    sync.snapshot(100)
    assert sync.diff(101, 105, 1)[0].verdict is SyncVerdict.APPLY
    gap = sync.diff(108, 110, 2)[0]
    assert gap.verdict is SyncVerdict.GAP
    assert gap.expected_first == 106
    assert not sync.synced
    assert sync.diff(111, 112, 3)[0].verdict is SyncVerdict.BUFFERED
    assert [s.verdict for s in sync.snapshot(109)] == [SyncVerdict.APPLY, SyncVerdict.APPLY]
    assert sync.update_id == 112


def test_sync_snapshot_older_than_buffer_is_a_gap() -> None:
    sync: DepthSync[int] = DepthSync()
    sync.diff(200, 210, 1)
    steps = sync.snapshot(150)
    assert steps[0].verdict is SyncVerdict.GAP
    assert steps[0].expected_first == 151


@given(st.lists(st.integers(1, 20), min_size=1, max_size=50), st.integers(0, 49))
def test_sync_applies_every_contiguous_diff_and_flags_exactly_one_dropped(
    spans: list[int], dropped: int
) -> None:
    sync: DepthSync[int] = DepthSync()
    sync.snapshot(999)
    first, verdicts = 1000, []
    for index, span in enumerate(spans):
        if index != dropped:
            verdicts.extend(s.verdict for s in sync.diff(first, first + span - 1, index))
        first += span
    expected_gaps = 1 if dropped < len(spans) - 1 else 0
    assert verdicts.count(SyncVerdict.GAP) == expected_gaps
