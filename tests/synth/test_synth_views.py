"""The two views of one synthetic session obey their sources' rules and agree with the truth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from rlx_lib.decimals import decimal_to_units
from rlx_lib.golden import golden_files, iter_records
from rlx_lib.synth import synthesize
from rlx_lib.synth.market import simulate
from rlx_lib.venues.binance import DepthSync, SyncVerdict, parse_book_ticker, parse_depth_update

START = dt.datetime(2024, 8, 8, tzinfo=dt.UTC)
START_NS = int(START.timestamp()) * 1_000_000_000
SEED = 3


@pytest.fixture(name="session", scope="module")
def fixture_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("views")
    synthesize(root, symbols=["BTC-USDT"], regime="high", minutes=1.0, seed=SEED, start=START)
    return root


@pytest.fixture(name="truth", scope="module")
def fixture_truth():
    return simulate("BTC-USDT", "high", start_ns=START_NS, seconds=60.0, seed=SEED)


class TruthBook:
    """The ground-truth book replayed with plain dicts, moved forward to any update id."""

    def __init__(self, truth) -> None:
        self.truth = truth
        self.bids = dict(
            zip(truth.initial_bid_price.tolist(), truth.initial_bid_size.tolist(), strict=True)
        )
        self.asks = dict(
            zip(truth.initial_ask_price.tolist(), truth.initial_ask_size.tolist(), strict=True)
        )
        self.update_id = truth.first_update_id - 1

    def advance(self, update_id: int) -> None:
        first = self.truth.first_update_id
        for index in range(self.update_id + 1 - first, update_id + 1 - first):
            side = self.bids if self.truth.change_is_bid[index] else self.asks
            price, size = int(self.truth.change_price[index]), int(self.truth.change_size[index])
            if size:
                side[price] = size
            else:
                side.pop(price, None)
        self.update_id = update_id

    def top(self, depth: int) -> tuple[list, list]:
        return (
            sorted(self.bids.items(), reverse=True)[:depth],
            sorted(self.asks.items())[:depth],
        )


def _records(root: Path):
    for path in golden_files([root / "golden"]):
        yield from iter_records(path)


def test_live_view_syncs_with_no_gap_and_matches_the_truth(session: Path, truth) -> None:
    sync: DepthSync = DepthSync()
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    verdicts: list[SyncVerdict] = []
    diffs_before_snapshot = 0
    book = TruthBook(truth)
    checked = 0
    for record in _records(session):
        if record.stream.endswith("@depthSnapshot"):
            body = orjson.loads(record.data)
            bids = {_units(p): _units(q) for p, q in body["bids"]}
            asks = {_units(p): _units(q) for p, q in body["asks"]}
            assert len(body["bids"]) == len(body["asks"]) == 1000
            steps = sync.snapshot(body["lastUpdateId"])
        elif record.stream.endswith("@depth@100ms"):
            if sync.update_id is None:
                diffs_before_snapshot += 1
            update = parse_depth_update(record.data)
            steps = sync.diff(update.first_update_id, update.final_update_id, update)
        else:
            continue
        for step in steps:
            verdicts.append(step.verdict)
            if step.verdict is not SyncVerdict.APPLY:
                continue
            for is_bid, levels in ((True, step.item.bids), (False, step.item.asks)):
                side = bids if is_bid else asks
                for price, size in levels:
                    if size:
                        side[price] = size
                    else:
                        side.pop(price, None)
            assert max(bids) < min(asks), "the live book crossed"
            book.advance(step.final_update_id)
            true_bids, true_asks = book.top(20)
            assert sorted(bids.items(), reverse=True)[:20] == true_bids
            assert sorted(asks.items())[:20] == true_asks
            checked += 1
    assert SyncVerdict.GAP not in verdicts
    assert 2 <= diffs_before_snapshot <= 4  # the REST snapshot lands after the first diffs
    assert SyncVerdict.STALE in verdicts  # ... and some of them are already in it
    assert checked > 500


def _units(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100_000_000 + int(frac.ljust(8, "0"))


def test_live_messages_look_like_binance(session: Path, truth) -> None:
    keys: dict[str, list[str]] = {}
    depth_times: list[int] = []
    previous_final = None
    trade_lags = []
    tickers = []
    for record in _records(session):
        kind = record.stream.split("@", 1)[-1]
        if record.stream == "_session":
            assert orjson.loads(record.data)["event"] == "connected"
            continue
        message = orjson.loads(record.data)
        keys.setdefault(kind, list(message))
        assert record.data == orjson.dumps(message)  # compact, key order kept
        if kind == "depth@100ms":
            assert message["b"] or message["a"]  # never a message for an empty window
            if previous_final is not None:
                assert message["U"] == previous_final + 1
            previous_final = message["u"]
            depth_times.append(message["E"])
            for price, size in message["b"] + message["a"]:
                assert len(price.split(".")[1]) == 8
                assert len(size.split(".")[1]) == 8
            prices = [_units(p) for p, _ in message["b"]]
            assert prices == sorted(prices, reverse=True)
        elif kind == "trade":
            trade_lags.append((message["T"], message["m"], message["E"]))
        elif kind == "bookTicker":
            tickers.append(parse_book_ticker(record.data))
    assert keys["depth@100ms"] == ["e", "E", "s", "U", "u", "b", "a"]
    assert keys["trade"] == ["e", "E", "s", "t", "p", "q", "T", "m", "M"]
    assert keys["aggTrade"] == ["e", "E", "s", "a", "p", "q", "f", "l", "T", "m", "M"]
    assert keys["bookTicker"] == ["u", "s", "b", "B", "a", "A"]
    assert keys["depthSnapshot"] == ["lastUpdateId", "bids", "asks"]
    steps = np.diff(depth_times)
    assert set(np.unique(steps % 100).tolist()) <= {0, 1, 99}  # 100 ms windows, E now and then +1
    # E - T: a few ms for a lone fill, growing with the size of the sweep (calibration §6)
    sweeps: dict[tuple[int, bool], list[int]] = {}
    for trade_time, maker, event_time in trade_lags:
        sweeps.setdefault((trade_time, maker), []).append(event_time - trade_time)
    assert min(min(lags) for lags in sweeps.values()) >= 0
    assert np.diff([event for _, _, event in trade_lags]).min() >= 0
    lone = [lags[0] for lags in sweeps.values() if len(lags) == 1]
    large = [max(lags) for lags in sweeps.values() if len(lags) > 100]
    assert np.median(lone) <= 3
    assert not large or np.median(large) > np.median(lone)
    # bookTicker holds the true top of book at its own update id
    book = TruthBook(truth)
    for ticker in tickers[:: max(1, len(tickers) // 300)]:
        book.advance(ticker.update_id)
        (best_bid,), (best_ask,) = book.top(1)
        assert (ticker.bid_price, ticker.bid_size, ticker.ask_price, ticker.ask_size) == (
            *best_bid,
            *best_ask,
        )


def _lake(root: Path, table: str) -> pl.DataFrame:
    files = sorted((root / "lake" / table).rglob("*.parquet"))
    return pl.concat([pl.read_parquet(f, hive_partitioning=False) for f in files])


def test_naive_rebuild_of_vendor_deltas_equals_the_truth_at_every_u(session: Path, truth) -> None:
    delta = _lake(session, "book_delta_v2")
    sequence = delta["sequence_number"].to_numpy()
    is_bid = delta["side_is_bid"].to_numpy()
    price = decimal_to_units(delta["price"].to_arrow())
    size = decimal_to_units(delta["size"].to_arrow())
    snapshot = (delta["origin_time"].dt.epoch("ns") == 0).to_numpy()
    assert snapshot[0]
    assert snapshot.sum() > 2000
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    book = TruthBook(truth)
    starts = np.flatnonzero(np.r_[True, sequence[1:] != sequence[:-1]])
    ends = np.r_[starts[1:], len(sequence)]
    compared = 0
    for low, high in zip(starts, ends, strict=True):
        for row in range(low, high):
            side = bids if is_bid[row] else asks
            if size[row]:
                side[int(price[row])] = int(size[row])
            else:
                side.pop(int(price[row]), None)
        book.advance(int(sequence[low]))
        assert (bids, asks) == (book.bids, book.asks), f"books differ at u={sequence[low]}"
        assert max(bids) < min(asks)
        compared += 1
    assert compared > 500
    times = delta.filter(~pl.Series(snapshot))["origin_time"].dt.epoch("ns").to_numpy()
    assert np.any(times % 1_000_000 != 0)  # E passed through float seconds, as Lake stores it
    assert np.abs(times - np.rint(times / 1e6) * 1e6).max() < 1000


def test_vendor_book_rows_equal_the_truth_top_20(session: Path, truth) -> None:
    rows = _lake(session, "book")
    assert rows.height > 400
    gaps = np.diff(rows["received_time"].dt.epoch("ns").to_numpy())
    assert gaps.min() >= 25_000_000
    book = TruthBook(truth)
    for row in rows.iter_rows(named=True):
        book.advance(row["sequence_number"])
        true_bids, true_asks = book.top(20)
        for level in range(20):
            for side, levels in (("bid", true_bids), ("ask", true_asks)):
                expected = levels[level] if level < len(levels) else (None, None)
                got = tuple(
                    None
                    if row[f"{side}_{level}_{c}"] is None
                    else int(row[f"{side}_{level}_{c}"] * 10**8)
                    for c in ("price", "size")
                )
                assert got == expected, f"{side} {level} at u={row['sequence_number']}"
        assert row["bid_0_price"] < row["ask_0_price"]


def test_vendor_trades_are_the_aggregate_trades(session: Path) -> None:
    trades = _lake(session, "trades")
    aggregates = [orjson.loads(r.data) for r in _records(session) if r.stream.endswith("@aggTrade")]
    assert trades.height == len(aggregates) > 0
    by_id = {a["a"]: a for a in aggregates}
    for row in trades.iter_rows(named=True):
        agg = by_id[row["trade_id"]]
        assert row["side"] == ("sell" if agg["m"] else "buy")
        assert _units(agg["q"]) == int(row["quantity"] * 10**8)
        origin = row["origin_time"].timestamp() * 1000
        assert round(origin) == agg["T"]


def test_window_by_window_session_stays_continuous(tmp_path: Path) -> None:
    """Simulated and written in 20 s windows: ids, clocks and both views stay continuous."""
    synthesize(tmp_path, symbols=["ETH-USDT"], minutes=1.0, seed=8, start=START, chunk_seconds=20)
    sync: DepthSync = DepthSync()
    bids: dict[int, int] = {}
    asks: dict[int, int] = {}
    golden_states: dict[int, tuple[int, int, int]] = {}
    last_capture: dict[str, int] = {}
    previous_final = None
    for record in _records(tmp_path):
        assert record.capture_ns >= last_capture.get(record.stream, 0)
        last_capture[record.stream] = record.capture_ns
        if record.stream.endswith("@depthSnapshot"):
            body = orjson.loads(record.data)
            bids = {_units(p): _units(q) for p, q in body["bids"]}
            asks = {_units(p): _units(q) for p, q in body["asks"]}
            steps = sync.snapshot(body["lastUpdateId"])
        elif record.stream.endswith("@depth@100ms"):
            update = parse_depth_update(record.data)
            if previous_final is not None:
                assert update.first_update_id == previous_final + 1
            previous_final = update.final_update_id
            steps = sync.diff(update.first_update_id, update.final_update_id, update)
        else:
            continue
        for step in steps:
            assert step.verdict is not SyncVerdict.GAP
            if step.verdict is SyncVerdict.APPLY:
                for is_bid, levels in ((True, step.item.bids), (False, step.item.asks)):
                    side = bids if is_bid else asks
                    for price, size in levels:
                        if size:
                            side[price] = size
                        else:
                            side.pop(price, None)
                golden_states[step.final_update_id] = (max(bids), min(asks), len(bids))
    first = min(golden_states)  # the two connections sync at different ids
    rows = _lake(tmp_path, "book").filter(pl.col("sequence_number") >= first)
    assert rows.height > 500
    for row in rows.iter_rows(named=True):
        best_bid, best_ask, _ = golden_states[row["sequence_number"]]
        assert int(row["bid_0_price"] * 10**8) == best_bid
        assert int(row["ask_0_price"] * 10**8) == best_ask
    delta = _lake(tmp_path, "book_delta_v2")
    sequence = delta.filter(
        (pl.col("origin_time").dt.epoch("ns") > 0) & (pl.col("sequence_number") >= first)
    )["sequence_number"]
    assert set(sequence.to_list()) == set(golden_states)
