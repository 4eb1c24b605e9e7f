"""Benchmark of the RL readiness stage.

1. An hour of the synthetic ``high`` regime (five minutes with ``--quick``), both views rebuilt
   (setup, cached in the temp folder): the export to hftbacktest timed on its own, then events
   per second through each reference policy in hftbacktest on rlx's export, and the whole RL
   section (``sim_to_real_gap``, ``state_coverage``, ``transfer_gap``) for that symbol-hour.
2. The real capture in ``../shared`` (hftbacktest's own collector format): the same replay in
   hftbacktest on rlx's export and on the file hftbacktest's own converter makes of the same
   capture, in the same run. hftbacktest ships a converter for Binance futures streams only,
   so the spot capture is given the fields that converter reads (``T`` from ``E``, trades marked
   ``X: MARKET``, REST snapshots stamped with the next message's time); the ratio compares
   replay speed (events per second), which both files are read for.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from rlx_lib.capture import import_capture
from rlx_lib.fidelity import evaluate
from rlx_lib.reconstruction import reconstruct
from rlx_lib.rl import export
from rlx_lib.rl.models import Grid, backtester
from rlx_lib.rl.policies import REFERENCE_POLICIES
from rlx_lib.rl.simulate import simulate
from rlx_lib.synth import SynthConfig, synthesize

DAY = dt.date(2024, 8, 8)
SYMBOL = "BTC-USDT"
REAL = Path(os.environ.get("RLX_REAL_DATA", Path(__file__).parents[2] / "shared/data/real"))
RL_METRICS = ["sim_to_real_gap", "state_coverage", "transfer_gap"]


def _rebuilt(root: Path, days: list[dt.date], sources=("golden", "lake")) -> None:
    end = days[-1] + dt.timedelta(days=1)
    for source in sources:
        failed = reconstruct(
            root, source=source, symbols=[SYMBOL], start=days[0], end=end, force=True
        ).failed
        if failed:
            raise RuntimeError(f"reconstruction failed: {failed}")


def _synthetic(minutes: int) -> Path:
    root = Path(tempfile.gettempdir()) / f"rlx-bench-rl-high-{minutes}m-seed1"
    if not (root / ".ready").exists():
        synthesize(SynthConfig(symbols=(SYMBOL,), regime="high", minutes=minutes, seed=1), root)
        _rebuilt(root, [DAY])
        (root / ".ready").write_text("ok\n")
    return root


def _replay_rate(files: list[str], grid: Grid, repeats: int) -> float:
    """Feed rows per second through a bare hftbacktest replay (100 ms steps, no orders)."""
    rows = sum(np.load(f)["data"].size for f in files)
    times = []
    for _ in range(repeats):
        hbt = backtester(files, grid)
        began = time.perf_counter()
        while hbt.elapse(100_000_000) == 0:
            pass
        times.append(time.perf_counter() - began)
        hbt.close()
    return rows / statistics.median(times)


def _synthetic_figures(minutes: int) -> list[dict]:
    root = _synthetic(minutes)
    figures = []
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        result = export(
            root,
            symbols=[SYMBOL],
            start=DAY,
            end=DAY + dt.timedelta(days=1),
            source="lake",
            out=Path(out),
            force=True,
        )
        seconds = time.perf_counter() - began
        rows = result.rows[0]["events"]
        figures.append(
            {
                "figure": f"export to hftbacktest, {minutes} min of high",
                "value": round(seconds, 2),
                "unit": "s",
                "baseline": f"{rows:,} events",
            }
        )
        feed = np.load(result.rows[0]["path"])["data"]
        grid = Grid(tick=int(result.rows[0]["tick_size"] * 1e8), lot=1)
        for policy in REFERENCE_POLICIES.values():  # warm-up: numba compiles hftbacktest's calls
            simulate(feed[: feed.size // 10], policy, grid, qty=1e-5, limit=5e-5)
        for name, policy in REFERENCE_POLICIES.items():
            began = time.perf_counter()
            simulate(feed, policy, grid, qty=1e-8 * 1000, limit=5e-8 * 1000)
            rate = feed.size / (time.perf_counter() - began)
            figures.append(
                {
                    "figure": f"policy {name} in hftbacktest",
                    "value": round(rate),
                    "unit": "events/s",
                }
            )
    began = time.perf_counter()  # the backtester is compiled by now, as in a warm session
    evaluate(root, symbols=[SYMBOL], start=DAY, end=DAY + dt.timedelta(days=1), metrics=RL_METRICS)
    total = time.perf_counter() - began
    figures.append(
        {
            "figure": f"RL section (3 metrics), {minutes} min of high",
            "value": round(total, 1),
            "unit": "s",
            "target": "< 30 s per symbol-hour",
        }
    )
    return figures


def _futures_shaped(capture: Path, target: Path) -> None:
    """The spot capture with the fields hftbacktest's (futures) converter reads."""
    with gzip.open(capture, "rt") as source:
        lines = source.read().splitlines()
    with gzip.open(target, "wt") as out:
        for index, line in enumerate(lines):
            stamp, _, text = line.partition(" ")
            message = json.loads(text)
            data = message.get("data", message)
            if "lastUpdateId" in message:
                message["T"] = _next_time(lines, index)
            elif data.get("e") == "depthUpdate":
                data["T"] = data["E"]
            elif data.get("e") == "trade":
                data["X"] = "MARKET"
            else:
                continue
            out.write(f"{stamp} {json.dumps(message)}\n")


def _next_time(lines: list[str], index: int) -> int:
    for line in lines[index + 1 :]:
        data = json.loads(line.partition(" ")[2]).get("data", {})
        if "E" in data:
            return data["E"]
    return 0


def _real_figures(repeats: int) -> list[dict]:
    from hftbacktest.data.utils import binancefutures

    capture = REAL / "hftbacktest-binance-2024-08-08" / "spot" / "btcusdt_20240808.gz"
    if not capture.exists():
        return [{"figure": "real capture replay", "value": None, "unit": f"absent: {capture}"}]
    grid = Grid(tick=1_000_000, lot=1_000)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "data"
        import_capture(root, paths=[capture], format="hftbacktest", symbol=SYMBOL)
        _rebuilt(root, [DAY], sources=("golden",))
        ours = export(
            root,
            symbols=[SYMBOL],
            start=DAY,
            end=DAY + dt.timedelta(days=1),
            source="golden",
            out=Path(scratch) / "export",
        )
        shaped = Path(scratch) / "futures_shaped.gz"
        _futures_shaped(capture, shaped)
        theirs = Path(scratch) / "converter.npz"
        binancefutures.convert(str(shaped), str(theirs), combined_stream=True)
        rate_ours = _replay_rate([ours.rows[0]["path"]], grid, repeats)
        rate_theirs = _replay_rate([str(theirs)], grid, repeats)
    return [
        {
            "figure": "hftbacktest replay of rlx's export (real capture)",
            "value": round(rate_ours),
            "unit": "rows/s",
        },
        {
            "figure": "hftbacktest replay of its converter's file (same capture)",
            "value": round(rate_theirs),
            "unit": "rows/s",
        },
        {
            "figure": "replay speed: rlx export / converter file",
            "value": round(rate_ours / rate_theirs, 2),
            "unit": "x",
            "ratio": round(rate_ours / rate_theirs, 2),
            "target": ">= 0.8x",
        },
    ]


def run(*, quick: bool) -> list[dict]:
    """Figures: export time, events/s per policy, the RL section's time, replay speed ratio."""
    return _synthetic_figures(5 if quick else 60) + _real_figures(3 if quick else 5)
