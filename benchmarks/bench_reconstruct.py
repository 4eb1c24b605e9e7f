"""Benchmark of reconstruction: kernel, end to end on one and two cores, peak RSS, and three
anchors on the same data, all in one invocation.

- **Kernel**: the book applies every row and writes the top 20 per side after every message,
  in the pipeline's segments of 20,000 messages (as ``rlx reconstruct`` runs it), per
  CPU-second, median of 3; on the stream below and on an hour of the synthetic market's
  ``high`` regime, whose book keeps thousands of levels far from the touch, as real books do.
- **End to end**: ``reconstruct`` of one day in a fresh process on an empty output folder: read the
  Parquet, apply, write ``events/`` and ``book/`` (depth 20, every message), manifests. It
  runs three times on one thread and three times overlapped (segments encoded and written on
  two more threads while the next is rebuilt), alternating, so a change of load hits both;
  wall-clock medians, their ratio, and each as a share of the kernel's rate. Peak RSS is the
  child's ``VmHWM``. On a loaded machine the wall clock shows the load, not the code: the
  table's title gives the load average.
- **Floors**, on the day just rebuilt, CPU seconds, median of 3: reading the input's Parquet
  with polars, and writing that day's ``events/`` and ``book/`` tables with Arrow's cheapest
  Parquet settings (plain, uncompressed, no statistics, into a sink that keeps nothing). No
  pipeline that reads this input and writes these outputs with Arrow avoids them. The
  *ceiling* is the end-to-end rate two cores would give if the kernel and both floors were split
  evenly between them with nothing else to do: the most a two-core run can reach, as a share
  of the kernel.
- **Anchors**, over the whole stream, per CPU-second: a minimal numba book (one dense array
  per side over the stream's tick range, known up front; best index tracked; top 20 after
  every message; median of 3), the pure-Python ``SortedDict`` book (int prices, top 20 after
  every message, median of 3) and lakeapi's ``OrderBookUpdater`` end to end (its constructor,
  every message, then its bests and their sizes after each; float prices; one run, about 70 s
  on 10M rows). lakeapi has no top-N read, so it does less work than ours. Ratios against
  anchors measured in the same run travel between machines better than absolute rates.

The kernel ratios compare like for like: applying the stream and reading the book after every
message. The end-to-end ratios also count our Parquet read and writes, which no anchor does.
lakeapi is imported inside a temporary folder so its ``.lake_cache/`` stays out of the CWD.

The data is a synthetic ``book_delta_v2`` stream made by a numba generator here: a seed
snapshot, then messages of 1-40 changes, plus the deletes of the levels the mid crossed, 21.7
rows a message on average (the real BTCUSDT capture averages 45.9, median 22); 90% of changes
near the touch, 10% up to 5,000 ticks away, about 30% deletes, the book never crossed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from rlx_lib import catalog, schemas
from rlx_lib.decimals import units_to_decimal
from rlx_lib.reconstruction import L2Book
from rlx_lib.synth.market import simulate

TICK = 1_000_000  # 0.01 in units
DAY = dt.date(2024, 8, 8)
START_NS = int(dt.datetime(2024, 8, 8, tzinfo=dt.UTC).timestamp() * 1e9)


@numba.njit  # not cached: this file is loaded under different module names
def _generate(rows, seed):  # pragma: no cover - compiled
    np.random.seed(seed)
    width = 1 << 18
    book = np.zeros(width, dtype=np.int64)  # sizes by tick; bids below mid, asks at or above
    is_bid = np.empty(rows, dtype=np.bool_)
    price = np.empty(rows, dtype=np.int64)
    size = np.empty(rows, dtype=np.int64)
    sequence = np.empty(rows, dtype=np.int64)
    mid = width // 2
    row = 0
    update_id = 1_000_000
    for offset in range(1, 840):  # seed snapshot block
        for bid in (True, False):
            tick = mid - offset if bid else mid + offset - 1
            book[tick] = np.random.randint(1, 10**9)
            is_bid[row], price[row], size[row], sequence[row] = bid, tick, book[tick], update_id
            row += 1
    while row < rows:
        update_id += np.random.randint(1, 40)
        step = min(max(int(np.random.normal(0.0, 3.0)), -30), 30)
        new_mid = mid + step
        count = np.random.randint(1, 41)
        for tick in range(min(mid, new_mid), max(mid, new_mid)):  # clear what the mid crossed
            if book[tick] != 0 and row < rows:
                book[tick] = 0
                is_bid[row], price[row], size[row] = new_mid < mid, tick, 0
                sequence[row] = update_id
                row += 1
        mid = new_mid
        for _ in range(count):
            if row >= rows:
                break
            bid = np.random.random() < 0.5
            if np.random.random() < 0.9:
                distance = np.random.geometric(0.15)
            else:
                distance = np.random.randint(50, 5000)
            tick = mid - distance if bid else mid + distance - 1
            if book[tick] != 0 and np.random.random() < 0.45:
                book[tick] = 0
            else:
                book[tick] = np.random.randint(1, 10**9)
            is_bid[row], price[row], size[row], sequence[row] = bid, tick, book[tick], update_id
            row += 1
    return is_bid, (price + 6_000_000 - width // 2) * TICK, size * 1000, sequence


def generate(rows: int, seed: int = 7) -> dict[str, np.ndarray]:
    """A synthetic stream; a price appears at most once per side and message (last wins)."""
    is_bid, price, size, sequence = _generate(rows, seed)
    boundary = np.concatenate([[True], sequence[1:] != sequence[:-1]])
    start = np.append(np.flatnonzero(boundary), rows).astype(np.int64)
    return {"is_bid": is_bid, "price": price, "size": size, "sequence": sequence, "start": start}


def write_lake(root: Path, data: dict[str, np.ndarray]) -> None:
    """Write the stream as a Lake ``book_delta_v2`` partition (snapshot rows at epoch 0)."""
    sequence = data["sequence"]
    base = int(dt.datetime(2024, 8, 8, tzinfo=dt.UTC).timestamp() * 1e9)
    message = np.cumsum(np.concatenate([[0], sequence[1:] != sequence[:-1]]))
    received = base + message * 100_000_000
    origin = np.where(message == 0, 0, received - 1_270_000_000)
    frame = pl.DataFrame(
        [
            pl.Series("origin_time", origin).cast(schemas.TIME),
            pl.Series("received_time", received).cast(schemas.TIME),
            pl.Series("sequence_number", sequence),
            pl.Series("side_is_bid", data["is_bid"]),
            pl.Series("price", units_to_decimal(data["price"])),
            pl.Series("size", units_to_decimal(data["size"])),
        ]
    )
    folder = catalog.partition_dir(root, "lake/book_delta_v2", symbol="BTC-USDT", day=DAY)
    catalog.write_parquet(frame, folder / "part-0.parquet", row_group_size=10_000)


def real_shaped(seconds: int) -> dict[str, np.ndarray]:
    """The ``high`` regime of the synthetic market (``rlx_lib.synth``): its opening book as a
    snapshot, then its level changes in 100 ms messages. Unlike :func:`generate`, its book keeps
    levels up to several times the price away, as real books do."""
    truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=seconds, seed=0)
    bids, asks = len(truth.initial_bid_price), len(truth.initial_ask_price)
    bucket = truth.change_time_ns // 100_000_000
    boundary = np.flatnonzero(np.concatenate([[True], bucket[1:] != bucket[:-1]])) + bids + asks
    start = np.concatenate([[0], boundary, [bids + asks + len(bucket)]]).astype(np.int64)
    return {
        "is_bid": np.concatenate([np.repeat([True, False], [bids, asks]), truth.change_is_bid]),
        "price": np.concatenate(
            [truth.initial_bid_price, truth.initial_ask_price, truth.change_price]
        ),
        "size": np.concatenate([truth.initial_bid_size, truth.initial_ask_size, truth.change_size]),
        "start": start,
        "reset": np.arange(len(start) - 1) == 0,
    }


def _head(data: dict[str, np.ndarray], messages: int) -> dict[str, np.ndarray]:
    """The first ``messages`` messages of a stream (to load a compiled function)."""
    rows = int(data["start"][messages])
    return {
        name: values[: messages + 1]
        if name == "start"
        else values[: messages if name == "reset" else rows]
        for name, values in data.items()
    }


def kernel_seconds(data: dict[str, np.ndarray], segment: int = 20_000) -> float:
    """Apply every row, top 20 into arrays after every message, ``segment`` messages a call."""
    book = L2Book()
    start = data["start"]
    messages = len(start) - 1
    reset = data.get("reset", np.zeros(messages, dtype=bool))
    began = time.process_time()
    for lo in range(0, messages, segment):
        hi = min(messages, lo + segment)
        first, last = int(start[lo]), int(start[hi])
        rows = (data[name][first:last] for name in ("is_bid", "price", "size"))
        book.replay(*rows, start[lo : hi + 1] - first, reset[lo:hi], depth=20)
    return time.process_time() - began


@numba.njit  # not cached: this file is loaded under different module names
def _dense_book(is_bid, ticks, size, start, width, depth, out):  # pragma: no cover - compiled
    sizes = np.zeros((2, width), dtype=np.int64)  # by tick index, bids and asks
    best = np.array([-1, width])  # best bid index (highest), best ask index (lowest)
    for m in range(len(start) - 1):
        for r in range(start[m], start[m + 1]):
            side, tick = (0, ticks[r]) if is_bid[r] else (1, ticks[r])
            sizes[side, tick] = size[r]
            step = -1 if side == 0 else 1
            if size[r] != 0:
                if (side == 0 and tick > best[0]) or (side == 1 and tick < best[1]):
                    best[side] = tick
            elif tick == best[side]:
                while 0 <= best[side] < width and sizes[side, best[side]] == 0:
                    best[side] += step
        for side in range(2):
            step = -1 if side == 0 else 1
            tick, found = best[side], 0
            while found < depth and 0 <= tick < width:
                if sizes[side, tick] != 0:
                    out[m, 2 * side, found] = tick
                    out[m, 2 * side + 1, found] = sizes[side, tick]
                    found += 1
                tick += step
            out[m, 2 * side : 2 * side + 2, found:] = 0


def dense_seconds(data: dict[str, np.ndarray]) -> float:
    """The anchor: a minimal numba book, one dense array per side over the stream's tick range
    (known up front), best index tracked, top 20 per side after every message."""
    start = data["start"]
    rows = int(start[-1])
    began = time.process_time()
    low = data["price"][:rows].min()
    ticks = (data["price"][:rows] - low) // TICK
    out = np.empty((len(start) - 1, 4, 20), dtype=np.int64)
    _dense_book(
        data["is_bid"][:rows], ticks, data["size"][:rows], start, int(ticks.max()) + 1, 20, out
    )
    return time.process_time() - began


def sorteddict_seconds(data: dict[str, np.ndarray]) -> float:
    """Pure-Python ``SortedDict`` book, int prices, top 20 after every message."""
    from sortedcontainers import SortedDict

    start = data["start"]
    messages, rows = len(start) - 1, int(start[-1])
    began = time.process_time()
    is_bid = data["is_bid"][:rows].tolist()
    price = data["price"][:rows].tolist()
    size = data["size"][:rows].tolist()
    bounds = start.tolist()
    bids, asks = SortedDict(), SortedDict()
    out = np.zeros((messages, 4, 20), dtype=np.int64)
    for m in range(messages):
        for r in range(bounds[m], bounds[m + 1]):
            side, key = (bids, -price[r]) if is_bid[r] else (asks, price[r])
            if size[r] == 0:
                side.pop(key, None)
            else:
                side[key] = size[r]
        for index, side in enumerate((bids, asks)):
            keys = side.keys()[:20]
            out[m, 2 * index, : len(keys)] = keys
            out[m, 2 * index + 1, : len(keys)] = side.values()[:20]
    return time.process_time() - began


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """Run a block in ``path``: importing lakeapi creates ``.lake_cache/`` in the CWD."""
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def lakeapi_seconds(data: dict[str, np.ndarray]) -> float:
    """lakeapi's ``OrderBookUpdater`` end to end: constructor, every message, bests and sizes.

    Its input is the pandas frame ``lakeapi.load_data`` gives (float prices); building that
    frame is not timed, its JIT is loaded first on a small frame.
    """
    import pandas as pd
    from lakeapi.orderbook import OrderBookUpdater

    frame = pd.DataFrame(
        {
            "received_time": pd.to_datetime(data["sequence"] * 1000),
            "sequence_number": data["sequence"],
            "side_is_bid": data["is_bid"],
            "price": data["price"] / 1e8,
            "size": data["size"] / 1e8,
        }
    )
    OrderBookUpdater(frame.head(2000)).process_next_update()  # load its JIT
    messages = len(data["start"]) - 1
    out = np.zeros((messages, 4))
    began = time.process_time()
    updater = OrderBookUpdater(frame)
    for message in range(messages):
        updater.process_next_update()
        bid, ask = updater.get_bests()
        out[message] = bid, updater.bid[bid], ask, updater.ask[ask]
    return time.process_time() - began


_CHILD = """
import datetime as dt, json, resource, shutil, sys, time
from pathlib import Path
from rlx_lib.reconstruction import reconstruct
DAY = dt.date(2024, 8, 8)
def rebuild(root, **options):
    result = reconstruct(root, source="lake", symbols=["BTC-USDT"], start=DAY,
                         end=DAY + dt.timedelta(days=1), force=True, **options)
    if not result.ok:
        raise SystemExit(result.failed[0].error)
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
root = Path(sys.argv[1])
rebuild(Path(sys.argv[2]))  # load the JIT cache on a tiny day
for name in ("events", "book", "drift", "issues", "_checkpoints"):  # a previous run's output
    shutil.rmtree(root / name, ignore_errors=True)
