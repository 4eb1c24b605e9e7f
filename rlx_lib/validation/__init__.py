"""Validation: data-quality checks over golden samples and vendor data, statistical tests,
and the validation report."""

from __future__ import annotations

from rlx_lib.validation.checks import GoldenValidator

__all__ = ["GoldenValidator"]
