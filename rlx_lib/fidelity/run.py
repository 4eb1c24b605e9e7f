"""A fidelity run: align once per symbol, compute every metric, judge, and write the results.

Writes ``out/metrics.json`` (``{"metrics": [...], "verdict": ...}``), ``out/manifest.json``
(git commit, package versions, inputs with sha256, parameters) and ``FIDELITY_RESULT`` rows to
``<root>/fidelity/exchange=BINANCE/symbol=<S>/dt=<start>/part-<run_id>.parquet``. The run id is
derived from the inputs and parameters, so a rerun on the same data rewrites the same bytes.
Pattern metrics also write each side's detections to ``patterns/`` (``part-<source>.parquet``).
The HTML dashboard is built by the workbench (``workbench.fidelity_report``) from the result.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from rlx_lib.catalog import atomic_path, file_sha256, parse_day, partition_dir, write_parquet
from rlx_lib.errors import ConfigError
from rlx_lib.fidelity.align import Aligned, align, input_files
from rlx_lib.fidelity.metrics import Metric, resolve
from rlx_lib.fidelity.metrics.patterns import PatternRate
from rlx_lib.fidelity.patterns import write_patterns
from rlx_lib.fidelity.records import MetricRecord
from rlx_lib.fidelity.result import FidelityResult
from rlx_lib.fidelity.verdict import DEFAULT_THRESHOLD, decide, passes
from rlx_lib.parallel import open_pool, run_all
from rlx_lib.results import Progress, ProgressCallback

__all__ = [
    "Plan",
    "SymbolUnit",
    "compute_records",
    "evaluate",
    "make_plan",
    "measure_pairs",
    "measure_symbols",
    "metric_records",
    "write_outputs",
]

log = logging.getLogger(__name__)

PACKAGES = ("rlx-workbench", "polars", "pyarrow", "numpy", "scipy", "numba")


def compute_records(
    aligned: Aligned,
    metrics: list[Metric],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    measured: Callable[[str, float], None] | None = None,
) -> tuple[list[MetricRecord], dict[str, float]]:
    """Compute each metric on the whole run and, where it asks, on each resync period.

    ``measured(name, seconds)`` is called after each metric.
    """
    records: list[MetricRecord] = []
    timings: dict[str, float] = {}
    for metric in metrics:
        began = time.perf_counter()
        records += metric_records(aligned, metric, threshold=threshold)
        timings[metric.name] = timings.get(metric.name, 0.0) + time.perf_counter() - began
        if measured is not None:
            measured(metric.name, timings[metric.name])
    return records, timings


def metric_records(aligned: Aligned, metric: Metric, *, threshold: float) -> list[MetricRecord]:
    """One metric on the whole run and, where it asks (``per_period``), on each resync period."""
    gated = bool(getattr(metric, "gated", False))
    scopes: list[tuple[int | None, Aligned]] = [(None, aligned)]
    if getattr(metric, "per_period", False):
        periods = aligned.periods["period"].to_list()
        scopes += [(period, aligned.for_period(period)) for period in periods]
    records = []
    for period, view in scopes:
        result = metric.compute(view)
        passed = passes(float(result.value), threshold) if gated else None
        records.append(
            MetricRecord.measured(aligned.symbol, metric, result, period=period, passed=passed)
        )
    return records


@dataclass(frozen=True)
class Plan:
    """What one run compares: the data root, symbols, days ``[start, end)``, metrics, threshold."""

    root: Path
    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date
    metrics: tuple[Metric, ...]
    threshold: float
    inputs: dict[str, dict[str, list[Path]]]

    @property
    def symbol_metrics(self) -> list[Metric]:
        """The metrics computed on each symbol."""
        return [metric for metric in self.metrics if not getattr(metric, "pair", False)]

    @property
    def pair_metrics(self) -> list[Metric]:
        """The metrics computed on each pair of symbols (``compute_pair``)."""
        return [metric for metric in self.metrics if getattr(metric, "pair", False)]


@dataclass(frozen=True)
class SymbolUnit:
    """One symbol's share of a run: its alignment, its records and what each step took."""

    symbol: str
    aligned: Aligned
    records: list[MetricRecord]
    timings: dict[str, float]


