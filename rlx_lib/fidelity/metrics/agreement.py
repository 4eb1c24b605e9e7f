"""Exact-match metrics: book states, messages, trades, clocks and the 100 ms grid.

These answer the paired question "is the rebuilt stream the same as the live one?" on data
joined by update id (books, messages) or aggregate-trade key (trades). Shares are of the
reference (live) side unless the name says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from rlx_lib.decimals import format_units
from rlx_lib.fidelity.align import MISSING, Aligned, BookPair
from rlx_lib.fidelity.metrics.base import MetricResult, register

__all__ = [
    "DepthAgreement",
    "DepthDistance",
    "GridAgreement",
    "MessageCoverage",
    "OriginTimeAgreement",
    "TopOfBookAgreement",
    "TradeMatchRate",
    "VendorLatency",
    "VendorMessageCoverage",
    "depth_distance",
    "first_mismatch_levels",
    "first_mismatches",
]

LISTED = 20
"""How many update ids a detail lists (first missing messages, first mismatches)."""

NAN = float("nan")


def _share(hits: int, n: int) -> float:
    return hits / n if n else NAN


def _compared(aligned: Aligned) -> BookPair:
    """States inside a resync period: the ones agreement is judged on."""
    return aligned.books.select(aligned.books.period >= 0)


def _equal_rows(books: BookPair, depth: int) -> np.ndarray:
    reference = books.reference[:, :, :depth, :]
    candidate = books.candidate[:, :, :depth, :]
    return (reference == candidate).all(axis=(1, 2, 3))  # zero states give zero rows


def depth_distance(books: BookPair, depth: int) -> np.ndarray:
    """Normalised L1 distance in size over the top ``depth`` levels of each side, per state.

    ``sum over prices of |size_ref - size_cand| / (sum size_ref + sum size_cand)``, in [0, 1];
    0 means identical. Computed only where the states differ (elsewhere it is 0).
    """
    distance = np.zeros(len(books.update_id))
    differ = ~_equal_rows(books, depth)
    if not differ.any():
        return distance
    reference = books.reference[differ, :, :depth, :]
    candidate = books.candidate[differ, :, :depth, :]
    total = np.zeros(reference.shape[0])
    gap = np.zeros(reference.shape[0])
    for side in range(2):
        ref_price, ref_size = reference[:, side, :, 0], reference[:, side, :, 1]
        cand_price, cand_size = candidate[:, side, :, 0], candidate[:, side, :, 1]
        ref_size = np.where(ref_price == MISSING, 0, ref_size).astype(np.float64)
        cand_size = np.where(cand_price == MISSING, 0, cand_size).astype(np.float64)
        same = (ref_price[:, :, None] == cand_price[:, None, :]) & (
            ref_price[:, :, None] != MISSING
        )
        cand_at_ref = np.where(same, cand_size[:, None, :], 0.0).sum(axis=2)
        in_ref = same.any(axis=1)
        gap += np.abs(ref_size - cand_at_ref).sum(axis=1) + np.where(in_ref, 0.0, cand_size).sum(
            axis=1
        )
        total += ref_size.sum(axis=1) + cand_size.sum(axis=1)
    distance[differ] = np.divide(gap, total, out=np.zeros_like(gap), where=total > 0)
    return distance


def first_mismatches(aligned: Aligned, *, depth: int = 20, limit: int = 10) -> list[dict[str, Any]]:
    """The first states whose top ``depth`` levels differ, both books side by side.

    Each entry: ``update_id``, ``origin_ns``, ``period``, ``missing_before`` (the last reference
    message the candidate lacks before this state, or None) and ``levels``: rows of
    (level, reference bid, candidate bid, reference ask, candidate ask) as decimal strings.
    """
    books = _compared(aligned)
    depth = min(depth, books.depth)
    rows = np.flatnonzero(~_equal_rows(books, depth))[:limit]
    missing = np.sort(_missing_messages(aligned))
    found = []
    for row in rows:
        update = int(books.update_id[row])
        before = missing[missing <= update]
        levels = []
        for level in range(depth):
            cells = [
                _level_text(book[row, side, level])
                for side in range(2)
                for book in (books.reference, books.candidate)
            ]
            levels.append(
                {
                    "level": level,
                    "reference_bid": cells[0],
                    "candidate_bid": cells[1],
                    "reference_ask": cells[2],
                    "candidate_ask": cells[3],
                    "differs": cells[0] != cells[1] or cells[2] != cells[3],
                }
            )
        found.append(
            {
                "update_id": update,
                "origin_ns": int(books.origin_ns[row]),
                "period": int(books.period[row]),
                "missing_before": int(before[-1]) if before.size else None,
                "levels": levels,
            }
        )
    return found


_LEVELS = {
    "level": pl.Int64,
    "reference_bid": pl.String,
    "candidate_bid": pl.String,
    "reference_ask": pl.String,
    "candidate_ask": pl.String,
    "differs": pl.Boolean,
}


def first_mismatch_levels(aligned: Aligned, *, depth: int = 20) -> pl.DataFrame:
    """The levels of the first mismatching state as a table (see :func:`first_mismatches`);
    no rows when every compared state matches."""
    found = first_mismatches(aligned, depth=depth, limit=1)
    return pl.DataFrame(found[0]["levels"] if found else [], schema=_LEVELS)


def _level_text(level: np.ndarray) -> str:
    if level[0] == MISSING:
        return ""
    return f"{format_units(int(level[1]))} @ {format_units(int(level[0]))}"


def _missing_messages(aligned: Aligned) -> np.ndarray:
    reference = aligned.reference_messages.filter(pl.col("kind") == "delta")["update_id"]
    candidate = aligned.candidate_messages["update_id"]
    return reference.filter(~reference.is_in(candidate.implode())).to_numpy()


@register
@dataclass(frozen=True)
class TopOfBookAgreement:
    """Share of reference book states whose best bid and ask (price, size) the candidate matches."""

    name: str = "top_of_book_agreement"
    unit: str = "share"
    gated: bool = True
    per_period: bool = True

    def compute(self, aligned: Aligned) -> MetricResult:
        books = _compared(aligned)
        equal = _equal_rows(books, 1)
        wrong = books.update_id[~equal]
        detail = {"mismatches": int(wrong.size), "first_mismatches": wrong[:LISTED].tolist()}
        return MetricResult(_share(int(equal.sum()), equal.size), int(equal.size), detail)


@register(depth=1)
@register(depth=5)
@register(depth=20)
@dataclass(frozen=True)
class DepthAgreement:
    """Share of reference book states whose top ``depth`` levels the candidate matches exactly.

    The detail adds the normalised L1 distance in size (median, p99, max) over the same states.
    """

    depth: int = 20
    unit: str = "share"
    gated: bool = True
    per_period: bool = True

    @property
    def name(self) -> str:
        return f"depth_agreement_{self.depth}"

    def compute(self, aligned: Aligned) -> MetricResult:
        books = _compared(aligned)
        if books.depth < self.depth:
            return MetricResult(NAN, 0, {"note": f"books hold only {books.depth} levels"})
        equal = _equal_rows(books, self.depth)
        distance = depth_distance(books, self.depth)
        wrong = books.update_id[~equal]
        detail = {
            "mismatches": int(wrong.size),
            "first_mismatches": wrong[:LISTED].tolist(),
            "l1_distance_median": float(np.median(distance)) if distance.size else None,
            "l1_distance_p99": float(np.quantile(distance, 0.99)) if distance.size else None,
            "l1_distance_max": float(distance.max()) if distance.size else None,
        }
        return MetricResult(_share(int(equal.sum()), equal.size), int(equal.size), detail)


@register
@dataclass(frozen=True)
class DepthDistance:
    """Mean normalised L1 distance in size over the top ``depth`` levels (0 = identical)."""

    depth: int = 20
    unit: str = "share of size"
    per_period: bool = True

    @property
    def name(self) -> str:
        return f"depth_l1_distance_{self.depth}"

    def compute(self, aligned: Aligned) -> MetricResult:
        books = _compared(aligned)
        depth = min(self.depth, books.depth)
        distance = depth_distance(books, depth)
        if not distance.size:
            return MetricResult(NAN, 0)
        detail = {
            "median": float(np.median(distance)),
            "p99": float(np.quantile(distance, 0.99)),
            "max": float(distance.max()),
            "depth": depth,
        }
        return MetricResult(float(distance.mean()), int(distance.size), detail)


@register
@dataclass(frozen=True)
class MessageCoverage:
    """Share of reference depth messages whose update id the candidate holds."""

    name: str = "message_coverage"
    unit: str = "share"
    gated: bool = True
    per_period: bool = True

    def compute(self, aligned: Aligned) -> MetricResult:
        reference = aligned.reference_messages.filter(pl.col("kind") == "delta")
        missing = _missing_messages(aligned)
        n = len(reference)
        extra = _extra_messages(aligned)
        detail = {
            "missing": int(missing.size),
            "missing_update_ids": np.sort(missing)[:LISTED].tolist(),
            "vendor_extra": int(extra.size),
            "vendor_extra_update_ids": extra[:LISTED].tolist(),
        }
        return MetricResult(_share(n - int(missing.size), n), n, detail)


def _extra_messages(aligned: Aligned) -> np.ndarray:
    """Candidate depth messages the reference lacks, within the reference's update-id range."""
    reference = aligned.reference_messages.filter(pl.col("kind") == "delta")["update_id"]
    candidate = aligned.candidate_messages.filter(pl.col("kind") == "delta")["update_id"]
    if reference.is_empty():
        return np.array([], dtype=np.int64)
    inside = candidate.filter(candidate.is_between(reference.min(), reference.max()))
    return np.sort(inside.filter(~inside.is_in(reference.implode())).to_numpy())


