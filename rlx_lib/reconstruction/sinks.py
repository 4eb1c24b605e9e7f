"""Sinks: Arrow tables for ``events/``, ``book/``, ``drift/``, ``issues/`` and ``trades/``, written
as segments and joined into one atomic Parquet file per dataset.

A symbol-day is written as numbered segment files (one per checkpoint interval) under a work
folder; when the day is complete they are joined, row group by row group, into
``<root>/<dataset>/exchange=../symbol=../dt=../part-<source>.parquet`` (zstd, Decimal(18, 8)
stored as int64) through a temporary file and a rename, and the partition's manifest records
the inputs' checksums and the row counts. ``events`` skip the segment files: a
:class:`ParquetSink` writes their row groups as they come. Because segment boundaries depend
only on the input, a resumed run writes the same bytes as an uninterrupted one.

Encodings are chosen for write speed at a similar size: zstd level 1, dictionaries only for
enums and prices, sizes byte-stream-split, ``sequence`` delta-encoded, min/max statistics only
on clocks and ids.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from rlx_lib import catalog, schemas
from rlx_lib.decimals import units_to_decimal
from rlx_lib.errors import OverwriteError

__all__ = [
    "ParquetSink",
    "book_table",
    "copy_segments",
    "drift_table",
    "events_table",
    "issues_table",
    "join_segments",
    "output_path",
    "segment_path",
    "trades_table",
    "write_segment",
]

_NULL_TIME = np.iinfo(np.int64).min
_TIME_TYPE = pa.timestamp("ns", tz="UTC")


def _time(values: np.ndarray) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    valid = values != _NULL_TIME
    return pa.Array.from_buffers(
        _TIME_TYPE,
        len(values),
        [
            None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little")),
            pa.py_buffer(values),
        ],
        null_count=int(len(values) - valid.sum()),
    )


def _int(values: np.ndarray, *, null: int | None = None) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=np.int64)
    mask = None if null is None else values == null
    return pa.array(values, type=pa.int64(), mask=mask)


def arrow_schema(schema: pl.Schema) -> pa.Schema:
    """The Arrow schema polars reads back as ``schema`` (enums keep their metadata), with
    decimals as ``decimal64`` so Parquet stores them as int64."""
    return _arrow_schema(tuple(schema.items()))


def _required(names: list[str]) -> frozenset[str]:
    """Columns the writers here never leave null, declared non-nullable in Parquet (cheaper
    to encode: no definition levels). Every other column stays nullable."""
    if names == list(schemas.EVENTS):
        return frozenset({"source", "sequence", "kind", "side_is_bid", "price", "size"})
    if names == list(schemas.TRADES):
        return frozenset(schemas.TRADES)
    if names[: len(schemas.BOOK_STATE_KEYS)] == list(schemas.BOOK_STATE_KEYS):  # book, drift
        return frozenset({"source", "update_id"})
    return frozenset()


@functools.lru_cache(maxsize=64)
def _arrow_schema(columns: tuple) -> pa.Schema:
    required = _required([name for name, _ in columns])
    fields = []
    for item in pl.DataFrame(schema=dict(columns)).to_arrow().schema:
        kind = item.type
        if pa.types.is_decimal(kind):
            item = item.with_type(pa.decimal64(kind.precision, kind.scale))
        fields.append(item.with_nullable(item.name not in required))
    return pa.schema(fields)


def _enum(codes: np.ndarray, schema: pa.Schema, name: str) -> pa.Array:
    kind = schema.field(name).type
    values = pa.array(_ENUMS[name], kind.value_type)
    indices = pa.array(np.ascontiguousarray(codes, dtype=np.uint8), kind.index_type)
    return pa.DictionaryArray.from_arrays(indices, values, ordered=kind.ordered)


_STATISTICS = ("origin_time", "received_time", "sequence", "update_id", "trade_id")
"""Columns with min/max statistics in Parquet (for pruning); prices and sizes skip them."""
_ENUMS = {"source": list(schemas.SOURCES), "kind": list(schemas.EVENT_KINDS)}


def _encodings(schema: pa.Schema) -> dict[str, str]:
    """Cheap encodings that zstd then compresses well: ``sequence`` delta-encoded, sizes
    byte-stream-split; prices are dictionary-encoded (few distinct values: both smaller and
    faster to write than plain); every other column plain."""
    encodings = {}
    for name in schema.names:
        if name == "sequence":
            encodings[name] = "DELTA_BINARY_PACKED"
        elif name.endswith("size"):
            encodings[name] = "BYTE_STREAM_SPLIT"
    return encodings


def _frame(columns: dict[str, pa.Array | np.ndarray], schema: pl.Schema) -> pa.Table:
    target = arrow_schema(schema)
    arrays = [
        _enum(columns[name], target, name) if name in _ENUMS else columns[name] for name in schema
    ]
    return pa.Table.from_arrays(arrays, schema=target)


def _keys(source: str, origin_ns: np.ndarray, received_ns: np.ndarray) -> dict[str, Any]:
    """The columns every reconstruction row starts with: ``source`` and the two clocks."""
    code = np.full(len(origin_ns), schemas.SOURCES.index(source), dtype=np.uint8)
    return {"source": code, "origin_time": _time(origin_ns), "received_time": _time(received_ns)}


def events_table(columns: dict[str, np.ndarray], *, source: str) -> pa.Table:
    """``EVENTS`` rows from arrays: kind codes 0 snapshot, 1 delta, 2 trade; -1 ids are null."""
    is_trade = columns["kind"] == 2
    return _frame(
        {
            **_keys(source, columns["origin_ns"], columns["received_ns"]),
            "sequence": _int(columns["sequence"]),
            "kind": columns["kind"],
            "update_id": pa.array(columns["update_id"], pa.int64(), mask=is_trade),
            "first_update_id": _int(columns["first_update_id"], null=-1),
            "trade_id": pa.array(columns["trade_id"], pa.int64(), mask=~is_trade),
            "side_is_bid": pa.array(columns["is_bid"], pa.bool_()),
            "price": units_to_decimal(columns["price"]),
            "size": units_to_decimal(columns["size"]),
        },
        schemas.EVENTS,
    )


def trades_table(columns: dict[str, np.ndarray], *, source: str) -> pa.Table:
    """``TRADES`` rows from :class:`~rlx_lib.reconstruction.replay.DayInput`'s trade arrays."""
    return _frame(
        {
            **_keys(source, columns["trade_origin_ns"], columns["trade_received_ns"]),
            "trade_id": _int(columns["trade_id"]),
            "side_is_bid": pa.array(columns["trade_buy"], pa.bool_()),
            "price": units_to_decimal(columns["trade_price"]),
            "size": units_to_decimal(columns["trade_size"]),
        },
        schemas.TRADES,
    )


