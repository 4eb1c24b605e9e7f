"""One metric's result for one symbol: the row every fidelity result, verdict and table uses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MetricRecord", "json_ready"]


@dataclass(frozen=True)
class MetricRecord:
    """One metric's result for a symbol, whole run (``period`` None) or one resync period."""

    symbol: str
    period: int | None
    name: str
    unit: str
    value: float
    n: int
    passed: bool | None
    detail: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def measured(
        cls,
        symbol: str,
        metric: Any,
        result: Any,
        *,
        period: int | None = None,
        passed: bool | None = None,
    ) -> MetricRecord:
        """The record of ``metric``'s ``result`` (a ``MetricResult``) for ``symbol``."""
        return cls(
            symbol=symbol,
            period=period,
            name=metric.name,
            unit=metric.unit,
            value=float(result.value),
            n=int(result.n),
            passed=passed,
            detail=json_ready(result.detail),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``name``, ``value`` (None if undefined), ``unit``, ``n``, and the rest."""
        return {
            "name": self.name,
            "value": None if math.isnan(self.value) else self.value,
            "unit": self.unit,
            "n": self.n,
            "symbol": self.symbol,
            "period": self.period,
            "passed": self.passed,
            "detail": self.detail,
        }


def json_ready(value: Any) -> Any:
    """Floats that are not finite become None, so the JSON stays standard."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if hasattr(value, "item"):
        return json_ready(value.item())
    return value
