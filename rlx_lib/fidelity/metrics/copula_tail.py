"""Cross-symbol dependence: does the vendor view keep how two symbols move together?

A pair metric: it reads two symbols' alignments. On each side (live, vendor) the two symbols'
100 ms grids are joined on grid time; two series pairs are fitted by a bivariate copula
(:func:`rlx_lib.fidelity.copula.tail_dependence`): the log mid returns of each grid step and
the order-flow imbalance of each step. Each fit gives Kendall's tau and the lower and upper
tail dependence (the chance that one symbol is in its extreme tail given the other is). The
value is the largest absolute difference of those six figures between the sides, so a
fault-free window gives exactly 0. ``pyvinecopulib`` has no wheel for Python 3.13: there the
metric says it was not computed.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import polars as pl

from rlx_lib.fidelity.copula import tail_dependence
from rlx_lib.fidelity.metrics.base import MetricResult, register

if TYPE_CHECKING:
    from rlx_lib.fidelity.align import Aligned

__all__ = ["FIGURES", "SERIES", "CopulaTailDependence", "pair_series"]

SERIES = ("returns", "ofi")
FIGURES = ("kendall_tau", "lower_tail", "upper_tail")


def _steps(grid: pl.DataFrame, suffix: str) -> pl.DataFrame:
    """Log mid return and order-flow imbalance of each grid step, named with ``suffix``."""
    mid = (pl.col("bid") + pl.col("ask")).cast(pl.Float64)
    return (
        grid.drop_nulls(["bid", "ask"])
        .sort("grid_ns")
        .select(
            "grid_ns",
            (mid.log() - mid.log().shift(1)).alias(f"returns_{suffix}"),
            pl.col("ofi").cast(pl.Float64).alias(f"ofi_{suffix}"),
        )
        .slice(1)
    )


def pair_series(first: Aligned, second: Aligned, *, side: str = "reference") -> pl.DataFrame:
    """Both symbols' grid-step returns and order-flow imbalance at the grid times both hold.

    Columns ``grid_ns``, ``returns_a``, ``ofi_a`` (the first symbol), ``returns_b``,
    ``ofi_b``; ``side`` is ``reference`` (live) or ``candidate`` (vendor).
    """
    grids = [getattr(aligned, f"{side}_grid") for aligned in (first, second)]
    return _steps(grids[0], "a").join(_steps(grids[1], "b"), on="grid_ns").sort("grid_ns")


def _fits(series: pl.DataFrame) -> dict[str, Any]:
    return {
        name: tail_dependence(series[f"{name}_a"].to_numpy(), series[f"{name}_b"].to_numpy())
        for name in SERIES
    }


@register
@dataclass(frozen=True)
class CopulaTailDependence:
    """Largest vendor-minus-live difference of rank correlation and tail dependence of a pair."""

    name: str = "copula_tail_dependence"
    unit: str = "max |difference| (Kendall's tau, tail dependence)"
    pair: ClassVar[bool] = True  # computed on symbol pairs (``compute_pair``), when named

    def compute(self, aligned: Aligned) -> MetricResult:
        """One symbol has no partner: nothing to compare."""
        return MetricResult(float("nan"), 0, {"note": "a pair metric: name two symbols or more"})

    def compute_pair(self, first: Aligned, second: Aligned) -> MetricResult:
        """Fit both sides' copulas of the two symbols and compare the figures."""
        if importlib.util.find_spec("pyvinecopulib") is None:
            version = f"{sys.version_info[0]}.{sys.version_info[1]}"
            note = f"not computed: pyvinecopulib is not installed for Python {version}"
            return MetricResult(float("nan"), 0, {"note": note})
        detail: dict[str, Any] = {"pair": [first.symbol, second.symbol]}
        for side in ("reference", "candidate"):
            detail[side] = _fits(pair_series(first, second, side=side))
        differences = [
            abs(detail["candidate"][name][figure] - detail["reference"][name][figure])
            for name in SERIES
            for figure in FIGURES
            if figure in detail["candidate"][name] and figure in detail["reference"][name]
        ]
        if not differences:
            return MetricResult(float("nan"), 0, detail)
        points = min(detail[side]["returns"]["points"] for side in ("reference", "candidate"))
        return MetricResult(float(np.max(differences)), int(points), detail)
