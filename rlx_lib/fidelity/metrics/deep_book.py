"""Deep book: agreement beyond 20 levels, the depth profile, and hidden liquidity.

``book/`` usually holds 20 levels, so these metrics rebuild both sides' books from ``events/``
(the exact kernel, every message) once per alignment:

- ``depth_agreement_50`` / ``_100``: share of live book states (at update ids both sides hold,
  inside a resync period) whose top 50 / 100 levels the vendor matches exactly;
- ``depth_agreement_all``: the same for the whole book inside the price range both sides'
  first snapshots covered (outside it a rebuilt book only knows the levels that changed),
  compared through an order-free hash of every (side, price, size) level kept up to date;
- ``depth_profile_distance``: total variation between the two sides' mean size profiles by
  distance from the mid (0.5 bp buckets up to 10 bp, top 100 levels);
- ``hidden_liquidity``: taker orders that fill more at the touch price than the touch showed
  just before (iceberg-like), and refills of the same price within ``refill_s`` after a
  trade emptied it, per hour; the value is the vendor's count per hour minus the live one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.fidelity.align import Aligned
from rlx_lib.fidelity.metrics.base import MetricResult, register
from rlx_lib.fidelity.patterns.orders import taker_orders, units
from rlx_lib.reconstruction import L2Book

__all__ = ["DeepAgreement", "DepthProfileDistance", "HiddenLiquidity", "rebuilt"]

DEEP = 100
_CACHE = "_deep_books"
_K = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9], dtype=np.uint64)
NAN = float("nan")


def _level_hash(is_bid: np.ndarray, price: np.ndarray, size: np.ndarray) -> np.ndarray:
    """A 64-bit mix of each level; 0 for an empty level (size 0)."""
    mixed = price.astype(np.uint64) * _K[0] ^ size.astype(np.uint64) * _K[1]
    mixed = (mixed ^ (mixed >> np.uint64(29))) * _K[2] + is_bid.astype(np.uint64)
    return np.where(size > 0, mixed, np.uint64(0))


def _ms(times: pl.Series) -> np.ndarray:
    """Exchange times in ns, rounded to the millisecond (undoes the vendor's float artefact)."""
    ns = times.dt.epoch("ns").fill_null(0).to_numpy()
    return (ns + 500_000) // 1_000_000 * 1_000_000


def _rows(events: pl.DataFrame) -> dict[str, np.ndarray]:
    rows = events.filter(pl.col("kind").cast(pl.String).is_in(["snapshot", "delta"])).sort(
        "sequence"
    )
    update = rows["update_id"].fill_null(-1).to_numpy()
    snapshot = (rows["kind"].cast(pl.String) == "snapshot").to_numpy()
    new = np.r_[True, (update[1:] != update[:-1]) | (snapshot[1:] != snapshot[:-1])]
    return {
        "update": update,
        "snapshot": snapshot,
        "starts": np.flatnonzero(new),
        "time": _ms(rows["origin_time"]),
        "is_bid": rows["side_is_bid"].to_numpy(),
        "price": rows.select(units("price"))["price"].to_numpy(),
        "size": rows.select(units("size"))["size"].to_numpy(),
    }


def _hashes(rows: dict[str, np.ndarray], low: int, high: int) -> np.ndarray:
    """Hash of every level priced in ``[low, high]`` after each message (a snapshot message
    starts from an empty book)."""
    starts, is_bid, price, size = rows["starts"], rows["is_bid"], rows["price"], rows["size"]
    opens = np.zeros(price.size, dtype=bool)
    opens[0] = True
    opens[starts[rows["snapshot"][starts]]] = True
    segment = np.cumsum(opens)
    order = np.lexsort((np.arange(price.size), price, is_bid, segment))
    same = (
        (price[order][1:] == price[order][:-1])
        & (is_bid[order][1:] == is_bid[order][:-1])
        & (segment[order][1:] == segment[order][:-1])
    )
    before = np.zeros(price.size, dtype=np.int64)
    before[order[1:][same]] = size[order[:-1][same]]
    step = _level_hash(is_bid, price, size) - _level_hash(is_bid, price, before)
    step[(price < low) | (price > high)] = 0
    running = np.cumsum(step, dtype=np.uint64)  # wraps modulo 2**64
    first = np.maximum.accumulate(np.where(opens, np.arange(price.size), 0))
    offset = running[first] - step[first]
    ends = np.r_[starts[1:], price.size] - 1
    return running[ends] - offset[ends]


def rebuilt(aligned: Aligned, side: str) -> dict[str, Any] | None:
    """Update id, top ``DEEP`` levels and whole-book hash after each message of one side."""
    cache = aligned.__dict__.setdefault(_CACHE, {})
    if side not in cache:
        events = aligned.reference_events if side == "reference" else aligned.candidate_events
        if events is None or events.is_empty():
            cache[side] = None
            return None
        rows = _rows(events)
        starts = rows["starts"]
        top = L2Book().replay(
            rows["is_bid"],
            rows["price"],
            rows["size"],
            np.r_[starts, rows["price"].size].astype(np.int64),
            rows["snapshot"][starts],
            depth=DEEP,
        )
        cache[side] = {
            "update_id": rows["update"][starts],
            "time_ns": rows["time"][starts],
            "top": top,
            "rows": rows,
        }
    return cache[side]


def _common(aligned: Aligned) -> tuple[np.ndarray, np.ndarray] | None:
    """Message positions on each side at update ids both hold, inside a live resync period."""
    reference, candidate = rebuilt(aligned, "reference"), rebuilt(aligned, "candidate")
    if reference is None or candidate is None:
        return None
    # the last message of an id is the state after it (reverse, so the first match is the last)
    ref_ids, cand_ids = reference["update_id"][::-1], candidate["update_id"][::-1]
    ids, ref_at, cand_at = np.intersect1d(ref_ids, cand_ids, return_indices=True)
    messages = aligned.reference_messages
    known = messages["update_id"].to_numpy()
    where = np.clip(np.searchsorted(known, ids), 0, max(known.size - 1, 0))
    inside = (known.size > 0) & (known[where] == ids) & (messages["period"].to_numpy()[where] >= 0)
    last = len(ref_ids) - 1, len(cand_ids) - 1
    return last[0] - ref_at[inside], last[1] - cand_at[inside]


@register(depth=50)
@register(depth=100)
@register(depth=None)
@dataclass(frozen=True)
class DeepAgreement:
    """Share of live states whose top ``depth`` levels (None: the whole book) the vendor matches."""

    depth: int | None = 50
    unit: str = "share"

    @property
    def name(self) -> str:
        """``depth_agreement_<depth>`` or ``depth_agreement_all``."""
        return f"depth_agreement_{self.depth or 'all'}"

    def compute(self, aligned: Aligned) -> MetricResult:
        common = _common(aligned)
        if common is None or common[0].size == 0:
            return MetricResult(NAN, 0, {"note": "no events/ on one side, or no shared state"})
        ref_at, cand_at = common
        reference, candidate = rebuilt(aligned, "reference"), rebuilt(aligned, "candidate")
        detail: dict[str, Any] = {}
        if self.depth is None:
            low, high = _known_range(reference["rows"], candidate["rows"])
            detail |= {"price_low": low, "price_high": high}
            hashes = [_hashes(side["rows"], low, high) for side in (reference, candidate)]
            equal = hashes[0][ref_at] == hashes[1][cand_at]
        else:
            equal = np.ones(ref_at.size, dtype=bool)
            for field in ("bid_price", "bid_size", "ask_price", "ask_size"):
                left = getattr(reference["top"], field)[ref_at, : self.depth]
                right = getattr(candidate["top"], field)[cand_at, : self.depth]
                equal &= (left == right).all(axis=1)
        wrong = reference["update_id"][ref_at][~equal]
        detail |= {"mismatches": int(wrong.size), "first_mismatches": wrong[:20].tolist()}
        return MetricResult(float(equal.mean()), int(equal.size), detail)


def _known_range(*sides: dict[str, np.ndarray]) -> tuple[int, int]:
    """Prices every side's first snapshot covered (beyond it a book only knows what changed)."""
    low, high = 0, np.iinfo(np.int64).max
    for rows in sides:
        first = (
            rows["snapshot"] & (rows["update"] == rows["update"][rows["snapshot"]][0])
            if rows["snapshot"].any()
            else rows["snapshot"]
        )
        if not first.any():
            continue
        bids = rows["price"][first & rows["is_bid"]]
        asks = rows["price"][first & ~rows["is_bid"]]
        low = max(low, int(bids.min()) if bids.size else low)
        high = min(high, int(asks.max()) if asks.size else high)
    return low, high


def depth_profile(top: Any, *, bucket_bp: float = 0.5, buckets: int = 20) -> np.ndarray:
    """Mean share of displayed size by distance from the mid (both sides together)."""
    bid, ask = top.bid_price[:, 0].astype(float), top.ask_price[:, 0].astype(float)
    valid = (bid > 0) & (ask > 0)
    mid = ((bid + ask) / 2)[valid][:, None]
    totals = np.zeros(buckets)
    for price, size in ((top.bid_price, top.bid_size), (top.ask_price, top.ask_size)):
        held = (price[valid] > 0) & (size[valid] > 0)
        where = (np.abs(price[valid] - mid) / mid * 1e4 / bucket_bp).astype(np.int64)
        keep = held & (where < buckets)
        totals += np.bincount(
            where[keep], weights=size[valid][keep].astype(float), minlength=buckets
        )
    return totals / totals.sum() if totals.sum() > 0 else totals


@register
@dataclass(frozen=True)
class DepthProfileDistance:
    """Total variation between the sides' size-by-distance-from-mid profiles (0 = identical)."""

    name: str = "depth_profile_distance"
    unit: str = "total variation"
    bucket_bp: float = 0.5
    buckets: int = 20

    def compute(self, aligned: Aligned) -> MetricResult:
        common = _common(aligned)
        sides = [rebuilt(aligned, side) for side in ("reference", "candidate")]
        if common is not None and not aligned.same_window:  # two windows: every state
            common = tuple(np.arange(side["update_id"].size) for side in sides)
        if common is None or min(at.size for at in common) == 0:
            return MetricResult(NAN, 0, {"note": "no events/ on one side, or no shared state"})
        profiles = [
            depth_profile(_take(side["top"], at), bucket_bp=self.bucket_bp, buckets=self.buckets)
            for side, at in zip(sides, common, strict=True)
        ]
        value = 0.5 * float(np.abs(profiles[0] - profiles[1]).sum())
        detail = {
            "bucket_bp": self.bucket_bp,
            "reference_profile": profiles[0].tolist(),
            "candidate_profile": profiles[1].tolist(),
        }
        return MetricResult(value, int(common[0].size), detail)


def _take(top: Any, rows: np.ndarray) -> Any:
    """The top levels at some states only."""
    fields = ("bid_price", "bid_size", "ask_price", "ask_size", "crossed")
    return type(top)(*(getattr(top, field)[rows] for field in fields))


def hidden_counts(
    events: pl.DataFrame, state: dict[str, Any], *, refill_s: float, span: tuple[int, int]
) -> dict[str, int]:
    """Taker orders filling more than the touch showed, and touch refills after them."""
    trades = (
        events.filter(pl.col("kind").cast(pl.String) == "trade")
        .sort("sequence")
        .select(
            (
                (pl.col("origin_time").dt.epoch("ns").fill_null(0) + 500_000)
                // 1_000_000
                * 1_000_000
            ).alias("time_ns"),
            pl.col("side_is_bid").alias("is_buy"),
            units("price").alias("price"),
            units("size").alias("quantity"),
        )
    )
    orders = taker_orders(events).filter(pl.col("time_ns").is_between(*span))
    filled = trades.group_by("time_ns", "is_buy", "price").agg(pl.col("quantity").sum())
    at_touch = orders.join(
        filled,
        left_on=["time_ns", "is_buy", "first_price"],
        right_on=["time_ns", "is_buy", "price"],
    )
    times, top = state["time_ns"], state["top"]
    before = np.searchsorted(times, at_touch["time_ns"].to_numpy(), side="left") - 1
    buy = at_touch["is_buy"].to_numpy()
    price = at_touch["first_price"].to_numpy()
    row = np.clip(before, 0, None)
    shown_price = np.where(buy, top.ask_price[row, 0], top.bid_price[row, 0])
    shown_size = np.where(buy, top.ask_size[row, 0], top.bid_size[row, 0])
    known = (before >= 0) & (shown_price == price)
    quantity = at_touch["quantity"].to_numpy()
    hidden = known & (quantity > shown_size)
    emptied = np.flatnonzero(known & (quantity >= shown_size))
    refills = 0
    for order in emptied.tolist():
        start = row[order] + 1
        stop = np.searchsorted(times, at_touch["time_ns"][order] + refill_s * 1e9, side="right")
        side_price = top.ask_price if buy[order] else top.bid_price
        if np.any(side_price[start:stop, 0] == price[order]):
            refills += 1
    return {"hidden_fills": int(hidden.sum()), "refills": refills, "orders": int(known.sum())}


@register
@dataclass(frozen=True)
class HiddenLiquidity:
    """Vendor minus live iceberg-like fills per hour (fills beyond the displayed touch)."""

    name: str = "hidden_liquidity"
    unit: str = "hidden fills per hour, difference"
    refill_s: float = 1.0

    def compute(self, aligned: Aligned) -> MetricResult:
        states = [rebuilt(aligned, side) for side in ("reference", "candidate")]
        if any(state is None for state in states):
            return MetricResult(NAN, 0, {"note": "no events/ on one side"})
        known = [state["time_ns"][state["time_ns"] > 0] for state in states]
        span = (max(int(t.min()) for t in known), min(int(t.max()) for t in known))
        spans = [span, span]
        if not aligned.same_window:  # two windows: each side over its own span
            spans = [(int(t.min()), int(t.max())) for t in known]
        hours = [(high - low) / 3.6e12 for low, high in spans]
        if not min(hours) > 0:
            return MetricResult(NAN, 0, {"note": "the sides share no time span"})
        detail: dict[str, Any] = {"hours": hours[0]}
        for side, state, within, spent in zip(
            ("reference", "candidate"), states, spans, hours, strict=True
        ):
            events = getattr(aligned, f"{side}_events")
            counts = hidden_counts(events, state, refill_s=self.refill_s, span=within)
            detail[side] = counts | {
                "hidden_per_hour": counts["hidden_fills"] / spent,
                "refills_per_hour": counts["refills"] / spent,
            }
        value = detail["candidate"]["hidden_per_hour"] - detail["reference"]["hidden_per_hour"]
        n = detail["reference"]["orders"] + detail["candidate"]["orders"]
        return MetricResult(value, n, detail)
