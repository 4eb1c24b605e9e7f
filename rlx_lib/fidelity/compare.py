"""Two windows side by side: the fidelity metrics that compare behaviour, on any two windows.

``rlx fidelity`` holds one window seen twice (vendor against live) and asks whether the two
agree; ``compare`` takes any two windows, say a training month against a live week, or a
``high`` against a ``low`` regime, each ``SOURCE:SYMBOL:START:END``, and runs the same metric
plugins with window ``a`` as the reference and ``b`` as the candidate. Metrics that match book
states by update id (agreement, coverage) have nothing to match across windows, so the default
set (:data:`WINDOW_METRICS`) holds the ones that compare distributions and dynamics. Each
window's events open with a snapshot of the book as it stood at the window's start, so the
deep-book metrics see the whole book from the first message on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.catalog import atomic_path, day_range, partition_dir, validate_symbol
from rlx_lib.decimals import units_to_decimal
from rlx_lib.errors import ConfigError, DataRangeError
from rlx_lib.fidelity.align import Aligned, align_frames
from rlx_lib.fidelity.metrics import Metric, resolve
from rlx_lib.fidelity.patterns.orders import units
from rlx_lib.fidelity.records import MetricRecord
from rlx_lib.reconstruction import L2Book
from rlx_lib.results import Progress, ProgressCallback, StageResult

__all__ = ["WINDOW_METRICS", "CompareResult", "Window", "compare", "opening_snapshot"]

WINDOW_METRICS = (
    "hawkes_branching_matrix",
    "hawkes_branching_ratio",
    "signature_mmd",
    "depth_profile_distance",
    "hidden_liquidity",
    "spoofing_rate",
    "layering_rate",
    "momentum_ignition_rate",
    "spread_distribution",
    "trade_size_distribution",
    "inter_arrival_distribution",
    "return_tails",
    "volatility_clustering",
    "trade_sign_autocorrelation",
)
"""What ``compare`` runs unless told otherwise."""

SOURCES = ("lake", "golden")
_TIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?"
_WINDOW = re.compile(rf"(?P<source>[a-z_]+):(?P<symbol>[^:]+):(?P<start>{_TIME}):(?P<end>{_TIME})")


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.removesuffix("Z"))
    return moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Window:
    """One source's reconstruction of one symbol over ``[start, end)`` (UTC)."""

    source: str
    symbol: str
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):  # naive times are UTC
            moment = getattr(self, name)
            if moment.tzinfo is None:
                object.__setattr__(self, name, moment.replace(tzinfo=dt.UTC))
        if self.source not in SOURCES:
            msg = f"window source must be one of {', '.join(SOURCES)}, received {self.source!r}"
            raise ConfigError(msg)
        validate_symbol(self.symbol)
        if not self.end > self.start:
            msg = f"window end {self.end:%Y-%m-%dT%H:%M:%S} is not after its start"
            raise ConfigError(msg)

    @classmethod
    def parse(cls, text: str) -> Window:
        """``SOURCE:SYMBOL:START:END``; times are UTC days (``2024-08-08``) or instants
        (``2024-08-08T00:05``, ``2024-08-08T00:05:30``); ``END`` is exclusive."""
        found = _WINDOW.fullmatch(text.strip())
        if found is None:
            msg = (
                f"a window is SOURCE:SYMBOL:START:END, e.g. golden:BTC-USDT:2024-08-08T00:00:"
                f"2024-08-08T00:10, received {text!r}"
            )
            raise ConfigError(msg)
        start, end = (_instant(found[name]) for name in ("start", "end"))
        return cls(found["source"], found["symbol"], start, end)

    def __str__(self) -> str:
        stamp = "%Y-%m-%dT%H:%M:%S"
        return f"{self.source}:{self.symbol}:{self.start:{stamp}}:{self.end:{stamp}}"

    def files(self, root: Path, dataset: str) -> list[Path]:
        """This window's ``book/`` or ``events/`` files (one per day it touches)."""
        last = (self.end - dt.timedelta(microseconds=1)).date()
        days = day_range(self.start.date(), last + dt.timedelta(days=1))
        name = f"part-{self.source}.parquet"
        paths = [partition_dir(root, dataset, symbol=self.symbol, day=day) / name for day in days]
        found = [path for path in paths if path.is_file()]
        if not found:
            msg = (
                f"no {dataset}/ data from source {self.source!r} for {self.symbol} in window "
                f"{self}; run `rlx reconstruct --source {self.source} --symbols {self.symbol} "
                f"--start {self.start.date()} --end {last + dt.timedelta(days=1)}` first"
            )
            raise DataRangeError(msg)
        return found

    def read(self, root: Path, dataset: str) -> pl.DataFrame:
        """The window's rows of ``book/`` or ``events/`` (exchange time in ``[start, end)``).

        Events open with a snapshot of the book as it stood at ``start`` (rebuilt from the
        rows before it), so the window's deep book is whole from its first message.
        """
        frame = pl.read_parquet(self.files(root, dataset))
        inside = frame.filter(pl.col("origin_time").is_between(self.start, self.end, "left"))
        if dataset != "events":
            return inside
        return pl.concat([opening_snapshot(frame, self.start, inside), inside])


