"""Adversarial patterns: planted instances are found, the plant leaves the market intact, and
detections flow through ``rlx synth --plant``, ``rlx fidelity`` and ``rlx sql``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from rlx_lib.errors import ConfigError
from rlx_lib.fidelity.patterns import Thresholds, detect, score
from rlx_lib.reconstruction import L2Book
from rlx_lib.synth.events import truth_events
from rlx_lib.synth.market import simulate
from rlx_lib.synth.plant import PLANT_KINDS, plan_instances, plant
from workbench.cli import app
from workbench.db import connect

START_NS = 1_723_075_200_000_000_000  # 2024-08-08 00:00 UTC


def planted_session(seconds: float, every_s: float, seed: int):
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=seconds, seed=seed)
    planned = plan_instances(
        PLANT_KINDS, start_ns=START_NS, end_ns=START_NS + round(seconds * 1e9), every_s=every_s
    )
    return truth, *plant(truth, planned, seed=seed)


def test_detectors_find_planted_instances_in_a_30_minute_high_session():
    _, planted_truth, planted = planted_session(1800, 240, seed=1)
    found = detect(truth_events(planted_truth), symbol="BTC-USDT", source="golden")
    result = score(found, [instance.to_dict() for instance in planted])
    for kind in PLANT_KINDS:
        assert result[kind]["planted"] >= 5, result
        assert result[kind]["precision"] >= 0.9, result
        assert result[kind]["recall"] >= 0.9, result


def final_book(truth) -> dict:
    book = L2Book()
    book.reset(
        zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True),
        zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True),
    )
    book.replay(
        truth.change_is_bid,
        truth.change_price,
        truth.change_size,
        np.array([0, truth.change_price.size], dtype=np.int64),
        np.zeros(1, dtype=bool),
        depth=1,
    )
    return book.snapshot_arrays()


def test_plant_leaves_the_book_as_the_simulation_holds_it():
    truth, planted_truth, planted = planted_session(90, 30, seed=4)
    assert [p.kind for p in planted].count("momentum_ignition") >= 2
    assert planted_truth.change_price.size > truth.change_price.size
    assert np.all(np.diff(planted_truth.change_time_ns) >= 0)
    assert np.all(np.diff(planted_truth.trade_time_ns) >= 0)
    before, after = final_book(truth), final_book(planted_truth)
    for name in before:
        np.testing.assert_array_equal(before[name], after[name])
    assert planted_truth.final.next_update_id == (
        planted_truth.first_update_id + planted_truth.change_price.size
    )
    assert np.array_equal(
        planted_truth.trade_id,
        planted_truth.trade_id[0] + np.arange(planted_truth.trade_id.size),
    )


def test_unplanted_market_raises_no_pattern_of_planted_size():
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=300, seed=2)
    assert detect(truth_events(truth), symbol="BTC-USDT", source="golden").is_empty()


def test_thresholds_reject_nonsense():
    with pytest.raises(ConfigError, match="positive"):
        Thresholds(spoof_multiple=0)
    with pytest.raises(ConfigError, match="share at most 1"):
        Thresholds(cancel_share=1.5)


def test_synth_plant_to_patterns_view(data_root):
    runner = CliRunner()
    kinds = "spoofing,layering,momentum_ignition"
    arguments = ["--minutes", "1", "--plant", kinds, "--plant-every", "20", "--seed", "3"]
    synth = runner.invoke(app, ["synth", *arguments])
    assert synth.exit_code == 0, synth.output
    listed = json.loads((data_root / "_planted.json").read_text())["patterns"]
    assert {p["kind"] for p in listed} == set(PLANT_KINDS)
    window = ["--symbols", "BTC-USDT", "--start", "2024-08-08", "--end", "2024-08-09"]
    for source in ("golden", "lake"):
        rebuilt = runner.invoke(app, ["reconstruct", "--source", source, *window])
        assert rebuilt.exit_code == 0, rebuilt.output
    deep = "depth_agreement_50,depth_agreement_100,depth_agreement_all"
    metrics = f"spoofing_rate,layering_rate,momentum_ignition_rate,{deep}"
    metrics += ",depth_profile_distance,hidden_liquidity"
    out = data_root / "run"
    fidelity = runner.invoke(app, ["fidelity", *window, "--metrics", metrics, "--out", str(out)])
    assert fidelity.exit_code == 0, fidelity.output
    values = {m["name"]: m for m in json.loads((out / "metrics.json").read_text())["metrics"]}
    for name in ("depth_agreement_50", "depth_agreement_100", "depth_agreement_all"):
        assert values[name]["value"] == 1.0, values[name]  # a fault-free window
    for name in ("depth_profile_distance", "hidden_liquidity", "spoofing_rate"):
        assert values[name]["value"] == 0.0, values[name]
    assert values["spoofing_rate"]["detail"]["reference_found_by_candidate"] == 1.0
    rows = connect(data_root).sql(
        "SELECT source, kind, count(*) AS n FROM patterns GROUP BY ALL ORDER BY ALL"
    )
    counts = {(r["source"], r["kind"]): r["n"] for r in rows.to_dicts()}
    for kind in PLANT_KINDS:  # both views carry every instance, and only those
        expected = sum(p["kind"] == kind for p in listed)
        assert counts[("golden", kind)] == counts[("lake", kind)] == expected, counts
