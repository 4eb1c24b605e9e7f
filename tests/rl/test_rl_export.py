"""The hftbacktest export: loadable as is, valid event order, and the same book as rlx's."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hftbacktest.data.validation import validate_event_order

from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.results import Progress
from rlx_lib.rl import export
from rlx_lib.rl.models import Grid, backtester
from tests.rl.conftest import DAY

NEXT = "2024-08-09"


def _message_times(events: pl.DataFrame) -> pl.DataFrame:
    """Local time at which each message's last row is in the feed (receive time held monotone)."""
    return (
        events.sort("sequence")
        .with_columns(pl.col("received_time").dt.epoch("ns").cum_max().alias("local"))
        .group_by("update_id")
        .agg(pl.col("local").max())
    )


def _assert_replay_matches_book(root, path, source, day) -> None:
    """hftbacktest replaying ``path`` has rlx's best bid and ask at >= 1,000 states and the end."""
    feed = np.load(path)["data"]
    validate_event_order(feed)
    part = f"dt={day}/part-{source}.parquet"
    events = pl.read_parquet(root / "events/exchange=BINANCE/symbol=BTC-USDT" / part)
    book = pl.read_parquet(root / "book/exchange=BINANCE/symbol=BTC-USDT" / part)
    book = book.join(_message_times(events), on="update_id", how="left", maintain_order="left")
    local = book["local"].to_numpy()
    sampled = np.flatnonzero(np.diff(local) > 0)  # states a clock can stop between
    assert sampled.size >= 1000
    hbt = backtester([str(path)], Grid(tick=1_000_000, lot=1_000))
    hbt.elapse(0)
    now = hbt.current_timestamp
    bid = (book["bid_0_price"] * 100).cast(pl.Int64).to_numpy()
    ask = (book["ask_0_price"] * 100).cast(pl.Int64).to_numpy()
    seen = []
    for index in sampled:
        hbt.elapse(int(local[index] - now))
        now = local[index]
        depth = hbt.depth(0)
        seen.append((depth.best_bid_tick, depth.best_ask_tick))
    assert seen == list(zip(bid[sampled], ask[sampled], strict=True))
    while hbt.elapse(10**12) == 0:
        pass
    final = hbt.depth(0)
    assert (final.best_bid_tick, final.best_ask_tick) == (bid[-1], ask[-1])
    hbt.close()


@pytest.mark.parametrize("source", ["golden", "lake"])
def test_replaying_the_export_gives_rlx_best_bid_and_ask(real_root, tmp_path, source):
    result = export(
        real_root, symbols=["BTC-USDT"], start=DAY, end=NEXT, source=source, out=tmp_path
    )
    assert result.ok
    path = tmp_path / f"BTCUSDT_{source}_{DAY}.npz"
    assert result.rows[0].path == str(path)
    assert not result.rows[0].carried_in
    _assert_replay_matches_book(real_root, path, source, DAY)


def test_a_carried_over_day_opens_from_the_carried_book(real_two_days, tmp_path):
    result = export(real_two_days, symbols=["BTC-USDT"], start=NEXT, end="2024-08-10", out=tmp_path)
    assert result.ok
    assert result.rows[0].carried_in  # the second day has no snapshot of its own
    path = tmp_path / f"BTCUSDT_golden_{NEXT}.npz"
    _assert_replay_matches_book(real_two_days, path, "golden", NEXT)


def test_rerun_skips_finished_files_and_progress_tells_each_day(real_root, tmp_path):
    steps = []
    first = export(
        real_root, symbols=["BTC-USDT"], start=DAY, end=NEXT, out=tmp_path, progress=steps.append
    )
    again = export(real_root, symbols=["BTC-USDT"], start=DAY, end=NEXT, out=tmp_path)
    assert first.rows[0].status == "written"
    assert again.rows[0].status == "skipped"
    assert again.to_frame().height == 1
    assert "skipped" in again._repr_html_()
    assert steps == [Progress("export", f"BTC-USDT {DAY}", 1, 1, first.rows[0].describe())]
    assert steps[0].text.startswith(f"BTC-USDT {DAY} (golden): written, ")


def test_bad_input_is_one_clear_line(real_root, tmp_path):
    with pytest.raises(ConfigError, match=r"tick size 0\.03000000 does not divide the prices"):
        export(real_root, symbols=["BTC-USDT"], start=DAY, end=NEXT, out=tmp_path, tick_size=0.03)
    with pytest.raises(DataRangeError, match="run `rlx reconstruct --source lake"):
        export(real_root, symbols=["ETH-USDT"], start=DAY, end=NEXT, source="lake", out=tmp_path)
    with pytest.raises(ConfigError, match="unknown source"):
        export(real_root, symbols=["BTC-USDT"], start=DAY, end=NEXT, source="x", out=tmp_path)
