"""Charts tell the truth: UTC time axes over the plotted data only, two-sided distributions
on shared bins (identical samples give identical bars), one chart per unit and symbol."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from workbench import charts
from workbench.fidelity_report import SIDE_NAMES, _histogram
from workbench.numbers import format_p_value, format_share, format_value

START = dt.datetime(2024, 8, 8, 0, 0, tzinfo=dt.UTC)


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a single chart embeds."""
    return spec["datasets"][spec["data"]["name"]]


def _find(spec: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in a spec."""
    if isinstance(spec, dict):
        found = [spec[key]] if key in spec else []
        return found + [v for value in spec.values() for v in _find(value, key)]
    if isinstance(spec, list):
        return [v for value in spec for v in _find(value, key)]
    return []


def _series(with_epoch_row: bool) -> pl.DataFrame:
    times = [START + dt.timedelta(seconds=s) for s in range(60, 180)]
    if with_epoch_row:
        times = [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), *times]
    return pl.DataFrame(
        {"origin_time": times, "mid": np.linspace(100, 101, len(times)), "spread": 0.01}
    )


def test_time_axis_is_utc_24_hour_over_the_plotted_data_only() -> None:
    spec = charts.mid_spread_chart(_series(with_epoch_row=True)).to_dict()
    x = _find(spec, "x")[0]
    first_ms = int((START + dt.timedelta(seconds=60)).timestamp() * 1000)
    assert x["scale"] == {"type": "utc", "nice": False, "domain": [first_ms, first_ms + 119_000]}
    assert x["axis"]["labelExpr"] == "utcFormat(datum.value, '%H:%M:%S')"
    assert x["title"] == "exchange time (UTC)"
    rows = next(iter(spec["datasets"].values()))
    assert min(row["origin_time"] for row in rows) == first_ms  # the epoch row is gone
    assert all(isinstance(row["origin_time"], int) for row in rows)  # never local-time text


def test_identical_live_and_vendor_samples_give_identical_bars() -> None:
    sample = np.random.default_rng(3).lognormal(size=500)
    frame = pl.concat(
        pl.DataFrame({"value": sample, "side": side}) for side in SIDE_NAMES
    )  # fmt: skip
    rows = _values(_histogram(frame, "Aggregate trade size", "log10(size)").to_dict())
    live = [(r["bin_start"], r["bin_end"], r["share"]) for r in rows if r["side"] == SIDE_NAMES[0]]
    vendor = [
        (r["bin_start"], r["bin_end"], r["share"]) for r in rows if r["side"] == SIDE_NAMES[1]
    ]
    assert live == vendor
    assert len(live) == 30
    assert sum(share for *_, share in live) == pytest.approx(1.0)
    signed = {(r["side"], r["bin_start"]): r["signed"] for r in rows}
    assert all(
        signed[(SIDE_NAMES[1], b)] == -s for (side, b), s in signed.items() if side == SIDE_NAMES[0]
    )


def test_different_samples_share_bin_edges() -> None:
    frame = pl.DataFrame(
        {"value": [1.0, 2.0, 3.0, 10.0, 20.0], "window": ["A", "A", "A", "B", "B"]}
    )
    binned = charts.shared_bins(frame, column="value", group="window", order=["A", "B"], bins=4)
    a, b = binned.filter(window="A"), binned.filter(window="B")
    assert a["bin_start"].to_list() == b["bin_start"].to_list()
    assert a["count"].to_list() == [3, 0, 0, 0]
    assert b["count"].to_list() == [0, 1, 0, 1]  # edges 1, 5.75, 10.5, 15.25, 20
    spec = charts.distribution_chart(frame, column="value", title="gaps").to_dict()
    assert _find(spec, "color")[0]["scale"]["domain"] == ["A", "B"]


def test_metric_chart_draws_one_chart_per_unit_and_symbol() -> None:
    metrics = pl.DataFrame(
        {
            "run_id": ["r2"] * 4 + ["r1"],
            "symbol": ["BTC-USDT", "ETH-USDT", "BTC-USDT", "ETH-USDT", "BTC-USDT"],
            "metric": ["top_of_book_agreement"] * 2 + ["latency_ms"] * 2 + ["old"],
            "value": [1.0, 0.5, 3.2, 2.0, 9.0],
            "unit": ["share", "share", "ms", "ms", "share"],
            "n": [10, 10, 10, 10, 10],
            "passed": [True, False, None, None, True],
        }
    )
    spec = charts.metric_chart(metrics).to_dict()
    titles = _find(spec, "title")
    panels = [t for t in titles if isinstance(t, str) and ": " in t]
    assert panels == ["BTC-USDT: share", "ETH-USDT: share", "BTC-USDT: ms", "ETH-USDT: ms"]
    shown = [row for rows in spec["datasets"].values() for row in rows]
    assert sorted(row["value"] for row in shown) == [0.5, 1.0, 2.0, 3.2]  # latest run only
    assert {row["gate"] for row in shown} == {"PASS", "FAIL", "not gated"}


@pytest.mark.parametrize(
    ("value", "text"), [(9.552999999999995e-282, "< 1e-16"), (0.0123456, "0.0123"), (None, "")]
)
def test_p_values_read_as_people_write_them(value: float | None, text: str) -> None:
    assert format_p_value(value) == text


def test_shares_read_as_percentages() -> None:
    assert format_share(0.99973) == "99.973%"
    assert format_share(1.0) == "100%"
    assert format_value(3.2, "ms") == "3.2"