def book_table(columns: dict[str, np.ndarray], *, source: str, depth: int) -> pa.Table:
    """``book_state_schema(depth)`` rows; a level with size 0 is absent (null)."""
    arrays = {
        **_keys(source, columns["origin_ns"], columns["received_ns"]),
        "update_id": _int(columns["update_id"]),
    }
    for side in ("bid", "ask"):  # levels as rows: one transposing copy, then contiguous slices
        prices = np.ascontiguousarray(columns[f"{side}_price"].T)
        sizes = np.ascontiguousarray(columns[f"{side}_size"].T)
        valid = sizes != 0
        for level in range(depth):
            arrays[f"{side}_{level}_price"] = units_to_decimal(prices[level], valid[level])
            arrays[f"{side}_{level}_size"] = units_to_decimal(sizes[level], valid[level])
    return _frame(arrays, schemas.book_state_schema(depth))


def drift_table(columns: dict[str, np.ndarray], *, source: str) -> pa.Table:
    """``schemas.DRIFT`` rows from arrays."""
    return _frame(
        {
            **_keys(source, columns["origin_ns"], columns["received_ns"]),
            "update_id": _int(columns["update_id"]),
            "levels_differ": pa.array(columns["levels_differ"], pa.int32()),
            "size_error": units_to_decimal(columns["size_error"]),
        },
        schemas.DRIFT,
    )


