"""Detectors of spoofing, layering and momentum ignition over one source's ``events/``.

- **Layering**: ``layer_levels`` or more large adds (each ``layer_multiple`` median increases)
  on one side, ``min_distance_bp`` to ``max_distance_bp`` behind the touch, added within
  ``layer_add_s`` of each other and all cancelled (``cancel_share`` of the size gone)
  ``min_life_s`` to ``max_life_s`` later without trading, the cancels within
  ``layer_cancel_s`` of each other.
- **Spoofing**: one such add of ``spoof_multiple`` median increases, cancelled the same way,
  not part of a layering burst.
- **Momentum ignition**: ``ignition_orders`` or more taker orders on one side within
  ``ignition_span_s``, moving the trade price ``ignition_bp`` or more their way; then within
  ``reversal_s`` a trade gives back ``reversal_share`` of the move.

Detections follow the ``PATTERN`` schema; see :class:`Thresholds` for every setting.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from rlx_lib.fidelity.patterns.orders import level_adds, mark_traded, taker_orders
from rlx_lib.fidelity.patterns.thresholds import Thresholds
from rlx_lib.schemas import PATTERN

__all__ = ["detect"]


def _cancelled_adds(events: pl.DataFrame, multiple: float, rules: Thresholds) -> pl.DataFrame:
    """Adds of at least ``multiple`` median increases, behind the touch, cancelled in time."""
    adds = level_adds(events)
    if adds.is_empty():
        return adds
    median = float(adds["added"].median())
    left = pl.col("next_size") - pl.col("before")
    life = pl.col("next_time_ns") - pl.col("time_ns")
    candidates = adds.filter(
        (pl.col("added") >= multiple * median)
        & pl.col("distance_bp").is_between(rules.min_distance_bp, rules.max_distance_bp)
        & life.is_between(round(rules.min_life_s * 1e9), round(rules.max_life_s * 1e9))
        & (left <= (1 - rules.cancel_share) * pl.col("added"))
    )
    marked = mark_traded(candidates, events).filter(~pl.col("traded"))
    return marked.with_columns(pl.lit(median).alias("median_added"))


def _bursts(times: np.ndarray, gap_ns: int) -> np.ndarray:
    """Burst number of each sorted time: a new burst when the gap exceeds ``gap_ns``."""
    return np.cumsum(np.r_[True, np.diff(times) > gap_ns]) - 1


def _layering(adds: pl.DataFrame, rules: Thresholds) -> tuple[list[dict], set[int]]:
    found, members = [], set()
    for is_bid in (True, False):
        side = adds.filter(pl.col("is_bid") == is_bid).sort("time_ns")
        if side.is_empty():
            continue
        burst = _bursts(side["time_ns"].to_numpy(), round(rules.layer_add_s * 1e9))
        side = side.with_columns(pl.Series("burst", burst))
        for _, group in side.group_by("burst", maintain_order=True):
            cancels = group["next_time_ns"]
            spread = cancels.max() - cancels.min()
            if (
                group["price"].n_unique() < rules.layer_levels
                or spread > rules.layer_cancel_s * 1e9
            ):
                continue
            members |= set(group["row"].to_list())
            found.append(
                _row(
                    "layering",
                    "bid" if is_bid else "ask",
                    int(group["time_ns"].min()),
                    int(cancels.max()),
                    levels=group.height,
                    prices=group["price"].to_list(),
                    added=group["added"].to_list(),
                    distance_bp=group["distance_bp"].to_list(),
                )
            )
    return found, members


def _spoofing(adds: pl.DataFrame, layered: set[int], rules: Thresholds) -> list[dict]:
    found = []
    median = adds["median_added"][0] if adds.height else 0.0
    for add in adds.filter(~pl.col("row").is_in(list(layered))).iter_rows(named=True):
        if add["added"] < rules.spoof_multiple * median:
            continue
        found.append(
            _row(
                "spoofing",
                "bid" if add["is_bid"] else "ask",
                add["time_ns"],
                add["next_time_ns"],
                price=add["price"],
                added=add["added"],
                distance_bp=add["distance_bp"],
                life_s=(add["next_time_ns"] - add["time_ns"]) / 1e9,
            )
        )
    return found


def _peaks(side: pl.DataFrame, sign: int, rules: Thresholds) -> pl.DataFrame:
    """Orders ending a window of ``ignition_span_s`` that holds enough orders and moved enough."""
    span = f"{round(rules.ignition_span_s * 1e9)}i"
    extreme = pl.col("first_price").rolling_min_by("time_ns", window_size=span)
    if sign < 0:
        extreme = pl.col("first_price").rolling_max_by("time_ns", window_size=span)
    return (
        side.with_columns(
            extreme.alias("extreme"),
            pl.col("fills").clip(1, 1).rolling_sum_by("time_ns", window_size=span).alias("orders"),
            pl.int_range(pl.len()).alias("position"),
        )
        .with_columns((sign * (pl.col("last_price") - pl.col("extreme"))).alias("move"))
        .filter(
            (pl.col("orders") >= rules.ignition_orders)
            & (pl.col("move") / pl.col("extreme") * 1e4 >= rules.ignition_bp)
        )
    )


def _ignitions(events: pl.DataFrame, rules: Thresholds) -> list[dict]:
    orders = taker_orders(events)
    all_time = orders["time_ns"].to_numpy()
    all_price = orders["last_price"].to_numpy()
    span_ns = round(rules.ignition_span_s * 1e9)
    found = []
    for is_buy in (True, False):
        sign = 1 if is_buy else -1
        side = orders.filter(pl.col("is_buy") == is_buy)
        peaks = _peaks(side, sign, rules)
        if peaks.is_empty():
            continue
        cluster = _bursts(peaks["time_ns"].to_numpy(), span_ns)
        for _, group in peaks.with_columns(pl.Series("cluster", cluster)).group_by(
            "cluster", maintain_order=True
        ):
            peak = group.row(int(group["move"].arg_max()), named=True)
            top = peak["extreme"] + sign * peak["move"]
            after = (all_time > peak["time_ns"]) & (
                all_time <= peak["time_ns"] + rules.reversal_s * 1e9
            )
            back = sign * (all_price[after] - top) <= -rules.reversal_share * peak["move"]
            if not back.any():
                continue
            times = side["time_ns"].to_numpy()
            first = int(np.searchsorted(times, peak["time_ns"] - span_ns, side="right"))
            found.append(
                _row(
                    "momentum_ignition",
                    "buy" if is_buy else "sell",
                    int(times[first]),
                    int(all_time[after][np.argmax(back)]),
                    orders=int(peak["orders"]),
                    move_bp=peak["move"] / peak["extreme"] * 1e4,
                )
            )
    return found


def _row(kind: str, side: str, start_ns: int, end_ns: int, **detail: object) -> dict:
    return {"kind": kind, "side": side, "start_ns": start_ns, "end_ns": end_ns, "detail": detail}


def detect(
    events: pl.DataFrame,
    *,
    symbol: str,
    source: str,
    thresholds: Thresholds | None = None,
    kinds: tuple[str, ...] = ("spoofing", "layering", "momentum_ignition"),
) -> pl.DataFrame:
    """Every detection in one source's ``events/`` rows for one symbol, as ``PATTERN`` rows."""
    rules = thresholds or Thresholds()
    found: list[dict] = []
    if {"spoofing", "layering"} & set(kinds):
        adds = _cancelled_adds(events, rules.layer_multiple, rules).with_row_index("row")
        layered, members = _layering(adds, rules)
        found += layered if "layering" in kinds else []
        found += _spoofing(adds, members, rules) if "spoofing" in kinds else []
    if "momentum_ignition" in kinds:
        found += _ignitions(events, rules)
    found.sort(key=lambda item: (item["start_ns"], item["kind"]))
    return pl.DataFrame(
        {
            "kind": [f["kind"] for f in found],
            "symbol": [symbol] * len(found),
            "source": [source] * len(found),
            "side": [f["side"] for f in found],
            "start_time": pl.Series([f["start_ns"] for f in found], dtype=pl.Int64),
            "end_time": pl.Series([f["end_ns"] for f in found], dtype=pl.Int64),
            "detail": [json.dumps(f["detail"], sort_keys=True) for f in found],
        },
        schema_overrides={"start_time": pl.Int64, "end_time": pl.Int64},
    ).cast(dict(PATTERN))
