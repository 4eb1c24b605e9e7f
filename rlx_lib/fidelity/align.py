"""Alignment of a candidate (vendor) reconstruction with its reference (live), built once.

The reference is the order book rebuilt from golden samples through the Binance sync
procedure (``part-golden.parquet``); the candidate is the book rebuilt from the vendor's
``lake/`` tables (``part-lake.parquet``). Both come from the ``book/`` and ``events/``
datasets. Book states are joined on the Binance update id ``u``, never on receive time; trades
are compared as aggregate trades keyed by (exchange time in ms, price, taker side), because
Crypto Lake's trades are aggTrades while a live capture may hold single fills.

Resync periods come from the reference messages: a snapshot starts a period, a gap (a diff
whose ``U`` is not the previous ``u + 1``) ends it. States outside a period are not compared.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib.catalog import day_range, partition_dir, validate_symbol
from rlx_lib.errors import DataRangeError, SchemaError

__all__ = ["GRID_NS", "Aligned", "BookPair", "align", "align_frames", "input_files"]

log = logging.getLogger(__name__)

GRID_NS = 100_000_000
"""Spacing of the exchange-time grid on which mid, spread and order-flow imbalance are compared."""

MISSING = -1
"""Level value standing for an empty level (null in ``book/``) in the int64 arrays."""

_MS = 1_000_000


@dataclass(frozen=True)
class BookPair:
    """Book states of both sides at every update id the two share, as int64 units.

    ``reference`` and ``candidate`` have shape ``(states, 2, depth, 2)``: side (bid, ask), level,
    (price, size); an empty level holds :data:`MISSING`.
    """

    update_id: np.ndarray
    period: np.ndarray  # resync period of each state; -1 outside every period
    origin_ns: np.ndarray  # reference exchange time of each state
    reference: np.ndarray
    candidate: np.ndarray

    @property
    def depth(self) -> int:
        """Levels per side held by both sides."""
        return int(self.reference.shape[2])

    def select(self, mask: np.ndarray) -> BookPair:
        """The states where ``mask`` holds."""
        return BookPair(
            self.update_id[mask],
            self.period[mask],
            self.origin_ns[mask],
            self.reference[mask],
            self.candidate[mask],
        )


@dataclass(frozen=True)
class Aligned:
    """Everything the metrics compare, built once per symbol and window.

    Attributes
    ----------
    books
        States both sides hold, joined on update id (inside and outside resync periods).
    reference_messages, candidate_messages
        One row per depth message: ``update_id``, ``first_update_id``, ``kind``, ``origin_ns``,
        ``received_ns`` (and ``period`` on the reference).
    reference_trades, candidate_trades
        Aggregate trades: ``origin_ms``, ``price``, ``is_buy``, ``quantity`` (int64 units),
        ``received_ns``, ``count`` (fills merged).
    reference_grid, candidate_grid
        The 100 ms exchange-time grid: ``grid_ns``, ``bid``, ``ask``, ``bid_size``, ``ask_size``
        (int64 units of the last state at or before the grid time) and ``ofi`` (order-flow
        imbalance summed over the interval ending there).
    periods
        One row per resync period: ``period``, ``first_update_id``, ``last_update_id``,
        ``start_ns``, ``end_ns``, ``messages``, ``ended_by`` ("gap": ids were lost before the
        next snapshot; "resync": a snapshot without lost ids; "end": the last period).
    reference_events, candidate_events
        The ``events/`` rows themselves (level changes and fills), for metrics that read
        order-level behaviour (patterns, multivariate Hawkes); None when not kept.
    reference_single_trades
        The live capture's single fills (``trades/`` rows, one per ``@trade``), which
        ``events/`` does not hold when the capture also recorded ``@aggTrade``; None when the
        window has none (a capture without ``@trade``).
    same_window
        True when both sides are one window seen twice (vendor and live); False for two
        different windows (``compare``): metrics then measure each side over its own span.
    """

    symbol: str
    books: BookPair
    reference_messages: pl.DataFrame
    candidate_messages: pl.DataFrame
    reference_trades: pl.DataFrame
    candidate_trades: pl.DataFrame
    reference_grid: pl.DataFrame
    candidate_grid: pl.DataFrame
    periods: pl.DataFrame
    reference_events: pl.DataFrame | None = None
    candidate_events: pl.DataFrame | None = None
    same_window: bool = True
    reference_single_trades: pl.DataFrame | None = None

    def for_period(self, period: int) -> Aligned:
        """The same alignment restricted to one resync period (books and messages)."""
        return Aligned(
            self.symbol,
            self.books.select(self.books.period == period),
            self.reference_messages.filter(pl.col("period") == period),
            self.candidate_messages,
            self.reference_trades,
            self.candidate_trades,
            self.reference_grid,
            self.candidate_grid,
            self.periods.filter(pl.col("period") == period),
            self.reference_events,
            self.candidate_events,
            self.same_window,
            self.reference_single_trades,
        )


def input_files(
    root: Path, symbol: str, start: str | dt.date, end: str | dt.date
) -> dict[str, list[Path]]:
    """The ``book/`` and ``events/`` files of both sources for a symbol and day range, and the
    live side's ``trades/`` files (``trades/golden``: empty unless every day with live
    ``events/`` has one, so a window is never fed single fills for only some of its days)."""
    validate_symbol(symbol)
    files: dict[str, list[Path]] = {}
    for dataset in ("book", "events"):
        for source in ("golden", "lake"):
            key = f"{dataset}/{source}"
            files[key] = [
                partition_dir(root, dataset, symbol=symbol, day=day) / f"part-{source}.parquet"
                for day in day_range(start, end)
            ]
            files[key] = [path for path in files[key] if path.is_file()]
            if not files[key]:
                msg = (
                    f"no {dataset}/ data from source {source!r} for {symbol} in [{start}, {end}); "
                    f"run `rlx reconstruct --source {source} --symbols {symbol} "
                    f"--start {start} --end {end}` first"
                )
                raise DataRangeError(msg)
    trades = [
        partition_dir(root, "trades", symbol=symbol, day=day) / "part-golden.parquet"
        for day in day_range(start, end)
    ]
    trades = [path for path in trades if path.is_file()]
    files["trades/golden"] = trades if len(trades) == len(files["events/golden"]) else []
    return files


def align(root: Path, symbol: str, start: str | dt.date, end: str | dt.date) -> Aligned:
    """Read both reconstructions of ``symbol`` over ``[start, end)`` and align them."""
    files = input_files(root, symbol, start, end)
    frames = {key: pl.read_parquet(paths) for key, paths in files.items() if paths}
    return align_frames(
        symbol,
        reference_book=frames["book/golden"],
        candidate_book=frames["book/lake"],
        reference_events=frames["events/golden"],
        candidate_events=frames["events/lake"],
        reference_single_trades=frames.get("trades/golden"),
    )


def align_frames(
    symbol: str,
    *,
    reference_book: pl.DataFrame,
    candidate_book: pl.DataFrame,
    reference_events: pl.DataFrame,
    candidate_events: pl.DataFrame,
    same_window: bool = True,
    reference_single_trades: pl.DataFrame | None = None,
) -> Aligned:
    """Align frames following ``BOOK_STATE`` and ``EVENTS`` (the ``source`` column is ignored).

    ``same_window``: both sides are one window seen twice, so the 100 ms grids are cut to the
    span they share; two different windows (``compare``) keep each grid whole.
    ``reference_single_trades``: the live side's ``TRADES`` rows, when there are any.
    """
    reference_messages = _messages(reference_events)
    reference_messages, periods = _periods(reference_messages)
    books = _book_pair(reference_book, candidate_book, reference_messages)
    reference_grid, candidate_grid = _grid(reference_book), _grid(candidate_book)
    if same_window:
        reference_grid, candidate_grid = _shared_span(reference_grid, candidate_grid)
    return Aligned(
        symbol=symbol,
        books=books,
        reference_messages=reference_messages,
        candidate_messages=_messages(candidate_events),
        reference_trades=_aggregate_trades(reference_events),
        candidate_trades=_aggregate_trades(candidate_events),
        reference_grid=reference_grid,
        candidate_grid=candidate_grid,
        periods=periods,
        reference_events=reference_events,
        candidate_events=candidate_events,
        same_window=same_window,
        reference_single_trades=reference_single_trades,
    )


def _ns(column: str) -> pl.Expr:
    return pl.col(column).dt.epoch("ns")


def _units(column: str) -> pl.Expr:
    """Decimal(18, 8) as int64 units, exactly (the decimal's integer representation)."""
    return (pl.col(column) * 100_000_000).cast(pl.Int64)


def _messages(events: pl.DataFrame) -> pl.DataFrame:
    """One row per depth message (deltas and snapshots), ordered by update id."""
    return (
        events.filter(pl.col("kind").cast(pl.String).is_in(["delta", "snapshot"]))
        .group_by("update_id", maintain_order=True)
        .agg(
            pl.col("first_update_id").first(),
            pl.col("kind").cast(pl.String).first(),
            _ns("origin_time").first().alias("origin_ns"),
            _ns("received_time").first().alias("received_ns"),
            pl.len().alias("rows"),
        )
        .sort("update_id")
    )


def _periods(messages: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tag each reference message with its resync period; list the periods.

    A snapshot opens a period; a diff whose ``U`` is not the previous ``u + 1`` is a gap and
    closes it. Without any snapshot message (a book seeded elsewhere) the whole run is period 0.
    """
    update = messages["update_id"].to_numpy()
    first = messages["first_update_id"].fill_null(-1).to_numpy()
    is_snapshot = (messages["kind"] == "snapshot").to_numpy()
    index = np.arange(update.size)
    previous = np.concatenate([[-1], update[:-1]])
    after_snapshot = np.concatenate([[True], is_snapshot[:-1]])
    is_gap = (~is_snapshot) & (~after_snapshot) & (first >= 0) & (first != previous + 1)
    if is_snapshot.any():
        period = np.cumsum(is_snapshot) - 1
        last_snapshot = np.maximum.accumulate(np.where(is_snapshot, index, -1))
    else:
        period = np.zeros(update.size, dtype=np.int64)
        last_snapshot = np.zeros(update.size, dtype=np.int64)
    last_gap = np.maximum.accumulate(np.where(is_gap, index, -1))
    valid = (period >= 0) & (last_snapshot > last_gap)
    tagged = messages.with_columns(
        pl.Series("period", np.where(valid, period, -1).astype(np.int32)),
        pl.Series("gap", is_gap),
    )
    inside = tagged.filter(pl.col("period") >= 0)
    listed = (
        inside.group_by("period", maintain_order=True)
        .agg(
            pl.col("update_id").min().alias("first_update_id"),
            pl.col("update_id").max().alias("last_update_id"),
            pl.col("origin_ns").min().alias("start_ns"),
            pl.col("origin_ns").max().alias("end_ns"),
            pl.len().alias("messages"),
        )
        .sort("period")
    )
    gap_after = tagged.filter(pl.col("gap"))["update_id"].to_numpy()
    ended = []
    for row in range(len(listed)):
        last = listed["last_update_id"][row]
        if row == len(listed) - 1:
            ended.append("end")
            continue
        resumed = _first_delta_after(tagged, listed["first_update_id"][row + 1])
        jumped = resumed is not None and resumed > last + 1
        following = listed["first_update_id"][row + 1]
        ended.append("gap" if jumped or _gap_follows(gap_after, last, following) else "resync")
    return tagged.drop("gap"), listed.with_columns(pl.Series("ended_by", ended, pl.String))


def _first_delta_after(messages: pl.DataFrame, snapshot_id: int) -> int | None:
    """``U`` of the first diff after a snapshot (where the stream resumed)."""
    after = messages.filter((pl.col("update_id") > snapshot_id) & (pl.col("kind") == "delta"))
    return None if after.is_empty() else after["first_update_id"][0]


def _gap_follows(gap_after: np.ndarray, last: int, following: int | None) -> bool:
    upper = np.iinfo(np.int64).max if following is None else following
    return bool(np.any((gap_after > last) & (gap_after < upper)))


def _levels(book: pl.DataFrame, depth: int) -> np.ndarray:
    """Wide level columns as ``(states, 2, depth, 2)`` int64 units, :data:`MISSING` for null."""
    columns = [
        f"{side}_{level}_{field}"
        for side in ("bid", "ask")
        for level in range(depth)
        for field in ("price", "size")
    ]
    units = book.select([_units(c).fill_null(MISSING) for c in columns]).to_numpy()
    return np.ascontiguousarray(units.reshape(len(book), 2, depth, 2), dtype=np.int64)


def book_depth(book: pl.DataFrame) -> int:
    """Levels per side in a ``book/`` frame."""
    depth = 0
    while f"bid_{depth}_price" in book.columns:
        depth += 1
    if depth == 0:
        msg = f"book frame has no level columns (bid_0_price, ...); columns: {book.columns[:8]}"
        raise SchemaError(msg)
    return depth


def _book_pair(
    reference: pl.DataFrame, candidate: pl.DataFrame, messages: pl.DataFrame
) -> BookPair:
    depth = min(book_depth(reference), book_depth(candidate))
    reference = reference.unique("update_id", keep="last", maintain_order=True).sort("update_id")
    candidate = candidate.unique("update_id", keep="last", maintain_order=True).sort("update_id")
    shared = reference.join(candidate.select("update_id"), on="update_id", how="semi")
    matched = candidate.join(shared.select("update_id"), on="update_id", how="semi")
    update = shared["update_id"].to_numpy()
    if messages.is_empty():
        period = np.zeros(update.size, dtype=np.int32)
    else:
        ids = messages["update_id"].to_numpy()
        where = np.clip(np.searchsorted(ids, update, side="right") - 1, 0, None)
        period = messages["period"].to_numpy()[where].astype(np.int32)
        period[update < ids[0]] = -1
    return BookPair(
        update_id=update,
        period=period,
        origin_ns=shared.select(_ns("origin_time").fill_null(0))["origin_time"].to_numpy(),
        reference=_levels(shared, depth),
        candidate=_levels(matched, depth),
    )


def _aggregate_trades(events: pl.DataFrame) -> pl.DataFrame:
    """Aggregate trades keyed by (exchange ms, price, taker side), quantities summed exactly.

    Exchange time is rounded to the millisecond, which also undoes the vendor's float artefact.
    """
    return (
        events.filter(pl.col("kind").cast(pl.String) == "trade")
        .with_columns(
            ((_ns("origin_time") + _MS // 2) // _MS).alias("origin_ms"),
            _units("price").alias("price"),
            _units("size").alias("quantity"),
            pl.col("side_is_bid").alias("is_buy"),
            _ns("received_time").alias("received_ns"),
        )
        .group_by(["origin_ms", "price", "is_buy"], maintain_order=True)
        .agg(pl.col("quantity").sum(), pl.col("received_ns").min(), pl.len().alias("count"))
        .sort(["origin_ms", "price", "is_buy"])
    )


def _shared_span(first: pl.DataFrame, second: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both grids cut to the exchange-time span they share.

    The first shared point is left out too: its order-flow interval may hold a state one side
    has and the other does not (a seeding snapshot, a book that started earlier).
    """
    if first.is_empty() or second.is_empty():
        return first.clear(), second.clear()
    low = max(first["grid_ns"].min(), second["grid_ns"].min()) + GRID_NS
    high = min(first["grid_ns"].max(), second["grid_ns"].max())
    span = pl.col("grid_ns").is_between(low, high)
    return first.filter(span), second.filter(span)


def _grid(book: pl.DataFrame) -> pl.DataFrame:
    """Top of book on the 100 ms exchange-time grid and order-flow imbalance per interval.

    Exchange time is rounded to the millisecond first (the vendor's float artefact). The
    order-flow imbalance is Cont, Kukanov and Stoikov's ``e_n`` summed over the states of each
    interval ``(t - 100 ms, t]``.
    """
    top = (
        book.sort("update_id")
        .select(
            ((_ns("origin_time") + _MS // 2) // _MS * _MS).alias("origin_ns"),
            _units("bid_0_price").alias("bid"),
            _units("ask_0_price").alias("ask"),
            _units("bid_0_size").fill_null(0).alias("bid_size"),
            _units("ask_0_size").fill_null(0).alias("ask_size"),
        )
        .drop_nulls(["bid", "ask"])
        .filter(pl.col("origin_ns") > 0)  # vendor REST snapshot rows carry epoch 0
    )
    bid, ask = pl.col("bid"), pl.col("ask")
    bid_size, ask_size = pl.col("bid_size"), pl.col("ask_size")
    flow = (
        pl.when(bid >= bid.shift()).then(bid_size).otherwise(0)
        - pl.when(bid <= bid.shift()).then(bid_size.shift()).otherwise(0)
        - pl.when(ask <= ask.shift()).then(ask_size).otherwise(0)
        + pl.when(ask >= ask.shift()).then(ask_size.shift()).otherwise(0)
    )
    top = top.with_columns(
        flow.fill_null(0).alias("flow"),
        ((pl.col("origin_ns") + GRID_NS - 1) // GRID_NS * GRID_NS).alias("grid_ns"),
    )
    first, last = top["grid_ns"].min(), top["grid_ns"].max()
    points = [] if top.is_empty() else np.arange(first, last + GRID_NS, GRID_NS, dtype=np.int64)
    grid = pl.DataFrame({"grid_ns": pl.Series(points, dtype=pl.Int64)})
    state = top.group_by("grid_ns").agg(
        pl.col("bid", "ask", "bid_size", "ask_size").last(), pl.col("flow").sum().alias("ofi")
    )
    return (
        grid.join(state, on="grid_ns", how="left")
        .sort("grid_ns")
        .with_columns(pl.col("bid", "ask", "bid_size", "ask_size").forward_fill())
        .with_columns(pl.col("ofi").fill_null(0))
    )
