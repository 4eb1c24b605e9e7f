"""Two synthetic regimes over one window (the 60_regimes notebook's helpers) and the log chart."""

from __future__ import annotations

import datetime as dt

import polars as pl

from rlx_lib.synth import DEFAULT_START
from workbench import charts, regimes

MINUTES = 0.1


def test_window_bounds_offset_the_session_start():
    start, end = regimes.window_bounds((2, 5))
    assert start == DEFAULT_START + dt.timedelta(seconds=2)
    assert end - start == dt.timedelta(seconds=3)
    origin = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert regimes.window_bounds((0, 1), start=origin) == (origin, origin + dt.timedelta(seconds=1))


def test_two_regimes_are_queried_and_tested_side_by_side():
    roots = regimes.labelled_sessions("BTC-USDT", ("high", "low"), minutes=MINUTES, seed=2)
    assert list(roots) == ["A: high", "B: low"]
    again = regimes.labelled_sessions("BTC-USDT", ("low",), minutes=MINUTES, seed=2)
    assert again["A: low"] == roots["B: low"]  # synthesized once per process
    start, end = regimes.window_bounds((0, MINUTES * 60))

    trades = regimes.window_trades(roots, symbol="BTC-USDT", start=start, end=end)
    facts = regimes.window_facts(roots, symbol="BTC-USDT", start=start, end=end)
    tests = regimes.window_tests(trades, tuple(roots))

    counts = dict(trades.group_by("window").len().rows())
    assert set(counts) == set(roots)
    assert dict(zip(facts["window"], facts["trades"], strict=True)) == counts
    assert trades["origin_time"].is_between(start, end, closed="left").all()
    first = trades.filter(window="A: high")
    assert first["gap_ms"].to_list()[1:] == (first["gap_ns"][1:] / 1e6).to_list()
    assert (first["log10_size"] - first["quantity"].log10()).abs().max() == 0
    assert tests["n_a"].to_list() == [counts["A: high"], counts["A: high"] - 1]
    assert tests["n_b"].to_list() == [counts["B: low"], counts["B: low"] - 1]


def test_log_distribution_chart_draws_positive_values_per_facet():
    frame = pl.DataFrame(
        {
            "regime": ["a", "a", "b", "b"],
            "measure": ["size", "size", "size", "gap"],
            "value": [1.0, 0.0, 10.0, 5.0],
        }
    )
    spec = charts.log_distribution_chart(frame).to_dict()
    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["column"]["field"] == "measure"
    values = next(iter(spec["datasets"].values()))
    assert sorted(row["value"] for row in values) == [1.0, 5.0, 10.0]
