"""Event arrivals from a known multivariate Hawkes process (sum of exponential kernels).

The kernel from type ``j`` to type ``i`` is ``sum_u adjacency[i, j, u] * decays[u] *
exp(-decays[u] * t)``, so ``adjacency[i, j, :].sum()`` is the branching-matrix entry (the mean
number of type-``i`` events one type-``j`` event triggers). Arrivals are simulated with
``tick`` (imported lazily, its import-time warnings silenced) so estimators can be checked
against known parameters.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlx_lib.errors import ConfigError

__all__ = ["HawkesSpec", "simulate_arrivals", "tick_hawkes"]


def tick_hawkes() -> Any:
    """``tick.hawkes``, imported with its own SyntaxWarning/DeprecationWarning silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from tick import hawkes

    return hawkes


@dataclass(frozen=True)
class HawkesSpec:
    """Baseline rates (per second), kernel weights ``(types, types, decays)`` and decays (1/s)."""

    baseline: np.ndarray
    adjacency: np.ndarray
    decays: np.ndarray

    def __post_init__(self) -> None:
        types = len(self.baseline)
        if self.adjacency.shape != (types, types, len(self.decays)):
            msg = f"adjacency must have shape {(types, types, len(self.decays))}"
            raise ConfigError(msg)
        if self.spectral_radius() >= 1:
            msg = f"the process is explosive (spectral radius {self.spectral_radius():.3f} >= 1)"
            raise ConfigError(msg)

    @property
    def branching(self) -> np.ndarray:
        """``(types, types)``: mean type-``i`` children of one type-``j`` event."""
        return self.adjacency.sum(axis=2)

    def spectral_radius(self) -> float:
        """Largest absolute eigenvalue of the branching matrix (stationary below 1)."""
        return float(np.max(np.abs(np.linalg.eigvals(self.adjacency.sum(axis=2)))))


def simulate_arrivals(spec: HawkesSpec, *, seconds: float, seed: int) -> list[np.ndarray]:
    """Event times (seconds from 0) of each type over ``seconds``."""
    simulation = tick_hawkes().SimuHawkesSumExpKernels(
        adjacency=np.asarray(spec.adjacency, dtype=float),
        decays=np.asarray(spec.decays, dtype=float),
        baseline=np.asarray(spec.baseline, dtype=float),
        end_time=float(seconds),
        seed=int(seed),
        verbose=False,
    )
    simulation.simulate()
    return [np.asarray(times, dtype=float) for times in simulation.timestamps]
