"""The vendor view Crypto Lake would have made from any golden samples, real ones included.

Golden records go through the same collector as the synthetic market
(:class:`~rlx_lib.synth.vendor.LakeRecorder`): depth diffs become ``book_delta_v2`` rows under
the sync rules, REST snapshots become snapshot rows, ``aggTrade`` (or, when a capture has
none, ``trade`` runs grouped by (``T``, price, taker side), the group's first trade id as its
id) become ``trades``, and ``book`` rows come from the collector's exact book. The vendor's
receipt time is ``E`` plus its own latency. Vendor faults (dropped messages, duplicated rows,
off-grid values) are injected at their rates and listed in ``lake/_injected.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import polars as pl

from rlx_lib.catalog import lake_symbol
from rlx_lib.golden import GoldenRecord, ReadReport, golden_files, iter_records
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.synth.faults import VendorFaults, empty_vendor_injected
from rlx_lib.synth.live import MS
from rlx_lib.synth.result import SynthResult, SynthRow
from rlx_lib.synth.vendor import LakeRecorder, float_clock
from rlx_lib.synth.writers import LakeWriter, write_injected
from rlx_lib.venues import market_of_path
from rlx_lib.venues.binance import (
    SPOT,
    AggTrade,
    Market,
    Trade,
    parse_agg_trade,
    parse_depth_snapshot,
    parse_depth_update,
    parse_trade,
    split_stream,
)

__all__ = ["GoldenCollector", "vendor_from_golden"]

log = logging.getLogger(__name__)


class _Latency:
    """The vendor's receipt clock: ``E`` plus a latency that never reorders a stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._last: dict[str, int] = {}
        self.latest = 0

    def received(self, stream: str, event_ms: int) -> int:
        arrival = event_ms * MS + 6 * MS + int(self._rng.gamma(2.0, 1.5 * MS))
        arrival = max(arrival, self._last.get(stream, 0))
        self._last[stream] = arrival
        self.latest = max(self.latest, arrival)
        return int(float_clock(np.asarray([arrival]))[0])


def _aggregate(trades: Iterable[Trade]) -> Iterator[AggTrade]:
    """Group consecutive raw trades by (``T``, price, taker side) into aggregate trades."""
    group: list[Trade] = []
    for trade in trades:
        if group and (
            trade.trade_time != group[0].trade_time
            or trade.price != group[0].price
            or trade.buyer_is_maker != group[0].buyer_is_maker
        ):
            yield _agg(group)
            group = []
        group.append(trade)
    if group:
        yield _agg(group)


def _agg(group: list[Trade]) -> AggTrade:
    first, last = group[0], group[-1]
    return AggTrade(
        event_time=last.event_time,
        trade_time=first.trade_time,
        symbol=first.symbol,
        agg_id=first.trade_id,
        price=first.price,
        quantity=sum(t.quantity for t in group),
        first_trade_id=first.trade_id,
        last_trade_id=last.trade_id,
        buyer_is_maker=first.buyer_is_maker,
    )


