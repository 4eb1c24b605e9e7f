"""sim_to_real_gap and state_coverage: 0 and 1 on a fault-free vendor view, worse with drops."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

from rlx_lib.catalog import partition_dir
from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.fidelity import align, available, evaluate
from rlx_lib.fidelity.align import input_files
from rlx_lib.rl.feed import event_trades, feed_latency, side_feed, sides, single_trades
from rlx_lib.rl.metrics import SimToRealGap, StateCoverage
from rlx_lib.rl.policies import REFERENCE_POLICIES, get_policy
from rlx_lib.rl.simulate import simulate
from rlx_lib.rl.sizing import window_grid
from rlx_lib.rl.transfer import TransferGap
from tests.rl.conftest import DAY
from workbench.rl_report import policy_table
from workbench.rl_sweep import sweep

RL = ["sim_to_real_gap", "state_coverage", "transfer_gap"]
END = DAY + dt.timedelta(days=1)


def _assert_fault_free(report):
    gap = report.record("sim_to_real_gap")
    assert gap.value == 0.0
    assert set(gap.detail["policies"]) == set(REFERENCE_POLICIES)
    for name, policy in gap.detail["policies"].items():
        assert policy["gap"] == 0.0, name
        assert policy["interval_95"] == [0.0, 0.0], name
        assert policy["live"] == policy["vendor"], name
    assert sum(p["live"]["fills"] for p in gap.detail["policies"].values()) > 0
    coverage = report.record("state_coverage")
    assert coverage.value == 1.0
    assert coverage.detail["jensen_shannon"] == 0.0
    assert coverage.detail["live_bins"] > 10
    transfer = report.record("transfer_gap")
    assert transfer.value == 0.0
    assert transfer.detail["live_trained"] == transfer.detail["vendor_trained"]


def test_metrics_are_registered_through_the_entry_point_group():
    assert set(RL) <= set(available())


def test_fault_free_synthetic_vendor_has_no_gap(synthetic_root):
    _assert_fault_free(
        evaluate(synthetic_root, symbols=["BTC-USDT"], start=DAY, end=END, metrics=RL)
    )


def test_fault_free_vendor_view_of_the_real_capture_has_no_gap(real_root):
    metrics = ["sim_to_real_gap", "state_coverage", TransferGap(episodes=1)]
    _assert_fault_free(
        evaluate(real_root, symbols=["BTC-USDT"], start=DAY, end=END, metrics=metrics)
    )


def test_gap_rises_with_the_vendor_drop_rate(synthetic_root):
    result = sweep(
        synthetic_root, symbols=["BTC-USDT"], start=DAY, end=END, drop_rates=(0.0, 0.05, 0.2)
    )
    assert result.ok
    assert len(result.rows) == 9
    curve = result.curve()
    gaps = curve["gap"].to_list()
    assert gaps[0] == 0.0
    assert curve["coverage"][0] == 1.0
    assert gaps[1] > 0.0
    assert gaps[2] > gaps[0]
    assert gaps[2] >= gaps[1] * 0.5  # rises on average, not a hard-coded value
    assert not (synthetic_root / "_work" / "rl_sweep").exists()


def test_bad_input_is_one_clear_line(synthetic_root, tmp_path):
    with pytest.raises(ConfigError, match="unknown policy 'nope'; available: imbalance_taker"):
        get_policy("nope")
    metric = SimToRealGap(tick_size=0.03)
    with pytest.raises(ConfigError, match=r"tick size 0\.03000000 does not divide the prices"):
        evaluate(synthetic_root, symbols=["BTC-USDT"], start=DAY, end=END, metrics=[metric])
    with pytest.raises(DataRangeError, match="no book/ data from source 'golden'"):
        evaluate(tmp_path, symbols=["BTC-USDT"], start=DAY, end=END, metrics=[StateCoverage()])


def _single_variant_holds(aligned, detail, fills: pl.DataFrame) -> list[int]:
    """Each policy's single-fills variant equals a replay of the live side fed ``fills`` (the
    ``trades/`` rows); returns what it moved each policy's fills by."""
    live = sides(aligned)[0]
    single = single_trades(fills)
    assert detail["live_trades_individual"] == fills.height == single.height
    grid, latency, qty = window_grid(live), feed_latency(aligned), detail["order_qty"]
    feeds = [
        side_feed(replace(live, trades=trades), latency_ns=latency)
        for trades in (live.trades, single)
    ]
    moved = []
    for name, policy in detail["policies"].items():
        aggregate, fed = (
            simulate(feed, get_policy(name), grid, qty=qty, limit=5 * qty) for feed in feeds
        )
        variant = policy["single_trades"]
        assert (variant["live_fills"], variant["live_pnl"]) == (fed.fills, fed.pnl), name
        assert variant["fills"] == fed.fills - aggregate.fills, name
        assert variant["pnl"] == fed.pnl - aggregate.pnl, name
        moved.append(variant["fills"])
    assert policy_table(detail)["single fills vs aggregates (fills)"].to_list() == moved
    return moved


