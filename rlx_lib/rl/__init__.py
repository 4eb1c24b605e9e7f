"""RL readiness: would an agent act and earn the same on the vendor's book as on the live one?

The stage reads only ``events/`` and ``book/`` (either source), and the live side's single fills
from ``trades/`` (through the fidelity alignment), and writes only its own outputs. ``export``
writes hftbacktest feed files; ``market_env`` opens a gymnasium environment over one source's
window; the metrics (``sim_to_real_gap``, ``state_coverage``, ``transfer_gap``) plug into fidelity
through its entry-point group.
"""

from __future__ import annotations

from rlx_lib.rl.env import MarketEnv
from rlx_lib.rl.export import ExportResult, export
from rlx_lib.rl.metrics import SimToRealGap, StateCoverage
from rlx_lib.rl.policies import available_policies, get_policy
from rlx_lib.rl.transfer import TransferGap
from rlx_lib.rl.window import market_env

__all__ = [
    "ExportResult",
    "MarketEnv",
    "SimToRealGap",
    "StateCoverage",
    "TransferGap",
    "available_policies",
    "export",
    "get_policy",
    "market_env",
]