@register
@dataclass(frozen=True)
class VendorMessageCoverage:
    """Share of candidate depth messages (inside the reference's id range) the reference holds."""

    name: str = "vendor_message_coverage"
    unit: str = "share"

    def compute(self, aligned: Aligned) -> MetricResult:
        reference = aligned.reference_messages.filter(pl.col("kind") == "delta")["update_id"]
        candidate = aligned.candidate_messages.filter(pl.col("kind") == "delta")["update_id"]
        if reference.is_empty():
            return MetricResult(NAN, 0)
        inside = candidate.filter(candidate.is_between(reference.min(), reference.max()))
        extra = _extra_messages(aligned)
        detail = {"extra": int(extra.size), "extra_update_ids": extra[:LISTED].tolist()}
        return MetricResult(_share(len(inside) - int(extra.size), len(inside)), len(inside), detail)


@register
@dataclass(frozen=True)
class TradeMatchRate:
    """Share of reference aggregate trades the candidate holds with the same quantity.

    Trades are keyed by (exchange ms, price, taker side); quantities summed over fills.
    """

    name: str = "trade_match_rate"
    unit: str = "share"
    gated: bool = True

    def compute(self, aligned: Aligned) -> MetricResult:
        key = ["origin_ms", "price", "is_buy"]
        reference = aligned.reference_trades.select([*key, "quantity"])
        candidate = aligned.candidate_trades.select([*key, pl.col("quantity").alias("vendor")])
        joined = reference.join(candidate, on=key, how="left")
        matched = joined.filter(pl.col("quantity") == pl.col("vendor"))
        unmatched = joined.filter(
            pl.col("vendor").is_null() | (pl.col("quantity") != pl.col("vendor"))
        )
        extra = candidate.join(reference, on=key, how="anti")
        detail = {
            "unmatched": len(unmatched),
            "quantity_mismatches": len(unmatched.filter(pl.col("vendor").is_not_null())),
            "vendor_extra": len(extra),
            "first_unmatched": unmatched.head(LISTED).select(key).rows(),
        }
        return MetricResult(_share(len(matched), len(reference)), len(reference), detail)


