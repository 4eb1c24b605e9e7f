"""compare: the fidelity metrics on two windows (``SOURCE:SYMBOL:START:END``).

A ``high`` session seen live (golden) and a ``low`` one seen by the vendor (lake) share one data
root: the signature MMD tells them apart; a window against itself gives 0 everywhere.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sys

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from rlx_lib.errors import ConfigError
from rlx_lib.fidelity import WINDOW_METRICS, Window, compare, get
from rlx_lib.fidelity.compare import opening_snapshot
from rlx_lib.synth import synthesize
from workbench.cli import app, main
from workbench.commands.fidelity import reconstruct_missing

HIGH = "golden:BTC-USDT:2024-08-08:2024-08-09"
LOW = "lake:BTC-USDT:2024-08-08:2024-08-09"


@pytest.fixture(name="regimes", scope="module")
def fixture_regimes(tmp_path_factory):
    """Two minutes of ``high`` (live view) and of ``low`` (vendor view), both reconstructed."""
    root = tmp_path_factory.mktemp("compare") / "data"
    synthesize(root, regime="high", minutes=2, seed=1, views=("golden",))
    synthesize(root, regime="low", minutes=2, seed=1, views=("lake",))
    reconstruct_missing(root, ["BTC-USDT"], "2024-08-08", "2024-08-09")
    return root


def mmd_5s():
    """The signature MMD on 5 s paths (two minutes hold 24 a side)."""
    return dataclasses.replace(get("signature_mmd"), window_s=5.0)


def short_windows():
    """The window metrics, the MMD on 5 s paths."""
    return [mmd_5s() if name == "signature_mmd" else name for name in WINDOW_METRICS]


def test_windows_parse_days_and_instants_and_refuse_bad_text():
    window = Window.parse("golden:BTC-USDT:2024-08-08T00:05:2024-08-08T00:10:30")
    assert window.start == dt.datetime(2024, 8, 8, 0, 5, tzinfo=dt.UTC)
    assert window.end == dt.datetime(2024, 8, 8, 0, 10, 30, tzinfo=dt.UTC)
    assert Window.parse(str(window)) == window
    assert Window.parse(HIGH).end - Window.parse(HIGH).start == dt.timedelta(days=1)
    for text, reason in [
        ("golden:BTC-USDT:2024-08-08", "SOURCE:SYMBOL:START:END"),
        ("vendor:BTC-USDT:2024-08-08:2024-08-09", "window source"),
        ("golden:../x:2024-08-08:2024-08-09", "symbol"),
        ("golden:BTC-USDT:2024-08-09:2024-08-08", "not after its start"),
    ]:
        with pytest.raises(ConfigError, match=reason):
            Window.parse(text)


def test_high_against_low_regime_gives_an_mmd_p_value_below_one_percent(regimes):
    result = compare(regimes, a=HIGH, b=LOW, metrics=[mmd_5s()])
    mmd = result.record("signature_mmd")
    assert mmd.detail["windows"] >= 20
    assert mmd.detail["p_value"] < 0.01
    assert mmd.value > max(mmd.detail["null"])


def test_a_window_against_itself_differs_by_nothing(regimes, tmp_path):
    result = compare(regimes, a=HIGH, b=HIGH, metrics=short_windows(), out=tmp_path)
    assert [record.name for record in result.rows] == list(WINDOW_METRICS)
    defined = {r.name: r.value for r in result.rows if not math.isnan(r.value)}
    assert set(defined) >= {"signature_mmd", "hawkes_branching_matrix", "depth_profile_distance"}
    assert all(value == 0.0 for value in defined.values()), defined
    written = json.loads((tmp_path / "compare.json").read_text(encoding="utf-8"))
    assert (written["a"], len(written["metrics"])) == (str(Window.parse(HIGH)), len(result.rows))


def test_a_window_opens_with_the_book_as_it_stood_at_its_start(regimes):
    window = Window.parse("golden:BTC-USDT:2024-08-08T00:01:2024-08-08T00:02")
    events = window.read(regimes, "events")
    opening = events.filter(pl.col("origin_time") == window.start)
    assert (opening["kind"].cast(pl.String) == "snapshot").all()
    assert events["sequence"].is_sorted()
    book = pl.read_parquet(window.files(regimes, "book"))
    before = book.filter(pl.col("origin_time") < window.start).sort("update_id")[-1]
    assert opening["update_id"][0] == before["update_id"][0]
    bids = opening.filter("side_is_bid").sort("price", descending=True)
    asks = opening.filter(~pl.col("side_is_bid")).sort("price")
    for side, levels in (("bid", bids), ("ask", asks)):
        prices = [before[f"{side}_{level}_price"][0] for level in range(20)]
        sizes = [before[f"{side}_{level}_size"][0] for level in range(20)]
        assert levels["price"][:20].to_list() == prices
        assert levels["size"][:20].to_list() == sizes
    nothing = opening_snapshot(events.clear(), window.start, events)
    assert nothing.is_empty()


def test_pair_metrics_are_refused_on_windows(regimes):
    with pytest.raises(ConfigError, match="a window holds one symbol"):
        compare(regimes, a=HIGH, b=LOW, metrics=["copula_tail_dependence"])


def test_rlx_compare_prints_each_metric_and_writes_its_page(regimes, tmp_path, monkeypatch, capsys):
    runner = CliRunner()
    common = ["compare", "--data-root", str(regimes)]
    found = runner.invoke(
        app,
        [
            *common,
            "--a",
            HIGH,
            "--b",
            LOW,
            "--metrics",
            "spread_distribution",
            "--out",
            str(tmp_path),
        ],
    )
    assert found.exit_code == 0, found.output
    assert "spread_distribution: " in found.output
    assert (tmp_path / "index.html").is_file()
    assert np.isfinite(json.loads((tmp_path / "compare.json").read_text())["metrics"][0]["value"])
    monkeypatch.setattr(sys, "argv", ["rlx", *common, "--a", "golden:BTC-USDT", "--b", LOW])
    with pytest.raises(SystemExit) as exit_info:
        main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("rlx: error: a window is SOURCE:SYMBOL:START:END")
    assert err.count("\n") == 1
