"""The ``events/`` rows a live capture of a ground truth reconstructs to, built directly.

``rlx reconstruct --source golden`` on the live view of a truth yields one snapshot (the
initial book) and then, per 100 ms depth window, the last size of every price changed in the
window, plus every fill. :func:`truth_events` produces the same rows from the truth arrays
without writing or parsing the JSON in between, so detectors and estimators can be tested on
long sessions cheaply. Received times equal origin times (no network).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from rlx_lib.decimals import units_to_decimal
from rlx_lib.schemas import EVENTS
from rlx_lib.synth.live import WINDOW_NS

__all__ = ["truth_events"]

_SNAPSHOT, _DELTA, _TRADE = 0, 1, 2


def _windows(truth: object, phase_ns: int) -> dict[str, np.ndarray]:
    """Level rows of the depth messages: last change of each (window, side, price)."""
    time = np.asarray(truth.change_time_ns, dtype=np.int64)
    window = (time - phase_ns) // WINDOW_NS
    is_bid = np.asarray(truth.change_is_bid, dtype=bool)
    price = np.asarray(truth.change_price, dtype=np.int64)
    ids = int(truth.first_update_id) + np.arange(time.size, dtype=np.int64)
    order = np.lexsort((np.arange(time.size), np.where(is_bid, -price, price), ~is_bid, window))
    w, b, p = window[order], is_bid[order], price[order]
    last = np.r_[(w[1:] != w[:-1]) | (b[1:] != b[:-1]) | (p[1:] != p[:-1]), True]
    keep = order[last]
    starts = np.flatnonzero(np.r_[True, window[1:] != window[:-1]])
    first_id = ids[starts]
    final_id = np.r_[ids[starts[1:] - 1], ids[-1]] if time.size else ids
    message = np.searchsorted(window[starts], window[keep])
    return {
        "origin": phase_ns + (window[keep] + 1) * WINDOW_NS,
        "is_bid": is_bid[keep],
        "price": price[keep],
        "size": np.asarray(truth.change_size, dtype=np.int64)[keep],
        "update_id": final_id[message],
        "first_update_id": first_id[message],
    }


def _nullable(values: np.ndarray, null: np.ndarray) -> pl.Series:
    return pl.Series(np.ma.masked_array(values, mask=null), dtype=pl.Int64)


def truth_events(truth: object, *, phase_ns: int | None = None) -> pl.DataFrame:
    """``EVENTS`` rows (source ``golden``) of a :class:`~rlx_lib.synth.market.TruthStream`.

    ``phase_ns`` places the 100 ms depth grid (default: the truth's start).
    """
    phase = int(truth.start_ns if phase_ns is None else phase_ns)
    depth = _windows(truth, phase)
    snap_price = np.r_[truth.initial_bid_price, truth.initial_ask_price].astype(np.int64)
    snap_size = np.r_[truth.initial_bid_size, truth.initial_ask_size].astype(np.int64)
    snap_bid = np.r_[
        np.ones(truth.initial_bid_price.size, bool), np.zeros(truth.initial_ask_price.size, bool)
    ]
    trade_time = np.asarray(truth.trade_time_ns, dtype=np.int64)
    # a trade follows the depth messages published at or before it
    depth_pos = np.searchsorted(depth["origin"], trade_time, side="right")
    n_snap, n_depth, n_trade = snap_price.size, depth["price"].size, trade_time.size
    order = np.argsort(
        np.r_[np.full(n_snap, -1), np.arange(n_depth) * 2, depth_pos * 2 - 1], kind="stable"
    )
    columns = {
        "origin": np.r_[np.full(n_snap, truth.start_ns), depth["origin"], trade_time],
        "kind": np.r_[
            np.full(n_snap, _SNAPSHOT), np.full(n_depth, _DELTA), np.full(n_trade, _TRADE)
        ],
        "update_id": np.r_[
            np.full(n_snap, truth.first_update_id - 1),
            depth["update_id"],
            np.zeros(n_trade, np.int64),
        ],
        "first_update_id": np.r_[
            np.full(n_snap, -1), depth["first_update_id"], np.full(n_trade, -1)
        ],
        "trade_id": np.r_[np.full(n_snap + n_depth, -1), np.asarray(truth.trade_id, np.int64)],
        "is_bid": np.r_[snap_bid, depth["is_bid"], ~np.asarray(truth.trade_buyer_is_maker, bool)],
        "price": np.r_[snap_price, depth["price"], np.asarray(truth.trade_price, np.int64)],
        "size": np.r_[snap_size, depth["size"], np.asarray(truth.trade_quantity, np.int64)],
    }
    columns = {name: values[order] for name, values in columns.items()}
    kind = columns["kind"]
    time = pl.Series(columns["origin"]).cast(pl.Datetime("ns", "UTC"))
    frame = pl.DataFrame(
        {
            "source": pl.Series(["golden"] * kind.size, dtype=EVENTS["source"]),
            "origin_time": time,
            "received_time": time,
            "sequence": np.arange(kind.size, dtype=np.int64),
            "kind": pl.Series(np.array(["snapshot", "delta", "trade"])[kind], dtype=EVENTS["kind"]),
            "update_id": _nullable(columns["update_id"], kind == _TRADE),
            "first_update_id": _nullable(
                columns["first_update_id"], columns["first_update_id"] < 0
            ),
            "trade_id": _nullable(columns["trade_id"], kind != _TRADE),
            "side_is_bid": columns["is_bid"],
            "price": pl.from_arrow(units_to_decimal(columns["price"])),
            "size": pl.from_arrow(units_to_decimal(columns["size"])),
        }
    )
    return frame.select(EVENTS.names()).cast(dict(EVENTS))