def opening_snapshot(
    events: pl.DataFrame, start: dt.datetime, inside: pl.DataFrame
) -> pl.DataFrame:
    """Snapshot rows of the book after the last message before ``start`` (none: no rows),
    stamped ``start`` and numbered just before the first row of ``inside``."""
    depth = events.filter(
        (pl.col("origin_time") < start)
        & pl.col("kind").cast(pl.String).is_in(["snapshot", "delta"])
    )
    if depth.is_empty():
        return events.clear()
    update = depth["update_id"].fill_null(-1).to_numpy()
    reset = (depth["kind"].cast(pl.String) == "snapshot").to_numpy()
    starts = np.flatnonzero(np.r_[True, (update[1:] != update[:-1]) | (reset[1:] != reset[:-1])])
    book = L2Book()
    levels = depth.select(units("price"), units("size"))
    book.replay(
        depth["side_is_bid"].to_numpy(),
        levels["price"].to_numpy(),
        levels["size"].to_numpy(),
        np.r_[starts, update.size].astype(np.int64),
        reset[starts],
        depth=1,
    )
    held = book.snapshot_arrays()
    price = np.r_[held["bid_price"], held["ask_price"]].astype(np.int64)
    size = np.r_[held["bid_size"], held["ask_size"]].astype(np.int64)
    first = int(inside["sequence"].min()) if inside.height else 0
    rows = pl.DataFrame(
        {
            "source": depth["source"][:1].to_list() * price.size,
            "origin_time": [start] * price.size,
            "received_time": [start] * price.size,
            "sequence": np.arange(first - price.size, first, dtype=np.int64),
            "kind": ["snapshot"] * price.size,
            "update_id": [int(update[-1])] * price.size,
            "first_update_id": [None] * price.size,
            "trade_id": [None] * price.size,
            "side_is_bid": np.r_[
                np.ones(held["bid_price"].size, bool), np.zeros(held["ask_price"].size, bool)
            ],
            "price": pl.Series(units_to_decimal(price)),
            "size": pl.Series(units_to_decimal(size)),
        }
    )
    return rows.cast(events.schema)


@dataclass(frozen=True, kw_only=True)
class CompareResult(StageResult):
    """The metrics of two windows: ``rows`` one record per metric (``b`` against ``a``)."""

    rows: tuple[MetricRecord, ...]
    a: Window
    b: Window
    aligned: Aligned
    timings: dict[str, float]

    def record(self, name: str) -> MetricRecord:
        """The record of one metric."""
        for record in self.rows:
            if record.name == name:
                return record
        msg = f"no result for metric {name!r} in this comparison"
        raise ConfigError(msg)

    def metrics_table(self) -> pl.DataFrame:
        """Name, value (null if undefined), unit and sample size of each metric."""
        return pl.DataFrame(
            [record.to_dict() for record in self.rows],
            schema={"name": pl.String, "value": pl.Float64, "unit": pl.String, "n": pl.Int64},
            strict=False,
        )

    def to_json(self) -> dict[str, Any]:
        """The content of ``compare.json``: both windows and every metric."""
        return {
            "a": str(self.a),
            "b": str(self.b),
            "metrics": [record.to_dict() for record in self.rows],
        }


def _window(value: Window | str) -> Window:
    return value if isinstance(value, Window) else Window.parse(value)


def _aligned(root: Path, a: Window, b: Window) -> Aligned:
    return align_frames(
        a.symbol if a.symbol == b.symbol else f"{a.symbol} against {b.symbol}",
        reference_book=a.read(root, "book"),
        candidate_book=b.read(root, "book"),
        reference_events=a.read(root, "events"),
        candidate_events=b.read(root, "events"),
        same_window=False,
    )


def _chosen(metrics: list[str | Metric] | None) -> list[Metric]:
    chosen = resolve(list(WINDOW_METRICS) if metrics is None else metrics)
    pairs = [metric.name for metric in chosen if getattr(metric, "pair", False)]
    if pairs:
        msg = f"{', '.join(pairs)} compares two symbols; a window holds one symbol"
        raise ConfigError(msg)
    return chosen


def compare(
    root: Path,
    *,
    a: Window | str,
    b: Window | str,
    metrics: list[str | Metric] | None = None,
    out: Path | None = None,
    progress: ProgressCallback | None = None,
) -> CompareResult:
    """Run the metrics with window ``a`` as the reference and ``b`` as the candidate.

    ``a`` and ``b`` are :class:`Window` objects or ``SOURCE:SYMBOL:START:END`` text; ``metrics``
    names or instances (default :data:`WINDOW_METRICS`); ``out`` a folder for ``compare.json``;
    ``progress`` receives a :class:`~rlx_lib.results.Progress` per metric.
    """
    root, first, second = Path(root), _window(a), _window(b)
    chosen = _chosen(metrics)
    aligned = _aligned(root, first, second)
    rows, timings = [], {}
    for done, metric in enumerate(chosen, start=1):
        began = time.perf_counter()
        found = metric.compute(aligned)
        timings[metric.name] = time.perf_counter() - began
        rows.append(MetricRecord.measured(first.symbol, metric, found))
        if progress is not None:
            text = f"measured {metric.name} in {timings[metric.name]:.1f} s"
            progress(Progress("compare", metric.name, done, len(chosen), text))
    result = CompareResult(rows=tuple(rows), a=first, b=second, aligned=aligned, timings=timings)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        with atomic_path(Path(out) / "compare.json") as temp:
            temp.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
            temp.chmod(0o644)
    return result