@register
@dataclass(frozen=True)
class VendorLatency:
    """Median of vendor ``received_time`` minus live capture time, per shared depth message.

    The detail holds the distribution (percentiles, IQR) and each side's receive time minus
    exchange time, which exposes each recorder's clock offset.
    """

    name: str = "vendor_latency"
    unit: str = "ms"

    def compute(self, aligned: Aligned) -> MetricResult:
        joined = aligned.reference_messages.join(
            aligned.candidate_messages.select(
                "update_id", pl.col("received_ns").alias("vendor_ns")
            ),
            on="update_id",
        )
        if joined.is_empty():
            return MetricResult(NAN, 0)
        latency = (joined["vendor_ns"] - joined["received_ns"]).to_numpy() / 1e6
        live = (joined["received_ns"] - joined["origin_ns"]).to_numpy() / 1e6
        vendor = (joined["vendor_ns"] - joined["origin_ns"]).to_numpy() / 1e6
        percentiles = np.percentile(latency, [1, 25, 50, 75, 90, 99])
        detail = {
            **{
                f"p{p}": float(v) for p, v in zip((1, 25, 50, 75, 90, 99), percentiles, strict=True)
            },
            "iqr": float(percentiles[3] - percentiles[1]),
            "min": float(latency.min()),
            "max": float(latency.max()),
            "live_minus_exchange_median": float(np.median(live)),
            "vendor_minus_exchange_median": float(np.median(vendor)),
        }
        return MetricResult(float(percentiles[2]), int(latency.size), detail)


