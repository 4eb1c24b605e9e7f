"""Benchmark of a fidelity run over one symbol-hour of the synthetic ``high`` regime.

Setup (not timed against the target): ``synthesize`` writes both views and ``reconstruct``
rebuilds each into ``book/`` and ``events/``; the inputs are cached in the temp folder by their
parameters, so a rerun times fidelity alone. Timed, end to end: read and align, every built-in
metric, metrics.json/manifest.json/FIDELITY_RESULT rows, and the HTML report. Then each
phenomena metric alone on a fresh copy of the alignment (its shared rebuilds counted in its own
time, libraries imported beforehand), their sum against the target and its ratio to the
alignment (read + join) of the same data in the same run. ``--quick`` uses five minutes of market.
"""

from __future__ import annotations

import copy
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from rlx_lib.fidelity import evaluate
from rlx_lib.fidelity.align import Aligned, align
from rlx_lib.fidelity.metrics import get
from rlx_lib.reconstruction import reconstruct
from rlx_lib.synth import synthesize

DAY = dt.date(2024, 8, 8)
SYMBOL = "BTC-USDT"
TARGET_SECONDS = 60.0
PHENOMENA = (
    "spoofing_rate",
    "layering_rate",
    "momentum_ignition_rate",
    "depth_agreement_50",
    "depth_agreement_100",
    "depth_agreement_all",
    "depth_profile_distance",
    "hidden_liquidity",
    "signature_mmd",
    "hawkes_branching_matrix",
)
"""The HFT-phenomena metrics, timed one by one (all together: under the target per hour)."""
PAIR = "copula_tail_dependence"
"""The pair metric: timed on the symbol paired with itself (a proxy: the bench has one symbol,
so it is listed but not in the total)."""


def _inputs(minutes: int) -> tuple[Path, dict[str, float]]:
    root = Path(tempfile.gettempdir()) / f"rlx-bench-fidelity-high-{minutes}m-seed1"
    done = root / ".ready"
    timings: dict[str, float] = {}
    if not done.exists():
        began = time.perf_counter()
        synthesize(root, symbols=[SYMBOL], regime="high", minutes=minutes, seed=1)
        timings["setup synth"] = time.perf_counter() - began
        for source in ("golden", "lake"):
            began = time.perf_counter()
            end = DAY + dt.timedelta(days=1)
            failed = reconstruct(
                root, source=source, symbols=[SYMBOL], start=DAY, end=end, force=True
            ).failed
            if failed:
                raise RuntimeError(f"reconstruction failed: {failed}")
            timings[f"setup reconstruct {source}"] = time.perf_counter() - began
        done.write_text("ok\n")
    return root, timings


def _run_once(root: Path, out: Path) -> dict[str, float]:
    from workbench.fidelity_report import publish_report

    began = time.perf_counter()
    report = evaluate(root, symbols=[SYMBOL], start=DAY, end=DAY + dt.timedelta(days=1), out=out)
    evaluated = time.perf_counter()
    publish_report(report, out)
    finished = time.perf_counter()
    align = sum(v for k, v in report.timings.items() if k.startswith("align"))
    metrics = sum(v for k, v in report.timings.items() if k.startswith("metric"))
    return {
        "total": finished - began,
        "align (read + join)": align,
        "metrics": metrics,
        "write results": (evaluated - began) - align - metrics,
        "html report": finished - evaluated,
        "states": float(report.record("depth_agreement_20").n),
        "hawkes": report.timings.get("metric hawkes_branching_ratio", 0.0),
        "distributions": sum(
            report.timings.get(f"metric {name}", 0.0)
            for name in ("trade_size_distribution", "inter_arrival_distribution")
        ),
        "phenomena (in the run, sharing rebuilds)": sum(
            report.timings.get(f"metric {name}", 0.0) for name in PHENOMENA
        ),
    }


def _fresh(aligned: Aligned) -> Aligned:
    """A copy without the rebuilds metrics keep on an alignment, so each pays its own."""
    fresh = copy.copy(aligned)
    for key in [key for key in vars(fresh) if key.startswith("_")]:
        del fresh.__dict__[key]
    return fresh


