"""Fidelity: how faithfully the book rebuilt from vendor data reproduces what was seen live.

``evaluate(root, symbols, start, end)`` aligns the two reconstructions once (book states on
update id, aggregate trades, messages, clocks, the 100 ms grid), runs every metric plugin on
the alignment, and judges the headline (top-20 agreement) against a threshold.
"""

from __future__ import annotations

from rlx_lib.fidelity.align import Aligned, BookPair, align, align_frames
from rlx_lib.fidelity.compare import WINDOW_METRICS, CompareResult, Window, compare
from rlx_lib.fidelity.metrics import (
    ENTRY_POINT_GROUP,
    Metric,
    MetricResult,
    available,
    get,
    register,
)
from rlx_lib.fidelity.metrics.copula_tail import pair_series
from rlx_lib.fidelity.patterns import detections, read_planted, score
from rlx_lib.fidelity.run import FidelityReport, MetricRecord, evaluate
from rlx_lib.fidelity.verdict import DEFAULT_THRESHOLD, HEADLINE, Verdict

__all__ = [
    "DEFAULT_THRESHOLD",
    "ENTRY_POINT_GROUP",
    "HEADLINE",
    "WINDOW_METRICS",
    "Aligned",
    "BookPair",
    "CompareResult",
    "FidelityReport",
    "Metric",
    "MetricRecord",
    "MetricResult",
    "Verdict",
    "Window",
    "align",
    "align_frames",
    "available",
    "compare",
    "detections",
    "evaluate",
    "get",
    "pair_series",
    "read_planted",
    "register",
    "score",
]
