"""Validation: data-quality checks over golden captures and vendor (Lake) tables, statistical
tests between regimes, and the validation report.

:func:`validate` is the stage's verb; it returns a :class:`ValidationResult` (one
:class:`SymbolValidation` row per symbol, the :class:`ValidationReport` behind them). The
regime helpers compare captures of several market regimes (notebook 30).
"""

from __future__ import annotations

from rlx_lib.validation.regimes import (
    compare_regimes,
    quality_table,
    regime_samples,
    samples_frame,
    tail_fits,
    validate_regimes,
)
from rlx_lib.validation.report import ValidationReport
from rlx_lib.validation.result import SymbolValidation, ValidationResult
from rlx_lib.validation.run import validate

__all__ = [
    "SymbolValidation",
    "ValidationReport",
    "ValidationResult",
    "compare_regimes",
    "quality_table",
    "regime_samples",
    "samples_frame",
    "tail_fits",
    "validate",
    "validate_regimes",
]
