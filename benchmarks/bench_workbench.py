"""Benchmark of the workbench: how fast the shell starts and the app's named queries answer.

Start-up: ``rlx --help`` and ``rlx <command> --help`` for every command, each the median of a
few runs in a fresh process, beside ``python -c pass`` timed the same way in the same run.
Queries: a synthetic session (vendor and live views) is written to a temporary data root; each
named query a page runs is timed (median of a few repeats on one open connection), and the
mid/spread series is also computed with Polars over the same Parquet as the same-run baseline.
"""

from __future__ import annotations

import datetime as dt
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from rlx_lib.synth import DEFAULT_START, synthesize
from workbench import db

REPEATS = 5


def _median_ms(action: Callable[[], Any]) -> float:
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _process_s(command: list[str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of a fresh process, in seconds."""
    walls, cpus = [], []
    for _ in range(REPEATS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def startup() -> list[dict[str, Any]]:
    """``rlx --help`` and the slowest ``rlx <command> --help``, beside ``python -c pass``.

    Wall time is what a user waits; CPU time is the same less the waiting for a busy machine.
    """
    from typer.main import get_command

    from workbench.cli import app

    script = Path(sys.executable).with_name("rlx")
    rlx = [str(script)] if script.exists() else [sys.executable, "-m", "workbench.cli"]
    baseline = _process_s([sys.executable, "-c", "pass"])
    timed = {"rlx --help": _process_s([*rlx, "--help"])}
    each = {name: _process_s([*rlx, name, "--help"]) for name in get_command(app).commands}
    slowest = max(each, key=lambda name: each[name][0])
    timed[f"rlx {slowest} --help (slowest command)"] = each[slowest]
    rows: list[dict[str, Any]] = []
    for index, kind in enumerate(("wall", "CPU")):
        rows.append({"figure": f"python -c pass, {kind}", "value": baseline[index], "unit": "s"})
        rows.extend(
            {"figure": f"{name}, {kind}", "value": value[index], "unit": "s",
             "baseline": f"python -c pass, {kind}", "ratio": value[index] / baseline[index],
             "target": 0.5}
            for name, value in timed.items()
        )  # fmt: skip
    return rows


def _polars_series(root: Path) -> pl.DataFrame:
    return (
        pl.scan_parquet(root / "lake" / "book" / "**" / "*.parquet", hive_partitioning=True)
        .filter(pl.col("symbol") == "BTC-USDT", pl.col("bid_0_price").is_not_null())
        .select(
            "origin_time",
            "sequence_number",
            mid=(pl.col("bid_0_price").cast(pl.Float64) + pl.col("ask_0_price").cast(pl.Float64))
            / 2,
            spread=(pl.col("ask_0_price") - pl.col("bid_0_price")).cast(pl.Float64),
        )
        .sort("origin_time", "sequence_number")
        .collect()
    )


def run(*, quick: bool) -> list[dict[str, Any]]:
    """Time the shell's start-up, then the app's queries over a synthetic session (0.5 minute
    quick, 3 minutes full)."""
    minutes = 0.5 if quick else 3.0
    with tempfile.TemporaryDirectory(prefix="rlx_bench_workbench_") as folder:
        root = Path(folder)
        synthesize(root, symbols=["BTC-USDT"], minutes=minutes, seed=1)
        database = db.connect(root)
        middle = DEFAULT_START + dt.timedelta(minutes=minutes / 2)
        end = DEFAULT_START + dt.timedelta(minutes=minutes)
        states = database.query("book_series", source="lake_snapshot", symbol="BTC-USDT").height
        timed = {
            "coverage": lambda: database.coverage(),
            "book_series": lambda: database.query(
                "book_series", source="lake_snapshot", symbol="BTC-USDT"
            ),
            "book_ladder": lambda: database.query(
                "book_ladder", source="lake_snapshot", symbol="BTC-USDT", at=middle
            ),
            "window_facts": lambda: database.query(
                "window_facts", symbol="BTC-USDT", start=DEFAULT_START, end=end
            ),
            "capture_summary": lambda: database.query("capture_summary", symbol="BTC-USDT"),
        }
        figures = {name: _median_ms(action) for name, action in timed.items()}
        baseline = _median_ms(lambda: _polars_series(root))
        database.close()
    rows: list[dict[str, Any]] = [
        {"figure": f"query {name}", "value": value, "unit": "ms", "target": 500.0}
        for name, value in figures.items()
    ]
    rows.append({"figure": "polars mid/spread series", "value": baseline, "unit": "ms"})
    rows[1].update(baseline="polars mid/spread series", ratio=figures["book_series"] / baseline)
    rows.append({"figure": "book states in the series", "value": float(states), "unit": "rows"})
    return [*startup(), *rows]
