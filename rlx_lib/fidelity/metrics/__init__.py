"""Fidelity metrics: the protocol, the registry and the built-ins (registered on import)."""

from __future__ import annotations

from rlx_lib.fidelity.metrics import (
    agreement,
    copula_tail,
    deep_book,
    distributions,
    hawkes,
    hawkes_matrix,
    patterns,
    signature,
)
from rlx_lib.fidelity.metrics.base import (
    ENTRY_POINT_GROUP,
    Metric,
    MetricResult,
    available,
    default_metrics,
    get,
    register,
    reload_entry_points,
    resolve,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Metric",
    "MetricResult",
    "agreement",
    "available",
    "copula_tail",
    "deep_book",
    "default_metrics",
    "distributions",
    "get",
    "hawkes",
    "hawkes_matrix",
    "patterns",
    "register",
    "reload_entry_points",
    "resolve",
    "signature",
]