@dataclass
class _Tally:
    """Counts measured metrics and tells ``progress`` about each one."""

    progress: ProgressCallback | None
    total: int
    done: int = 0

    def __call__(self, symbol: str, metric: str, seconds: float) -> None:
        self.done += 1
        if self.progress is not None:
            unit = f"{symbol} {metric}"
            text = f"{unit} measured ({self.done}/{self.total}, {seconds:.1f} s)"
            self.progress(Progress("fidelity", unit, self.done, self.total, text))


def evaluate(
    root: Path,
    *,
    symbols: list[str] | tuple[str, ...],
    start: str | dt.date,
    end: str | dt.date,
    metrics: list[str | Metric] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    out: Path | None = None,
    workers: int = 1,
    cluster: Any = None,
    progress: ProgressCallback | None = None,
) -> FidelityResult:
    """Compare the lake reconstruction with the golden one for each symbol over ``[start, end)``.

    Parameters
    ----------
    root
        Data root holding ``book/`` and ``events/`` from both sources.
    symbols
        Lake-style symbols (``BTC-USDT``).
    start, end
        UTC days, ``end`` exclusive.
    metrics
        Metric names or instances; None runs every registered metric but the pair metrics
        (``copula_tail_dependence``), which run when named, on each pair of ``symbols``: one
        record per pair, under the pair's first symbol, the partner in ``detail["pair"]``.
    threshold
        The headline and every gated share must reach it for the verdict to pass.
    out
        Folder for ``metrics.json`` and ``manifest.json`` (nothing written there when None).
    workers, cluster
        Symbols in ``workers`` processes or on a Dask cluster (an address or a client), one
        unit per symbol: its alignment and metrics, merged in the order of ``symbols``, so the
        results equal a serial run's. (The metrics are whole-range statistics, so a symbol's
        days are not cut apart.)
    progress
        Receives a :class:`~rlx_lib.results.Progress` per metric measured on a symbol.
    """
    plan = make_plan(root, symbols, start, end, metrics=metrics, threshold=threshold)
    units = measure_symbols(plan, workers=workers, cluster=cluster, progress=progress)
    _write_patterns(plan, units)
    pairs, spent = measure_pairs(plan, units)
    records = [record for unit in units for record in unit.records] + pairs
    result = _result(plan, records, units, spent)
    _write_results(plan.root, result)
    if out is not None:
        write_outputs(result, Path(out))
    log.info("fidelity %s: %s", result.run_id, result.verdict.sentence())
    return result


def make_plan(
    root: Path,
    symbols: list[str] | tuple[str, ...],
    start: str | dt.date,
    end: str | dt.date,
    *,
    metrics: list[str | Metric] | None,
    threshold: float,
) -> Plan:
    """Check the request and find its input files (a missing reconstruction fails here)."""
    if not 0.0 <= threshold <= 1.0:
        msg = f"threshold must be a share between 0 and 1, received {threshold}"
        raise ConfigError(msg)
    if not symbols:
        msg = "name at least one symbol"
        raise ConfigError(msg)
    root, first, stop = Path(root), parse_day(start), parse_day(end)
    chosen = tuple(resolve(metrics))
    inputs = {s: input_files(root, s, first, stop) for s in symbols}
    return Plan(root, tuple(symbols), first, stop, chosen, threshold, inputs)


def measure_symbols(
    plan: Plan, *, workers: int = 1, cluster: Any = None, progress: ProgressCallback | None = None
) -> list[SymbolUnit]:
    """Align each symbol and compute every metric on it, in the order of ``plan.symbols``."""
    tally = _Tally(progress, total=len(plan.symbols) * len(plan.symbol_metrics))
    units: dict[int, SymbolUnit] = {}
    many = len(plan.symbols) > 1
    with open_pool(workers=workers if many else 1, cluster=cluster) as pool:
        live = tally if pool is None else None  # a pool's workers cannot call back
        calls = [(index, plan, symbol, live) for index, symbol in enumerate(plan.symbols)]
        for index, unit in run_all(_symbol_unit, calls, pool=pool):
            units[index] = unit
            if live is None:
                for metric in plan.symbol_metrics:
                    tally(unit.symbol, metric.name, unit.timings[f"metric {metric.name}"])
    return [units[index] for index in range(len(plan.symbols))]


