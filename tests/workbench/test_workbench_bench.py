"""``rlx bench`` loads every benchmark script the way it runs them, and tags the machine."""

from __future__ import annotations

import inspect
import sys

import pytest

from rlx_lib.errors import ConfigError
from workbench import bench


@pytest.mark.parametrize("stage", bench.available())
def test_every_benchmark_loads_as_rlx_bench_loads_it(stage: str) -> None:
    module = bench.load(stage)
    assert sys.modules[f"rlx_bench_{stage}"] is module
    assert list(inspect.signature(module.run).parameters) == ["quick"]


def test_an_unknown_stage_names_the_available_ones() -> None:
    with pytest.raises(ConfigError, match=r"available: .*reconstruct"):
        bench.load("nonsense")


def test_the_machine_line_names_cpu_cores_and_load() -> None:
    info = bench.machine()
    assert info["cores"] >= 1
    assert len(info["load_average"]) == 3
    line = bench.describe(info)
    assert line.startswith(info["cpu"])
    assert f"{info['cores']} cores" in line
