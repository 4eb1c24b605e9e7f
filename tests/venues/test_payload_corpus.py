"""Every consumer reads every corpus payload (tests/venues/payloads.py) the same way.

The classifier, the typed parsers, the validation scan and its typed fallback, replay and the
importers all take a message's kind from its market's classifier, and its ids as that kind
defines them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import numpy as np
import orjson
import pytest

from rlx_lib.capture import import_capture
from rlx_lib.capture.health import load_capture
from rlx_lib.catalog import lake_symbol
from rlx_lib.errors import ParseError
from rlx_lib.golden import (
    GoldenRecord,
    format_record,
    golden_files,
    iter_records,
    write_golden_file,
)
from rlx_lib.reconstruction.replay import golden_input
from rlx_lib.validation import batch
from rlx_lib.validation.checks import GoldenValidator
from rlx_lib.validation.lines import payload_ids
from rlx_lib.validation.loader import GoldenMessage
from rlx_lib.validation.scan import FIELDS, scan_block
from rlx_lib.venues import MARKETS, stream_kind
from rlx_lib.venues.binance import KINDS
from tests.venues.payloads import CORPUS, Payload

CAPTURE_NS = 1_723_161_255_500_000_000
DAY = dt.date(2024, 8, 8)
_IDS = ("E", "T", "U", "u", "pu", "id")
_COUNTS = {
    "depth": "depth_messages",
    "trade": "trade_messages",
    "agg_trade": "agg_trade_messages",
    "book_ticker": "book_ticker_messages",
    "snapshot": "snapshots",
    "mark_price": "other_messages",
    "other": "other_messages",
}
by_name = pytest.mark.parametrize("entry", CORPUS, ids=[entry.name for entry in CORPUS])


def _line(entry: Payload) -> bytes:
    return format_record(CAPTURE_NS, entry.stream, entry.raw)


def _symbol(entry: Payload) -> str:
    return lake_symbol(entry.stream.partition("@")[0], market=entry.market)


@by_name
def test_classifier_and_typed_parser(entry: Payload) -> None:
    market = MARKETS[entry.market]
    kind, message = market.parse(entry.stream, entry.raw)
    assert kind == entry.kind
    if kind in ("other",):
        assert message is None
        return
    seen = {
        "depth": lambda m: {
            "E": m.event_time,
            "U": m.first_update_id,
            "u": m.final_update_id,
            "pu": m.previous_final_update_id,
        },
        "trade": lambda m: {"E": m.event_time, "T": m.trade_time, "id": m.trade_id},
        "agg_trade": lambda m: {"E": m.event_time, "T": m.trade_time, "id": m.agg_id},
        "book_ticker": lambda m: {"u": m.update_id, "E": m.event_time},
        "snapshot": lambda m: {},
        "mark_price": lambda m: {"E": m.event_time, "T": m.next_funding_time},
    }[kind](message)
    expected = {key: entry.ids.get(key) for key in seen}
    assert seen == expected


@by_name
def test_validation_scan_reads_kind_and_ids(entry: Payload) -> None:
    market = MARKETS[entry.market]
    (row,) = scan_block(_line(entry) + b"\n", 1, market)
    column = dict(zip(FIELDS, row.tolist(), strict=True))
    if entry.kind == "other" and market.classify(entry.stream) != "other":
        assert column["ok"] == 0  # e contradicts the stream: the typed decoder decides
        return
    assert column["ok"] == 1
    assert KINDS[column["kind"]] == entry.kind
    if entry.kind in ("snapshot", "other"):
        return
    missing = np.iinfo(np.int64).min
    found = {key: column[key] for key in _IDS if column[key] != missing}
    wanted = dict(entry.ids)
    if entry.kind in ("depth", "book_ticker"):  # the scan stops once the ids are read
        for key in ("E", "T"):
            wanted.pop(key, None)
            found.pop(key, None)
    assert found == wanted


@by_name
def test_typed_fallback_reads_kind_and_ids(entry: Payload) -> None:
    market = MARKETS[entry.market]
    message = msgspec.json.Decoder(GoldenMessage).decode(_line(entry))
    kind = market.classify(message.stream, message.data.e)
    assert kind == entry.kind
    data = message.data
    assert market.trade_id(kind, payload_ids(data)) == entry.ids.get("id")
    if kind == "depth":
        assert (data.U, data.u, data.pu) == tuple(entry.ids.get(k) for k in ("U", "u", "pu"))


@by_name
@pytest.mark.parametrize("path", ["scan", "typed"])
def test_validator_counts_each_payload_once(
    entry: Payload, path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "typed":

        def never_canonical(block: bytes, lines: int, market: object) -> np.ndarray:
            table = scan_block(block, lines, market)
            table[:, FIELDS.index("ok")] = 0
            return table

        monkeypatch.setattr(batch, "scan_block", never_canonical)
    exchange = MARKETS[entry.market].exchange
    file = tmp_path / f"golden/exchange={exchange}/symbol={_symbol(entry)}/dt=2024-08-08/23.jsonl"
    file.parent.mkdir(parents=True)
    file.write_bytes(_line(entry) + b"\n")
    validator = GoldenValidator()
    validator.add_file(file)
    states = validator.futures_states if entry.market == "usdm" else validator.states
    name = entry.stream.partition("@")[0].upper()
    assert list(states) == [name]
    counts = states[name].counts
    assert counts[_COUNTS[entry.kind]] == 1
    assert sum(counts[name] for name in set(_COUNTS.values())) == 1
    assert not [row for row in validator.issues if row["check"] == "bad_message"]


@by_name
def test_replay_takes_trades_and_snapshots(entry: Payload, tmp_path: Path) -> None:
    file = tmp_path / (
        f"golden/exchange={MARKETS[entry.market].exchange}/symbol={_symbol(entry)}"
        "/dt=2024-08-08/23.jsonl.zst"
    )
    write_golden_file(file, [GoldenRecord(CAPTURE_NS, entry.stream, entry.raw)])
    day = golden_input(tmp_path, symbol=_symbol(entry), day=DAY)
    assert len(day.trade_id) == (entry.kind in ("trade", "agg_trade"))
    if len(day.trade_id):
        assert day.trade_id.tolist() == [entry.ids["id"]]
    assert day.notes["snapshots"] == (entry.kind == "snapshot")


@by_name
def test_importer_files_each_payload_under_its_market(entry: Payload, tmp_path: Path) -> None:
    source = tmp_path / "btcusdt_20240808.txt"
    frame = (
        entry.raw
        if entry.kind == "snapshot"
        else (b'{"stream":"%s","data":%s}' % (entry.stream.encode(), entry.raw))
    )
    source.write_bytes(b"%d %s\n" % (CAPTURE_NS, frame))
    root = tmp_path / "data"
    if MARKETS[entry.market].classify(entry.stream) == "other":  # no market's stream
        with pytest.raises(ParseError, match="no Binance spot or USD-M futures"):
            import_capture(root, paths=[source], format="hftbacktest")
        return
    summary = import_capture(root, paths=[source], format="hftbacktest")
    assert summary.market == entry.market
    (path,) = golden_files([root / "golden"])
    exchange = MARKETS[entry.market].exchange
    assert f"exchange={exchange}/symbol={_symbol(entry)}/" in path.as_posix()
    (record,) = iter_records(path)
    assert (record.stream, record.data) == (entry.stream, entry.raw)


@by_name
def test_capture_health_reads_each_kind_s_last_id(entry: Payload, tmp_path: Path) -> None:
    file = tmp_path / "23.jsonl.zst"
    write_golden_file(file, [GoldenRecord(CAPTURE_NS, entry.stream, entry.raw)])
    (row,) = load_capture([file]).to_dicts()
    expected = entry.ids.get("id", entry.ids.get("u"))
    if entry.kind == "snapshot":
        expected = orjson.loads(entry.raw)["lastUpdateId"]
    if entry.kind in ("other", "mark_price") and stream_kind(entry.stream) in (
        "other",
        "mark_price",
    ):
        expected = None
    assert row["last_id"] == expected
