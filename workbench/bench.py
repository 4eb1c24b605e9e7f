"""Benchmark runner behind ``rlx bench``: one script per stage under ``benchmarks/``.

Each ``benchmarks/bench_<stage>.py`` defines ``run(*, quick: bool) -> list[dict]``; every dict is
one figure: ``figure``, ``value``, ``unit`` and optionally ``baseline`` (what the ratio is
against, measured in the same run), ``ratio`` and ``target``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from rlx_lib.errors import ConfigError

__all__ = ["BENCHMARK_DIR", "available", "run_stage"]

BENCHMARK_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


def available() -> list[str]:
    """Stage names that have a benchmark script."""
    return sorted(p.stem.removeprefix("bench_") for p in BENCHMARK_DIR.glob("bench_*.py"))


def run_stage(stage: str, *, quick: bool = False) -> list[dict[str, Any]]:
    """Run one stage's benchmark and return its figures, each tagged with the stage."""
    path = BENCHMARK_DIR / f"bench_{stage}.py"
    if stage not in available():
        msg = f"no benchmark for stage {stage!r}; available: {', '.join(available())}"
        raise ConfigError(msg)
    spec = importlib.util.spec_from_file_location(f"rlx_bench_{stage}", path)
    if spec is None or spec.loader is None:
        msg = f"cannot load benchmark {path}"
        raise ConfigError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.run(quick=quick)
    cores = os.cpu_count() or 1
    return [{"stage": stage, "cores": cores, **figure} for figure in figures]
