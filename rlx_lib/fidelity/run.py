"""A fidelity run: align once per symbol, compute every metric, judge, and write the results.

Writes ``out/metrics.json`` (``{"metrics": [...], "verdict": ...}``), ``out/manifest.json``
(git commit, package versions, inputs with sha256, parameters) and ``FIDELITY_RESULT`` rows to
``<root>/fidelity/exchange=BINANCE/symbol=<S>/dt=<start>/part-<run_id>.parquet``. The run id is
derived from the inputs and parameters, so a rerun on the same data rewrites the same bytes.
Pattern metrics also write each side's detections to ``patterns/`` (``part-<source>.parquet``).
The HTML dashboard is built by the workbench (``workbench.fidelity_report``) from the report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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
from rlx_lib.fidelity.verdict import DEFAULT_THRESHOLD, Verdict, decide, passes
from rlx_lib.parallel import open_pool, run_all
from rlx_lib.schemas import FIDELITY_RESULT, check_schema

__all__ = ["FidelityReport", "MetricRecord", "compute_records", "evaluate"]

log = logging.getLogger(__name__)

PACKAGES = ("rlx-workbench", "polars", "pyarrow", "numpy", "scipy", "numba")


@dataclass(frozen=True)
class MetricRecord:
    """One metric's result for a symbol, whole run (``period`` None) or one resync period."""

    symbol: str
    period: int | None
    name: str
    unit: str
    value: float
    n: int
    passed: bool | None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``name``, ``value`` (None if undefined), ``unit``, ``n``, and the rest."""
        return {
            "name": self.name,
            "value": None if math.isnan(self.value) else self.value,
            "unit": self.unit,
            "n": self.n,
            "symbol": self.symbol,
            "period": self.period,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class FidelityReport:
    """Everything a fidelity run found; the alignments are kept for the dashboard."""

    run_id: str
    symbols: tuple[str, ...]
    start: dt.date
    end: dt.date
    threshold: float
    records: list[MetricRecord]
    verdict: Verdict
    aligned: dict[str, Aligned]
    timings: dict[str, float]
    manifest: dict[str, Any]

    def whole_run(self) -> list[MetricRecord]:
        """Records for the whole run (no period)."""
        return [record for record in self.records if record.period is None]

    def metrics_table(self) -> pl.DataFrame:
        """The whole-run records as a table: name, value (null if undefined), unit, n, passed."""
        return pl.DataFrame(
            [record.to_dict() for record in self.whole_run()],
            schema={
                "name": pl.String,
                "value": pl.Float64,
                "unit": pl.String,
                "n": pl.Int64,
                "passed": pl.Boolean,
            },
            strict=False,
        )

    def record(self, name: str, *, symbol: str | None = None) -> MetricRecord:
        """The whole-run record of one metric (for the first symbol unless named)."""
        symbol = symbol or self.symbols[0]
        for record in self.whole_run():
            if record.name == name and record.symbol == symbol:
                return record
        msg = f"no result for metric {name!r} and symbol {symbol}"
        raise ConfigError(msg)

    def metrics_json(self) -> dict[str, Any]:
        """The content of ``metrics.json``."""
        return {
            "run_id": self.run_id,
            "metrics": [record.to_dict() for record in self.whole_run()],
            "periods": [record.to_dict() for record in self.records if record.period is not None],
            "verdict": self.verdict.to_dict(),
        }

    def to_frame(self) -> pl.DataFrame:
        """The results as ``FIDELITY_RESULT`` rows."""
        frame = pl.DataFrame(
            {
                "run_id": [self.run_id] * len(self.records),
                "symbol": [r.symbol for r in self.records],
                "period": [r.period for r in self.records],
                "metric": [r.name for r in self.records],
                "value": [r.value for r in self.records],
                "unit": [r.unit for r in self.records],
                "n": [r.n for r in self.records],
                "passed": [r.passed for r in self.records],
                "detail": [json.dumps(r.detail, sort_keys=True, default=str) for r in self.records],
            },
            schema=FIDELITY_RESULT,
        )
        check_schema(frame, FIDELITY_RESULT, name="fidelity results")
        return frame


def compute_records(
    aligned: Aligned, metrics: list[Metric], *, threshold: float = DEFAULT_THRESHOLD
) -> tuple[list[MetricRecord], dict[str, float]]:
    """Compute each metric on the whole run and, where it asks, on each resync period."""
    records: list[MetricRecord] = []
    timings: dict[str, float] = {}
    periods = aligned.periods["period"].to_list()
    for metric in metrics:
        began = time.perf_counter()
        gated = bool(getattr(metric, "gated", False))
        scopes: list[tuple[int | None, Aligned]] = [(None, aligned)]
        if getattr(metric, "per_period", False):
            scopes += [(period, aligned.for_period(period)) for period in periods]
        for period, view in scopes:
            result = metric.compute(view)
            value = float(result.value)
            records.append(
                MetricRecord(
                    symbol=aligned.symbol,
                    period=period,
                    name=metric.name,
                    unit=metric.unit,
                    value=value,
                    n=int(result.n),
                    passed=passes(value, threshold) if gated else None,
                    detail=_json_ready(result.detail),
                )
            )
        timings[metric.name] = timings.get(metric.name, 0.0) + time.perf_counter() - began
    return records, timings


def _symbol_unit(
    index: int,
    root: Path,
    symbol: str,
    first: dt.date,
    stop: dt.date,
    metrics: list[Metric],
    threshold: float,
) -> tuple[int, tuple[Aligned, list[MetricRecord], dict[str, float]]]:
    """One unit of a run: align one symbol and compute every metric on it."""
    began = time.perf_counter()
    aligned = align(root, symbol, first, stop)
    timings = {f"align {symbol}": time.perf_counter() - began}
    records, spent = compute_records(aligned, metrics, threshold=threshold)
    timings.update({f"metric {name}": seconds for name, seconds in spent.items()})
    return index, (aligned, records, timings)


def evaluate(
    root: Path,
    symbols: list[str] | tuple[str, ...],
    start: str | dt.date,
    end: str | dt.date,
    *,
    metrics: list[str | Metric] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    out: Path | None = None,
    progress: Callable[[str], None] | None = None,
    workers: int = 1,
    cluster: Any = None,
) -> FidelityReport:
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
        Metric names or instances; None runs every registered metric.
    threshold
        The headline and every gated share must reach it for the verdict to pass.
    out
        Folder for ``metrics.json`` and ``manifest.json`` (nothing written there when None).
    progress
        Called with one line per symbol once its metrics are computed.
    workers, cluster
        Symbols in ``workers`` processes or on a Dask cluster (an address or a client), one
        unit per symbol: its alignment and metrics, merged in the order of ``symbols``, so the
        results equal a serial run's. (The metrics are whole-range statistics, so a symbol's
        days are not cut apart.)
    """
    if not 0.0 <= threshold <= 1.0:
        msg = f"threshold must be a share between 0 and 1, received {threshold}"
        raise ConfigError(msg)
    if not symbols:
        msg = "name at least one symbol"
        raise ConfigError(msg)
    root, first, stop = Path(root), parse_day(start), parse_day(end)
    chosen = resolve(metrics)
    inputs = {s: input_files(root, s, first, stop) for s in symbols}
    records: list[MetricRecord] = []
    alignments: dict[str, Aligned] = {}
    timings: dict[str, float] = {}
    calls = [(i, root, s, first, stop, chosen, threshold) for i, s in enumerate(symbols)]
    units = {}
    with open_pool(workers=workers if len(calls) > 1 else 1, cluster=cluster) as pool:
        for index, (aligned, found, spent) in run_all(_symbol_unit, calls, pool=pool):
            units[index] = aligned, found, spent
            if progress is not None:
                seconds = sum(spent.values())
                progress(f"{symbols[index]}: {len(found)} metric rows in {seconds:.1f} s")
    for index, symbol in enumerate(symbols):
        alignments[symbol], found, spent = units[index]
        records += found
        if any(isinstance(metric, PatternRate) for metric in chosen):
            write_patterns(root, alignments[symbol], first)
        for name, seconds in spent.items():
            timings[name] = timings.get(name, 0.0) + seconds
    manifest = _manifest(root, inputs, symbols, first, stop, chosen, threshold)
    report = FidelityReport(
        run_id=manifest["run_id"],
        symbols=tuple(symbols),
        start=first,
        end=stop,
        threshold=threshold,
        records=records,
        verdict=decide(records, threshold=threshold),
        aligned=alignments,
        timings=timings,
        manifest=manifest,
    )
    _write_results(root, report)
    if out is not None:
        write_outputs(report, Path(out))
    log.info("fidelity %s: %s", report.run_id, report.verdict.sentence())
    return report


