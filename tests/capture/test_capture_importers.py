"""Importers: real hftbacktest and cryptofeed captures, old shapes, time units, damage."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlx_lib.capture.envelope import split_envelope, to_nanoseconds
from rlx_lib.capture.importers import import_capture, read_cryptofeed, read_hftbacktest
from rlx_lib.errors import OverwriteError
from rlx_lib.golden import ReadReport, golden_files, iter_records
from rlx_lib.venues.binance import DepthSync, SyncVerdict, parse_depth_snapshot


def _golden(root: Path) -> list:
    records = []
    for path in golden_files([root / "golden"]):
        report = ReadReport(str(path))
        records.extend(iter_records(path, report))
        assert report.clean, report
    return records


def test_hftbacktest_real_capture_imports_every_message(real_data: Path, data_root: Path) -> None:
    files = sorted((real_data / "hftbacktest-binance-2024-08-08" / "spot").glob("btcusdt_*.gz"))
    assert len(files) == 2
    source = []
    for path in files:
        with gzip.open(path, "rb") as handle:
            for line in handle:
                stamp, _, text = line.rstrip(b"\n").partition(b" ")
                source.append((int(stamp), text))
    summary = import_capture(data_root, paths=files, format="hftbacktest")
    assert summary.symbols == ["btcusdt"]
    records = _golden(data_root)
    assert len(records) == len(source)
    imported = Counter()
    for record in records:
        if record.stream.endswith("@depthSnapshot"):
            imported[(record.capture_ns, record.data)] += 1
        else:
            frame = b'{"stream":"%s","data":%s}' % (record.stream.encode(), record.data)
            imported[(record.capture_ns, frame)] += 1
    assert imported == Counter(source)  # every source message, byte for byte, once

    sync: DepthSync[int] = DepthSync()
    verdicts: Counter[SyncVerdict] = Counter()
    trade_ids = []
    for record in sorted(records, key=lambda r: r.capture_ns):
        if record.stream == "btcusdt@depthSnapshot":
            steps = sync.snapshot(parse_depth_snapshot(record.data).last_update_id)
        elif record.stream == "btcusdt@depth@100ms":
            data = orjson.loads(record.data)
            steps = sync.diff(data["U"], data["u"], 0)
        else:
            if record.stream == "btcusdt@trade":
                trade_ids.append(orjson.loads(record.data)["t"])
            continue
        verdicts.update(step.verdict for step in steps if step.verdict != SyncVerdict.BUFFERED)
    assert verdicts[SyncVerdict.GAP] == 0
    assert verdicts[SyncVerdict.STALE] == 2
    assert verdicts[SyncVerdict.APPLY] == 6493
    assert trade_ids == list(range(trade_ids[0], trade_ids[0] + len(trade_ids)))


def test_cryptofeed_real_capture_imports_four_symbols_with_snapshots(
    real_data: Path, data_root: Path
) -> None:
    folder = real_data / "cryptofeed-binance-2021-10-12"
    summary = import_capture(
        data_root,
        paths=[folder / "BINANCE.ws.1.0", folder / "BINANCE.http.0.0"],
        format="cryptofeed",
    )
    assert summary.symbols == ["blzeth", "lrcbtc", "nknusdt", "runeeur"]
    assert len(summary.written) == 4
    records = _golden(data_root)
    market = [r for r in records if "@" in r.stream and not r.stream.endswith("Snapshot")]
    assert len(market) == 265
    for symbol in summary.symbols:
        mine = sorted(
            (r for r in records if r.stream.startswith(symbol + "@")), key=lambda r: r.capture_ns
        )
        snapshots = [r for r in mine if r.stream == f"{symbol}@depthSnapshot"]
        assert len(snapshots) == 1
        sync: DepthSync[int] = DepthSync()
        applied = gaps = 0
        for record in mine:
            if record.stream.endswith("@depthSnapshot"):
                steps = sync.snapshot(orjson.loads(record.data)["lastUpdateId"])
            elif "@depth@" in record.stream:
                data = orjson.loads(record.data)
                steps = sync.diff(data["U"], data["u"], 0)
            else:
                continue
            applied += sum(s.verdict == SyncVerdict.APPLY for s in steps)
            gaps += sum(s.verdict == SyncVerdict.GAP for s in steps)
        assert gaps == 0
        assert applied >= 1


def test_cryptofeed_reader_converts_float_seconds_exactly(real_data: Path) -> None:
    folder = real_data / "cryptofeed-binance-2021-10-12"
    first = next(r for r in read_cryptofeed([folder / "BINANCE.ws.1.0"]) if "@" in r.stream)
    assert first.capture_ns == 1633998512063356900
    assert first.stream == "nknusdt@depth@100ms"
    assert first.data.startswith(b'{"e":"depthUpdate","E":1633998512068,')


def _write_gz(path: Path, lines: list[bytes], *, cut: int = 0) -> Path:
    blob = gzip.compress(b"".join(lines))
    path.write_bytes(blob[: len(blob) - cut] if cut else blob)
    return path


OLD_TRADE = (
    b'{"stream":"ethusdt@trade","data":{"e":"trade","E":1690000000123,"s":"ETHUSDT",'
    b'"t":7,"p":"1900.10000000","q":"0.50000000","b":11,"a":12,"T":1690000000120,'
    b'"m":false,"M":true}}'
)
SNAPSHOT = b'{"lastUpdateId":100,"bids":[["1.00000000","2.00000000"]],"asks":[]}'


def test_hftbacktest_old_shapes_microseconds_and_snapshot_symbol(tmp_path: Path) -> None:
    path = _write_gz(
        tmp_path / "ethusdt_20230722.gz",
        [b"1690000000100000 " + SNAPSHOT + b"\n", b"1690000000200000 " + OLD_TRADE + b"\n"],
    )
    records = list(read_hftbacktest(path))
    assert [r.stream for r in records] == ["ethusdt@depthSnapshot", "ethusdt@trade"]
    assert records[0].capture_ns == 1690000000100000000  # microseconds scaled to ns
    assert records[0].data == SNAPSHOT
    assert records[1].data == OLD_TRADE[len(b'{"stream":"ethusdt@trade","data":') : -1]
    overridden = list(read_hftbacktest(path, symbol="solusdt"))
    assert overridden[0].stream == "solusdt@depthSnapshot"


def test_hftbacktest_truncated_last_line_keeps_the_rest(tmp_path: Path) -> None:
    lines = [b"%d %s\n" % (1690000000200000000 + i, OLD_TRADE) for i in range(50)]
    half = lines[-1][: len(lines[-1]) // 2]
    path = _write_gz(tmp_path / "ethusdt_x.gz", [*lines[:-1], half])
    report = ReadReport(str(path))
    records = list(read_hftbacktest(path, report=report))
    assert len(records) == 49
    assert report.bad_lines
    assert "truncated" in report.bad_lines[-1][1]
    many = [b"%d %s\n" % (1690000000200000000 + i, OLD_TRADE) for i in range(12_000)]
    cut = _write_gz(tmp_path / "ethusdt_y.gz", many, cut=7)  # gzip stream cut short
    report = ReadReport(str(cut))
    kept = list(read_hftbacktest(cut, report=report))
    assert 0 < len(kept) < len(many)  # everything before the damaged block is kept
    assert [r.capture_ns for r in kept] == list(
        range(1690000000200000000, len(kept) + 1690000000200000000)
    )
    assert report.truncated is not None


def test_import_rerun_is_a_no_op_and_a_change_needs_force(tmp_path: Path, data_root: Path) -> None:
    lines = [b"%d %s\n" % (1690000000200000000 + i, OLD_TRADE) for i in range(3)]
    path = _write_gz(tmp_path / "ethusdt_a.gz", lines)
    first = import_capture(data_root, paths=[path], format="hftbacktest")
    again = import_capture(data_root, paths=[path], format="hftbacktest")
    assert len(first.written) == 1
    assert again.written == []
    assert again.unchanged == first.written
    other = _write_gz(tmp_path / "ethusdt_b.gz", lines[:2])
    with pytest.raises(OverwriteError):
        import_capture(data_root, paths=[other], format="hftbacktest")
    forced = import_capture(data_root, paths=[other], format="hftbacktest", force=True)
    assert len(_golden(data_root)) == 2
    assert forced.written == first.written


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789@", min_size=1, max_size=30))
def test_split_envelope_returns_the_payload_bytes(stream: str) -> None:
    payload = b'{"e":"x", "v" : [1,2.50, "3"]}'
    frame = b'{"stream":"%s","data":%s}' % (stream.encode(), payload)
    assert split_envelope(frame) == (stream, payload, orjson.loads(payload))


@pytest.mark.parametrize("frame", [b'{"stream":"a@b","data":{"e":', b"[1]", b'{"result":null}'])
def test_split_envelope_refuses_other_frames(frame: bytes) -> None:
    assert split_envelope(frame) is None


@given(st.integers(min_value=1_000_000_000, max_value=4_000_000_000), st.integers(0, 999_999_999))
def test_receive_times_in_every_unit_agree(seconds: int, nanos: int) -> None:
    ns = seconds * 1_000_000_000 + nanos
    assert to_nanoseconds(str(ns)) == ns
    assert to_nanoseconds(str(ns // 1000)) == ns // 1000 * 1000
    assert to_nanoseconds(str(ns // 1_000_000)) == ns // 1_000_000 * 1_000_000
    assert to_nanoseconds(f"{seconds}.{nanos:09d}") == ns
