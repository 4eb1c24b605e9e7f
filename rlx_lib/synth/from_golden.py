"""The vendor view Crypto Lake would have made from any golden samples, real ones included.

Golden records go through the same collector as the synthetic market
(:class:`~rlx_lib.synth.vendor.LakeRecorder`): depth diffs become ``book_delta_v2`` rows under
the sync rules, REST snapshots become snapshot rows, ``aggTrade`` (or, when a capture has
none, ``trade`` runs grouped by (``T``, price, taker side), the group's first trade id as its
id) become ``trades``, and ``book`` rows come from the collector's exact book. The vendor's
receipt time is ``E`` plus its own latency. Messages can be dropped at ``drop_rate``; the
dropped ``u`` are listed in ``lake/_injected.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from rlx_lib.catalog import lake_symbol
from rlx_lib.golden import GoldenRecord, ReadReport, golden_files, iter_records
from rlx_lib.synth.faults import VendorFaults, empty_vendor_injected
from rlx_lib.synth.live import MS
from rlx_lib.synth.session import SynthSummary, write_injected, write_lake
from rlx_lib.synth.vendor import LakeRecorder, float_clock
from rlx_lib.venues.binance import (
    SNAPSHOT_SUFFIX,
    AggTrade,
    Trade,
    parse_agg_trade,
    parse_depth_snapshot,
    parse_depth_update,
    parse_trade,
    split_stream,
)

__all__ = ["record_golden", "vendor_from_golden"]

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


def record_golden(records: Iterable[GoldenRecord], *, seed: int = 0) -> dict[str, LakeRecorder]:
    """Run the vendor's collector over golden records; one recorder per Lake-style symbol."""
    rng = np.random.default_rng([seed, 0x601D])
    clock = _Latency(rng)
    recorders: dict[str, LakeRecorder] = {}
    pending: dict[str, list[tuple[int, Trade]]] = {}  # raw trades, used when no aggTrade came
    has_agg: set[str] = set()
    names: dict[str, tuple[str, str]] = {}
    for record in records:
        if record.stream.startswith("_"):
            continue
        if record.stream not in names:
            base, kind = split_stream(record.stream)
            names[record.stream] = (lake_symbol(base), kind)
        symbol, kind = names[record.stream]
        if symbol not in recorders:
            recorders[symbol] = LakeRecorder()
        recorder = recorders[symbol]
        if kind == "depth@100ms" or kind == "depth":
            update = parse_depth_update(record.data)
            recorder.depth(clock.received(record.stream, update.event_time), update)
        elif kind == SNAPSHOT_SUFFIX:
            received = clock.latest + 1000 if clock.latest else record.capture_ns
            recorder.snapshot(
                int(float_clock(np.asarray([received]))[0]), parse_depth_snapshot(record.data)
            )
        elif kind == "aggTrade":
            has_agg.add(symbol)
            trade = parse_agg_trade(record.data)
            recorder.agg_trade(clock.received(record.stream, trade.event_time), trade)
        elif kind == "trade" and symbol not in has_agg:
            trade = parse_trade(record.data)
            pending.setdefault(symbol, []).append(
                (clock.received(record.stream, trade.event_time), trade)
            )
    for symbol, trades in pending.items():
        if symbol in has_agg:
            continue
        received = dict((t.trade_id, r) for r, t in trades)
        for agg in _aggregate(t for _, t in trades):
            recorders[symbol].agg_trade(received[agg.last_trade_id], agg)
    return recorders


def _read(paths: Iterable[Path]) -> Iterator[GoldenRecord]:
    for path in golden_files(paths):
        report = ReadReport(str(path))
        yield from iter_records(path, report)
        if not report.clean:
            log.warning("%s: %s %s", path, report.truncated or "", report.bad_lines[:3])


def vendor_from_golden(
    paths: Iterable[Path],
    root: Path,
    *,
    drop_rate: float = 0.0,
    seed: int = 0,
    force: bool = False,
) -> SynthSummary:
    """Write under ``root`` the ``lake/`` tables Crypto Lake would have stored for the golden
    files or folders ``paths`` (messages dropped at ``drop_rate``, listed in ``_injected.json``)."""
    faults = VendorFaults(drop_rate=drop_rate)
    root = Path(root)
    summary = SynthSummary(root=root)
    injected = empty_vendor_injected()
    for symbol, recorder in record_golden(_read(paths), seed=seed).items():
        files, found, rows = write_lake(
            root, symbol, recorder, faults=faults, seed=seed, force=force
        )
        summary.lake_files += files
        for key in injected:
            injected[key] += found[key]
        for table, count in rows.items():
            summary.rows[table] = summary.rows.get(table, 0) + count
    write_injected(root / "lake", injected)
    summary.injected["lake"] = injected
    return summary
