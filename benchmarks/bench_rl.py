"""Benchmark of the RL readiness stage.

1. An hour of the synthetic ``high`` regime (five minutes with ``--quick``), both views rebuilt
   (setup, cached in the temp folder). The anchor, measured first in the same run: a bare
   hftbacktest replay of that hour (100 ms steps in a compiled loop, no orders). Then the
   export to hftbacktest, timed on its own; events per second through each reference policy on
   rlx's export; the same strategy (the passive quoter) on rlx's export of the golden capture
   and on the file hftbacktest's own converter makes of that capture; and the whole RL section
   (``sim_to_real_gap``, ``state_coverage``, ``transfer_gap``) for that symbol-hour, cold (a
   fresh process: imports and numba compilation included) and warm (compiled already).
2. The real capture in ``../shared`` (hftbacktest's own collector format): the same strategy on
   rlx's export and on the converter's file of the same capture.

hftbacktest ships a converter for Binance futures streams only, so a spot capture is given the
fields that converter reads (``T`` from ``E``, trades marked ``X: MARKET``, REST snapshots
stamped with the next message's time). The two files hold the same depth messages and single
trades; the ratio compares the strategy's wall time over the same window.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import zstandard
from numba import njit

from rlx_lib.capture import import_capture
from rlx_lib.fidelity import evaluate
from rlx_lib.reconstruction import reconstruct
from rlx_lib.rl import export
from rlx_lib.rl.models import Grid, backtester
from rlx_lib.rl.policies import REFERENCE_POLICIES, PassiveQuoter
from rlx_lib.rl.simulate import simulate
from rlx_lib.synth import synthesize

DAY = dt.date(2024, 8, 8)
END = DAY + dt.timedelta(days=1)
SYMBOL = "BTC-USDT"
REAL = Path(os.environ.get("RLX_REAL_DATA", Path(__file__).parents[2] / "shared/data/real"))
RL_METRICS = ["sim_to_real_gap", "state_coverage", "transfer_gap"]
QTY, LIMIT = 1e-5, 5e-5
_COLD = """
import datetime as dt, json, sys, time
began = time.perf_counter()
from rlx_lib.fidelity import evaluate
day = dt.date(2024, 8, 8)
evaluate(
    sys.argv[1], symbols=["BTC-USDT"], start=day, end=day + dt.timedelta(days=1),
    metrics=sys.argv[2:],
)
print(json.dumps([time.perf_counter() - began, time.process_time()]))
"""


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
        synthesize(root, symbols=[SYMBOL], regime="high", minutes=minutes, seed=1)
        _rebuilt(root, [DAY])
        (root / ".ready").write_text("ok\n")
    return root


@njit
def _elapse_all(hbt, step_ns):
    steps = 0
    while hbt.elapse(step_ns) == 0:
        steps += 1
    return steps


def _replay_seconds(feed: np.ndarray, grid: Grid) -> float:
    """Wall time of a bare hftbacktest replay: 100 ms steps in a compiled loop, no orders."""
    hbt = backtester([feed], grid)
    began = time.perf_counter()
    _elapse_all(hbt, 100_000_000)
    seconds = time.perf_counter() - began
    hbt.close()
    return seconds


def _strategy_seconds(feed: np.ndarray, grid: Grid, repeats: int) -> float:
    """Median wall time of the passive quoter over ``feed`` (compiled before timing)."""
    simulate(feed[: feed.size // 20], PassiveQuoter(), grid, qty=QTY, limit=LIMIT)
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        simulate(feed, PassiveQuoter(), grid, qty=QTY, limit=LIMIT)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _exported(root: Path, source: str, out: Path) -> tuple[np.ndarray, Grid, dict]:
    result = export(root, symbols=[SYMBOL], start=DAY, end=END, source=source, out=out, force=True)
    row = result.rows[0]
    return np.load(row.path)["data"], Grid(tick=round(row.tick_size * 1e8), lot=1), row


def _policy_figures(feed: np.ndarray, grid: Grid) -> list[dict]:
    for policy in REFERENCE_POLICIES.values():  # warm-up: numba compiles the loop
        simulate(feed[: feed.size // 20], policy, grid, qty=QTY, limit=LIMIT)
    figures = []
    for name, policy in REFERENCE_POLICIES.items():
        began = time.perf_counter()
        simulate(feed, policy, grid, qty=QTY, limit=LIMIT)
        rate = feed.size / (time.perf_counter() - began)
        figures.append({"figure": f"policy {name} in hftbacktest", "value": round(rate),
                        "unit": "events/s"})  # fmt: skip
    return figures


def _section_figures(root: Path, minutes: int, anchor: float) -> list[dict]:
    """The RL section's wall time, cold (fresh process) and warm, against the anchor."""
    cold = subprocess.run(
        [sys.executable, "-c", _COLD, str(root), *RL_METRICS],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    cold_seconds, cold_cpu = json.loads(cold.stdout.strip().splitlines()[-1])
    evaluate(root, symbols=[SYMBOL], start=DAY, end=END, metrics=RL_METRICS)  # compiles here
    began, cpu = time.perf_counter(), time.process_time()
    evaluate(root, symbols=[SYMBOL], start=DAY, end=END, metrics=RL_METRICS)
    warm_seconds, warm_cpu = time.perf_counter() - began, time.process_time() - cpu
    baseline = f"anchor (bare replay) {anchor:.2f} s"
    return [
        {"figure": f"RL section (3 metrics), {minutes} min of high, {label}",
         "value": round(seconds, 1), "unit": "s", "baseline": baseline,
         "ratio": round(seconds / anchor, 1), "target": "< 30 s per symbol-hour"}
        for label, seconds in (
            ("cold process", cold_seconds), ("cold process, CPU time", cold_cpu),
            ("warm", warm_seconds), ("warm, CPU time", warm_cpu),
        )
    ]  # fmt: skip


def _synthetic_figures(minutes: int, repeats: int) -> list[dict]:
    root = _synthetic(minutes)
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        feed, grid, row = _exported(root, "lake", Path(scratch) / "lake")
        seconds = time.perf_counter() - began
        _replay_seconds(feed[: feed.size // 20], grid)  # warm-up
        anchor = _replay_seconds(feed, grid)
        figures = [
            {"figure": f"anchor: bare hftbacktest replay, {minutes} min of high",
             "value": round(anchor, 2), "unit": "s", "baseline": f"{feed.size:,} rows"},
            {"figure": f"export to hftbacktest, {minutes} min of high", "value": round(seconds, 2),
             "unit": "s", "baseline": f"{row.events:,} events"},
            *_policy_figures(feed, grid),
        ]  # fmt: skip
        ours, grid, _ = _exported(root, "golden", Path(scratch) / "golden")
        theirs = _converted(_golden_capture(root), Path(scratch))
        figures += _versus_converter(ours, theirs, grid, f"{minutes} min of high", repeats)
    return figures + _section_figures(root, minutes, anchor)


def _golden_capture(root: Path) -> Iterator[tuple[int, dict]]:
    """(receive time, message) of the golden capture's depth, trades and snapshots, laid out
    as hftbacktest's collector writes them."""
    folder = root / "golden" / "exchange=BINANCE" / f"symbol={SYMBOL}" / f"dt={DAY}"
    for path in sorted(folder.glob("*.jsonl.zst")):
        with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as reader:
            for line in io.TextIOWrapper(reader, encoding="utf-8"):
                record = json.loads(line)
                if record["stream"].endswith("@depthSnapshot"):
                    yield record["capture_ns"], record["data"]
                elif record["stream"].endswith(("@trade", "@depth", "@depth@100ms")):
                    yield record["capture_ns"], {"stream": record["stream"], "data": record["data"]}


def _versus_converter(ours, theirs, grid: Grid, label: str, repeats: int) -> list[dict]:
    mine, other = _strategy_seconds(ours, grid, repeats), _strategy_seconds(theirs, grid, repeats)
    return [
        {"figure": f"passive quoter on rlx's export ({label})", "value": round(mine, 2),
         "unit": "s", "baseline": f"{ours.size:,} rows"},
        {"figure": f"passive quoter on hftbacktest's converter file ({label})",
         "value": round(other, 2), "unit": "s", "baseline": f"{theirs.size:,} rows"},
        {"figure": f"strategy speed: rlx export / converter file ({label})",
         "value": round(other / mine, 2), "unit": "x", "ratio": round(other / mine, 2),
         "target": ">= 0.8x"},
    ]  # fmt: skip


def _futures_shaped(messages: Iterable[tuple[int, dict]], target: Path) -> None:
    """The spot capture's messages with the fields hftbacktest's (futures) converter reads."""
    messages = list(messages)
    with gzip.open(target, "wt") as out:
        for index, (stamp, message) in enumerate(messages):
            data = message.get("data", message)
            if "lastUpdateId" in message:
                message["T"] = _next_time(messages, index)
            elif data.get("e") == "depthUpdate":
                data["T"] = data["E"]
            elif data.get("e") == "trade":
                data["X"] = "MARKET"
            else:
                continue
            out.write(f"{stamp} {json.dumps(message)}\n")


def _next_time(messages: list[tuple[int, dict]], index: int) -> int:
    for _, message in messages[index + 1 :]:
        if "E" in message.get("data", {}):
            return message["data"]["E"]
    return 0


def _collector_lines(capture: Path) -> Iterator[tuple[int, dict]]:
    with gzip.open(capture, "rt") as source:
        for line in source:
            stamp, _, text = line.partition(" ")
            yield int(stamp), json.loads(text)


def _converted(messages: Iterable[tuple[int, dict]], scratch: Path) -> np.ndarray:
    """The file hftbacktest's own converter makes of a capture (its progress lines hidden)."""
    from hftbacktest.data.utils import binancefutures

    shaped, target = scratch / "futures_shaped.gz", scratch / "converter.npz"
    _futures_shaped(messages, shaped)
    with contextlib.redirect_stdout(io.StringIO()):
        binancefutures.convert(str(shaped), str(target), combined_stream=True)
    return np.load(target)["data"]


def _real_figures(repeats: int) -> list[dict]:
    capture = REAL / "hftbacktest-binance-2024-08-08" / "spot" / "btcusdt_20240808.gz"
    if not capture.exists():
        return [{"figure": "real capture replay", "value": None, "unit": f"absent: {capture}"}]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "data"
        import_capture(root, paths=[capture], format="hftbacktest", symbol=SYMBOL)
        _rebuilt(root, [DAY], sources=("golden",))
        ours, grid, _ = _exported(root, "golden", Path(scratch) / "export")
        theirs = _converted(_collector_lines(capture), Path(scratch))
        return _versus_converter(ours, theirs, grid, "real capture", repeats)


def run(*, quick: bool) -> list[dict]:
    """Anchor, export time, events/s per policy, strategy speed ratio, the RL section's time."""
    return _synthetic_figures(5 if quick else 60, 3) + _real_figures(3 if quick else 5)