def issues_table(rows: list[dict]) -> pa.Table:
    """``ISSUE`` rows from dicts (times as int ns; missing keys are null)."""
    frame = pl.DataFrame(
        [{name: row.get(name) for name in schemas.ISSUE} for row in rows],
        schema={n: (pl.Int64 if t == schemas.TIME else pl.String) for n, t in schemas.ISSUE.items()}
        | {"position": pl.Int64, "update_id": pl.Int64},
    )
    frame = frame.with_columns(
        pl.when(pl.col("origin_time") == _NULL_TIME)
        .then(None)
        .otherwise(pl.col("origin_time"))
        .alias("origin_time")
    )
    return frame.cast(dict(schemas.ISSUE)).to_arrow()


def segment_path(work: Path, dataset: str, index: int) -> Path:
    """``<work>/<dataset>-<index>.arrow``."""
    return Path(work) / f"{dataset}-{index:05d}.arrow"


def write_segment(table: pa.Table, path: Path) -> None:
    """Write one segment atomically as uncompressed Arrow IPC (read once by the join)."""
    with (
        catalog.atomic_path(path) as temp,
        pa.OSFile(str(temp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table)


def output_path(root: Path, dataset: str, *, source: str, symbol: str, day: object) -> Path:
    """Final file of a dataset for one source and symbol-day."""
    folder = catalog.partition_dir(root, dataset, symbol=symbol, day=day)
    name = f"part-reconstruction-{source}.parquet" if dataset == "issues" else f"part-{source}"
    return folder / (name if name.endswith(".parquet") else f"{name}.parquet")


def _parquet_writer(path: Path, schema: pa.Schema) -> pq.ParquetWriter:
    return pq.ParquetWriter(
        path,
        schema,
        compression="zstd",
        compression_level=1,
        use_dictionary=[n for n in schema.names if n in _ENUMS or n.endswith("price")],
        column_encoding=_encodings(schema),
        write_statistics=[n for n in schema.names if n in _STATISTICS],
        store_decimal_as_integer=True,
        write_batch_size=1 << 16,  # fewer, larger encoder calls (the default is 1024 values)
    )


def _publish(built: Path, target: Path, *, force: bool) -> None:
    """Move a finished file into ``target`` with one rename (same bytes: a no-op in effect).

    ``built`` sits in the work folder on the same filesystem, so the rename is atomic; renaming
    onto a fresh name also spares ext4 the flush it forces when a rename replaces a file.
    """
    if target.exists() and not force:
        if catalog.file_sha256(target) != catalog.file_sha256(built):
            msg = f"{target} exists with different content; rerun with --force to replace it"
            raise OverwriteError(msg)
        built.unlink()
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(built, target)


class ParquetSink:
    """A dataset written straight to Parquet, one row group per segment, in the work folder.

    Used for ``events/``, which depends on the input alone: a resumed run re-derives the
    events of the segments finished before the crash, so nothing is spooled for it.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = _parquet_writer(self._path, schema)
        self.schema = schema
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append ``table`` as one row group (nothing when empty)."""
        if table.num_rows:
            self._writer.write_table(table, row_group_size=table.num_rows)
            self.rows += table.num_rows

    def publish(self, target: Path, *, force: bool) -> int:
        """Close the file and move it to ``target`` atomically; return the row count."""
        self._writer.close()
        _publish(self._path, target, force=force)
        return self.rows


def copy_segments(work: Path, dataset: str, segments: int, sink: ParquetSink) -> None:
    """Write the spooled segments ``0..segments-1`` of ``dataset`` that exist to ``sink``."""
    for index in range(segments):
        path = segment_path(work, dataset, index)
        if path.exists():
            with pa.memory_map(str(path)) as source:
                sink.write(pa.ipc.open_file(source).read_all().cast(sink.schema))


def join_segments(
    work: Path, dataset: str, segments: int, target: Path, schema: pa.Schema, *, force: bool
) -> int:
    """Join segments ``0..segments-1`` into ``target`` atomically; return the row count."""
    sink = ParquetSink(Path(work) / f"{dataset}.parquet.partial", schema)
    copy_segments(work, dataset, segments, sink)
    return sink.publish(target, force=force)
