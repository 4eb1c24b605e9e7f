"""``rlx demo``: synthesize a market session and run every stage on it, offline.

Each stage contributes a step: a ``demo_step(context)`` function in its command module
``workbench.commands.<stage>``. Steps run in the order of :data:`STEPS`; they share a
:class:`DemoContext` and add lines to its summary. The last step that publishes a report sets
``context.report``; the demo prints that path last.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["STEPS", "DemoContext", "run_demo"]

log = logging.getLogger(__name__)

STEPS: tuple[str, ...] = (
    "synth",
    "acquire",
    "capture",
    "validate",
    "reconstruct",
    "report",
    "fidelity",
)
"""Command modules whose ``demo_step`` runs, in order (synth first, the report last)."""


@dataclass
class DemoContext:
    """What the demo steps share: where data and reports go, and what was done."""

    root: Path  # data root the stages write to
    out: Path  # folder of this demo's report and scratch areas
    symbols: tuple[str, ...] = ("BTC-USDT", "ETH-USDT")
    day: dt.date = dt.date(2024, 8, 8)
    minutes: int = 3
    regime: str = "high"
    seed: int = 7
    notes: dict[str, Any] = field(default_factory=dict)  # hand-over between steps
    summary: list[str] = field(default_factory=list)  # one line per finished step
    report: Path | None = None  # the index.html to print last


def run_demo(context: DemoContext) -> Path:
    """Run every step and return the report's ``index.html``."""
    context.out.mkdir(parents=True, exist_ok=True)
    for name in STEPS:
        module = importlib.import_module(f"workbench.commands.{name}")
        log.info("demo step: %s", name)
        module.demo_step(context)
    if context.report is None:
        msg = "the demo finished without a report"
        raise RuntimeError(msg)
    return context.report