def _timed(aligned: Aligned) -> dict[str, float]:
    """Seconds of each phenomena metric alone on a fresh copy of ``aligned``."""
    seconds = {}
    for name in (*PHENOMENA, PAIR):
        fresh = _fresh(aligned)
        began = time.perf_counter()
        if name == PAIR:
            get(name).compute_pair(fresh, _fresh(aligned))
        else:
            get(name).compute(fresh)
        seconds[name] = time.perf_counter() - began
    return seconds


def _aligned(root: Path) -> tuple[Aligned, float]:
    began = time.perf_counter()
    aligned = align(root, SYMBOL, DAY, DAY + dt.timedelta(days=1))
    return aligned, time.perf_counter() - began


def _phenomena(root: Path, minutes: int) -> list[dict]:
    """Each phenomena metric alone on the same alignment, after a warm-up pass over the
    five-minute inputs (imports, compiled-kernel loads); their sum against the target."""
    began = time.perf_counter()
    _timed(_aligned(_inputs(5)[0])[0])
    warm_up = time.perf_counter() - began
    aligned, anchor = _aligned(root)
    seconds = _timed(aligned)
    total = sum(value for name, value in seconds.items() if name != PAIR)
    figures = [
        {"figure": f"phenomena: {name}, alone", "value": round(seconds[name], 3), "unit": "s"}
        for name in PHENOMENA
    ]
    figures.append(
        {
            "figure": f"phenomena: {PAIR}, {SYMBOL} with itself (not in the total)",
            "value": round(seconds[PAIR], 3),
            "unit": "s",
        }
    )
    anchor_name = f"align (read + join), {minutes} min"
    figures += [
        {
            "figure": "phenomena warm-up pass (5 min, imports)",
            "value": round(warm_up, 2),
            "unit": "s",
        },
        {"figure": anchor_name, "value": round(anchor, 3), "unit": "s"},
        {
            "figure": f"phenomena metrics together, {minutes} min of high",
            "value": round(total, 2),
            "unit": "s",
            "baseline": anchor_name,
            "ratio": total / anchor,
            "target": f"< {TARGET_SECONDS * minutes / 60:.0f} s ({TARGET_SECONDS:.0f} s per hour)",
        },
    ]
    return figures


def run(*, quick: bool) -> list[dict]:
    """Figures: total seconds per symbol-hour (scaled in quick mode) and the stage breakdown."""
    minutes = 5 if quick else 60
    root, setup = _inputs(minutes)
    repeats = 2 if quick else 1
    with tempfile.TemporaryDirectory() as scratch:
        runs = [_run_once(root, Path(scratch) / f"run{i}") for i in range(repeats)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    figures = [
        {
            "figure": f"fidelity end to end, {minutes} min of high (median of {repeats})",
            "value": round(median["total"], 2),
            "unit": "s",
            "target": f"< {TARGET_SECONDS:.0f} s per symbol-hour",
        }
    ]
    if minutes != 60:
        figures.append(
            {
                "figure": "fidelity per symbol-hour (scaled linearly; an upper bound)",
                "value": round(median["total"] * 60 / minutes, 2),
                "unit": "s",
                "target": f"< {TARGET_SECONDS:.0f} s",
            }
        )
    stages = ("align (read + join)", "metrics", "distributions", "hawkes")
    for stage in (*stages, "phenomena (in the run, sharing rebuilds)", "write results"):
        figures.append({"figure": f"stage: {stage}", "value": round(median[stage], 3), "unit": "s"})
    figures.append(
        {"figure": "stage: html report", "value": round(median["html report"], 3), "unit": "s"}
    )
    figures.append(
        {"figure": "book states compared", "value": int(median["states"]), "unit": "states"}
    )
    figures += _phenomena(root, minutes)
    for name, seconds in setup.items():
        figures.append({"figure": name, "value": round(seconds, 2), "unit": "s"})
    return figures
