"""Copula tail dependence recovers a known Clayton dependence (lower tail only)."""

from __future__ import annotations

import numpy as np
import pytest

pv = pytest.importorskip("pyvinecopulib")  # no wheel for Python 3.13

from rlx_lib.fidelity.copula import tail_dependence  # noqa: E402


def test_clayton_sample_gives_its_tau_and_lower_tail():
    theta = 2.0
    known = pv.Bicop(family=pv.BicopFamily.clayton, parameters=np.array([[theta]]))
    sample = known.sample(3000, seeds=[1, 2, 3])
    # any monotone margins: the copula sees ranks only
    found = tail_dependence(np.log(sample[:, 0]), sample[:, 1] ** 3)
    assert found["family"] == "clayton", found
    assert found["kendall_tau"] == pytest.approx(theta / (theta + 2), abs=0.03)
    assert found["lower_tail"] == pytest.approx(2 ** (-1 / theta), abs=0.05)
    assert found["upper_tail"] == 0.0
    assert tail_dependence(np.arange(10.0), np.arange(10.0))["points"] == 10
