"""The feed converter: every row kept once per clock, each clock in order (hypothesis)."""

from __future__ import annotations

import numpy as np
from hftbacktest import EXCH_EVENT, LOCAL_EVENT, event_dtype
from hftbacktest.data.validation import validate_event_order
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib.rl.convert import order_by_clocks, rows_to_feed


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=60))
def test_each_clock_sees_every_row_once_and_in_order(times):
    rows = np.zeros(len(times), dtype=event_dtype)
    rows["exch_ts"] = [e for e, _ in times]
    rows["local_ts"] = np.sort([loc for _, loc in times])
    rows["qty"] = np.arange(len(times))  # identifies each row
    out = order_by_clocks(rows)
    validate_event_order(out)
    for flag, clock in ((EXCH_EVENT, "exch_ts"), (LOCAL_EVENT, "local_ts")):
        seen = out[(out["ev"] & flag) != 0]
        assert sorted(seen["qty"].tolist()) == list(range(len(times)))
        assert np.all(np.diff(seen[clock]) >= 0)
    local = out[(out["ev"] & LOCAL_EVENT) != 0]
    assert local["qty"].tolist() == list(range(len(times)))  # rlx's own order, untouched


def test_a_snapshot_opens_with_a_clear_of_each_side_and_takes_the_next_exchange_time():
    kind = np.array(["trade", "snapshot", "snapshot", "delta"])
    feed = rows_to_feed(
        kind=kind,
        update_id=np.array([-1, 10, 10, 11]),
        is_bid=np.array([True, True, False, True]),
        exch=np.array([5.0, np.nan, np.nan, 9.0]),
        local=np.array([1, 4, 4, 2]),
        price=np.array([100, 99, 101, 99]) * 100_000_000,
        size=np.array([1, 2, 3, 4]) * 100_000_000,
    )
    validate_event_order(feed)
    local = feed[(feed["ev"] & LOCAL_EVENT) != 0]
    assert [int(ev) & 0xFF for ev in local["ev"]] == [2, 3, 3, 4, 4, 1]
    assert np.isnan(local["px"][1:3]).all()
    assert local["local_ts"].tolist() == [1, 4, 4, 4, 4, 4]  # the diff waits for its snapshot
    assert local["exch_ts"].tolist() == [5, 9, 9, 9, 9, 9]
