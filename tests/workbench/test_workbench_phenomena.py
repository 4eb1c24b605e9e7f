"""The phenomena charts draw what the metrics measured; the regime explorer measures its windows."""

from __future__ import annotations

import datetime as dt
import json

import panel as pn

from rlx_lib.fidelity import MetricRecord
from workbench.pages.regimes import phenomena
from workbench.phenomena_report import depth_profile_chart, hawkes_chart, mmd_chart

TYPES = ["market_buy", "market_sell", "limit_add", "cancel"]
START = dt.datetime(2024, 8, 8, tzinfo=dt.UTC)


def record(name: str, detail: dict) -> MetricRecord:
    return MetricRecord("BTC-USDT", None, name, "unit", 0.25, 10, None, detail)


def values(chart, field: str) -> list:
    spec = chart.to_dict()
    datasets = spec["datasets"].values()
    return [row[field] for rows in datasets for row in rows if field in row]


def test_hawkes_maps_hold_both_matrices_on_one_scale():
    live = [[0.1 * (i + j) for j in range(4)] for i in range(4)]
    vendor = [[0.9 if i == j else 0.0 for j in range(4)] for i in range(4)]
    side = {"spectral_radius": 0.5}
    found = hawkes_chart(
        record(
            "hawkes_branching_matrix",
            {
                "types": TYPES,
                "reference": {**side, "branching": live},
                "candidate": {**side, "branching": vendor},
            },
        )
    )
    spec = json.dumps(found.to_dict())
    assert spec.index("live: branching matrix") < spec.index("vendor: branching matrix")
    cells = [value for matrix in (live, vendor) for row in matrix for value in row]
    assert sorted(values(found, "value")) == sorted(cells)
    assert hawkes_chart(record("hawkes_branching_matrix", {"note": "tick missing"})) is None


def test_mmd_null_and_depth_profile_draw_the_metric_detail():
    null = [0.01, 0.02, 0.02, 0.03]
    found = mmd_chart(
        record("signature_mmd", {"null": null, "mmd2": 0.2, "p_value": 0.2, "windows": 6})
    )
    assert sorted(values(found, "value")) == sorted([*null, 0.2])
    assert "p = 0.200" in found.to_dict()["title"]
    profile = depth_profile_chart(
        record(
            "depth_profile_distance",
            {"bucket_bp": 0.5, "reference_profile": [0.6, 0.4], "candidate_profile": [0.5, 0.5]},
        )
    )
    assert sorted(values(profile, "signed")) == [-0.5, -0.5, 0.4, 0.6]  # vendor below the axis


def test_regime_explorer_measures_two_windows_of_the_lake_reconstruction(demo_run):
    first = ("BTC-USDT", START, START + dt.timedelta(seconds=30))
    second = ("BTC-USDT", START + dt.timedelta(seconds=30), START + dt.timedelta(seconds=60))
    shown = phenomena(demo_run.root, first, second)
    text = " ".join(str(getattr(part, "object", "")) for part in shown)
    assert "Phenomena (A against B)" in text
    assert "signature_mmd" in text
    assert any(isinstance(part, pn.pane.Vega) for part in shown)  # the charts came along
    absent = phenomena(demo_run.root, ("SOL-USDT", *first[1:]), second)
    assert "Phenomena not measured: no book/ data" in absent[0].object
