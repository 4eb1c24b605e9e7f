"""Calibration: statistics of the live view (message rates, sizes, spreads, timing), measured
on golden records (real captures and synthetic ones alike).

:func:`measure` reads ``depth@100ms``, ``trade``, ``bookTicker`` and ``depthSnapshot``
records of one symbol, syncs an exact book with the official spot rule (a small sorted-dict
book: the measuring instrument, not the product kernel), and returns named statistics.
:data:`TARGETS` holds the ranges the ``high`` preset must land in; :data:`OBSERVED` the
values of the real BTCUSDT capture the note measured. Times are exchange time (``E``,
``T``); bookTicker, which carries no time, counts only as a sequence of messages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from sortedcontainers import SortedDict

from rlx_lib.catalog import binance_symbol
from rlx_lib.golden import GoldenRecord
from rlx_lib.venues.binance import (
    SNAPSHOT_SUFFIX,
    DepthSync,
    DepthUpdate,
    SyncVerdict,
    parse_book_ticker,
    parse_depth_snapshot,
    parse_depth_update,
    parse_trade,
)

__all__ = ["OBSERVED", "TARGETS", "measure"]

BP = 1e-4
GRID_MS = 100

TARGETS: dict[str, tuple[float, float]] = {
    # 1-3 cadence, update ids, message size
    "depth_msgs_per_s": (9.5, 10.05),
    "empty_window_share": (0.0, 0.01),
    "ids_per_s": (500.0, 900.0),
    "ids_per_msg_p50": (20.0, 40.0),
    "ids_per_msg_p95": (200.0, 450.0),
    "ids_per_msg_max": (1000.0, math.inf),
    "entries_per_id": (0.55, 0.75),
    "entries_per_msg_p50": (15.0, 30.0),
    "entries_per_msg_p95": (120.0, 250.0),
    "entries_per_msg_max": (300.0, math.inf),
    "both_sides_price_share": (0.08, 0.15),
    # 4 entry mix
    "qty0_share": (0.42, 0.52),
    "delete_held_share": (0.35, 0.45),
    "delete_unheld_share": (0.06, 0.12),
    "insert_share": (0.35, 0.45),
    "update_share": (0.08, 0.15),
    "repeat_share": (0.0, 0.03),
    # 5 placement
    "within_5_ticks_share": (0.03, 0.06),
    "within_1bp_share": (0.18, 0.28),
    "within_10bp_share": (0.60, 0.80),
    "beyond_33bp_share": (0.03, 0.08),
    # 6 book shape
    "occupancy_1000_bid_p50": (0.02, 0.05),
    "occupancy_1000_ask_p50": (0.02, 0.05),
    "levels_1bp_bid_p50": (12.0, 25.0),
    "levels_1bp_ask_p50": (12.0, 25.0),
    "depth_10bp_bid_p50": (30.0, 60.0),
    "depth_10bp_ask_p50": (30.0, 60.0),
    "top_size_p50": (1.0, 3.0),
    "top_size_p5": (0.0, 0.1),
    "snapshot_span_bp": (25.0, 40.0),
    # 7 spread
    "spread_1tick_share": (0.985, 0.997),
    "bookticker_1tick_share": (0.85, 0.93),
    "wide_episodes_per_s": (2.0, 4.0),
    # 8 trade flow
    "trades_per_s": (20.0, 40.0),
    "sweeps_per_s": (8.0, 14.0),
    "trades_per_sweep": (2.5, 3.2),
    "single_fill_share": (0.65, 0.72),
    "multi_price_share": (0.12, 0.18),
    "trade_zero_gap_share": (0.55, 0.70),
    "largest_sweep_fills": (100.0, math.inf),
    # 9 sizes
    "trade_size_p50": (0.0003, 0.002),
    "trade_size_p90": (0.03, 0.1),
    "trade_size_p99": (0.2, 0.5),
    "modal_size_share": (0.15, 0.25),
    "one_digit_share": (0.25, 0.45),
    "taker_alpha_5pct": (0.9, 1.6),
    # 10 clustering and memory
    "sweep_gap_cv": (1.4, 2.0),
    "sweep_count_var_mean": (6.0, 20.0),
    "sweep_count_acf1": (0.2, 0.45),
    "sweep_sign_acf1": (0.3, 0.5),
    "sweep_sign_acf10": (0.1, 0.4),
    "trade_sign_acf1": (0.7, 0.85),
    "buyer_maker_share": (0.45, 0.60),
    # 11 mid returns
    "ret100_zero_share": (0.85, 0.93),
    "ret100_move_p50_ticks": (150.0, 400.0),
    "ret100_one_tick_share": (0.0, 0.15),
    "ret100_kurtosis": (30.0, math.inf),
    "ret100_acf1": (0.0, 0.3),
    "absret100_acf1": (0.05, 0.5),
    "ret1s_std_bp": (0.8, 1.5),
    "ret1s_zero_share": (0.40, 0.60),
    "ret1s_kurtosis": (5.0, 20.0),
}
"""Section-9 ranges for the ``high`` preset (BTCUSDT-like); sizes in BTC, depth in BTC."""

OBSERVED: dict[str, float] = {
    "depth_msgs_per_s": 9.98,
    "empty_window_share": 0.002,
    "ids_per_s": 703.0,
    "ids_per_msg_p50": 28.0,
    "ids_per_msg_p95": 321.0,
    "ids_per_msg_max": 1466.0,
    "entries_per_id": 0.65,
    "entries_per_msg_p50": 22.0,
    "entries_per_msg_p95": 173.0,
    "entries_per_msg_max": 1076.0,
    "both_sides_price_share": 0.112,
    "qty0_share": 0.478,
    "delete_held_share": 0.393,
    "delete_unheld_share": 0.089,
    "insert_share": 0.393,
    "update_share": 0.115,
    "repeat_share": 0.010,
    "within_5_ticks_share": 0.043,
    "within_1bp_share": 0.226,
    "within_10bp_share": 0.696,
    "beyond_33bp_share": 0.066,
    "occupancy_1000_bid_p50": 0.027,
    "occupancy_1000_ask_p50": 0.032,
    "levels_1bp_bid_p50": 17.0,
    "levels_1bp_ask_p50": 19.0,
    "depth_10bp_bid_p50": 40.27,
    "depth_10bp_ask_p50": 51.19,
    "top_size_p50": 2.0,
    "spread_1tick_share": 0.993,
    "bookticker_1tick_share": 0.893,
    "trades_per_s": 30.59,
    "sweeps_per_s": 10.97,
    "trades_per_sweep": 2.79,
    "single_fill_share": 0.682,
    "multi_price_share": 0.146,
    "trade_zero_gap_share": 0.643,
    "largest_sweep_fills": 735.0,
    "trade_size_p50": 0.00067,
    "trade_size_p90": 0.05763,
    "trade_size_p99": 0.32425,
    "modal_size_share": 0.180,
    "one_digit_share": 0.353,
    "taker_alpha_5pct": 1.17,
    "sweep_gap_cv": 1.74,
    "sweep_count_var_mean": 12.0,
    "sweep_count_acf1": 0.36,
    "sweep_sign_acf1": 0.40,
    "sweep_sign_acf10": 0.16,
    "trade_sign_acf1": 0.79,
    "buyer_maker_share": 0.543,
    "ret100_zero_share": 0.886,
    "ret100_move_p50_ticks": 277.0,
    "ret100_one_tick_share": 0.090,
    "ret100_kurtosis": 130.0,
    "ret1s_std_bp": 1.157,
    "ret1s_zero_share": 0.498,
    "ret1s_kurtosis": 11.0,
}
"""What ``calibration.md`` reports for the real BTCUSDT capture (2024-08-08/09)."""


def _pct(values: Iterable[float], q: float) -> float:
    """The q-th percentile as an observed value (no interpolation), NaN when empty."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=float)
    if array.size == 0:
        return math.nan
    return float(np.percentile(array, q, method="inverted_cdf"))