began, wall = cpu(), time.perf_counter()
rebuild(root, overlap=sys.argv[3] == "overlap")
seconds, wall = cpu() - began, time.perf_counter() - wall
# VmHWM, not ru_maxrss: ru_maxrss keeps the forking parent's peak across exec
status = Path("/proc/self/status").read_text().splitlines()
rss = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
print(json.dumps({"seconds": seconds, "wall": wall, "rss_mb": rss}))
"""


def end_to_end(root: Path, warm: Path, *, overlap: bool) -> dict:
    """One day's ``reconstruct`` in a fresh process (after a tiny warm-up day), for CPU time, wall
    time and RSS; ``overlap``: segments written on two more threads, else all on one."""
    mode = "overlap" if overlap else "one-thread"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), str(warm), mode],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _end_to_end_runs(root: Path, warm: Path, repeats: int) -> dict[bool, list[dict]]:
    """Alternate one-thread and overlapped runs, so load changes hit both alike."""
    runs: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(repeats):
        for overlap in (False, True):
            runs[overlap].append(end_to_end(root, warm, overlap=overlap))
    return runs


def _anchor_rates(data: dict[str, np.ndarray], folder: Path) -> dict[str, float]:
    """Level updates/s of the three anchors over the whole stream."""
    rows = int(data["start"][-1])
    dense_seconds(_head(data, 3))  # JIT
    rates = {"dense": rows / statistics.median(dense_seconds(data) for _ in range(3))}
    rates["sorteddict"] = rows / statistics.median(sorteddict_seconds(data) for _ in range(3))
    with _working_directory(folder):  # keep lakeapi's .lake_cache/ out of the CWD
        rates["lakeapi"] = rows / lakeapi_seconds(data)
    return rates


def _segments(table: pa.Table, count: int) -> list[pa.Table]:
    step = -(-table.num_rows // count)
    return [table.slice(i, step).combine_chunks() for i in range(0, table.num_rows, step)]


def _write_floor(tables: list[pa.Table], segments: int) -> float:
    """CPU seconds to write ``tables`` with Arrow's cheapest Parquet settings (plain,
    uncompressed, no statistics, into a sink that keeps nothing; dictionaries only for the
    enum columns, which are dictionary arrays already), a row group per pipeline segment."""
    pieces = [(table.schema, _segments(table, segments)) for table in tables]
    began = time.process_time()
    for schema, parts in pieces:
        with pq.ParquetWriter(
            pa.MockOutputStream(),  # counts the bytes, keeps none
            schema,
            compression="none",
            use_dictionary=[f.name for f in schema if pa.types.is_dictionary(f.type)],
            write_statistics=False,
            store_decimal_as_integer=True,
        ) as writer:
            for part in parts:
                writer.write_table(part, row_group_size=part.num_rows)
    return time.process_time() - began


def floor_seconds(root: Path, messages: int) -> dict[str, float]:
    """The two costs every pipeline pays on the day just rebuilt, CPU seconds, median of 3:
    reading the input's columns from its Parquet, and writing its ``events/`` and ``book/``
    tables at the cheapest settings Arrow has."""
    lake = next((root / "lake" / "book_delta_v2").rglob("*.parquet"))
    outputs = [
        pq.read_table(next((root / name).rglob("part-lake.parquet"))) for name in ("events", "book")
    ]
    segments = -(-messages // 20_000)

    def read() -> float:
        began = time.process_time()
        pl.read_parquet(lake)
        return time.process_time() - began

    return {
        "read": statistics.median(read() for _ in range(3)),
        "write": statistics.median(_write_floor(outputs, segments) for _ in range(3)),
    }


def _figure(figure: str, value: float, unit: str, **extra: object) -> dict:
    return {"figure": figure, "value": value, "unit": unit, **extra}


class _Measured(NamedTuple):
    """What one invocation measured (rates in level updates or rows per second)."""

    rows: int
    messages: int
    kernel: float
    shaped_rows: int
    shaped: float
    wall: dict[bool, float]  # end to end by overlap
    cpu: float  # end to end, overlapped, per CPU-second
    rss: dict[bool, float]  # MB by overlap
    anchors: dict[str, float]
    floor: dict[str, float]  # CPU seconds: reading the input, writing the outputs


def measure(*, quick: bool) -> _Measured:
    """Run the kernel, the end-to-end runs and the anchors on the same stream."""
    rows = 1_000_000 if quick else 10_000_000
    data = generate(rows)
    kernel_seconds(_head(data, 3))  # JIT
    kernel = rows / statistics.median(kernel_seconds(data) for _ in range(3))
    shaped = real_shaped(600 if quick else 3600)
    shaped_rows = int(shaped["start"][-1])
    shaped_rate = shaped_rows / statistics.median(kernel_seconds(shaped) for _ in range(3))
    with tempfile.TemporaryDirectory() as folder:
        root, warm = Path(folder) / "day", Path(folder) / "warm"
        write_lake(root, data)
        write_lake(warm, generate(20_000))
        runs = _end_to_end_runs(root, warm, 3)
        floor = floor_seconds(root, len(data["start"]) - 1)
        anchors = _anchor_rates(data, Path(folder))
    return _Measured(
        rows=rows,
        messages=len(data["start"]) - 1,
        kernel=kernel,
        shaped_rows=shaped_rows,
        shaped=shaped_rate,
        wall={o: rows / statistics.median(r["wall"] for r in runs[o]) for o in runs},
        cpu=rows / statistics.median(r["seconds"] for r in runs[True]),
        rss={o: statistics.median(r["rss_mb"] for r in runs[o]) for o in runs},
        anchors=anchors,
        floor=floor,
    )


_UPDATES = "level updates/s"


def _own_figures(m: _Measured) -> list[dict]:
    """Kernel and end-to-end figures."""
    return [
        _figure("input rows (book_delta_v2)", m.rows, "rows"),
        _figure("messages", m.messages, "messages"),
        _figure("kernel, top 20 after every message", m.kernel, _UPDATES, target=">= 20M"),
        _figure(
            f"kernel on {m.shaped_rows:,} rows of the synthetic high regime (far levels)",
            m.shaped,
            _UPDATES,
            target=">= 20M",
        ),
        _figure(
            "end to end, two cores (read, apply, write events+book, depth 20; wall clock)",
            m.wall[True],
            "rows/s",
            baseline="kernel",
            ratio=m.wall[True] / m.kernel,
            target="ratio >= 0.5",
        ),
        _figure(
            "end to end, one thread (wall clock)",
            m.wall[False],
            "rows/s",
            baseline="kernel",
            ratio=m.wall[False] / m.kernel,
        ),
        _figure(
            "two cores vs one thread, end to end",
            m.wall[True],
            "rows/s",
            baseline="end to end, one thread",
            ratio=m.wall[True] / m.wall[False],
        ),
        _figure(
            "end to end per CPU-second (all threads)",
            m.cpu,
            "rows/s",
            baseline="kernel",
            ratio=m.cpu / m.kernel,
        ),
        _figure("end to end peak RSS, one thread", m.rss[False], "MB"),
        _figure(
            "end to end peak RSS, two cores",
            m.rss[True],
            "MB",
            baseline="one thread",
            ratio=m.rss[True] / m.rss[False],
            target="<= 1.1",
        ),
    ]


def _anchor_figures(m: _Measured) -> list[dict]:
    """The anchors and our rates against them."""
    anchors, kernel, wall = m.anchors, m.kernel, m.wall[True]
    figures = [
        _figure("anchor: minimal dense-tick numba book, top 20", anchors["dense"], _UPDATES),
        _figure("anchor: pure-Python SortedDict, top 20", anchors["sorteddict"], _UPDATES),
        _figure("anchor: lakeapi updater, bests and sizes only", anchors["lakeapi"], _UPDATES),
    ]
    against = (
        ("dense", "dense-tick numba book", ">= 0.8"),
        ("sorteddict", "pure-Python SortedDict", ">= 30x"),
        ("lakeapi", "lakeapi OrderBookUpdater", ">= 100x"),
    )
    titles = {
        "dense": "dense-tick numba book",
        "sorteddict": "SortedDict",
        "lakeapi": "lakeapi updater",
    }
    for key, baseline, target in against:
        ratio = kernel / anchors[key]
        figures.append(
            _figure(
                f"kernel vs {titles[key]}",
                kernel,
                _UPDATES,
                baseline=baseline,
                ratio=ratio,
                target=target,
            )
        )
    for key, baseline, _ in against[1:]:
        figures.append(
            _figure(
                f"end to end (two cores) vs {titles[key]}",
                wall,
                "rows/s",
                baseline=baseline,
                ratio=wall / anchors[key],
                target="(also writes)",
            )
        )
    return figures


def _floor_figures(m: _Measured) -> list[dict]:
    """What no pipeline avoids, and the best end to end two cores allow with only that."""
    kernel_seconds = m.rows / m.kernel
    ceiling = 2 * m.rows / (kernel_seconds + m.floor["read"] + m.floor["write"])
    return [
        _figure("floor: read the input from Parquet (CPU)", m.floor["read"], "s"),
        _figure(
            "floor: write events+book as plain, uncompressed Parquet (Arrow, CPU)",
            m.floor["write"],
            "s",
            baseline="kernel",
            ratio=m.floor["write"] / kernel_seconds,
        ),
        _figure(
            "ceiling, two cores: kernel + both floors split evenly, nothing else",
            ceiling,
            "rows/s",
            baseline="kernel",
            ratio=ceiling / m.kernel,
        ),
    ]


def run(*, quick: bool) -> list[dict]:
    """Figures: kernel, end to end on one and two cores, peak RSS, floors, anchors and ratios."""
    measured = measure(quick=quick)
    return _own_figures(measured) + _floor_figures(measured) + _anchor_figures(measured)


if __name__ == "__main__":
    for figure in run(quick="--quick" in sys.argv):
        print(figure)
