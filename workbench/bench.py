"""Benchmark runner behind ``rlx bench``: one script per stage under ``benchmarks/``.

Each ``benchmarks/bench_<stage>.py`` defines ``run(*, quick: bool) -> list[dict]``; every dict is
one figure: ``figure``, ``value``, ``unit`` and optionally ``baseline`` (what the ratio is
against, measured in the same run), ``ratio`` and ``target``. Every figure is tagged with the
machine it was measured on (:func:`machine`: CPU model, cores, load average when its stage
started), since absolute rates only hold on that machine.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from rlx_lib.errors import ConfigError

__all__ = ["BENCHMARK_DIR", "available", "describe", "load", "machine", "run_stage"]

BENCHMARK_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


def available() -> list[str]:
    """Stage names that have a benchmark script."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCHMARK_DIR.glob("bench_*.py"))


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or platform.machine() or "unknown CPU"
    for line in lines:
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> dict[str, Any]:
    """The machine now: ``cpu`` model, ``cores`` and the 1/5/15-minute ``load_average``."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "load_average": [round(value, 2) for value in load],
    }


def describe(info: dict[str, Any]) -> str:
    """One line for a table title: ``AMD EPYC, 2 cores, load average 1.20 0.80 0.50``."""
    load = " ".join(f"{value:.2f}" for value in info["load_average"])
    return f"{info['cpu']}, {info['cores']} cores, load average {load}"


def load(stage: str) -> ModuleType:
    """Import ``benchmarks/bench_<stage>.py`` as module ``rlx_bench_<stage>`` (registered in
    ``sys.modules`` while it loads, as dataclasses and pickling need)."""
    path = BENCHMARK_DIR / f"bench_{stage}.py"
    if stage not in available():
        msg = f"no benchmark for stage {stage!r}; available: {', '.join(available())}"
        raise ConfigError(msg)
    spec = importlib.util.spec_from_file_location(f"rlx_bench_{stage}", path)
    if spec is None or spec.loader is None:
        msg = f"cannot load benchmark {path}"
        raise ConfigError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return module


def run_stage(stage: str, *, quick: bool = False) -> list[dict[str, Any]]:
    """Run one stage's benchmark and return its figures, each tagged with the stage."""
    module = load(stage)
    at_start = machine()
    figures = module.run(quick=quick)
    return [{"stage": stage, **at_start, **figure} for figure in figures]