def _acf(values: np.ndarray, lag: int) -> float:
    x = np.asarray(values, dtype=float)
    if x.size <= lag + 1:
        return math.nan
    x = x - x.mean()
    denominator = float(np.dot(x, x))
    return float(np.dot(x[:-lag], x[lag:]) / denominator) if denominator > 0 else math.nan


def _kurtosis(values: np.ndarray) -> float:
    x = np.asarray(values, dtype=float)
    x = x - x.mean()
    m2 = float(np.mean(x**2))
    return float(np.mean(x**4) / m2**2 - 3.0) if m2 > 0 else math.nan


def _hill(values: np.ndarray, share: float) -> float:
    x = np.sort(np.asarray(values, dtype=float))[::-1]
    k = int(x.size * share)
    if k < 5:
        return math.nan
    return float(k / np.sum(np.log(x[:k] / x[k])))


@dataclass
class _Depth:
    """The exact book and what is collected while it follows the diff stream."""

    bids: SortedDict = field(default_factory=SortedDict)
    asks: SortedDict = field(default_factory=SortedDict)
    low_bid: int = 0  # the snapshot's range: states outside it are unknown
    high_ask: int = 0
    tick: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    distances: list[float] = field(default_factory=list)  # entry distance from mid, in mids
    within_ticks: list[int] = field(default_factory=list)
    times: list[int] = field(default_factory=list)  # E of each applied message
    mids: list[float] = field(default_factory=list)
    spreads: list[int] = field(default_factory=list)
    shape: dict[str, list[float]] = field(default_factory=dict)
    snapshot_span_bp: list[float] = field(default_factory=list)

    def load(self, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]]) -> None:
        self.bids = SortedDict({price: size for price, size in bids if size > 0})
        self.asks = SortedDict({price: size for price, size in asks if size > 0})
        self.low_bid, self.high_ask = self.bids.keys()[0], self.asks.keys()[-1]
        prices = np.array(
            list(self.bids.keys()[-50:]) + list(self.asks.keys()[:50]), dtype=np.int64
        )
        self.tick = int(np.gcd.reduce(np.diff(prices))) or 1
        mid = (self.bids.keys()[-1] + self.asks.keys()[0]) / 2
        self.snapshot_span_bp.append((self.high_ask - self.low_bid) / 2 / mid / BP)

    def apply(self, update: DepthUpdate) -> None:
        best_bid, best_ask = self.bids.keys()[-1], self.asks.keys()[0]
        mid = (best_bid + best_ask) / 2
        for is_bid, levels in ((True, update.bids), (False, update.asks)):
            book = self.bids if is_bid else self.asks
            for price, size in levels:
                self.distances.append(abs(price - mid) / mid)
                self.within_ticks.append(abs(price - mid) <= 5 * self.tick)
                known = price >= self.low_bid if is_bid else price <= self.high_ask
                held = book.get(price, 0)
                if known:
                    kind = (
                        ("delete_held" if held else "delete_unheld")
                        if size == 0
                        else ("insert" if not held else ("repeat" if held == size else "update"))
                    )
                    self.kinds[kind] = self.kinds.get(kind, 0) + 1
                if size == 0:
                    book.pop(price, None)
                else:
                    book[price] = size
        self._sample(update.event_time)

    def _sample(self, event_ms: int) -> None:
        if not self.bids or not self.asks:
            return
        best_bid, best_ask = self.bids.keys()[-1], self.asks.keys()[0]
        mid = (best_bid + best_ask) / 2
        self.times.append(event_ms)
        self.mids.append(mid)
        self.spreads.append(round((best_ask - best_bid) / self.tick))
        shape = self.shape
        for name, book, best, sign, edge_ok in (
            ("bid", self.bids, best_bid, -1, lambda p: p >= self.low_bid),
            ("ask", self.asks, best_ask, 1, lambda p: p <= self.high_ask),
        ):
            shape.setdefault(f"top_{name}", []).append(book[best] / 1e8)
            far = best + sign * 999 * self.tick
            if edge_ok(far):
                low, high = sorted((best, far))
                count = sum(1 for _ in book.irange(low, high))
                shape.setdefault(f"occupancy_{name}", []).append(count / 1000)
            for label, width in (("1bp", 1), ("10bp", 10)):
                edge = mid + sign * width * BP * mid
                if not edge_ok(edge):
                    continue
                low, high = sorted((mid, edge))
                prices = list(book.irange(math.ceil(low), math.floor(high)))
                if label == "1bp":
                    shape.setdefault(f"levels_{label}_{name}", []).append(len(prices))
                else:
                    total = sum(book[price] for price in prices) / 1e8
                    shape.setdefault(f"depth_{label}_{name}", []).append(total)


