"""Metric plugins: a third-party metric installed through its entry point; registry rules."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from rlx_lib.errors import ConfigError
from rlx_lib.fidelity import evaluate
from rlx_lib.fidelity.metrics import ENTRY_POINT_GROUP, MetricResult, base

PLUGIN = """
from dataclasses import dataclass

from rlx_lib.fidelity.metrics import MetricResult


@dataclass(frozen=True)
class ReferenceStateCount:
    name: str = "reference_state_count"
    unit: str = "states"

    def compute(self, aligned):
        count = len(aligned.books.update_id)
        return MetricResult(float(count), count, {"plugin": "rlx-extra-metric"})
"""


@pytest.fixture(name="registry")
def fixture_registry(monkeypatch):
    """A private copy of the registry, so nothing a test registers leaks into others."""
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))
    monkeypatch.setattr(base, "_entry_points_loaded", False)
    return base._REGISTRY


def _install(folder, monkeypatch):
    """A tiny installed distribution: a module and a dist-info with entry_points.txt."""
    (folder / "rlx_extra_metric.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = folder / "rlx_extra_metric-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rlx-extra-metric\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nreference_state_count = rlx_extra_metric:ReferenceStateCount\n"
    )
    monkeypatch.syspath_prepend(str(folder))


def test_third_party_metric_installed_by_entry_point_runs_in_a_fidelity_run(
    registry, tmp_path, monkeypatch, data_root, market_factory, write_market
):
    assert "reference_state_count" not in base.available()
    base.reload_entry_points()
    (tmp_path / "site").mkdir()
    _install(tmp_path / "site", monkeypatch)
    assert "reference_state_count" in base.available()
    write_market(data_root, market_factory(messages=60, seed=11))
    report = evaluate(
        data_root,
        symbols=["BTC-USDT"],
        start="2024-08-08",
        end="2024-08-09",
        metrics=["reference_state_count", "depth_agreement_20"],
    )
    record = report.record("reference_state_count")
    assert record.value == report.record("depth_agreement_20").n == 61
    assert record.unit == "states"
    assert record.detail == {"plugin": "rlx-extra-metric"}


def test_a_broken_plugin_is_reported_not_fatal(registry, tmp_path, monkeypatch, caplog):
    folder = tmp_path / "site"
    folder.mkdir()
    info = folder / "rlx_broken_metric-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rlx-broken-metric\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nbroken = rlx_no_such_module:Metric\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    base.reload_entry_points()
    names = base.available()
    assert "depth_agreement_20" in names
    assert "broken" not in names
    assert "rlx_no_such_module" in caplog.text


def test_registry_refuses_shadowing_and_unknown_names(registry):
    @dataclass(frozen=True)
    class Impostor:
        name: str = "depth_agreement_20"
        unit: str = "share"

        def compute(self, aligned):
            return MetricResult(1.0, 1)

    with pytest.raises(ConfigError, match="already registered"):
        base.register(Impostor)
    with pytest.raises(ConfigError, match="unknown fidelity metric 'nope'"):
        base.get("nope")

    @dataclass(frozen=True)
    class NotAMetric:
        name: str = "not_a_metric"

    with pytest.raises(ConfigError, match="needs name, unit and compute"):
        base.register(NotAMetric)


def test_register_returns_the_class_unchanged(registry):
    @dataclass(frozen=True)
    class Constant:
        value: float = 0.5
        unit: str = "share"

        @property
        def name(self) -> str:
            return f"constant_{self.value}"

        def compute(self, aligned):
            return MetricResult(self.value, 1)

    assert base.register(value=0.25)(Constant) is Constant
    assert base.register(Constant) is Constant
    assert base.get("constant_0.25").value == 0.25
    assert base.get("constant_0.5").value == 0.5
