"""Reconstruction: the exact L2 book kernel, replay of vendor and live data, sinks, checkpoints."""

from __future__ import annotations

from rlx_lib.reconstruction.book import L2Book, TopLevels

__all__ = ["L2Book", "TopLevels"]