def _trades_dataset(root) -> pl.DataFrame:
    return pl.read_parquet(
        partition_dir(root, "trades", symbol="BTC-USDT", day=DAY) / "part-golden.parquet"
    )


def test_single_fills_variant_feeds_trades_when_the_capture_holds_both_streams(synthetic_root):
    """``rlx synth`` records ``@trade`` and ``@aggTrade``: ``events/`` keeps the aggregates,
    the variant is fed the single fills of ``trades/``, several per aggregate."""
    aligned = align(synthetic_root, "BTC-USDT", DAY, END)
    fills = _trades_dataset(synthetic_root)
    aggregates = event_trades(aligned.reference_events)
    assert fills.height > aggregates.height > 0
    assert fills["size"].sum() == aligned.reference_events.filter(kind="trade")["size"].sum()
    metric = SimToRealGap(recorded=False, policies=("passive_quoter", "random_quoter"))
    detail = metric.compute(aligned).detail
    assert detail["single_trades"].startswith(f"live side fed its {fills.height} single")
    _single_variant_holds(aligned, detail, fills)


def test_single_fills_variant_is_not_computed_without_trade_stream(synthetic_root):
    aligned = replace(align(synthetic_root, "BTC-USDT", DAY, END), reference_single_trades=None)
    detail = SimToRealGap(recorded=False, policies=("passive_quoter",)).compute(aligned).detail
    assert detail["single_trades"] == "not computed: no @trade stream in the capture"
    assert detail["live_trades_individual"] == 0
    assert "single_trades" not in detail["policies"]["passive_quoter"]
    assert policy_table(detail)["single fills vs aggregates (fills)"].to_list() == [None]


def test_single_fills_variant_on_a_trade_only_capture(real_root):
    """The real capture has ``@trade`` only: ``trades/`` holds the same fills as ``events/``."""
    aligned = align(real_root, "BTC-USDT", DAY, END)
    fills = _trades_dataset(real_root)
    assert single_trades(fills).equals(event_trades(aligned.reference_events))
    detail = SimToRealGap(recorded=False).compute(aligned).detail
    assert detail["live_trades_individual"] > sides(aligned)[0].trades.height
    _single_variant_holds(aligned, detail, fills)


def test_single_fills_are_read_only_when_every_day_has_them(tmp_path):
    """A window whose live days lack ``trades/`` on some day gets no single fills at all."""
    days = [DAY, END]
    for dataset, source in [(d, s) for d in ("book", "events") for s in ("golden", "lake")]:
        for day in days:
            folder = partition_dir(tmp_path, dataset, symbol="BTC-USDT", day=day)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"part-{source}.parquet").touch()
    first = partition_dir(tmp_path, "trades", symbol="BTC-USDT", day=DAY)
    first.mkdir(parents=True)
    (first / "part-golden.parquet").touch()
    stop = END + dt.timedelta(days=1)
    assert input_files(tmp_path, "BTC-USDT", DAY, stop)["trades/golden"] == []
    assert input_files(tmp_path, "BTC-USDT", DAY, END)["trades/golden"] == [
        first / "part-golden.parquet"
    ]