def _depth_stats(depth: _Depth, updates: list[DepthUpdate]) -> dict[str, float]:
    out: dict[str, float] = {}
    if not updates:
        return out
    times = np.array([u.event_time for u in updates], dtype=np.int64)
    ids = np.array([u.final_update_id - u.first_update_id + 1 for u in updates])
    entries = np.array([len(u.bids) + len(u.asks) for u in updates])
    seconds = max((times[-1] - times[0]) / 1e3, 1e-9)
    steps = np.diff(times)
    windows = np.maximum(np.round(steps / GRID_MS), 1)
    zeros = sum(1 for u in updates for _, size in (*u.bids, *u.asks) if size == 0)
    both = sum(1 for u in updates if {p for p, _ in u.bids} & {p for p, _ in u.asks})
    out["depth_msgs_per_s"] = len(updates) / seconds
    out["empty_window_share"] = float((windows - 1).sum() / max(windows.sum(), 1))
    out["depth_step_100ms_share"] = float(np.mean(steps == GRID_MS)) if steps.size else math.nan
    out["ids_per_s"] = (updates[-1].final_update_id - updates[0].first_update_id + 1) / seconds
    out["ids_per_msg_p50"], out["ids_per_msg_p95"] = _pct(ids, 50), _pct(ids, 95)
    out["ids_per_msg_max"] = float(ids.max())
    out["entries_per_id"] = float(entries.sum() / ids.sum())
    out["entries_per_msg_p50"], out["entries_per_msg_p95"] = _pct(entries, 50), _pct(entries, 95)
    out["entries_per_msg_max"] = float(entries.max())
    out["both_sides_price_share"] = both / len(updates)
    out["qty0_share"] = zeros / max(int(entries.sum()), 1)
    known = sum(depth.kinds.values())
    for kind in ("delete_held", "delete_unheld", "insert", "update", "repeat"):
        out[f"{kind}_share"] = depth.kinds.get(kind, 0) / known if known else math.nan
    distance = np.array(depth.distances)
    if distance.size:
        out["within_5_ticks_share"] = float(np.mean(depth.within_ticks))
        out["within_1bp_share"] = float(np.mean(distance <= BP))
        out["within_10bp_share"] = float(np.mean(distance <= 10 * BP))
        out["beyond_33bp_share"] = float(np.mean(distance > 33 * BP))
    for name in ("bid", "ask"):
        out[f"occupancy_1000_{name}_p50"] = _pct(depth.shape.get(f"occupancy_{name}", []), 50)
        out[f"levels_1bp_{name}_p50"] = _pct(depth.shape.get(f"levels_1bp_{name}", []), 50)
        out[f"depth_10bp_{name}_p50"] = _pct(depth.shape.get(f"depth_10bp_{name}", []), 50)
    tops = depth.shape.get("top_bid", []) + depth.shape.get("top_ask", [])
    out["top_size_p50"], out["top_size_p5"] = _pct(tops, 50), _pct(tops, 5)
    out["spread_1tick_share"] = (
        float(np.mean(np.array(depth.spreads) == 1)) if depth.spreads else math.nan
    )
    out["snapshot_span_bp"] = (
        float(np.mean(depth.snapshot_span_bp)) if depth.snapshot_span_bp else math.nan
    )
    out.update(_return_stats(depth))
    return out


