"""Benchmark of acquisition: rows/s from a local S3 server into ``lake/`` with every check,
beside plain ``lakeapi.load_data`` + ``DataFrame.to_parquet`` on the same objects in the same run.

The data is a synthetic ``book_delta_v2`` day (messages of 1-8 rows, prices and sizes on the
1e-8 grid, float-artefact origin times) and a ``book`` day (20 levels a side), uploaded in
Crypto Lake's raw layout to a loopback moto server (a thread of this process). Each figure is
the median of a few repeats, the two paths alternating. The time ratio is taken in CPU seconds
of this process (both paths, and the server feeding them, on the same objects), which a loaded
machine disturbs far less than the wall clock; the wall-clock ratio is printed beside it.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib import schemas
from rlx_lib.acquisition.download import acquire_unit
from rlx_lib.acquisition.result import Unit
from rlx_lib.acquisition.vendor import LakeSource, _configured
from rlx_lib.local.s3 import LocalLake
from rlx_lib.venues.lake import epoch_ns_from_ms_via_float

DAY = dt.date(2024, 8, 8)
START_MS = 1_723_075_200_000


def _times(ms: np.ndarray, delay_ms: np.ndarray) -> list[pl.Series]:
    received = (ms + delay_ms) * 1_000_000 + 250
    return [
        pl.Series("origin_time", epoch_ns_from_ms_via_float(ms)).cast(schemas.TIME),
        pl.Series("received_time", received).cast(schemas.TIME),
    ]


def delta_day(rows: int, seed: int = 3) -> pl.DataFrame:
    """A loaded-style ``book_delta_v2`` day of about ``rows`` rows."""
    rng = np.random.default_rng(seed)
    messages = rows // 4
    per_message = rng.integers(1, 8, messages)
    ms = np.repeat(START_MS + np.cumsum(rng.integers(1, 150, messages)), per_message)
    sequence = np.repeat(4 * 10**10 + np.cumsum(rng.integers(1, 40, messages)), per_message)
    n = len(ms)
    bid = rng.random(n) < 0.5
    delay_ms = np.repeat(rng.integers(1, 30, messages), per_message)
    return pl.DataFrame(
        [
            *_times(ms, delay_ms),
            pl.Series("sequence_number", sequence),
            pl.Series("side_is_bid", bid),
            pl.Series(
                "price", np.where(bid, 63990.0, 64010.0) + rng.integers(-9999, 9999, n) / 100
            ),
            pl.Series("size", rng.integers(0, 10**8, n) / 1e5),
        ]
    )


def book_day(rows: int, seed: int = 4) -> pl.DataFrame:
    """A loaded-style ``book`` day: 20 levels a side, every 100 ms."""
    rng = np.random.default_rng(seed)
    ms = START_MS + 100 * np.arange(1, rows + 1)
    mid = 64000 + np.cumsum(rng.integers(-5, 6, rows)) / 100
    columns = [
        *_times(ms, rng.integers(1, 30, rows)),
        pl.Series("sequence_number", 4 * 10**10 + 10 * np.arange(rows)),
    ]
    for side, sign in (("bid", -1), ("ask", 1)):
        for level in range(schemas.LAKE_BOOK_DEPTH):
            columns.append(
                pl.Series(f"{side}_{level}_price", np.round(mid + sign * (level + 1) / 100, 2))
            )
            columns.append(pl.Series(f"{side}_{level}_size", rng.integers(1, 10**6, rows) / 1e4))
    return pl.DataFrame(columns)


def _median_seconds(actions: list, repeats: int) -> list[tuple[float, float]]:
    """``(wall, cpu)`` median seconds of each action, the actions taking turns."""
    times: list[list[tuple[float, float]]] = [[] for _ in actions]
    for _ in range(repeats):
        for index, action in enumerate(actions):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            times[index].append((time.perf_counter() - wall, time.process_time() - cpu))
    return [
        (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
        for runs in times
    ]


def _paths(source: LakeSource, root: Path, table: str) -> list:
    """The two ways to land one day of ``table``: plain lakeapi + pandas, and an rlx unit."""
    start = dt.datetime.combine(DAY, dt.time())

    def plain() -> None:
        with _configured(source, root / "_cache" / "plain") as lakeapi_main:
            loaded = lakeapi_main.load_data(
                table,
                start,
                start + dt.timedelta(days=1),
                ["BTC-USDT"],
                ["BINANCE"],
                bucket=source.bucket_path,
                boto3_session=source.session,
                use_threads=False,
                drop_partition_cols=True,
                cached=False,
            )
        loaded.to_parquet(root / f"plain-{table}.parquet", index=False)

    def checked() -> None:
        unit = Unit(table=table, symbol="BTC-USDT", day=DAY)
        result = acquire_unit(root / "data", unit, source=source, force=True)
        assert result.status == "written", result.error

    return [plain, checked]


def _figures(table: str, rows: int, baseline: tuple, ours: tuple) -> list[dict]:
    """Rows/s of both paths, their CPU-time ratio and their wall-clock ratio."""
    name = f"{table}: plain lakeapi.load_data + to_parquet"
    return [
        {"figure": name, "value": rows / baseline[0], "unit": "rows/s"},
        {
            "figure": f"{table}: rlx acquire unit (all checks, staged, manifest)",
            "value": rows / ours[0],
            "unit": "rows/s",
            "baseline": name,
            "ratio": ours[1] / baseline[1],
            "target": "CPU-time ratio < 1.2",
        },
        {
            "figure": f"{table}: the same, wall-clock time ratio",
            "value": ours[0] / baseline[0],
            "unit": "ratio",
            "baseline": name,
            "ratio": ours[0] / baseline[0],
        },
    ]


def run(*, quick: bool) -> list[dict]:
    repeats = 3
    frames = {
        "book_delta_v2": delta_day(200_000 if quick else 2_000_000),
        "book": book_day(20_000 if quick else 200_000),
    }
    figures = []
    with tempfile.TemporaryDirectory(prefix="rlx_bench_acquire_") as scratch, LocalLake() as lake:
        root = Path(scratch)
        source = LakeSource(
            endpoint_url=lake.endpoint_url, bucket=lake.bucket_path, session=lake.session()
        )
        for table, frame in frames.items():
            lake.put_frame(table, frame, symbol="BTC-USDT", day=DAY)
            plain, checked = _paths(source, root, table)
            plain()  # the first load pays for imports and connections
            baseline, ours = _median_seconds([plain, checked], repeats)
            figures += _figures(table, frame.height, baseline, ours)
    return figures
