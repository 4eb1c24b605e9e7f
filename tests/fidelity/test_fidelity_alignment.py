"""Fidelity over constructed markets: exact counts of what was injected, periods, verdict."""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.fidelity import evaluate
from rlx_lib.fidelity.align import _grid
from rlx_lib.fidelity.metrics import agreement, resolve
from rlx_lib.fidelity.run import compute_records
from rlx_lib.schemas import FIDELITY_RESULT, book_state_schema, check_schema

AGREEMENT = (
    "top_of_book_agreement",
    "depth_agreement_1",
    "depth_agreement_5",
    "depth_agreement_20",
    "message_coverage",
    "vendor_message_coverage",
    "trade_match_rate",
    "origin_time_agreement",
    "grid_series_agreement",
)


def _whole(records):
    return {record.name: record for record in records if record.period is None}


def test_no_faults_every_agreement_is_one_and_the_verdict_passes(
    data_root, market_factory, write_market, tmp_path
):
    market = market_factory(messages=200, seed=1)
    write_market(data_root, market)
    report = evaluate(
        data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09", out=tmp_path / "out"
    )
    whole = _whole(report.records)
    for name in AGREEMENT:
        assert whole[name].value == 1.0, name
        assert whole[name].n > 0, name
    assert whole["depth_agreement_20"].n == 201  # initial snapshot state + 200 messages
    assert whole["message_coverage"].n == 200
    assert whole["trade_match_rate"].n == market.trades
    assert whole["depth_l1_distance_20"].value == 0.0
    assert whole["trade_size_distribution"].value == 0.0
    assert whole["spread_distribution"].value == 0.0
    assert whole["hawkes_branching_ratio"].value == 0.0
    assert report.verdict.passed
    assert report.verdict.failed == []
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["verdict"]["passed"] is True
    assert {"name", "value", "unit", "n"} <= set(metrics["metrics"][0])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert len(manifest["inputs"]) == 4
    assert all(len(item["sha256"]) == 64 for item in manifest["inputs"])
    assert manifest["parameters"]["threshold"] == 0.999
    assert manifest["packages"]["polars"]


def test_vendor_faults_are_counted_exactly_and_named(market_factory):
    market = market_factory(messages=300, seed=2, drop=(40, 150, 151), duplicate=(12, 99))
    aligned = market.aligned()
    whole = _whole(compute_records(aligned, resolve(AGREEMENT))[0])
    coverage = whole["message_coverage"]
    assert coverage.n == 300
    assert coverage.detail["missing"] == len(market.dropped) == 3
    assert coverage.detail["missing_update_ids"] == sorted(market.dropped)
    assert coverage.value == (300 - 3) / 300
    assert coverage.detail["vendor_extra"] == 0  # duplicated rows add no message
    # states compared = reference states whose update id the vendor holds
    assert whole["depth_agreement_20"].n == 301 - 3
    assert whole["depth_agreement_20"].value < 1.0
    mismatches = agreement.first_mismatches(aligned, depth=20, limit=5)
    assert mismatches, "a dropped message must show as a disagreement"
    assert mismatches[0]["missing_before"] == min(market.dropped)
    assert mismatches[0]["update_id"] > min(market.dropped)
    differing = [row for row in mismatches[0]["levels"] if row["differs"]]
    assert differing
    assert all(row["reference_bid"] or row["reference_ask"] for row in differing)


def test_disagreement_matches_an_independent_recount(market_factory):
    market = market_factory(messages=250, seed=3, drop=(30,))
    whole = _whole(compute_records(market.aligned(), resolve(["top_of_book_agreement"]))[0])
    columns = ["bid_0_price", "bid_0_size", "ask_0_price", "ask_0_size"]
    joined = market.reference_book.join(market.candidate_book, on="update_id", suffix="_v")
    equal = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"{c}_v")) for c in columns])
    expected = joined.select(equal.mean()).item()
    assert whole["top_of_book_agreement"].value == expected
    assert whole["top_of_book_agreement"].n == len(joined)


def test_live_disconnect_splits_resync_periods(market_factory):
    market = market_factory(messages=200, seed=4, live_disconnect=(80, 6))
    aligned = market.aligned()
    periods = aligned.periods
    assert periods["period"].to_list() == [0, 1]
    assert periods["ended_by"].to_list() == ["gap", "end"]
    records, _ = compute_records(
        aligned, resolve(["depth_agreement_20", "vendor_message_coverage"])
    )
    per_period = {r.period: r for r in records if r.name == "depth_agreement_20"}
    assert set(per_period) == {None, 0, 1}
    assert per_period[0].n + per_period[1].n == per_period[None].n
    assert all(r.value == 1.0 for r in per_period.values())
    extra = _whole(records)["vendor_message_coverage"].detail
    assert extra["extra"] == len(market.live_lost) == 6
    assert extra["extra_update_ids"] == market.live_lost


def test_trades_match_as_aggregates_and_count_dropped_ones(market_factory):
    market = market_factory(messages=150, seed=5, drop_trades=(3, 70))
    whole = _whole(compute_records(market.aligned(), resolve(["trade_match_rate"]))[0])
    live_fills = market.reference_events.filter(pl.col("kind") == "trade").height
    assert live_fills > market.trades  # the live side holds single fills
    assert whole["trade_match_rate"].n == market.trades
    assert whole["trade_match_rate"].detail["unmatched"] == 2
    assert whole["trade_match_rate"].value == (market.trades - 2) / market.trades


def test_results_are_fidelity_rows_and_reruns_are_identical(
    data_root, market_factory, write_market
):
    write_market(data_root, market_factory(messages=120, seed=6, drop=(5,)))
    names = ["depth_agreement_20", "message_coverage"]
    first = evaluate(
        data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09", metrics=names
    )
    second = evaluate(
        data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09", metrics=names
    )
    assert first.run_id == second.run_id
    files = list((data_root / "fidelity").rglob("part-*.parquet"))
    assert len(files) == 1
    rows = pl.read_parquet(files[0], hive_partitioning=False)
    check_schema(rows, FIDELITY_RESULT, name="fidelity")
    assert rows.filter(pl.col("period").is_null()).height == 2
    assert not first.verdict.passed
    assert any("depth_agreement_20" in item for item in first.verdict.failed)


def test_threshold_and_missing_inputs_are_clear_errors(data_root):
    with pytest.raises(ConfigError, match="threshold"):
        evaluate(
            data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09", threshold=1.5
        )
    with pytest.raises(DataRangeError, match="rlx reconstruct"):
        evaluate(data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09")


def test_a_period_without_compared_states_is_undefined_not_an_error(market_factory):
    aligned = market_factory(messages=120, seed=6).aligned()
    empty = aligned.books.period < -1  # no state at all, as in a period both sides never share
    view = dataclasses.replace(aligned, books=aligned.books.select(empty))
    records, _ = compute_records(view, resolve(["depth_agreement_20", "top_of_book_agreement"]))
    assert [(r.n, r.value != r.value) for r in _whole(records).values()] == [(0, True)] * 2


def test_an_empty_book_gives_an_empty_grid_of_the_grid_columns():
    grid = _grid(pl.DataFrame(schema=book_state_schema(2)))

    assert grid.is_empty()
    assert dict(grid.schema) == dict.fromkeys(
        ("grid_ns", "bid", "ask", "bid_size", "ask_size", "ofi"), pl.Int64
    )
