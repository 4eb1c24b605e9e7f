"""RL readiness: would an agent act and earn the same on the vendor's book as on the live one?

The stage reads only ``events/`` and ``book/`` (either source) and writes only its own
outputs. ``export`` writes hftbacktest feed files; the metrics (``sim_to_real_gap``,
``state_coverage``, ``transfer_gap``) plug into fidelity through its entry-point group.
"""

from __future__ import annotations

from rlx_lib.rl.export import ExportResult, export

__all__ = ["ExportResult", "export"]
