"""Notebook tables: the whole-run metrics and the first mismatching state's levels."""

from __future__ import annotations

from rlx_lib.fidelity import evaluate
from rlx_lib.fidelity.metrics.agreement import first_mismatch_levels, first_mismatches


def test_metrics_table_has_one_row_per_whole_run_record(data_root, market_factory, write_market):
    write_market(data_root, market_factory(messages=120, seed=4, drop=(50,)))
    report = evaluate(data_root, symbols=["BTC-USDT"], start="2024-08-08", end="2024-08-09")

    table = report.metrics_table()

    assert table.columns == ["name", "value", "unit", "n", "passed"]
    whole = list(report.rows)
    assert table.height == len(whole) > 0
    assert table["name"].to_list() == [record.name for record in whole]
    assert table["n"].to_list() == [record.n for record in whole]
    coverage = table.filter(name="message_coverage").row(0, named=True)
    assert coverage["value"] == report.record("message_coverage").value == (120 - 1) / 120
    assert coverage["passed"] is False


def test_first_mismatch_levels_lists_the_first_differing_state(market_factory):
    aligned = market_factory(messages=200, seed=5, drop=(60,)).aligned()

    levels = first_mismatch_levels(aligned, depth=10)

    expected = first_mismatches(aligned, depth=10, limit=1)[0]["levels"]
    assert levels.height == len(expected) == 10
    assert levels.to_dicts() == expected
    assert levels["differs"].any()


def test_first_mismatch_levels_is_empty_when_every_state_matches(market_factory):
    levels = first_mismatch_levels(market_factory(messages=80, seed=6).aligned(), depth=5)

    assert levels.height == 0
    assert levels.columns[0] == "level"