class GoldenCollector:
    """The vendor's collector over golden records, any number of symbols, flushed in parts.

    Raw ``trade`` records of a symbol that has no ``aggTrade`` stream are grouped into
    aggregate trades; a group still open at a flush waits for the next part.
    """

    def __init__(self, *, seed: int = 0) -> None:
        self._clock = _Latency(np.random.default_rng([seed, 0x601D]))
        self.recorders: dict[str, LakeRecorder] = {}
        self._trades: dict[str, list[tuple[int, Trade]]] = {}
        self._has_agg: set[str] = set()
        self._names: dict[tuple[str, str], tuple[str, str]] = {}

    def add(self, record: GoldenRecord, market: Market = SPOT) -> None:
        """Take one golden record of ``market`` (capture order)."""
        if record.stream.startswith("_"):
            return
        key = (market.name, record.stream)
        if key not in self._names:
            base = split_stream(record.stream)[0]
            self._names[key] = (
                lake_symbol(base, market=market.name),
                market.classify(record.stream),
            )
        symbol, kind = self._names[key]
        if symbol not in self.recorders:
            self.recorders[symbol] = LakeRecorder(market=market)
        recorder, clock = self.recorders[symbol], self._clock
        if kind == "depth":
            update = parse_depth_update(record.data)
            recorder.depth(clock.received(record.stream, update.event_time), update)
        elif kind == "snapshot":
            received = clock.latest + 1000 if clock.latest else record.capture_ns
            body = parse_depth_snapshot(record.data)
            recorder.snapshot(int(float_clock(np.asarray([received]))[0]), body)
        elif kind == "agg_trade":
            self._has_agg.add(symbol)
            self._trades.pop(symbol, None)
            trade = parse_agg_trade(record.data)
            recorder.agg_trade(clock.received(record.stream, trade.event_time), trade)
        elif kind == "trade" and symbol not in self._has_agg:
            trade = parse_trade(record.data)
            received = clock.received(record.stream, trade.event_time)
            self._trades.setdefault(symbol, []).append((received, trade))

    def flush(self, *, final: bool = False) -> dict[str, dict[str, pl.DataFrame]]:
        """The rows collected since the last flush, per symbol, as loaded-style frames."""
        for symbol, trades in self._trades.items():
            received = {t.trade_id: r for r, t in trades}
            groups = list(_aggregate(t for _, t in trades))
            keep = groups if final else groups[:-1]
            for agg in keep:
                self.recorders[symbol].agg_trade(received[agg.last_trade_id], agg)
            done = keep[-1].last_trade_id if keep else None
            self._trades[symbol] = [(r, t) for r, t in trades if done is None or t.trade_id > done]
        return {symbol: recorder.take_frames() for symbol, recorder in self.recorders.items()}


def vendor_from_golden(
    root: Path,
    *,
    golden: Sequence[Path],
    vendor_faults: VendorFaults | None = None,
    seed: int = 0,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> SynthResult:
    """Write under ``root`` the ``lake/`` tables Crypto Lake would have stored for the golden
    files or folders ``golden``, with ``vendor_faults`` injected at their rates (depth
    messages dropped, ``book_delta_v2`` rows duplicated, values moved off the grid in Lake's
    raw float form), each listed in ``_injected.json``.

    Each file is read as its market's (``exchange=BINANCE_FUTURES`` in its path: USD-M
    futures, under the ``pu`` rule and ``-PERP`` symbols). Files are read one after the other
    and their rows written as they come, so memory stays bounded by one golden file;
    ``progress`` hears of each file read.
    """
    faults = vendor_faults or VendorFaults()
    root = Path(root)
    collector = GoldenCollector(seed=seed)
    writers: dict[str, LakeWriter] = {}
    files = golden_files(golden)
    for number, path in enumerate(files):
        _collect(collector, path)
        for symbol, frames in collector.flush(final=number == len(files) - 1).items():
            if symbol not in writers:
                writers[symbol] = LakeWriter(root, symbol, faults=faults, seed=seed, force=force)
            writers[symbol].add(frames)
        if progress is not None:
            progress(Progress("vendor_from_golden", path.name, number + 1, len(files)))
    return _close(root, writers)


def _collect(collector: GoldenCollector, path: Path) -> None:
    """Every record of one golden file into the collector (a damaged file is logged)."""
    report = ReadReport(str(path))
    market = market_of_path(path)
    for record in iter_records(path, report):
        collector.add(record, market)
    if not report.clean:
        log.warning("%s: %s %s", path, report.truncated or "", report.bad_lines[:3])


def _close(root: Path, writers: dict[str, LakeWriter]) -> SynthResult:
    """Finish every symbol's files and write ``lake/_injected.json``."""
    injected = empty_vendor_injected()
    table_rows: dict[str, int] = {}
    rows = []
    for symbol, writer in writers.items():
        files = writer.close()
        for key in injected:
            injected[key] += writer.injected[key]
        for table, count in writer.rows.items():
            table_rows[table] = table_rows.get(table, 0) + count
        rows.append(
            SynthRow(
                symbol=symbol,
                status="written",
                messages=None,
                level_changes=None,
                vendor_rows=sum(writer.rows.values()),
                lake_files=tuple(files),
            )
        )
    write_injected(root / "lake", injected)
    return SynthResult(
        rows=tuple(rows), root=root, table_rows=table_rows, injected={"lake": injected}
    )
