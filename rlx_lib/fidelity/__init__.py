"""Fidelity: how faithfully the book rebuilt from vendor data reproduces what was seen live.

``evaluate(root, *, symbols, start, end)`` aligns the two reconstructions once (book states on
update id, aggregate trades, messages, clocks, the 100 ms grid), runs every metric plugin on
the alignment, and judges the headline (top-20 agreement) against a threshold. It returns a
:class:`FidelityResult`: one :class:`MetricRecord` row per metric per symbol, the verdict, and
the alignments. Metrics are plugins: :func:`register` one, or publish it under the entry-point
group :data:`ENTRY_POINT_GROUP`.
"""

from __future__ import annotations

from rlx_lib.fidelity.align import Aligned, align, align_frames
from rlx_lib.fidelity.compare import WINDOW_METRICS, CompareResult, Window, compare
from rlx_lib.fidelity.metrics import (
    ENTRY_POINT_GROUP,
    Metric,
    MetricResult,
    available,
    default_metrics,
    get,
    register,
)
from rlx_lib.fidelity.metrics.agreement import first_mismatch_levels, first_mismatches
from rlx_lib.fidelity.metrics.copula_tail import pair_series
from rlx_lib.fidelity.metrics.distributions import acf, mid_returns
from rlx_lib.fidelity.patterns import detections, read_planted, score
from rlx_lib.fidelity.records import MetricRecord
from rlx_lib.fidelity.result import FidelityResult
from rlx_lib.fidelity.run import evaluate
from rlx_lib.fidelity.verdict import DEFAULT_THRESHOLD, HEADLINE, Verdict

__all__ = [
    "DEFAULT_THRESHOLD",
    "ENTRY_POINT_GROUP",
    "HEADLINE",
    "WINDOW_METRICS",
    "Aligned",
    "CompareResult",
    "FidelityResult",
    "Metric",
    "MetricRecord",
    "MetricResult",
    "Verdict",
    "Window",
    "acf",
    "align",
    "align_frames",
    "available",
    "compare",
    "default_metrics",
    "detections",
    "evaluate",
    "first_mismatch_levels",
    "first_mismatches",
    "get",
    "mid_returns",
    "pair_series",
    "read_planted",
    "register",
    "score",
]
