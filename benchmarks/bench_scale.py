"""Scale-out: one month-shaped synthetic workload on 1 and on 2 Dask worker processes.

The workload is several symbols over several days (each day a short synthetic session, so a
run stays small), written once and copied fresh for each cluster size. On a local Dask cluster
of single-threaded worker processes, each stage runs through its front door exactly as
``--cluster`` runs it: reconstruction from both sources (symbol-days), validation of golden
files and vendor tables (symbols), and fidelity (symbols). The workers first run the chain
once on a small warm-up copy, so imports and compiled kernels are not timed. The figure per
stage is the wall time on 2 workers; the ratio is the speed-up over 1 worker, beside the ideal
of 2. The machine's core count and load are printed with it: on a 2-core machine the
coordinator, the scheduler and the operating system share the same two cores.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rlx_lib.fidelity import evaluate
from rlx_lib.golden import golden_files
from rlx_lib.reconstruction import reconstruct
from rlx_lib.synth import synthesize
from rlx_lib.validation.fanout import validate_golden_parallel, validate_lake_parallel

SYMBOLS = ("BTC-USDT", "ETH-USDT", "SOL-USDT", "BNB-USDT")
FIRST = dt.date(2024, 8, 1)
METRICS = ["depth_agreement_20", "message_coverage", "trade_match_rate", "spread_distribution"]


def write_workload(root: Path, *, symbols: tuple[str, ...], days: int, minutes: float) -> None:
    """``days`` daily sessions of ``minutes`` for ``symbols``: both views, one seed per day."""
    for index in range(days):
        day = FIRST + dt.timedelta(days=index)
        start = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
        synthesize(root, symbols=symbols, minutes=minutes, seed=index, start=start)


def stages(root: Path, symbols: list[str], days: list[dt.date]) -> dict[str, Callable]:
    """Each stage as one call taking the cluster client."""
    end = days[-1] + dt.timedelta(days=1)

    def rebuild(source: str) -> Callable:
        return lambda client: reconstruct(
            root, source=source, symbols=symbols, start=days[0], end=end, cluster=client
        )

    def validate(client: Any) -> None:
        files = golden_files([root / "golden"])
        validate_golden_parallel(files, cluster=client)
        validate_lake_parallel(root, symbols, days[0], end, cluster=client)

    def fidelity(client: Any) -> None:
        evaluate(root, symbols=symbols, start=days[0], end=end, metrics=METRICS, cluster=client)

    return {
        "reconstruct lake": rebuild("lake"),
        "reconstruct golden": rebuild("golden"),
        "validate": validate,
        "fidelity": fidelity,
    }


def time_stages(root: Path, symbols: list[str], days: list[dt.date], client: Any) -> dict:
    """Wall seconds of each stage, run in order (fidelity reads both reconstructions)."""
    seconds = {}
    for name, run in stages(root, symbols, days).items():
        began = time.perf_counter()
        run(client)
        seconds[name] = time.perf_counter() - began
    return seconds


def measure(template: Path, workers: int, work: Path, sizes: dict[str, Any]) -> dict:
    """Per-stage seconds on a local cluster of ``workers`` single-threaded processes."""
    from distributed import Client, LocalCluster

    symbols, days = list(sizes["symbols"]), sizes["day_list"]
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        warm = work / f"warm-{workers}"
        shutil.copytree(sizes["warm"], warm)
        time_stages(warm, symbols, days[:1], client)
        timed = work / f"run-{workers}"
        shutil.copytree(template, timed)
        return time_stages(timed, symbols, days, client)


def run(*, quick: bool = False) -> list[dict[str, Any]]:
    """Figures: per stage, the seconds on 2 workers and the speed-up over 1 worker."""
    count, days, minutes = (2, 2, 0.5) if quick else (4, 3, 0.5)
    symbols = SYMBOLS[:count]
    day_list = [FIRST + dt.timedelta(days=i) for i in range(days)]
    with tempfile.TemporaryDirectory(prefix="rlx-bench-scale-") as folder:
        work = Path(folder)
        template, warm = work / "template", work / "warm"
        write_workload(template, symbols=symbols, days=days, minutes=minutes)
        write_workload(warm, symbols=symbols, days=1, minutes=0.5)
        sizes = {"symbols": symbols, "day_list": day_list, "warm": warm}
        one = measure(template, 1, work, sizes)
        two = measure(template, 2, work, sizes)
    load = os.getloadavg()[0]
    shape = f"{count} symbols x {days} days of {minutes:g} min"
    figures = [
        {
            "figure": f"{name}: 2 workers ({shape})",
            "value": two[name],
            "unit": "s",
            "baseline": f"1 worker: {one[name]:.1f} s (load {load:.1f})",
            "ratio": one[name] / two[name],
            "target": "2.00x ideal",
        }
        for name in one
    ]
    total_one, total_two = sum(one.values()), sum(two.values())
    figures.append(
        {
            "figure": f"whole chain: 2 workers ({shape})",
            "value": total_two,
            "unit": "s",
            "baseline": f"1 worker: {total_one:.1f} s (load {load:.1f})",
            "ratio": total_one / total_two,
            "target": "2.00x ideal",
        }
    )
    return figures
