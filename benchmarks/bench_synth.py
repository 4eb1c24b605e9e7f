"""Generation rate of the synthetic market's ground truth, beside a plain-Python dict book.

``simulate`` runs an hour (quick: ten minutes) of the ``high`` BTC-USDT regime after a
short warm-up that compiles the kernel. The baseline applies the same level changes to a
``dict`` book in a plain Python loop, the least a pure-Python generator would have to do.
Figures are medians of three repeats.
"""

from __future__ import annotations

import statistics
import time

from rlx_lib.synth.market import simulate

START_NS = 1_723_161_600_000_000_000


def _dict_book(truth) -> float:
    """Seconds for a plain Python loop to apply every change to dict books."""
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    sides = truth.change_is_bid.tolist()
    prices = truth.change_price.tolist()
    sizes = truth.change_size.tolist()
    start = time.perf_counter()
    for is_bid, price, size in zip(sides, prices, sizes, strict=True):
        book = bids if is_bid else asks
        if size:
            book[price] = size
        else:
            book.pop(price, None)
    return time.perf_counter() - start


def run(*, quick: bool) -> list[dict]:
    """Level changes and events (changes plus trades) generated per second, median of 3."""
    seconds = 600 if quick else 3600
    simulate("BTC-USDT", "high", start_ns=START_NS, seconds=1, seed=0)  # compile
    elapsed, baseline = [], []
    for repeat in range(3):
        start = time.perf_counter()
        truth = simulate("BTC-USDT", "high", start_ns=START_NS, seconds=seconds, seed=repeat)
        elapsed.append(time.perf_counter() - start)
        baseline.append(_dict_book(truth))
    changes = truth.change_price.size
    events = changes + truth.trade_id.size
    rate = changes / statistics.median(elapsed)
    dict_rate = changes / statistics.median(baseline)
    return [
        {"figure": "simulated exchange time", "value": seconds, "unit": "s"},
        {"figure": "level changes generated", "value": changes, "unit": "changes"},
        {
            "figure": "level changes per second",
            "value": round(rate),
            "unit": "changes/s",
            "baseline": "python dict book updates/s",
            "ratio": round(rate / dict_rate, 2),
            "target": 1_000_000,
        },
        {
            "figure": "python dict book updates per second",
            "value": round(dict_rate),
            "unit": "updates/s",
        },
        {
            "figure": "events per second",
            "value": round(events / statistics.median(elapsed)),
            "unit": "events/s",
        },
        {
            "figure": "exchange seconds per wall second",
            "value": round(seconds / statistics.median(elapsed), 1),
            "unit": "x",
        },
    ]
