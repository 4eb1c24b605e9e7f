"""The block reader and the compiled scan agree with the line reader and the typed decoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.golden import ReadReport, format_record, iter_line_blocks, iter_lines
from rlx_lib.validation import batch
from rlx_lib.validation.loader import levels, units
from rlx_lib.validation.resume import validate_golden
from rlx_lib.validation.scan import FIELDS, parse_levels, scan_block
from rlx_lib.venues.binance import Market


def test_line_blocks_match_lines_on_a_truncated_file(real_golden: Path, tmp_path: Path) -> None:
    source = sorted((real_golden / "golden").rglob("*.jsonl.zst"))[0]
    blob = source.read_bytes()
    damaged = tmp_path / "cut.jsonl.zst"
    damaged.write_bytes(blob[: len(blob) // 2])
    by_line, by_block = ReadReport(str(damaged)), ReadReport(str(damaged))
    lines = list(iter_lines(damaged, by_line))
    blocks = b"".join(iter_line_blocks(damaged, by_block))
    assert blocks.split(b"\n")[:-1] == lines
    assert by_block.lines == by_line.lines == len(lines)
    assert by_block.truncated is not None
    assert by_line.truncated is not None


def test_fast_path_and_line_by_line_path_give_the_same_report(
    real_golden: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden = [real_golden / "golden"]
    fast = validate_golden(golden)

    def never_canonical(block: bytes, lines: int, market: Market) -> np.ndarray:
        table = scan_block(block, lines, market)
        table[:, FIELDS.index("ok")] = 0
        return table

    monkeypatch.setattr(batch, "scan_block", never_canonical)
    slow = validate_golden(golden)
    assert slow.symbols == fast.symbols
    assert slow.issues.equals(fast.issues)


prices = st.integers(min_value=0, max_value=10**17)


@settings(max_examples=200, deadline=None)
@given(
    bids=st.lists(st.tuples(prices, prices), max_size=6),
    asks=st.lists(st.tuples(prices, prices), max_size=6),
    first=st.integers(min_value=1, max_value=10**15),
    span=st.integers(min_value=0, max_value=1000),
)
def test_scan_reads_depth_ids_and_levels_exactly(
    bids: list[tuple[int, int]], asks: list[tuple[int, int]], first: int, span: int
) -> None:
    def text(value: int) -> str:
        return f"{value // 10**8}.{value % 10**8:08d}"

    def side(levels_: list[tuple[int, int]]) -> str:
        return ",".join(f'["{text(p)}","{text(q)}"]' for p, q in levels_)

    data = (
        f'{{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":{first},"u":{first + span},'
        f'"b":[{side(bids)}],"a":[{side(asks)}]}}'
    )
    line = format_record(1723161253937085768, "btcusdt@depth@100ms", data)
    table = scan_block(line, 1)
    row = dict(zip(FIELDS, table[0].tolist(), strict=True))
    assert row["ok"] == 1
    assert (row["U"], row["u"], row["E"]) == (first, first + span, 1723161255208)
    _, is_bid, price, size, ok = parse_levels(line, table[:, 8], table[:, 9])
    assert ok.all()
    parsed = list(zip(is_bid.tolist(), price.tolist(), size.tolist(), strict=True))
    assert parsed == [(True, p, q) for p, q in bids] + [(False, p, q) for p, q in asks]
    raw = data.encode()
    start = raw.index(b'"b":') + 4
    assert levels(raw[start : raw.index(b',"a":')]) == bids  # the decoder agrees
    assert all(units(text(p)) == p for p, _ in bids)


def test_non_canonical_lines_are_flagged_for_the_decoder() -> None:
    block = b'{"stream": "btcusdt@trade", "capture_ns": 5, "data": {}}\nnot json at all\n'
    table = scan_block(block, 2)
    assert table[:, FIELDS.index("ok")].tolist() == [0, 0]
