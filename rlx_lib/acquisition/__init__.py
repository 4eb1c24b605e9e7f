"""Acquisition: Crypto Lake tables through ``lakeapi`` into a verified local ``lake/``."""

from __future__ import annotations

from rlx_lib.acquisition.checks import check_unit
from rlx_lib.acquisition.download import (
    Unit,
    UnitResult,
    acquire,
    acquire_unit,
    is_finished,
    plan_units,
    raise_for_failures,
)
from rlx_lib.acquisition.local_lake import LocalLake, object_key
from rlx_lib.acquisition.vendor import LakeSource, TransientError, load_day

__all__ = [
    "LakeSource",
    "LocalLake",
    "TransientError",
    "Unit",
    "UnitResult",
    "acquire",
    "acquire_unit",
    "check_unit",
    "is_finished",
    "load_day",
    "object_key",
    "plan_units",
    "raise_for_failures",
]
