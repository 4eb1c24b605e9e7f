"""The sim-to-real gap against the vendor's drop rate: ``rlx rl sweep``.

For each drop rate and seed, a vendor view of the golden capture is made with that share of
depth messages dropped (``rlx synth --from-golden``), rebuilt, and compared with the live
reconstruction already under the data root; the RL metrics are computed on each. Work goes to
``<root>/_work/rl_sweep/`` and is removed afterwards; the rows are kept in ``<root>/rl/sweep.json``
for the fidelity report's RL readiness curve.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rlx_lib.catalog import day_range, parse_day, partition_dir
from rlx_lib.errors import DataRangeError, StageError
from rlx_lib.fidelity import evaluate
from rlx_lib.reconstruction import reconstruct
from rlx_lib.results import StageResult
from rlx_lib.rl import SimToRealGap, StateCoverage
from rlx_lib.synth import VendorFaults, vendor_from_golden
from workbench.rl_report import save_sweep

__all__ = ["SweepResult", "sweep"]


@dataclass(frozen=True)
class SweepResult(StageResult):
    """One row per (drop rate, seed): ``drop_rate``, ``seed``, ``gap``, ``coverage``."""

    def curve(self) -> pl.DataFrame:
        """Mean gap and coverage per drop rate, over the seeds."""
        return (
            self.to_frame()
            .group_by("drop_rate")
            .agg(pl.col("gap").mean(), pl.col("coverage").mean(), pl.len().alias("seeds"))
            .sort("drop_rate")
        )


def sweep(
    root: Path,
    *,
    symbols: Sequence[str],
    start: str | dt.date,
    end: str | dt.date,
    drop_rates: Sequence[float] = (0.0, 0.001, 0.01, 0.05),
    seeds: Sequence[int] = (0, 1, 2),
    progress: Callable[[dict], None] | None = None,
) -> SweepResult:
    """Gap and coverage for each drop rate and seed (live reconstruction under ``root``)."""
    root, days = Path(root), day_range(parse_day(start), parse_day(end))
    metrics = [SimToRealGap(recorded=False, single_trades=False), StateCoverage()]
    rows = []
    for rate in drop_rates:
        for seed in seeds:
            work = root / "_work" / "rl_sweep" / f"drop-{rate}-seed-{seed}"
            try:
                _vendor_view(root, work, symbols, days, rate, seed)
                report = evaluate(
                    work, symbols=list(symbols), start=days[0], end=end, metrics=metrics
                )
            finally:
                shutil.rmtree(work, ignore_errors=True)
            for symbol in symbols:
                row = {
                    "symbol": symbol,
                    "drop_rate": float(rate),
                    "seed": seed,
                    "gap": report.record("sim_to_real_gap", symbol=symbol).value,
                    "coverage": report.record("state_coverage", symbol=symbol).value,
                    "status": "done",
                }
                rows.append(row)
                if progress is not None:
                    progress(row)
    shutil.rmtree(root / "_work" / "rl_sweep", ignore_errors=True)
    save_sweep(root, rows)
    return SweepResult(rows=tuple(rows))


def _vendor_view(root, work, symbols, days, rate, seed) -> None:
    """``work`` holding the live reconstruction (linked) and a freshly made, rebuilt vendor."""
    shutil.rmtree(work, ignore_errors=True)
    for symbol in symbols:
        for day in days:
            for dataset in ("book", "events"):
                source = (
                    partition_dir(root, dataset, symbol=symbol, day=day) / "part-golden.parquet"
                )
                if not source.is_file():
                    msg = (
                        f"no live {dataset}/ for {symbol} on {day}; run `rlx reconstruct "
                        f"--source golden` over the sweep's days first"
                    )
                    raise DataRangeError(msg)
                target = partition_dir(work, dataset, symbol=symbol, day=day) / source.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(source, target)
    faults = VendorFaults(drop_rate=rate)
    vendor_from_golden(work, golden=[root / "golden"], vendor_faults=faults, seed=seed)
    end = days[-1] + dt.timedelta(days=1)
    result = reconstruct(work, source="lake", symbols=list(symbols), start=days[0], end=end)
    if result.failed:
        msg = f"vendor rebuild failed at drop rate {rate}, seed {seed}: {result.failed[0].error}"
        raise StageError(msg)