def _symbol_unit(
    index: int, plan: Plan, symbol: str, tally: _Tally | None
) -> tuple[int, SymbolUnit]:
    """One unit of a run: align one symbol and compute every metric on it."""
    began = time.perf_counter()
    aligned = align(plan.root, symbol, plan.start, plan.end)
    timings = {f"align {symbol}": time.perf_counter() - began}
    measured = None if tally is None else functools.partial(tally, symbol)
    records, spent = compute_records(
        aligned, plan.symbol_metrics, threshold=plan.threshold, measured=measured
    )
    timings.update({f"metric {name}": seconds for name, seconds in spent.items()})
    return index, SymbolUnit(symbol, aligned, records, timings)


def measure_pairs(
    plan: Plan, units: list[SymbolUnit]
) -> tuple[list[MetricRecord], dict[str, float]]:
    """Each pair metric on each pair of symbols (in the order of ``plan.symbols``)."""
    records, timings = [], {}
    for metric in plan.pair_metrics:
        began = time.perf_counter()
        for number, first in enumerate(units):
            for second in units[number + 1 :]:
                result = metric.compute_pair(first.aligned, second.aligned)
                records.append(MetricRecord.measured(first.symbol, metric, result))
        timings[f"metric {metric.name}"] = time.perf_counter() - began
    return records, timings


def _write_patterns(plan: Plan, units: list[SymbolUnit]) -> None:
    """Each side's pattern detections, when a pattern metric ran."""
    if any(isinstance(metric, PatternRate) for metric in plan.metrics):
        for unit in units:
            write_patterns(plan.root, unit.aligned, plan.start)


def _result(
    plan: Plan, records: list[MetricRecord], units: list[SymbolUnit], pairs: dict[str, float]
) -> FidelityResult:
    """The run's result: its records judged, the alignments and the summed timings."""
    timings: dict[str, float] = {}
    for unit in units:
        for name, seconds in unit.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
    timings |= pairs
    manifest = _manifest(plan)
    return FidelityResult(
        run_id=manifest["run_id"],
        symbols=plan.symbols,
        start=plan.start,
        end=plan.end,
        threshold=plan.threshold,
        records=tuple(records),
        verdict=decide(records, threshold=plan.threshold),
        aligned={unit.symbol: unit.aligned for unit in units},
        timings=timings,
        manifest=manifest,
    )


def write_outputs(result: FidelityResult, out: Path) -> None:
    """Write ``metrics.json`` and ``manifest.json`` into ``out`` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("metrics.json", result.metrics_json()),
        ("manifest.json", result.manifest),
    ):
        with atomic_path(out / name) as temp:
            temp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
            temp.chmod(0o644)  # readable like the report beside it (temp files start as 0600)


def _write_results(root: Path, result: FidelityResult) -> None:
    frame = result.results_frame()
    for symbol in result.symbols:
        folder = partition_dir(root, "fidelity", symbol=symbol, day=result.start)
        rows = frame.filter(pl.col("symbol") == symbol)
        write_parquet(rows, folder / f"part-{result.run_id}.parquet", force=True)


def _manifest(plan: Plan) -> dict[str, Any]:
    """Inputs with their sha256, parameters, code versions; the run id hashes the first two."""
    files = [
        {
            "path": str(path.relative_to(plan.root)),
            "sha256": file_sha256(path),
            "bytes": path.stat().st_size,
        }
        for per_symbol in plan.inputs.values()
        for paths in per_symbol.values()
        for path in paths
    ]
    parameters = {
        "symbols": list(plan.symbols),
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "metrics": [repr(metric) for metric in plan.metrics],
        "threshold": plan.threshold,
    }
    digest = hashlib.sha256(json.dumps([files, parameters], sort_keys=True).encode()).hexdigest()
    return {
        "run_id": f"fidelity-{digest[:12]}",
        "git_commit": _git_commit(),
        "packages": {name: _version(name) for name in PACKAGES},
        "inputs": files,
        "parameters": parameters,
    }


def _git_commit() -> str | None:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() or None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