def write_outputs(report: FidelityReport, out: Path) -> None:
    """Write ``metrics.json`` and ``manifest.json`` into ``out`` (atomically)."""
    out.mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("metrics.json", report.metrics_json()),
        ("manifest.json", report.manifest),
    ):
        with atomic_path(out / name) as temp:
            temp.write_text(json.dumps(content, indent=2, default=str) + "\n", encoding="utf-8")
            temp.chmod(0o644)  # readable like the report beside it (temp files start as 0600)


def _write_results(root: Path, report: FidelityReport) -> None:
    frame = report.to_frame()
    for symbol in report.symbols:
        folder = partition_dir(root, "fidelity", symbol=symbol, day=report.start)
        rows = frame.filter(pl.col("symbol") == symbol)
        write_parquet(rows, folder / f"part-{report.run_id}.parquet", force=True)


def _manifest(
    root: Path,
    inputs: dict[str, dict[str, list[Path]]],
    symbols: list[str] | tuple[str, ...],
    start: dt.date,
    end: dt.date,
    metrics: list[Metric],
    threshold: float,
) -> dict[str, Any]:
    files = [
        {
            "path": str(path.relative_to(root)),
            "sha256": file_sha256(path),
            "bytes": path.stat().st_size,
        }
        for per_symbol in inputs.values()
        for paths in per_symbol.values()
        for path in paths
    ]
    parameters = {
        "symbols": list(symbols),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "metrics": [repr(metric) for metric in metrics],
        "threshold": threshold,
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


def _json_ready(value: Any) -> Any:
    """Floats that are not finite become None, so the JSON stays standard."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if hasattr(value, "item"):
        return _json_ready(value.item())
    return value
