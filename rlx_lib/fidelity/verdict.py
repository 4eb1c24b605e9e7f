"""The verdict: one headline score against a threshold, and the list of what failed.

The headline is ``depth_agreement_20`` over the covered messages (reference book states whose
update id the candidate holds, inside resync periods). Every gated metric (exact-match shares)
is held to the same threshold; a metric with nothing to compare fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rlx_lib.fidelity.records import MetricRecord

__all__ = ["DEFAULT_THRESHOLD", "HEADLINE", "Verdict", "decide", "passes"]

DEFAULT_THRESHOLD = 0.999
HEADLINE = "depth_agreement_20"


def passes(value: float, threshold: float) -> bool:
    """Whether a gated share meets the threshold (an undefined value never does)."""
    return not math.isnan(value) and value >= threshold


@dataclass(frozen=True)
class Verdict:
    """Headline score (the lowest over the symbols), threshold, outcome and failures."""

    headline: str
    score: float | None
    threshold: float
    passed: bool
    failed: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written to ``metrics.json``."""
        return {
            "headline": self.headline,
            "score": self.score,
            "threshold": self.threshold,
            "passed": self.passed,
            "failed": list(self.failed),
        }

    def sentence(self) -> str:
        """One line for people: what the score is and whether it passed."""
        score = "undefined" if self.score is None else f"{self.score:.6f}"
        outcome = "PASS" if self.passed else "FAIL"
        tail = f"; failed: {', '.join(self.failed)}" if self.failed else ""
        return f"{outcome}: {self.headline} = {score} (threshold {self.threshold}){tail}"


def decide(records: list[MetricRecord], *, threshold: float = DEFAULT_THRESHOLD) -> Verdict:
    """Judge whole-run records: headline per symbol, failures of every gated metric."""
    whole = [record for record in records if record.period is None]
    headline = [record for record in whole if record.name == HEADLINE]
    values = [record.value for record in headline]
    score = None if not values or any(math.isnan(v) for v in values) else min(values)
    failed = [
        f"{record.symbol} {record.name} = {_text(record.value)} (n={record.n})"
        for record in whole
        if record.passed is False
    ]
    passed = score is not None and score >= threshold and not failed
    return Verdict(HEADLINE, score, threshold, passed, failed)


def _text(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.6f}"
