"""USD-M futures end to end: an hftbacktest-format capture with a snapshot, ``pu`` chains and one
deliberate ``pu`` break is imported under ``BINANCE_FUTURES``, validates with exactly one gap,
rebuilds, and its rebuilt top of book equals bookTicker at every shared update id after the
resync.
"""

from __future__ import annotations

import datetime as dt
import gzip
import random
from pathlib import Path

import numpy as np
import orjson
import polars as pl

from rlx_lib import catalog
from rlx_lib.capture import import_capture
from rlx_lib.decimals import decimal_to_units
from rlx_lib.validation.resume import validate_golden
from tests.reconstruction.conftest import rebuild

SYMBOL = "BTC-USDT-PERP"
DAY = dt.date(2024, 8, 8)
TICK = 10_000_000  # 0.10 in units of 1e-8


def _text(units: int, places: int) -> str:
    whole, fraction = divmod(units, 10**8)
    return f"{whole}.{fraction:08d}"[: -(8 - places)]


class _Exchange:
    """A small futures order book and the messages Binance would send about it."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.book = {True: {}, False: {}}
        for k in range(1, 11):
            self.book[True][6_180_000_000_000 - k * TICK] = k * 100_000
            self.book[False][6_180_000_000_000 + k * TICK] = k * 100_000
        self.update_id = 5_123_107_850_000
        self.event_ms = 1_723_161_255_000

    def top(self) -> tuple[int, int, int, int]:
        bid, ask = max(self.book[True]), min(self.book[False])
        return bid, self.book[True][bid], ask, self.book[False][ask]

    def diff(self) -> dict:
        """Change a few levels, without crossing; ids jump (shared with other symbols)."""
        previous = self.update_id
        first = previous + self.random.randint(1, 40)
        self.update_id = first + self.random.randint(0, 30)
        self.event_ms += 100
        sides = {True: [], False: []}
        for _ in range(self.random.randint(1, 4)):
            is_bid = self.random.random() < 0.5
            bid, _, ask, _ = self.top()
            edge = ask - TICK if is_bid else bid + TICK
            price = edge - self.random.randint(0, 6) * TICK * (1 if is_bid else -1)
            size = (
                0
                if self.random.random() < 0.3 and len(self.book[is_bid]) > 3
                else (self.random.randint(1, 5000) * 100_000)
            )
            if size:
                self.book[is_bid][price] = size
            else:
                self.book[is_bid].pop(price, None)
            sides[is_bid].append([_text(price, 2), _text(size, 3)])
        return {
            "e": "depthUpdate",
            "E": self.event_ms,
            "T": self.event_ms - 2,
            "s": "BTCUSDT",
            "U": first,
            "u": self.update_id,
            "pu": previous,
            "b": sides[True],
            "a": sides[False],
        }

    def snapshot(self) -> dict:
        return {
            "lastUpdateId": self.update_id,
            "E": self.event_ms,
            "T": self.event_ms - 1,
            "bids": [[_text(p, 2), _text(q, 3)] for p, q in sorted(self.book[True].items())],
            "asks": [[_text(p, 2), _text(q, 3)] for p, q in sorted(self.book[False].items())],
        }

    def trade(self, trade_id: int) -> dict:
        """A market trade of 0.001 at the best bid."""
        return {
            "e": "trade",
            "E": self.event_ms,
            "T": self.event_ms - 1,
            "s": "BTCUSDT",
            "t": trade_id,
            "p": _text(self.top()[0], 2),
            "q": _text(100_000, 3),
            "X": "MARKET",
            "m": True,
        }

    def mark_price(self) -> dict:
        return {
            "e": "markPriceUpdate",
            "E": self.event_ms,
            "s": "BTCUSDT",
            "p": "61800.15000000",
            "i": "61799.00000000",
            "P": "61790.00000000",
            "r": "0.00010000",
            "T": 1723190400000,
        }

    def book_ticker(self, update_id: int) -> dict:
        bid, bid_size, ask, ask_size = self.top()
        return {
            "e": "bookTicker",
            "u": update_id,
            "s": "BTCUSDT",
            "b": _text(bid, 2),
            "B": _text(bid_size, 3),
            "a": _text(ask, 2),
            "A": _text(ask_size, 3),
            "T": self.event_ms - 2,
            "E": self.event_ms,
        }


def _capture(path: Path) -> tuple[list[tuple[int, int, int, int, int]], int]:
    """Write the capture; return the bookTickers sent after the resync and the resync id."""
    market = _Exchange(seed=12)
    lines: list[bytes] = []
    clock = [1_723_161_255_100_000_000]

    def send(stream: str | None, data: dict) -> None:
        clock[0] += 7_000_000
        body = orjson.dumps(data)
        frame = body if stream is None else b'{"stream":"%s","data":%s}' % (stream.encode(), body)
        lines.append(b"%d %s" % (clock[0], frame))

    trade_id = 5_213_000_000
    tickers_after: list[tuple[int, int, int, int, int]] = []
    resync_id = 0
    send("btcusdt@depth@0ms", market.diff())  # buffered, then stale
    send("btcusdt@depth@0ms", market.diff())
    pending = market.diff()  # the snapshot falls inside this diff's [U, u]
    market.update_id, last = pending["U"] + 1, market.update_id
    send(None, market.snapshot())
    market.update_id = last
    send("btcusdt@depth@0ms", pending)
    for step in range(120):
        diff = market.diff()
        if step == 60:  # the deliberate break: this diff is lost on the way
            continue
        send("btcusdt@depth@0ms", diff)
        if step == 64:
            send(None, market.snapshot())  # the recorder's resync
            resync_id = market.update_id
        if step % 3 == 0:
            trade_id += 1
            send("btcusdt@trade", market.trade(trade_id))
        ticker = market.book_ticker(diff["u"])
        send("btcusdt@bookTicker", ticker)
        if step % 4 == 0:  # an id inside the next window: no diff ends there
            send("btcusdt@bookTicker", market.book_ticker(diff["u"] + 1))
        if resync_id and diff["u"] > resync_id:
            tickers_after.append((diff["u"], *market.top()))
    send("btcusdt@markPrice@1s", market.mark_price())
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    return tickers_after, resync_id


def test_futures_capture_imports_validates_and_rebuilds(data_root: Path, tmp_path: Path) -> None:
    source = tmp_path / "btcusdt_20240808.gz"
    tickers, resync_id = _capture(source)
    summary = import_capture(data_root, paths=[source], format="hftbacktest")
    assert summary.market == "usdm"
    folders = sorted(p.relative_to(data_root).as_posix() for p in data_root.glob("golden/*/*"))
    assert folders == ["golden/exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP"]

    report = validate_golden([data_root / "golden"])
    assert report.symbols == {}
    futures = report.futures_symbols["BTCUSDT"]
    assert futures["depth_gaps"] == 1
    assert futures["book_resets"] == 1
    assert futures["snapshots"] == 2
    assert (futures["trade_id_gaps"], futures["duplicates"], futures["out_of_order"]) == (0, 0, 0)
    assert futures["crossed_books"] == 0
    assert futures["book_ticker_checks"] >= len(tickers) > 40
    assert futures["book_ticker_agreement"] == 1.0
    assert report.to_dict()["futures_symbols"]["BTCUSDT"]["depth_gaps"] == 1
    written = report.write_issues(data_root)
    assert written
    assert all("exchange=BINANCE_FUTURES/symbol=BTC-USDT-PERP" in str(p) for p in written)

    (row,) = rebuild(data_root, [DAY], [SYMBOL], source="golden")
    assert row.status == "done", row
    assert row.notes["gaps"] == 1
    path = catalog.partition_dir(data_root, "book", symbol=SYMBOL, day=DAY) / "part-golden.parquet"
    assert "exchange=BINANCE_FUTURES" in path.as_posix()
    book = pl.read_parquet(path).filter(pl.col("update_id") > resync_id)
    columns = ("bid_0_price", "bid_0_size", "ask_0_price", "ask_0_size")
    rebuilt = {
        int(update_id): tuple(int(v) for v in values)
        for update_id, *values in zip(
            book["update_id"].to_list(),
            *(decimal_to_units(book[c].to_arrow()) for c in columns),
            strict=True,
        )
    }
    shared = [ticker for ticker in tickers if ticker[0] in rebuilt]
    assert len(shared) == len(tickers)
    assert all(rebuilt[ticker[0]] == ticker[1:] for ticker in shared)
    assert np.all(np.diff(book["update_id"].to_numpy()) > 0)
