"""Acquisition: Crypto Lake tables through ``lakeapi`` into a verified local ``lake/``.

:func:`acquire` downloads, checks and publishes one unit per table, symbol and day;
:func:`acquired_units` and :func:`acquisition_issues` read back what it left in a data root.
"""

from __future__ import annotations

from rlx_lib.acquisition.download import acquire
from rlx_lib.acquisition.inventory import acquired_units, acquisition_issues
from rlx_lib.acquisition.result import AcquireResult, AcquireRow

__all__ = ["AcquireResult", "AcquireRow", "acquire", "acquired_units", "acquisition_issues"]