@register
@dataclass(frozen=True)
class OriginTimeAgreement:
    """Share of shared depth messages whose exchange times agree to the millisecond."""

    name: str = "origin_time_agreement"
    unit: str = "share"
    gated: bool = True

    def compute(self, aligned: Aligned) -> MetricResult:
        joined = aligned.reference_messages.filter(pl.col("kind") == "delta").join(
            aligned.candidate_messages.select("update_id", pl.col("origin_ns").alias("vendor_ns")),
            on="update_id",
        )
        ms = 1_000_000
        equal = ((joined["origin_ns"] + ms // 2) // ms) == ((joined["vendor_ns"] + ms // 2) // ms)
        wrong = joined.filter(~equal)["update_id"]
        detail = {"mismatches": len(wrong), "first_mismatches": wrong.head(LISTED).to_list()}
        return MetricResult(_share(int(equal.sum()), len(joined)), len(joined), detail)


@register
@dataclass(frozen=True)
class GridAgreement:
    """Share of 100 ms exchange-time grid points where mid, spread and OFI agree exactly.

    The detail gives each series' largest absolute difference (price units) and the
    correlation of the two mid series.
    """

    name: str = "grid_series_agreement"
    unit: str = "share"
    gated: bool = True

    def compute(self, aligned: Aligned) -> MetricResult:
        joined = aligned.reference_grid.join(aligned.candidate_grid, on="grid_ns", suffix="_vendor")
        joined = joined.drop_nulls()
        if joined.is_empty():
            return MetricResult(NAN, 0)
        series = {
            "mid": (pl.col("bid") + pl.col("ask"), pl.col("bid_vendor") + pl.col("ask_vendor")),
            "spread": (pl.col("ask") - pl.col("bid"), pl.col("ask_vendor") - pl.col("bid_vendor")),
            "ofi": (pl.col("ofi"), pl.col("ofi_vendor")),
            "bid_size": (pl.col("bid_size"), pl.col("bid_size_vendor")),
            "ask_size": (pl.col("ask_size"), pl.col("ask_size_vendor")),
        }
        differences = joined.select(
            [(live - vendor).abs().alias(key) for key, (live, vendor) in series.items()]
        )
        equal = differences.select(pl.sum_horizontal(pl.all()) == 0).to_series()
        mids = joined.select(series["mid"][0].alias("a"), series["mid"][1].alias("b"))
        detail: dict[str, Any] = {
            f"max_abs_diff_{key}": int(differences[key].max()) / 2e8
            if key == "mid"
            else int(differences[key].max()) / 1e8
            for key in series
        }
        detail["mid_correlation"] = mids.select(pl.corr("a", "b")).item()
        return MetricResult(_share(int(equal.sum()), len(joined)), len(joined), detail)