def _return_stats(depth: _Depth) -> dict[str, float]:
    out: dict[str, float] = {}
    if len(depth.times) < 20:
        return out
    times, mids = np.array(depth.times, dtype=np.int64), np.array(depth.mids)
    for label, step in (("ret100", GRID_MS), ("ret1s", 1000)):
        grid = np.arange(times[0], times[-1] + 1, step)
        sampled = mids[np.searchsorted(times, grid, side="right") - 1]
        returns = np.diff(sampled) / sampled[:-1]
        moves = np.abs(np.diff(sampled)) / depth.tick
        nonzero = moves[moves > 0]
        out[f"{label}_zero_share"] = float(np.mean(moves == 0))
        out[f"{label}_kurtosis"] = _kurtosis(returns)
        out[f"{label}_std_bp"] = float(np.std(returns) / BP)
        out[f"{label}_move_p50_ticks"] = _pct(nonzero, 50)
        out[f"{label}_one_tick_share"] = float(np.mean(nonzero <= 1)) if nonzero.size else math.nan
        out[f"{label}_acf1"] = _acf(returns, 1)
        out[f"abs{label}_acf1"] = _acf(np.abs(returns), 1)
    return out


def _trade_stats(trades: list, seconds: float) -> dict[str, float]:
    out: dict[str, float] = {}
    if len(trades) < 10:
        return out
    trades = sorted(trades, key=lambda trade: trade.trade_id)
    size = np.array([t.quantity for t in trades]) / 1e8
    price = np.array([t.price for t in trades]) / 1e8
    maker = np.array([t.buyer_is_maker for t in trades])
    clock = np.array([t.trade_time for t in trades], dtype=np.int64)
    event = np.array([t.event_time for t in trades], dtype=np.int64)
    sign = np.where(maker, -1.0, 1.0)
    starts = np.flatnonzero(
        np.concatenate([[True], (np.diff(clock) != 0) | (maker[1:] != maker[:-1])])
    )
    fills = np.diff(np.append(starts, size.size))
    prices = np.array(
        [np.unique(price[a : a + n]).size for a, n in zip(starts, fills, strict=True)]
    )
    sweep_size = np.add.reduceat(size, starts)
    sweep_clock = clock[starts]
    out["trades_per_s"] = size.size / seconds
    out["sweeps_per_s"] = starts.size / seconds
    out["trades_per_sweep"] = float(fills.mean())
    out["single_fill_share"] = float(np.mean(fills == 1))
    out["multi_price_share"] = float(np.mean(prices > 1))
    out["largest_sweep_fills"] = float(fills.max())
    out["trade_zero_gap_share"] = float(np.mean(np.diff(clock) == 0))
    out["trade_size_p50"], out["trade_size_p90"] = _pct(size, 50), _pct(size, 90)
    out["trade_size_p99"] = _pct(size, 99)
    _, counts = np.unique(size, return_counts=True)
    out["modal_size_share"] = float(counts.max() / size.size)
    digits = np.array([len(f"{q:.8f}".replace(".", "").strip("0")) == 1 for q in size])
    out["one_digit_share"] = float(np.mean(digits))
    out["taker_alpha_5pct"] = _hill(sweep_size, 0.05)
    gaps = np.diff(sweep_clock).astype(float)
    out["sweep_gap_cv"] = (
        float(gaps.std() / gaps.mean()) if gaps.size and gaps.mean() > 0 else math.nan
    )
    counts = np.bincount((sweep_clock - sweep_clock[0]) // 1000)
    out["sweep_count_var_mean"] = float(counts.var() / counts.mean())
    out["sweep_count_acf1"] = _acf(counts, 1)
    sweep_sign = sign[starts]
    out["sweep_sign_acf1"], out["sweep_sign_acf10"] = _acf(sweep_sign, 1), _acf(sweep_sign, 10)
    out["trade_sign_acf1"] = _acf(sign, 1)
    out["buyer_maker_share"] = float(maker.mean())
    out["trade_e_minus_t_p50_ms"] = _pct(event - clock, 50)
    return out


def _ticker_stats(spreads: list[int], seconds: float) -> dict[str, float]:
    if not spreads:
        return {}
    wide = np.array(spreads) > 1
    starts = int(np.sum(wide[1:] & ~wide[:-1]) + wide[0])
    return {
        "bookticker_1tick_share": float(np.mean(~wide)),
        "wide_episodes_per_s": starts / seconds,
    }


def measure(records: Iterable[GoldenRecord], *, symbol: str) -> dict[str, float]:
    """Section-9 statistics of one symbol's live records (in capture order).

    Parameters
    ----------
    records
        Golden records: ``<sym>@depth@100ms``, ``<sym>@trade``, ``<sym>@bookTicker`` and
        ``<sym>@depthSnapshot``; other streams and symbols are skipped.
    symbol
        Lake style (``"BTC-USDT"``) or Binance style (``"btcusdt"``).

    Returns
    -------
    dict
        Statistic name to value (NaN where the data cannot tell); names as in :data:`TARGETS`.
    """
    wanted = binance_symbol(symbol) if "-" in symbol else symbol.lower()
    depth = _Depth()
    sync: DepthSync[DepthUpdate] = DepthSync()
    applied: list[DepthUpdate] = []
    trades = []
    ticker_quotes: list[tuple[int, int]] = []
    for record in records:
        name, _, kind = record.stream.partition("@")
        if name != wanted:
            continue
        if kind == "depth@100ms":
            update = parse_depth_update(record.data)
            steps = sync.diff(update.first_update_id, update.final_update_id, update)
        elif kind == SNAPSHOT_SUFFIX:
            snapshot = parse_depth_snapshot(record.data)
            if sync.synced:
                continue
            depth.load(snapshot.bids, snapshot.asks)
            steps = sync.snapshot(snapshot.last_update_id)
        elif kind == "trade":
            trades.append(parse_trade(record.data))
            continue
        elif kind == "bookTicker":
            ticker = parse_book_ticker(record.data)
            ticker_quotes.append((ticker.bid_price, ticker.ask_price))
            continue
        else:
            continue
        for step in steps:
            if step.verdict is SyncVerdict.APPLY:
                depth.apply(step.item)
                applied.append(step.item)
    out = _depth_stats(depth, applied)
    seconds = (
        (applied[-1].event_time - applied[0].event_time) / 1e3 if len(applied) > 1 else math.nan
    )
    out.update(_trade_stats(trades, seconds))
    tick = depth.tick or 1
    out.update(_ticker_stats([round((ask - bid) / tick) for bid, ask in ticker_quotes], seconds))
    return out
