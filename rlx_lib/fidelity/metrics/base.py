"""The metric protocol and its registry, with third-party metrics from entry points.

A metric is a small frozen object with a ``name``, a ``unit``, its parameters as fields and a
pure ``compute(aligned) -> MetricResult``. Built-ins register themselves with :func:`register`,
a decorator that returns the class unchanged (stack it to register several parameter sets).
Third parties publish a metric class or instance under the entry-point group
``rlx_lib.fidelity_metrics``; those load only when a metric is looked up or listed, so a broken
plugin cannot break ``import rlx_lib``.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from rlx_lib.errors import ConfigError
from rlx_lib.fidelity.align import Aligned

__all__ = [
    "ENTRY_POINT_GROUP",
    "Metric",
    "MetricResult",
    "available",
    "default_metrics",
    "get",
    "register",
    "reload_entry_points",
    "resolve",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rlx_lib.fidelity_metrics"


@dataclass(frozen=True)
class MetricResult:
    """What a metric found: a value, the sample size behind it, and optional detail.

    ``detail`` is JSON-ready: effect sizes, p-values, per-side figures, the first mismatches.
    ``value`` is ``nan`` when there was nothing to compare (``n == 0``).
    """

    value: float
    n: int
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def defined(self) -> bool:
        """Whether the value is a number (there was something to compare)."""
        return not math.isnan(self.value)


@runtime_checkable
class Metric(Protocol):
    """A fidelity metric: ``name``, ``unit`` and a pure ``compute`` over the alignment.

    Optional attributes read by the verdict: ``gated`` (compare the value with the threshold,
    default False) and ``per_period`` (also compute it for each resync period, default False).
    """

    name: str
    unit: str

    def compute(self, aligned: Aligned) -> MetricResult: ...


_REGISTRY: dict[str, Metric] = {}
_entry_points_loaded = False


def register(cls: type | None = None, /, **params: Any) -> Any:
    """Register a metric class (instantiated with ``params``) under its instance's name.

    Use as ``@register`` or ``@register(depth=5)``; returns the class unchanged. A second metric
    under a name already taken raises :class:`ConfigError` (no silent shadowing).
    """

    def decorate(target: type) -> type:
        _add(target(**params), origin=target.__module__)
        return target

    return decorate if cls is None else decorate(cls)


def _add(metric: Metric, *, origin: str) -> None:
    if not isinstance(metric, Metric):
        msg = f"{origin}: a fidelity metric needs name, unit and compute(aligned); got {metric!r}"
        raise ConfigError(msg)
    if metric.name in _REGISTRY and _REGISTRY[metric.name] != metric:
        taken = type(_REGISTRY[metric.name]).__module__
        msg = f"fidelity metric {metric.name!r} is already registered by {taken}"
        raise ConfigError(msg)
    _REGISTRY[metric.name] = metric


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = point.load()
            _add(loaded() if isinstance(loaded, type) else loaded, origin=point.value)
        except Exception as error:  # a broken plugin is reported, never fatal
            log.warning(
                "fidelity metric plugin %s (%s) failed to load: %s", point.name, point.value, error
            )


def reload_entry_points() -> None:
    """Forget which entry points were loaded (after installing a plugin in a running process)."""
    global _entry_points_loaded
    _entry_points_loaded = False


def available() -> list[str]:
    """Names of every registered metric, built-in and installed plugins."""
    _load_entry_points()
    return sorted(_REGISTRY)


def get(name: str) -> Metric:
    """The metric registered under ``name``."""
    if name not in _REGISTRY:
        _load_entry_points()
    if name not in _REGISTRY:
        msg = f"unknown fidelity metric {name!r}; available: {', '.join(available())}"
        raise ConfigError(msg)
    return _REGISTRY[name]


def default_metrics() -> list[str]:
    """Names of the metrics a run computes when none are named: every registered metric but
    the pair metrics, which run when named (they need two symbols or more)."""
    return [name for name in available() if not getattr(get(name), "pair", False)]


def resolve(metrics: Any) -> list[Metric]:
    """Metrics from names, instances, or None (:func:`default_metrics`)."""
    if metrics is None:
        return [get(name) for name in default_metrics()]
    chosen: list[Metric] = []
    for item in metrics:
        chosen.append(get(item) if isinstance(item, str) else item)
    return chosen
