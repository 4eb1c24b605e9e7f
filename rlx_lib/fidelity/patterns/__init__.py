"""Adversarial patterns: detectors over ``events/``, their thresholds, the ``patterns/`` dataset."""

from __future__ import annotations

from rlx_lib.fidelity.patterns.dataset import detections, write_patterns
from rlx_lib.fidelity.patterns.detect import detect
from rlx_lib.fidelity.patterns.score import PLANTED_NAME, read_planted, score
from rlx_lib.fidelity.patterns.thresholds import Thresholds

__all__ = [
    "PLANTED_NAME",
    "Thresholds",
    "detect",
    "detections",
    "read_planted",
    "score",
    "write_patterns",
]
