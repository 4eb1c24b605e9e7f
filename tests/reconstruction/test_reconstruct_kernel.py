"""The compiled book kernel against a plain dict reference book (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.reconstruction import L2Book

TICK = 1_000_000  # 0.01 in units
MID = 6_000_000 * TICK


def reference_top(reference: dict[bool, dict[int, int]], depth: int) -> dict[str, list]:
    bids = sorted(reference[True].items(), key=lambda level: -level[0])[:depth]
    asks = sorted(reference[False].items())[:depth]
    return {"bids": bids, "asks": asks}


def apply_reference(reference, is_bid, price, size) -> None:
    if size == 0:
        reference[is_bid].pop(price, None)
    else:
        reference[is_bid][price] = size


offsets = st.one_of(
    st.integers(-60, 60),  # near the touch
    st.integers(-6_000_000, 6_000_000),  # up to twice the price away
)
level = st.tuples(
    st.booleans(),
    offsets,
    st.sampled_from([0, 0, 1, 7, 100_000_000, 123_456_789]),
    st.integers(0, 99),  # off-grid part, mostly zero
)
messages = st.lists(st.lists(level, min_size=1, max_size=40), min_size=1, max_size=40)


def to_rows(message):
    is_bid, price, size = [], [], []
    for bid, offset, quantity, odd in message:
        is_bid.append(bid)
        price.append(MID + offset * TICK + (odd if odd > 95 else 0))
        size.append(quantity)
    return np.array(is_bid), np.array(price, dtype=np.int64), np.array(size, dtype=np.int64)


@settings(max_examples=150, deadline=None)
@given(messages, st.integers(1, 25), st.sampled_from([256, 1 << 16]))
def test_kernel_matches_dict_reference(stream, depth, window) -> None:
    book = L2Book(window=window, capacity=4)
    reference: dict[bool, dict[int, int]] = {True: {}, False: {}}
    rows = [to_rows(message) for message in stream]
    is_bid = np.concatenate([r[0] for r in rows])
    price = np.concatenate([r[1] for r in rows])
    size = np.concatenate([r[2] for r in rows])
    starts = np.cumsum([0] + [len(r[0]) for r in rows]).astype(np.int64)
    top = book.replay(is_bid, price, size, starts, np.zeros(len(rows), dtype=bool), depth=depth)
    for index, message in enumerate(rows):
        for bid, p, s in zip(*message, strict=True):
            apply_reference(reference, bool(bid), int(p), int(s))
        expected = reference_top(reference, depth)
        bid_count, ask_count = len(expected["bids"]), len(expected["asks"])
        got_bids = list(
            zip(top.bid_price[index, :bid_count], top.bid_size[index, :bid_count], strict=True)
        )
        got_asks = list(
            zip(top.ask_price[index, :ask_count], top.ask_size[index, :ask_count], strict=True)
        )
        assert got_bids == expected["bids"]
        assert got_asks == expected["asks"]
        assert not top.bid_size[index, bid_count:].any()
        assert not top.ask_size[index, ask_count:].any()
        best_bid = expected["bids"][0][0] if expected["bids"] else None
        best_ask = expected["asks"][0][0] if expected["asks"] else None
        crossed = best_bid is not None and best_ask is not None and best_bid >= best_ask
        assert bool(top.crossed[index]) == crossed
    # the full book, every level, equals the reference; no zero-size level is kept
    for is_bid_side in (True, False):
        prices, sizes = book.levels(is_bid=is_bid_side)
        expected_side = sorted(reference[is_bid_side].items(), reverse=is_bid_side)
        assert list(zip(prices.tolist(), sizes.tolist(), strict=True)) == expected_side
        assert (sizes > 0).all()
        assert (np.diff(prices) < 0).all() if is_bid_side else (np.diff(prices) > 0).all()


@settings(max_examples=60, deadline=None)
@given(messages, messages)
def test_snapshot_reset_equals_fresh_build(history, snapshot_stream) -> None:
    snapshot: dict[bool, dict[int, int]] = {True: {}, False: {}}
    for message in snapshot_stream:
        for bid, p, s in zip(*to_rows(message), strict=True):
            apply_reference(snapshot, bool(bid), int(p), int(s))
    used = L2Book(window=512)
    for message in history:
        used.apply_levels(*to_rows(message))
    used.reset(snapshot[True].items(), snapshot[False].items())
    fresh = L2Book(window=512)
    fresh.reset(snapshot[True].items(), snapshot[False].items())
    assert used.top(10_000) == fresh.top(10_000)
    assert used.depth() == (len(snapshot[True]), len(snapshot[False]))


def test_message_with_thousands_of_levels() -> None:
    rng = np.random.default_rng(3)
    count = 3000
    offsets = rng.choice(np.arange(-400_000, 400_000), size=count, replace=False)
    price = (MID + offsets * TICK).astype(np.int64)
    is_bid = offsets < 0
    size = rng.integers(1, 10**9, size=count).astype(np.int64)
    book = L2Book(capacity=2)
    crossed = book.apply_levels(is_bid, price, size)
    assert not crossed
    bids, asks = book.depth()
    assert (bids, asks) == (int(is_bid.sum()), int((~is_bid).sum()))
    top = book.top(20)
    order = np.argsort(-price[is_bid])[:20]
    assert top["bids"] == list(
        zip(price[is_bid][order].tolist(), size[is_bid][order].tolist(), strict=True)
    )
