"""Cross-symbol dependence: rank correlation and tail dependence of two series by a copula fit.

The two series (e.g. two symbols' returns or order-flow imbalance on the shared 100 ms grid)
become pseudo-observations (ranks scaled into (0, 1)); ``pyvinecopulib`` picks a bivariate
copula (Gaussian, Student, Clayton, Gumbel, Frank, Joe and their rotations) by AIC. Reported:
Kendall's tau of the fit, the empirical Kendall's tau, and the lower and upper tail dependence
of the chosen copula (the chance one series is in its extreme tail given the other is, in the
limit). Imported lazily: ``pyvinecopulib`` has no wheel for Python 3.13.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

__all__ = ["tail_dependence"]

MIN_POINTS = 50


def tail_dependence(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Copula fit of paired observations: family, Kendall's tau and tail dependence."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < MIN_POINTS:
        return {"points": int(x.size), "note": f"fewer than {MIN_POINTS} paired points"}
    import pyvinecopulib as pv

    data = pv.to_pseudo_obs(np.column_stack([x, y]))
    families = [
        pv.BicopFamily.gaussian,
        pv.BicopFamily.student,
        pv.BicopFamily.clayton,
        pv.BicopFamily.gumbel,
        pv.BicopFamily.frank,
        pv.BicopFamily.joe,
    ]
    fitted = pv.Bicop.from_data(data, controls=pv.FitControlsBicop(family_set=families))
    taildep = np.asarray(fitted.taildep)  # lower on the diagonal's first entry, upper last
    lower, upper = float(taildep[0, 0]), float(taildep[-1, -1])
    return {
        "points": int(x.size),
        "family": str(fitted.family).rsplit(".", 1)[-1],
        "rotation": int(fitted.rotation),
        "kendall_tau": float(fitted.tau),
        "empirical_kendall_tau": float(stats.kendalltau(x, y).statistic),
        "lower_tail": lower,
        "upper_tail": upper,
    }
