"""The synthetic market's ground truth: determinism, an exact uncrossed book, contiguous ids,
chaining, and regimes that differ in message rate."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sortedcontainers import SortedDict

from rlx_lib.errors import ConfigError
from rlx_lib.synth.kernel import _BA, _BB, _NFB, WINDOW
from rlx_lib.synth.market import (
    REGIMES,
    MarketState,
    TruthStream,
    _copy,
    _levels,
    _recentre,
    simulate,
)
from rlx_lib.synth.regimes import symbol_preset

START_NS = 1_723_161_255_000_000_000
ARRAYS = (
    "initial_bid_price",
    "initial_bid_size",
    "initial_ask_price",
    "initial_ask_size",
    "change_time_ns",
    "change_is_bid",
    "change_price",
    "change_size",
    "trade_time_ns",
    "trade_id",
    "trade_price",
    "trade_quantity",
    "trade_buyer_is_maker",
    "trade_taker_order",
    "trade_update_id",
)


def _replay(truth: TruthStream) -> tuple[SortedDict, SortedDict, int]:
    """Apply every change to a dict book, checking each one; returns the book and the number
    of changes after which the book held both sides."""
    bids = SortedDict(
        zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True)
    )
    asks = SortedDict(
        zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True)
    )
    assert bids.keys()[-1] < asks.keys()[0]
    checked = 0
    for is_bid, price, size in zip(
        truth.change_is_bid.tolist(),
        truth.change_price.tolist(),
        truth.change_size.tolist(),
        strict=True,
    ):
        book = bids if is_bid else asks
        assert book.get(price, 0) != size, f"no-op change at {price}"
        if size == 0:
            del book[price]  # a delete always removes a level the book holds
        else:
            book[price] = size
        if bids and asks:
            assert bids.keys()[-1] < asks.keys()[0], "crossed book"
            checked += 1
    assert all(size > 0 for size in bids.values())
    assert all(size > 0 for size in asks.values())
    return bids, asks, checked


def test_same_seed_gives_identical_arrays() -> None:
    first = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=20, seed=11)
    second = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=20, seed=11)
    other = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=20, seed=12)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name), err_msg=name)
    assert first.change_price.size != other.change_price.size or not np.array_equal(
        first.change_price, other.change_price
    )


def test_truth_book_is_exact_sparse_and_never_crossed() -> None:
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=30, seed=5)
    assert truth.tick == 1_000_000
    assert truth.lot == 1_000
    assert truth.initial_bid_price.size >= 1000
    assert truth.initial_ask_price.size >= 1000
    assert np.all(np.diff(truth.initial_bid_price) < 0)
    assert np.all(np.diff(truth.initial_ask_price) > 0)
    near = truth.initial_bid_price[0] - truth.initial_bid_price < 1000 * truth.tick
    assert 0.02 <= near.sum() / 1000 <= 0.06  # a sparse tick grid
    assert truth.initial_ask_price[-1] > 1.5 * truth.initial_ask_price[0]  # far orders exist
    for prices in (truth.change_price, truth.trade_price):
        assert np.all(prices % truth.tick == 0)
    for sizes in (truth.change_size, truth.trade_quantity):
        assert np.all(sizes % truth.lot == 0)
    assert np.all(np.diff(truth.change_time_ns) >= 0)
    assert truth.start_ns <= truth.change_time_ns[0]
    assert truth.change_time_ns[-1] < truth.end_ns
    _, _, checked = _replay(truth)
    assert checked == truth.change_price.size


def test_trades_point_at_the_level_changes_they_caused() -> None:
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=30, seed=8)
    assert truth.trade_id.size > 100
    np.testing.assert_array_equal(np.diff(truth.trade_id), 1)
    index = truth.trade_update_id - truth.first_update_id
    assert np.all(np.diff(index) > 0)
    np.testing.assert_array_equal(truth.change_price[index], truth.trade_price)
    np.testing.assert_array_equal(truth.change_time_ns[index], truth.trade_time_ns)
    # a taker sell (buyer is maker) hits bids
    np.testing.assert_array_equal(truth.change_is_bid[index], truth.trade_buyer_is_maker)
    orders, fills = np.unique(truth.trade_taker_order, return_counts=True)
    assert fills.max() > 10
    assert np.mean(fills == 1) > 0.4
    assert np.all(np.diff(truth.trade_taker_order) >= 0)
    assert orders.size > 50


def test_windows_chain_into_one_market() -> None:
    first = simulate("ETH-USDT", "high", start_ns=START_NS, seconds=15, seed=3)
    second = simulate(
        "ETH-USDT", "high", start_ns=first.end_ns, seconds=15, seed=3, initial=first.final
    )
    bids, asks, _ = _replay(first)
    assert list(bids.items())[::-1] == list(
        zip(second.initial_bid_price.tolist(), second.initial_bid_size.tolist(), strict=True)
    )
    assert list(asks.items()) == list(
        zip(second.initial_ask_price.tolist(), second.initial_ask_size.tolist(), strict=True)
    )
    assert second.first_update_id == first.first_update_id + first.change_price.size
    assert second.trade_id[0] == first.trade_id[-1] + 1
    assert second.change_time_ns[0] >= first.end_ns
    _replay(second)
    with pytest.raises(ConfigError, match="previous window ended"):
        simulate("ETH-USDT", "high", start_ns=START_NS, seconds=5, seed=3, initial=first.final)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    regime=st.sampled_from(sorted(REGIMES)),
    symbol=st.sampled_from(["BTC-USDT", "ETH-USDT", "SOL-USDT", "DOGE-BTC"]),
)
def test_any_seed_regime_and_symbol_keeps_an_uncrossed_exact_book(
    seed: int, regime: str, symbol: str
) -> None:
    truth = simulate(symbol, regime, start_ns=START_NS, seconds=3, seed=seed)
    preset = symbol_preset(symbol)
    assert (truth.tick, truth.lot) == (preset.tick, preset.lot)
    _replay(truth)


def _rates(regime: str) -> tuple[float, float, float, int]:
    """Depth messages, update ids and trades per second, and the most ids in one window."""
    seconds = 120
    truth = simulate("BTC-USDT", regime, start_ns=START_NS, seconds=seconds, seed=21)
    _, per_window = np.unique(truth.change_time_ns // 100_000_000, return_counts=True)
    rates = (
        per_window.size / seconds,
        truth.change_price.size / seconds,
        truth.trade_id.size / seconds,
    )
    return (*rates, int(per_window.max(initial=0)))


def test_regimes_differ_in_message_rate_as_configured() -> None:
    rates = {name: _rates(name) for name in REGIMES}
    depth, ids, _, _ = rates["high"]
    assert 9.5 <= depth <= 10.01
    assert 400 <= ids <= 1000
    for quiet in ("low", "weekend"):
        assert rates[quiet][1] < 0.7 * ids
        assert rates[quiet][2] < 0.7 * rates["high"][2]
    assert rates["stress"][1] > 1.5 * ids
    assert rates["stress"][2] > 1.5 * rates["high"][2]
    illiquid_depth, illiquid_ids, illiquid_trades, illiquid_burst = rates["illiquid"]
    assert 0.05 <= illiquid_depth <= 5
    assert illiquid_ids < 10
    assert illiquid_trades < 1
    assert illiquid_burst < 20  # u-U+1 stays small (section 9, illiquid preset)


def test_unknown_regime_and_bad_window_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown regime"):
        simulate("BTC-USDT", "sideways", start_ns=START_NS, seconds=1, seed=1)
    with pytest.raises(ConfigError, match="seconds must be positive"):
        simulate("BTC-USDT", "high", start_ns=START_NS, seconds=0, seed=1)


def test_recentring_the_window_keeps_every_level() -> None:
    first = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=5, seed=4)
    state = MarketState(**{name: _copy(value) for name, value in vars(first.final).items()})
    before = [_levels(state, side, tick=first.tick, lot=first.lot) for side in (0, 1)]
    best_bid, best_ask = int(state.ints[_BB]), int(state.ints[_BA])
    state.ints[_BB] = best_bid + 300_000  # pretend the touch drifted up: the window follows
    shift = best_bid + 300_000 - WINDOW // 2
    _recentre(state)
    state.ints[_BB] = best_bid - shift
    assert state.ints[_BA] == best_ask - shift
    after = [_levels(state, side, tick=first.tick, lot=first.lot) for side in (0, 1)]
    for (price, size), (price_after, size_after) in zip(before, after, strict=True):
        np.testing.assert_array_equal(price, price_after)
        np.testing.assert_array_equal(size, size_after)
    assert state.ints[_NFB] > first.final.ints[_NFB]  # deep bids left the window
    second = simulate("BTC-USDT", "high", start_ns=first.end_ns, seconds=5, seed=4, initial=state)
    np.testing.assert_array_equal(second.initial_bid_price, before[0][0])
    _replay(second)
