"""``rlx demo``: synthesize a market session and run every stage on it, offline.

:func:`run_demo` reads top to bottom: each step is one call to a stage's front door, and each
says one line. The vendor view is served by a local S3 server and acquired through ``lakeapi``;
the live view is served by a local Binance-protocol server and captured over WebSocket, as a
user's real sources would be.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from rlx_lib.acquisition import AcquireResult
from rlx_lib.catalog import binance_symbol
from rlx_lib.errors import StageError
from rlx_lib.fidelity import evaluate
from rlx_lib.golden import merged_records
from rlx_lib.local.binance import LocalCaptureResult, capture_local
from rlx_lib.reconstruction import ReconstructResult, reconstruct
from rlx_lib.synth import SynthResult, synthesize
from rlx_lib.validation import ValidationResult, validate
from workbench.sessions import acquire_from_local_lake

__all__ = ["Demo", "run_demo"]

log = logging.getLogger(__name__)

CAPTURE_SECONDS = 4.0
"""How long the demo captures from its local Binance-protocol server."""


@dataclass(frozen=True)
class Demo:
    """The demo's parameters: a synthetic session, and where its data and reports go."""

    root: Path  # data root the stages write to
    out: Path  # folder of the demo's reports (and the vendor view and capture beside them)
    symbols: tuple[str, ...] = ("BTC-USDT", "ETH-USDT")
    day: dt.date = dt.date(2024, 8, 8)
    minutes: int = 3
    regime: str = "high"
    seed: int = 7

    @property
    def end(self) -> dt.date:
        """The day after the session (windows are end-exclusive)."""
        return self.day + dt.timedelta(days=1)


def run_demo(demo: Demo, *, say: Callable[[str], None] = log.info) -> Path:
    """Run every stage on the demo's session, saying a line per step; return its report."""
    from workbench.fidelity_report import publish_report  # panel: a slow import
    from workbench.publish import publish_summary, update_reports_index
    from workbench.rl_report import load_sweep
    from workbench.rl_sweep import sweep

    steps: list[str] = []

    def step(line: str) -> None:
        steps.append(line)
        say(line)

    vendor, window = demo.out / "vendor", {"start": demo.day, "end": demo.end}
    demo.out.mkdir(parents=True, exist_ok=True)
    step(_synth_line(demo, _synthesize(demo, vendor), vendor))
    acquired = acquire_from_local_lake(demo.root, vendor=vendor, symbols=demo.symbols, day=demo.day)
    step(_acquire_line(acquired))
    step(_capture_line(_capture_from_local_binance(demo), demo.out / "capture"))
    step(_validation_line(_validate(demo), demo.out / "validation"))
    rebuilt = {
        source: reconstruct(demo.root, source=source, symbols=demo.symbols, **window)
        for source in ("lake", "golden")
    }
    step(_reconstruct_line(rebuilt))
    step("report: summary of the steps, datasets and the synthetic book")
    summary = publish_summary(demo.root, demo.out / "summary.html", demo=demo, steps=steps)
    rates = (0.0, 0.01, 0.05)
    curve = sweep(demo.root, symbols=demo.symbols[:1], drop_rates=rates, seeds=(0,), **window)
    step(_sweep_line(curve.curve().to_dicts()))
    fidelity = evaluate(demo.root, symbols=demo.symbols, out=demo.out, **window)
    links = {
        "demo summary (steps, datasets)": summary,
        "validation summary": demo.out / "validation" / "validation.md",
    }
    report = publish_report(fidelity, demo.out, links=links, sweep=load_sweep(demo.root))
    step(f"fidelity: {fidelity.verdict.sentence()}")
    update_reports_index(demo.out.parent)
    return report


def _synthesize(demo: Demo, vendor: Path) -> SynthResult:
    """The ground-truth market: its live view into the data root, its vendor view beside it."""
    return synthesize(
        demo.root,
        symbols=demo.symbols,
        regime=demo.regime,
        minutes=demo.minutes,
        seed=demo.seed,
        start=demo.day,
        vendor_root=vendor,
        force=True,
    )


def _capture_from_local_binance(demo: Demo) -> LocalCaptureResult:
    """Replay the live view through a local Binance-protocol server and capture it briefly."""
    records = list(merged_records([demo.root / "golden"]))
    market = sum(1 for r in records if "@" in r.stream and not r.stream.endswith("Snapshot"))
    rate = min(max(market / CAPTURE_SECONDS, 100.0), 5000.0)
    symbols = tuple(binance_symbol(symbol) for symbol in demo.symbols)
    return capture_local(
        demo.out / "capture",
        records=records,
        symbols=symbols,
        rate=rate,
        seconds=CAPTURE_SECONDS + 1.0,
    )


def _validate(demo: Demo) -> ValidationResult:
    """Check the golden samples and the acquired vendor tables; reports under ``out``."""
    return validate(
        demo.root,
        paths=[demo.root / "golden"],
        symbols=demo.symbols,
        lake=True,
        start=demo.day,
        end=demo.end,
        out=demo.out / "validation",
        force=True,
    )


def _synth_line(demo: Demo, result: SynthResult, vendor: Path) -> str:
    records = sum(row.messages or 0 for row in result.rows)
    changes = sum(row.level_changes or 0 for row in result.rows)
    return (
        f"synth: {len(result.rows)} symbols, {demo.minutes} min of {demo.regime}: "
        f"{changes} level changes, {records} golden records, "
        f"{sum(result.table_rows.values())} vendor rows in {vendor}"
    )


def _acquire_line(result: AcquireResult) -> str:
    rows = sum(row.rows for row in result.rows)
    issues = sum(row.issue_rows for row in result.rows)
    return (
        f"acquire: {len(result.rows)} units ({rows:,} rows, {issues} issue rows) from a local "
        f"S3 server via lakeapi into lake/"
    )


def _capture_line(result: LocalCaptureResult, out: Path) -> str:
    return (
        f"capture: {result.messages} messages from a local Binance-protocol server "
        f"({result.messages_per_second}/s), {result.snapshots} snapshots, "
        f"{result.depth_gaps} depth gaps, {len(result.files)} golden files in {out}"
    )


def _validation_line(result: ValidationResult, out: Path) -> str:
    report = result.report
    agreement = [
        s["book_ticker_agreement"]
        for s in report.symbols.values()
        if s["book_ticker_agreement"] is not None
    ]
    shown = f", bookTicker agreement >= {min(agreement):.4%}" if agreement else ""
    return (
        f"validation: {len(report.symbols)} symbols, {report.gaps} gaps, "
        f"{report.issues.height} issue rows{shown} ({out / 'validation.md'})"
    )


def _reconstruct_line(rebuilt: Mapping[str, ReconstructResult]) -> str:
    parts = []
    for source, result in rebuilt.items():
        if result.failed:
            reasons = "; ".join(row.summary() for row in result.failed)
            msg = f"reconstruct ({source}) failed: {reasons}"
            raise StageError(msg)
        events = sum(row.events for row in result.rows)
        books = sum(row.book_rows for row in result.rows)
        fills = sum(row.trade_rows or 0 for row in result.rows)
        singles = f", {fills:,} single fills (trades/)" if fills else ""
        parts.append(f"{source}: {events:,} events, {books:,} book rows{singles}")
    return "reconstruct: " + "; ".join(parts) + " into events/ and book/"


def _sweep_line(curve: list[dict]) -> str:
    gaps = ", ".join(f"{point['drop_rate']:g}: {point['gap']:.4f}" for point in curve)
    return f"rl sweep: sim-to-real gap by vendor drop rate {gaps}"
